"""Formatting and parsing times: clocks, WebVTT, SRT and SBV timestamps, ISO durations, ffmpeg."""

from __future__ import annotations

import math
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

import captions
from captions.errors import CaptionError
from captions.timecodes import (
    LENIENT_WEBVTT_TIME,
    SBV_TIME,
    SRT_TIME,
    WEBVTT_TIMESTAMP,
    format_clock,
    format_clock_millis,
    format_sbv_timestamp,
    format_seconds,
    format_srt_timestamp,
    format_timestamp,
    iso_duration,
    iso_duration_whole,
    lenient_webvtt_time_in_range,
    normalise_webvtt_timestamp,
    parse_ffmpeg_time,
    parse_seconds,
    srt_timestamp_millis,
    webvtt_timestamp_seconds,
)
from media.demo.content import STORIES, TRANSLATIONS

ROOT = Path(__file__).resolve().parents[1]
NOT_FINITE = [math.nan, math.inf, -math.inf]


# The transcript's clock floored and the progress bar's truncated with int():
# the two differ only below zero, where both read "0:00", so one function serves.
@pytest.mark.parametrize(("seconds", "clock"), [
    (0, "0:00"),
    (8.9, "0:08"),
    (32, "0:32"),
    (32.999, "0:32"),
    (59.9995, "0:59"),
    (65, "1:05"),
    (599.5, "9:59"),
    (600, "10:00"),
    (3599.9999, "59:59"),
    (3600, "1:00:00"),
    (3723, "1:02:03"),
    (36000, "10:00:00"),
    (360000, "100:00:00"),
    (-0.5, "0:00"),
    (-3, "0:00"),
])
def test_format_clock(seconds, clock):
    assert format_clock(seconds) == clock


@pytest.mark.parametrize("seconds", NOT_FINITE)
def test_format_clock_refuses_non_finite_seconds(seconds):
    with pytest.raises((ValueError, OverflowError)):
        format_clock(seconds)


@pytest.mark.parametrize(("seconds", "clock"), [
    (0, "0:00.000"),
    (1.5, "0:01.500"),
    (62.345, "1:02.345"),
    (599.9994, "9:59.999"),
    (59.9995, "1:00.000"),
    (3599.9995, "1:00:00.000"),
    (3723.25, "1:02:03.250"),
    (36000.25, "10:00:00.250"),
    # halves go to the even millisecond
    (0.0005, "0:00.000"),
    (0.0015, "0:00.002"),
    (0.0025, "0:00.002"),
    (-1, "0:00.000"),
])
def test_format_clock_millis(seconds, clock):
    assert format_clock_millis(seconds) == clock


@pytest.mark.parametrize(("seconds", "vtt", "srt", "sbv"), [
    (0, "00:00:00.000", "00:00:00,000", "0:00:00.000"),
    (62.345, "00:01:02.345", "00:01:02,345", "0:01:02.345"),
    (0.9995, "00:00:01.000", "00:00:01,000", "0:00:01.000"),
    (59.9995, "00:01:00.000", "00:01:00,000", "0:01:00.000"),
    (59.9999, "00:01:00.000", "00:01:00,000", "0:01:00.000"),
    (3599.9995, "01:00:00.000", "01:00:00,000", "1:00:00.000"),
    (3727.95, "01:02:07.950", "01:02:07,950", "1:02:07.950"),
    (36000, "10:00:00.000", "10:00:00,000", "10:00:00.000"),
    (360000.25, "100:00:00.250", "100:00:00,250", "100:00:00.250"),
    # halves go up, as webvtt-py rounds
    (0.0005, "00:00:00.001", "00:00:00,001", "0:00:00.001"),
    (0.0025, "00:00:00.003", "00:00:00,003", "0:00:00.003"),
    (36000.0005, "10:00:00.001", "10:00:00,001", "10:00:00.001"),
    (-0.0004, "00:00:00.000", "00:00:00,000", "0:00:00.000"),
    (-1.5, "00:00:00.000", "00:00:00,000", "0:00:00.000"),
])
def test_caption_timestamps(seconds, vtt, srt, sbv):
    assert (format_timestamp(seconds), format_srt_timestamp(seconds),
            format_sbv_timestamp(seconds)) == (vtt, srt, sbv)


@pytest.mark.parametrize("write", [format_timestamp, format_srt_timestamp, format_sbv_timestamp])
@pytest.mark.parametrize("seconds", NOT_FINITE)
def test_caption_timestamps_refuse_non_finite_seconds(write, seconds):
    with pytest.raises(ValueError, match="cannot write .* seconds as a timestamp"):
        write(seconds)


