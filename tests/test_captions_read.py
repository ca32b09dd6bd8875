"""Tests for captions.read: decoding, checks and parsing of real caption files."""

from __future__ import annotations

import codecs
import shutil
from pathlib import Path

import pytest

from captions import (
    MAX_CAPTION_BYTES,
    CaptionError,
    CaptionTrack,
    Cue,
    caption_format,
    load_captions,
    parse_captions,
)
from tests.corpus import CORPUS, WPT_WEBVTT, corpus_files, corpus_params

CAPTIONS = CORPUS / "captions"
REAL_WORLD = CORPUS / "webvtt" / "real-world"

SIMPLE_VTT = (
    "WEBVTT\n"
    "\n"
    "intro\n"
    "00:00:01.000 --> 00:00:02.500\n"
    "Hello <b>there</b>\n"
    "\n"
    "00:00:03.000 --> 00:00:04.000\n"
    "Café &amp; croissants\n"
    "second line\n"
)


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "fmt", "count", "first_text", "encoding"), [
    ("pysrt/bom-utf-8.srt", "srt", 7,
     "About 2 months ago I found myself on\nthe comment section of YouTube", "utf-8"),
    ("pysrt/bom-utf-16-le.srt", "srt", 7,
     "About 2 months ago I found myself on\nthe comment section of YouTube", "utf-16-le"),
    ("pysrt/bom-utf-16-be.srt", "srt", 7,
     "About 2 months ago I found myself on\nthe comment section of YouTube", "utf-16-be"),
    ("pysrt/bom-utf-32-le.srt", "srt", 7,
     "About 2 months ago I found myself on\nthe comment section of YouTube", "utf-32-le"),
    ("pysrt/bom-utf-32-be.srt", "srt", 7,
     "About 2 months ago I found myself on\nthe comment section of YouTube", "utf-32-be"),
    ("pysrt/no-indexes.srt", "srt", 7,
     "About 2 months ago I found myself on\nthe comment section of YouTube", "utf-8"),
    ("pysrt/utf-8.srt", "srt", 1332, "Downloaded From www.AllSubs.org", "utf-8"),
    ("pysrt/capability_tester.srt", "srt", 37,
     "Don't show this text it may be used to insert hidden data", "utf-8"),
    ("srt/ascii.srt", "srt", 3, "ascii", "utf-8"),
    ("webvtt-py/sample.srt", "srt", 5, "Caption text #1", "utf-8"),
    ("webvtt-py/one_caption.srt", "srt", 1, "Caption text #1", "utf-8"),
    ("webvtt-py/styles_colours.srt", "srt", 6,
     '<font color="#ff00ff">Musique douce</font>', "utf-8"),
    ("webvtt-py/sample.vtt", "vtt", 16, "Caption text #1", "utf-8"),
    ("webvtt-py/captions_with_bom.vtt", "vtt", 4, "Caption text #1", "utf-8"),
    ("webvtt-py/comments.vtt", "vtt", 3,
     "- Ta en kopp varmt te.\n- Det är inte varmt.", "utf-8"),
    ("webvtt-py/cue_tags.vtt", "vtt", 3, "When the moon <00:17.500>hits your eye", "utf-8"),
    ("webvtt-py/non_padded_timestamps.vtt", "vtt", 3,
     "<v Jane Doe>Good morning everyone.</v>", "utf-8"),
    ("webvtt-py/regions.vtt", "vtt", 2, "<v Fred>Hi, my name is Fred", "utf-8"),
    ("webvtt-py/youtube_dl.vtt", "vtt", 4, "yeah", "utf-8"),
    ("webvtt-py/netflix_chicas_del_cable.vtt", "vtt", 865,
     "[Alba] <i>En 1928,</i>", "utf-8"),
    ("webvtt-py/sample.sbv", "sbv", 5, "Caption text #1", "utf-8"),
    ("webvtt-py/two_captions.sbv", "sbv", 2, "Caption text #1", "utf-8"),
])
def test_corpus_file_loads_with_expected_cues(name, fmt, count, first_text, encoding):
    track = load_captions(CAPTIONS / name)
    assert isinstance(track, CaptionTrack)
    assert track.path == CAPTIONS / name
    assert (track.format, len(track.cues), track.encoding) == (fmt, count, encoding)
    assert track.cues[0].text == first_text
    assert all(isinstance(cue, Cue) and cue.text.strip() for cue in track.cues)


