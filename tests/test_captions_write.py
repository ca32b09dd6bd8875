"""Tests for captions.write: WebVTT output that browsers and webvtt-py can read."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
import webvtt

from captions import CaptionTrack, Cue, format_timestamp, load_captions, parse_captions, to_webvtt
from captions.write import sorted_cues, to_srt
from tests.corpus import CORPUS

CAPTIONS = CORPUS / "captions"

READABLE = [
    "pysrt/utf-8.srt",
    "pysrt/windows-1252.srt",
    "pysrt/bom-utf-16-le.srt",
    "pysrt/no-indexes.srt",
    "pysrt/capability_tester.srt",
    "srt/ascii.srt",
    "webvtt-py/sample.srt",
    "webvtt-py/styles_colours.srt",
    "webvtt-py/sample.sbv",
    "webvtt-py/two_captions.sbv",
    "webvtt-py/sample.vtt",
    "webvtt-py/using_identifiers.vtt",
    "webvtt-py/cue_tags.vtt",
    "webvtt-py/youtube_dl.vtt",
    "webvtt-py/regions.vtt",
    "webvtt-py/netflix_chicas_del_cable.vtt",
    "webvtt-py/non_padded_timestamps.vtt",
]


def track_of(*cues: Cue) -> CaptionTrack:
    """Return a track holding the given cues."""
    return CaptionTrack(Path("clip.vtt"), "vtt", cues, "utf-8", ())


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "00:00:00.000"),
    (62.345, "00:01:02.345"),
    (0.0005, "00:00:00.001"),
    (59.9999, "00:01:00.000"),
    (3600, "01:00:00.000"),
    (3727.95, "01:02:07.950"),
    (360000.25, "100:00:00.250"),
    (-1.5, "00:00:00.000"),
])
def test_format_timestamp(seconds, text):
    assert format_timestamp(seconds) == text


@pytest.mark.parametrize("seconds", [float("nan"), float("inf")])
def test_format_timestamp_refuses_non_finite_seconds(seconds):
    with pytest.raises(ValueError):
        format_timestamp(seconds)


def test_to_webvtt_writes_the_exact_document():
    track = track_of(Cue(1.0, 2.5, "Hello <b>there</b>", "intro"),
                     Cue(62.345, 64.0, "Two\nlines"))
    assert to_webvtt(track) == (
        "WEBVTT\n"
        "\n"
        "intro\n"
        "00:00:01.000 --> 00:00:02.500\n"
        "Hello <b>there</b>\n"
        "\n"
        "00:01:02.345 --> 00:01:04.000\n"
        "Two\n"
        "lines\n"
    )


def test_empty_track_is_just_the_signature():
    assert to_webvtt(track_of()) == "WEBVTT\n"


@pytest.mark.parametrize(("cue", "block"), [
    # an empty line would end the cue early
    (Cue(1, 2, "one\n\n  \ntwo"), "00:00:01.000 --> 00:00:02.000\none\ntwo"),
    (Cue(1, 2, "one\r\ntwo\rthree"), "00:00:01.000 --> 00:00:02.000\none\ntwo\nthree"),
    # an arrow would start a new cue; the escaped one still reads "-->"
    (Cue(1, 2, "a --> b"), "00:00:01.000 --> 00:00:02.000\na --&gt; b"),
    (Cue(1, 2, "x", "two\nlines"), "two lines\n00:00:01.000 --> 00:00:02.000\nx"),
    (Cue(1, 2, "x", "bad --> id"), "00:00:01.000 --> 00:00:02.000\nx"),
    (Cue(1, 2, "x", ""), "00:00:01.000 --> 00:00:02.000\nx"),
])
def test_to_webvtt_keeps_each_cue_in_one_block(cue, block):
    assert to_webvtt(track_of(cue)) == f"WEBVTT\n\n{block}\n"


@pytest.mark.corpus
@pytest.mark.parametrize("name", READABLE)
def test_to_webvtt_output_is_valid_for_webvtt_py(name):
    track = load_captions(CAPTIONS / name)
    document = to_webvtt(track)
    assert document.startswith("WEBVTT\n\n")
    assert document.endswith("\n") and not document.endswith("\n\n")
    parsed = webvtt.WebVTT.from_buffer(io.StringIO(document), format="vtt", strict=True)
    assert len(parsed.captions) == len(track.cues)
    assert [c.raw_text for c in parsed.captions] == [cue.text for cue in sorted_cues(track)]


@pytest.mark.corpus
@pytest.mark.parametrize("name", READABLE)
def test_round_trip_through_webvtt_keeps_the_cues(name):
    track = load_captions(CAPTIONS / name)
    again = parse_captions(to_webvtt(track), "vtt")
    # settings a browser would ignore are dropped; the test below covers them
    assert [replace(cue, settings="") for cue in again.cues] == [
        replace(cue, settings="") for cue in sorted_cues(track)]


def test_to_webvtt_keeps_valid_cue_settings_and_drops_ignored_ones():
    track = parse_captions(
        "WEBVTT\n\n00:01.000 --> 00:02.000 line:0 align:start position:50%,middle"
        " bogus:1 line:5\nOne\n", "vtt")
    document = to_webvtt(track)
    assert "00:00:01.000 --> 00:00:02.000 line:0 align:start\n" in document
    assert parse_captions(document, "vtt").cues[0].settings == "line:0 align:start"


@pytest.mark.corpus
def test_round_trip_keeps_identifiers():
    track = load_captions(CAPTIONS / "webvtt-py" / "using_identifiers.vtt")
    again = parse_captions(to_webvtt(track), "vtt")
    assert [cue.identifier for cue in again.cues] == [
        None, "second caption", None, "4", None, None]


def test_to_webvtt_sorts_cues_by_time_keeping_ties_in_file_order():
    track = parse_captions(
        "WEBVTT\n\n00:03.000 --> 00:04.000\nthird\n\n00:01.000 --> 00:02.000\nfirst\n\n"
        "00:01.000 --> 00:02.000\nsecond\n", "vtt")
    cues = parse_captions(to_webvtt(track), "vtt").cues
    assert [cue.text for cue in cues] == ["first", "second", "third"]


def test_to_srt_keeps_words_and_basic_styling_only():
    track = parse_captions(
        "WEBVTT\n\n00:02.000 --> 00:03.500 line:0\n<v.loud Ana Ruiz>Hi <b.x>there</b> &amp; "
        "<i>you</i> <00:02.500><c.red>now</c>\n<ruby>漢<rt>kan</rt></ruby> 1 &lt; 2 --&gt; 3\n\n"
        "00:00:01.000 --> 00:00:02.000\n<u>first</u>\n", "vtt")
    assert to_srt(track) == (
        "1\n00:00:01,000 --> 00:00:02,000\n<u>first</u>\n\n"
        "2\n00:00:02,000 --> 00:00:03,500\nAna Ruiz: Hi <b>there</b> & <i>you</i> now\n"
        "漢kan 1 < 2 -> 3\n")


@pytest.mark.corpus
@pytest.mark.parametrize("name", READABLE)
def test_to_srt_output_reads_back_with_the_same_times(name):
    track = load_captions(CAPTIONS / name)
    again = parse_captions(to_srt(track), "srt")
    assert [(cue.start, cue.end) for cue in again.cues] == [
        (cue.start, cue.end) for cue in sorted(track.cues, key=lambda c: (c.start, c.end))]