def test_whole_milliseconds_round_the_same_half_up_and_half_even():
    # The feed's media:text times and the demo's caption files were written with
    # round(), halves to even; format_timestamp rounds halves up. Their times
    # are whole milliseconds, the cue times of caption files, where both agree.
    for millis in [*range(200_000), 3_599_999, 3_600_000, 35_999_999, 36_000_000,
                   *random.Random(5).sample(range(10**13), 20_000)]:
        seconds = millis / 1000
        assert round(seconds * 1000) == math.floor(seconds * 1000 + 0.5) == millis


def test_demo_cue_times_are_whole_milliseconds():
    times = {time for story in [*STORIES, *TRANSLATIONS] for key, cues in story.items()
             if key.startswith(("captions_", "subtitles_", "descriptions_", "chapters_"))
             for start, end, _text in cues for time in (start, end)}
    assert len(times) > 10
    assert all(time == round(time * 1000) / 1000 for time in times)


# The transcript's <time datetime> keeps milliseconds and always writes
# seconds; a clip's length is whole seconds and leaves zero seconds out.
# Both have been published that way, so each keeps its own function.
@pytest.mark.parametrize(("seconds", "precise", "whole"), [
    (0, "PT0S", "PT0S"),
    (0.0005, "PT0S", "PT0S"),
    (0.0015, "PT0.002S", "PT0S"),
    (0.005, "PT0.005S", "PT0S"),
    (0.4, "PT0.4S", "PT0S"),
    (32, "PT32S", "PT32S"),
    (32.5, "PT32.5S", "PT32S"),
    (33.5, "PT33.5S", "PT34S"),
    (59.5, "PT59.5S", "PT1M"),
    (59.9996, "PT1M0S", "PT1M"),
    (60, "PT1M0S", "PT1M"),
    (65, "PT1M5S", "PT1M5S"),
    (3600, "PT1H0S", "PT1H"),
    (3601, "PT1H1S", "PT1H1S"),
    (3723.25, "PT1H2M3.25S", "PT1H2M3S"),
    (36000.5, "PT10H0.5S", "PT10H"),
    (-1, "PT0S", "PT0S"),
])
def test_iso_durations(seconds, precise, whole):
    assert (iso_duration(seconds), iso_duration_whole(seconds)) == (precise, whole)


@pytest.mark.parametrize(("text", "normalised", "seconds"), [
    ("00:01.500", "00:00:01.500", 1.5),
    ("59:59.999", "00:59:59.999", 3599.999),
    ("00:00:01.500", "00:00:01.500", 1.5),
    ("0:00:01.000", "00:00:01.000", 1.0),
    ("1:02:03.004", "01:02:03.004", 3723.004),
    ("0001:00:00.000", "01:00:00.000", 3600.0),
    ("10:00:00.000", "10:00:00.000", 36000.0),
    ("100:00:00.000", "100:00:00.000", 360000.0),
    ("999:59:59.999", "999:59:59.999", 3599999.999),
    ("1000000:00:00.001", "1000000:00:00.001", 3600000000.001),
])
def test_webvtt_timestamps_the_spec_reads(text, normalised, seconds):
    assert normalise_webvtt_timestamp(text) == normalised
    assert webvtt_timestamp_seconds(*re.fullmatch(WEBVTT_TIMESTAMP, text).groups()) == seconds


@pytest.mark.parametrize("text", [
    "00:60.000", "60:00.000", "00:00:60.000", "00:60:00.000", "00:00.00", "00:00.0000",
    "0:00.000", "00:0:00.000", "00:00,000", "00:00", "-00:00.000", "00:00:00:00.000",
    "00:00.000 ", " 00:00.000", "00:00.000x", "", "\u0661\u0662:00.000",
])
def test_webvtt_timestamps_the_spec_rejects(text):
    with pytest.raises(CaptionError, match="not a WebVTT timestamp"):
        normalise_webvtt_timestamp(text)


def test_webvtt_timestamp_hours_are_kept_as_digits():
    hours = "9" * 5000
    assert normalise_webvtt_timestamp(f"{hours}:00:00.000") == f"{hours}:00:00.000"


@pytest.mark.parametrize("hours", ["9" * 400, "9" * 401, "0" * 1000 + "9" * 5000])
def test_webvtt_timestamp_past_the_largest_double_is_refused(hours):
    with pytest.raises(CaptionError, match="too large"):
        webvtt_timestamp_seconds(hours, "00", "00", "000")


def test_written_webvtt_timestamps_read_back_exactly():
    for millis in [*range(0, 100_000, 7), *random.Random(9).sample(range(10**12), 2000)]:
        match = re.fullmatch(WEBVTT_TIMESTAMP, format_timestamp(millis / 1000))
        assert webvtt_timestamp_seconds(*match.groups()) == millis / 1000