@pytest.mark.corpus
@pytest.mark.parametrize("name", [
    "bom-utf-16-le.srt", "bom-utf-16-be.srt", "bom-utf-32-le.srt", "bom-utf-32-be.srt",
])
def test_byte_order_mark_files_give_the_same_cues_as_utf8(name):
    reference = load_captions(CAPTIONS / "pysrt" / "bom-utf-8.srt")
    track = load_captions(CAPTIONS / "pysrt" / name)
    assert track.cues == reference.cues
    assert track.warnings == ()


@pytest.mark.corpus
def test_windows_1252_file_is_read_with_a_warning_naming_it():
    path = CAPTIONS / "pysrt" / "windows-1252.srt"
    track = load_captions(path)
    assert track.encoding == "windows-1252"
    assert track.warnings == (f"{path}: not UTF-8, read as Windows-1252",)
    assert track.cues == load_captions(CAPTIONS / "pysrt" / "utf-8.srt").cues


@pytest.mark.corpus
def test_first_cue_times_are_seconds_from_the_file():
    cues = load_captions(CAPTIONS / "webvtt-py" / "sample.srt").cues
    assert [(cue.start, cue.end) for cue in cues[:2]] == [(0.5, 7.0), (7.0, 11.89)]
    assert cues[0].identifier is None


@pytest.mark.corpus
def test_vtt_identifiers_are_kept():
    cues = load_captions(CAPTIONS / "webvtt-py" / "using_identifiers.vtt").cues
    assert cues[1].identifier == "second caption"
    assert cues[0].identifier is None


@pytest.mark.corpus
@pytest.mark.parametrize("name", [
    "missing_caption_text.srt", "missing_caption_text.vtt", "missing_caption_text.sbv",
])
def test_cues_without_text_are_dropped(name):
    cues = load_captions(CAPTIONS / "webvtt-py" / name).cues
    assert [cue.text for cue in cues[:3]] == [
        "Caption text #1", "Caption text #3", "Caption text #4"]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "line", "message"), [
    ("pysrt/invalid.srt", 2, "invalid cue timings '00:00:01 --> 00:00:10'"),
    ("webvtt-py/invalid_timeframe.srt", 6,
     "invalid cue timings '00:00:07,000 --> 00:00:11:890'"),
    ("webvtt-py/invalid_timeframe.vtt", 6,
     "invalid cue timings '00:00:07.000 --> 00:00:1d.890'"),
    ("webvtt-py/invalid_timeframe.sbv", 7, "invalid cue timings '0:00:13.f89,0:00:15.489'"),
    ("webvtt-py/missing_timeframe.srt", 6, "cue 2 has no timings, found 'Caption text #2'"),
    ("webvtt-py/missing_timeframe.vtt", 6,
     "text outside any cue (missing cue timings?): 'Caption text #2'"),
    ("webvtt-py/missing_timeframe.sbv", 4, "expected cue timings, found 'Caption text #2'"),
    ("webvtt-py/invalid_format4.srt", 1,
     "expected a cue number or cue timings, found 'some text'"),
    ("webvtt-py/invalid.vtt", 1, "not a WebVTT file: the first line must be 'WEBVTT'"),
    ("webvtt-py/invalid_format.sbv", None, "not a caption file: no cue timings found"),
    ("webvtt-py/invalid_format1.srt", None, "not a caption file: no cue timings found"),
    ("webvtt-py/invalid_format2.srt", None, "not a caption file: no cue timings found"),
    ("webvtt-py/invalid_format3.srt", None, "not a caption file: no cue timings found"),
    ("webvtt-py/empty.vtt", None, "no cues found"),
    ("webvtt-py/no_captions.vtt", None, "no cues found"),
])
def test_broken_corpus_file_raises_with_file_and_line(name, line, message):
    path = CAPTIONS / name
    with pytest.raises(CaptionError) as caught:
        load_captions(path)
    error = caught.value
    assert (error.path, error.line) == (path, line)
    assert message in error.message
    where = f"{path}:{line}" if line else f"{path}"
    assert str(error).startswith(f"{where}: ")


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "line", "message"), [
    # real authoring mistakes a browser would hide by dropping the text
    ("ableplayer/paulallen_de.vtt", 113, "text outside any cue"),
    ("ableplayer/paulallen_meta.vtt", 15,
     "invalid cue timings '00:02:08.000 --> 00.02:32.000'"),
    ("firefox/mochitest-bad-signature.vtt", 1, "found 'WEB'"),
])
def test_real_world_file_with_a_mistake_names_the_line(name, line, message):
    with pytest.raises(CaptionError) as caught:
        load_captions(REAL_WORLD / name)
    assert caught.value.line == line
    assert message in caught.value.message


REAL_WORLD_BROKEN = {"paulallen_de.vtt", "paulallen_meta.vtt", "mochitest-bad-signature.vtt"}


@pytest.mark.corpus
@pytest.mark.parametrize("path", corpus_params(
    (p for p in corpus_files("webvtt/real-world", pattern="**/*.vtt")
     if p.name not in REAL_WORLD_BROKEN),
    ids=lambda p: p.name))
def test_real_world_vtt_files_load(path):
    track = load_captions(path)
    assert track.format == "vtt"
    assert track.cues and track.duration >= track.cues[0].end


@pytest.mark.corpus
def test_text_before_the_first_cue_is_a_warning_with_its_line():
    path = REAL_WORLD / "firefox" / "test-webvtt-3.vtt"
    track = load_captions(path)
    assert len(track.cues) == 2
    assert len(track.warnings) == 1
    assert track.warnings[0].startswith(f"{path}:3: text before the first cue is ignored")


@pytest.mark.corpus
def test_cue_ending_before_it_starts_is_a_warning():
    path = CAPTIONS / "webvtt-py" / "sample.sbv"
    track = load_captions(path)
    assert track.warnings == (
        f"{path}: cue 5 ends before it starts (17.484s --> 16.543s)"
        " and will never be shown",)


@pytest.mark.parametrize("path", sorted((WPT_WEBVTT / "file-parsing" / "invalid").iterdir()),
                         ids=lambda p: p.name)
def test_files_browsers_reject_are_refused(path):
    with pytest.raises(CaptionError) as caught:
        load_captions(path)
    assert path.name in str(caught.value)


BROKEN_SAMPLES = corpus_files("captions/pysrt", pattern="invalid.srt") + [
    p for p in corpus_files("captions/webvtt-py")
    if p.name.startswith(("invalid", "missing_timeframe", "empty", "no_captions"))
    and p.name != "invalid_timeframe_in_cue_text.vtt"]


@pytest.mark.corpus
@pytest.mark.parametrize("path", corpus_params(BROKEN_SAMPLES, ids=lambda p: p.name))
def test_every_error_message_is_one_line_naming_the_file(path):
    with pytest.raises(CaptionError) as caught:
        load_captions(path)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message
    assert path.name in message
    # our words, not the parser's: no exception names or its terse "Invalid format"
    assert "Error" not in caught.value.message
    assert "Invalid format" not in caught.value.message


@pytest.mark.corpus
@pytest.mark.parametrize("source", [
    "images/pillow/i_trns.png",
    "images/pillow/hopper_gray.jpg",
    "video/2x2-green.mp4",
    "audio/small-shot.mp3",
])
@pytest.mark.parametrize("suffix", [".vtt", ".srt", ".sbv"])
def test_binary_file_renamed_as_captions_is_refused(tmp_path, source, suffix):
    path = tmp_path / f"renamed{suffix}"
    shutil.copyfile(CORPUS / source, path)
    with pytest.raises(CaptionError) as caught:
        load_captions(path)
    assert str(caught.value) == f"{path}: not a caption file: binary content"