@pytest.mark.parametrize(("text", "vtt", "srt", "sbv"), [
    ("00:01:02.345", True, True, True),
    ("0:0:13.540", True, True, True),
    ("01:02.345", True, False, False),
    ("00:00:01.5", True, True, False),
    ("00:00:01,500", False, True, False),
    ("1234567890:00:00.000", True, True, True),
    ("12345678901:00:00.000", False, False, False),
    ("00:00:01.5000", False, False, False),
    ("00:00:01", False, False, False),
])
def test_lenient_time_patterns(text, vtt, srt, sbv):
    assert ((re.fullmatch(LENIENT_WEBVTT_TIME, text) is not None),
            (re.fullmatch(SRT_TIME, text) is not None),
            (re.fullmatch(SBV_TIME, text) is not None)) == (vtt, srt, sbv)


@pytest.mark.parametrize(("text", "in_range"), [
    ("00:59.999", True), ("0:0:13.540", True), ("59:59:59.999", True), ("99:00:00.000", True),
    ("00:60.000", False), ("60:00.000", False), ("00:60:00.000", False), ("00:00:60.000", False),
])
def test_lenient_webvtt_time_in_range(text, in_range):
    assert lenient_webvtt_time_in_range(text) is in_range


@pytest.mark.parametrize(("text", "millis"), [
    ("00:00:00,000", 0),
    ("00:01:02,345", 62_345),
    ("0:0:1.5", 1_005),  # webvtt-py reads the fraction as a number of milliseconds
    ("00:00:07,5", 7_005),
    ("1:02:03.004", 3_723_004),
    ("10:00:00,000", 36_000_000),
    ("100:59:59,999", 363_599_999),
])
def test_srt_timestamp_millis(text, millis):
    assert srt_timestamp_millis(text) == millis


@pytest.mark.parametrize("text", [
    "00:01:02", "00:01:02,3456", "00:01:02;345", "01:02,345", "-0:00:00,000", " 00:00:00,000", "",
])
def test_srt_timestamp_millis_refuses_other_text(text):
    with pytest.raises(CaptionError, match="not an SRT or SBV timestamp"):
        srt_timestamp_millis(text)


@pytest.mark.parametrize(("text", "seconds"), [
    ("00:00:01.500000", 1.5),
    ("00:00:00.000000", 0.0),
    ("01:02:03.5", 3723.5),
    ("10:00:00.000000", 36000.0),
    ("-00:00:00.023220", -0.02322),
    ("N/A", None),
    ("", None),
    ("00:01", None),
    ("00:00:00:00", None),
    ("00:aa:00", None),
])
def test_parse_ffmpeg_time(text, seconds):
    assert parse_ffmpeg_time(text) == (None if seconds is None else pytest.approx(seconds))


@pytest.mark.parametrize(("text", "seconds"), [
    ("0", 0.0), ("12.5", 12.5), ("75", 75.0), (".5", 0.5), ("5.", 5.0), ("007", 7.0),
])
def test_parse_seconds(text, seconds):
    assert parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["-1", "-0.001", "-0", "+1", "nan", "inf", "-inf", "1e3", "1e400", " 5 ", "5\n",
                                  "1_0", "\u0661", "\uff11", "\u00bd", "1" * 400, "abc", "", ".", "3,5", "1:30"])
def test_parse_seconds_refuses_anything_else(text):
    with pytest.raises(ValueError):
        parse_seconds(text)


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0"), (1.0, "1"), (12.5, "12.5"), (32.021, "32.021"), (1.0004, "1"), (1.0005, "1.001"), (59.9999, "60"),
])
def test_format_seconds_writes_what_parse_seconds_reads_to_the_millisecond(seconds, text):
    assert format_seconds(seconds) == text
    assert parse_seconds(text) == pytest.approx(seconds, abs=0.0005)


def test_importing_timecodes_leaves_the_caption_readers_unloaded():
    # media's progress bar imports this module, and media commands start
    # without webvtt-py, langcodes and the caption readers
    code = ("import sys, captions.timecodes; print(' '.join(sorted(m for m in sys.modules"
            " if m.split('.')[0] in ('captions', 'webvtt', 'langcodes'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT).stdout.split()
    assert loaded == ["captions", "captions.cue_html", "captions.errors", "captions.models",
                      "captions.timecodes"]


def test_every_name_of_the_captions_package_resolves():
    from captions.cue_html import cue_html

    assert all(callable(getattr(captions, name)) for name in captions.__all__
               if name != "MAX_CAPTION_BYTES")
    assert captions.MAX_CAPTION_BYTES == 5 * 1024 * 1024
    assert set(captions.__all__) <= set(dir(captions))
    # the module of the same name does not hide the function
    assert captions.cue_html is cue_html
    with pytest.raises(AttributeError):
        captions.no_such_name  # noqa: B018