@pytest.mark.parametrize(("name", "shown"), [
    ("subtitles.ass", "'.ass'"),
    ("subtitles.TXT", "'.txt'"),
    ("subtitles", "without an extension"),
])
def test_unsupported_extension_is_refused_before_reading(tmp_path, name, shown):
    path = tmp_path / name  # never created: the name alone decides
    with pytest.raises(CaptionError) as caught:
        load_captions(path)
    assert str(caught.value) == (
        f"{path}: unsupported caption format {shown} (use .vtt, .srt or .sbv)")


@pytest.mark.parametrize(("name", "fmt"), [
    ("a.vtt", "vtt"), ("a.VTT", "vtt"), ("a.Srt", "srt"), ("a.sbv", "sbv"),
    ("dir.srt/a.vtt", "vtt"),
])
def test_caption_format_comes_from_the_extension(name, fmt):
    assert caption_format(name) == fmt


def test_file_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "huge.vtt"
    cue = "00:00:01.000 --> 00:00:02.000\nwords words words\n\n"
    copies = MAX_CAPTION_BYTES // len(cue) + 1
    path.write_text("WEBVTT\n\n" + cue * copies, encoding="utf-8")
    with pytest.raises(CaptionError) as caught:
        load_captions(path)
    assert "caption file too large" in str(caught.value)
    assert str(caught.value).startswith(f"{path}: ")


@pytest.mark.parametrize("make", [lambda p: None, lambda p: p.mkdir()],
                         ids=["missing", "directory"])
def test_unreadable_path_raises_caption_error(tmp_path, make):
    path = tmp_path / "gone.vtt"
    make(path)
    with pytest.raises(CaptionError) as caught:
        load_captions(path)
    assert str(caught.value).startswith(f"{path}: cannot read file: ")


@pytest.mark.parametrize(("encoding", "bom", "expected"), [
    ("utf-8", b"", "utf-8"),
    ("utf-8", codecs.BOM_UTF8, "utf-8"),
    ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16-le"),
    ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16-be"),
    ("utf-32-le", codecs.BOM_UTF32_LE, "utf-32-le"),
    ("utf-32-be", codecs.BOM_UTF32_BE, "utf-32-be"),
])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_encodings_and_line_endings_give_the_same_cues(tmp_path, encoding, bom,
                                                       expected, newline):
    path = tmp_path / "clip.vtt"
    path.write_bytes(bom + SIMPLE_VTT.replace("\n", newline).encode(encoding))
    track = load_captions(path)
    assert track.encoding == expected
    assert track.warnings == ()
    assert track.cues == (
        Cue(1.0, 2.5, "Hello <b>there</b>", "intro"),
        Cue(3.0, 4.0, "Café &amp; croissants\nsecond line"),
    )


def test_windows_1252_bytes_are_decoded_not_replaced(tmp_path):
    path = tmp_path / "old.srt"
    path.write_bytes("1\r\n00:00:01,000 --> 00:00:02,000\r\nCafé “quoted” €5\r\n"
                     .encode("cp1252"))
    track = load_captions(path)
    assert track.cues[0].text == "Café “quoted” €5"
    assert track.warnings == (f"{path}: not UTF-8, read as Windows-1252",)


def test_broken_utf16_after_its_byte_order_mark_is_refused(tmp_path):
    path = tmp_path / "odd.srt"
    path.write_bytes(codecs.BOM_UTF16_LE + "1\n".encode("utf-16-le") + b"\x00")
    with pytest.raises(CaptionError) as caught:
        load_captions(path)
    assert "not valid UTF-16-LE text" in str(caught.value)


@pytest.mark.parametrize(("text", "fmt", "line", "message"), [
    ("WEBVTT\n\n00:00:61.000 --> 00:00:62.000\nx\n", "vtt", 3, "invalid cue timings"),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nx\n\nlost\n", "vtt", 6,
     "text outside any cue"),
    ("WEBVTT\n\n00:01.000 --> 00:02.000\nsays --> here\n", "vtt", 4,
     "invalid cue timings 'says --> here'"),
    ("1\n00:00:01,000 --> 00:00:02,000\nx\n\n2\n00:00:03.000 --> soon\ny\n", "srt", 6,
     "invalid cue timings"),
    ("0:00:01.000,0:00:02.000\nx\n\nhello\n", "sbv", 4, "expected cue timings"),
    ("WEBVTT\n\nNOTE only a comment\n", "vtt", None, "no cues found"),
    ("   \n\n", "srt", None, "no cues found: the file is empty"),
    ("WEBVTT\n\n00:01.000 --> 00:02.000\nbell\x07\n", "vtt", None,
     "not a caption file: binary content"),
])
def test_parse_captions_refuses_bad_text(text, fmt, line, message):
    with pytest.raises(CaptionError) as caught:
        parse_captions(text, fmt, Path("clip." + fmt))
    assert caught.value.line == line
    assert message in caught.value.message


@pytest.mark.parametrize(("text", "fmt", "cues"), [
    ("WEBVTT\n\n00:01.000 --> 00:02.000\nOne\n", "vtt", [Cue(1.0, 2.0, "One")]),
    ("WEBVTT - title\nKind: captions\n\n1\n00:00:01.000 --> 00:00:02.000 line:0\nOne\n",
     "vtt", [Cue(1.0, 2.0, "One", "1", settings="line:0")]),
    ("WEBVTT\n\nNOTE x\n\nSTYLE\n::cue { color: red }\n\n00:01.000 --> 00:02.000\nOne\n",
     "vtt", [Cue(1.0, 2.0, "One")]),
    ("\n\n3\n00:00:01,000 --> 00:00:02,000\nOne\n\n4\n00:00:02,000 --> 00:00:03,500\nTwo\n",
     "srt", [Cue(1.0, 2.0, "One"), Cue(2.0, 3.5, "Two")]),
    # no blank line between cues and no cue numbers
    ("00:00:01,000 --> 00:00:02,000\nOne\n00:00:02,000 --> 00:00:03,000\nTwo\n",
     "srt", [Cue(1.0, 2.0, "One"), Cue(2.0, 3.0, "Two")]),
    # a blank line inside a cue's text belongs to the cue, as in most SRT readers
    ("1\n00:00:01,000 --> 00:00:02,000\nOne\n\nmore\n", "srt",
     [Cue(1.0, 2.0, "One\nmore")]),
    ("0:00:01.000,0:00:02.000\nOne\nTwo\n", "sbv", [Cue(1.0, 2.0, "One\nTwo")]),
])
def test_parse_captions_reads_valid_text(text, fmt, cues):
    track = parse_captions(text, fmt)
    assert list(track.cues) == cues
    assert track.format == fmt
    assert track.path == Path("<string>")


def test_parse_captions_refuses_an_unknown_format():
    with pytest.raises(CaptionError) as caught:
        parse_captions("x", "ass")
    assert str(caught.value) == "unsupported caption format 'ass' (use vtt, srt or sbv)"


@pytest.mark.parametrize(("error", "text"), [
    (CaptionError("no cues found", Path("a.vtt")), "a.vtt: no cues found"),
    (CaptionError("invalid cue timings 'x'", "a.srt", 7), "a.srt:7: invalid cue timings 'x'"),
    (CaptionError("bad\nthing", None, 3), "line 3: bad thing"),
    (CaptionError("no cues found"), "no cues found"),
])
def test_caption_error_is_one_line_with_its_location(error, text):
    assert str(error) == text


@pytest.mark.corpus
def test_track_duration_is_when_the_last_cue_ends():
    track = load_captions(CAPTIONS / "webvtt-py" / "sample.srt")
    assert track.duration == 23.88
    empty = CaptionTrack(Path("x.vtt"), "vtt", (), "utf-8", ())
    assert empty.duration == 0
