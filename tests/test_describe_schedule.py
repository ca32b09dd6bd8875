"""Where spoken descriptions go, and the ffmpeg argv that mix them in: pure, no process runs."""

from __future__ import annotations

import re

import pytest

from captions.models import Cue
from media.ffmpeg.commands import SAFE_DEMUXERS
from media.ffmpeg.mixing import (
    SUBTITLE_DEMUXERS,
    described_mix_command,
    described_mux_command,
    extended_mix_command,
    extended_video_command,
)
from media.speech import schedule
from media.speech.errors import DescriptionsError
from media.speech.schedule import ATTACK, DUCK_DB, GAP, HOLD_MARGIN, RELEASE, Description


def _descriptions(*times: tuple[float, float]) -> list[Description]:
    return [Description(f"description {index}", start, end, line=3 + 4 * index)
            for index, (start, end) in enumerate(times)]


# --- checking the cues ---------------------------------------------------------------

def test_overlapping_cues_are_refused_naming_the_later_ones_line():
    cues = [Cue(1.0, 4.0, "A harbour.", line=3), Cue(3.0, 5.0, "A boat.", line=6)]
    with pytest.raises(DescriptionsError) as raised:
        schedule.check_descriptions(cues, "clip.en.descriptions.vtt")
    assert str(raised.value).startswith("clip.en.descriptions.vtt:6: ")
    assert "overlap" in str(raised.value)


def test_cues_that_only_touch_are_accepted_in_any_order():
    schedule.check_descriptions([Cue(4.0, 6.0, "B", line=6), Cue(1.0, 4.0, "A", line=3)])


# --- windows -------------------------------------------------------------------------

def test_without_captions_a_description_has_until_its_cue_ends_or_the_next_one():
    wanted = _descriptions((1.0, 4.0), (3.5, 9.0), (12.0, 30.0))
    # the next description's start (3.5) comes before the cue's end; the clip ends at 20
    assert schedule.windows(wanted, None, 20.0) == pytest.approx([2.5, 5.5, 8.0])


def test_with_captions_a_description_has_until_the_next_speech_whatever_its_cue_says():
    wanted = _descriptions((3.0, 4.0), (11.0, 12.0))
    speech = [(0.5, 2.5), (8.0, 10.0), (14.0, 16.0)]
    assert schedule.windows(wanted, speech, 20.0) == pytest.approx([5.0, 3.0])


def test_speech_under_way_at_a_cues_start_leaves_it_no_window():
    wanted = _descriptions((3.0, 6.0))
    assert schedule.windows(wanted, [(2.0, 5.0)], 20.0) == [0.0]


def test_the_last_description_has_until_the_clip_ends():
    assert schedule.windows(_descriptions((17.0, 19.0)), [(1.0, 2.0)], 18.5) == \
        pytest.approx([1.5])


# --- placements and holds ------------------------------------------------------------

def test_voices_that_fit_start_at_their_cues_and_need_no_hold():
    wanted = _descriptions((3.0, 6.0), (10.0, 14.0))
    placements = schedule.place(wanted, [5.0, 4.0], [(2.0, 175), (3.5, 190)])
    assert [p.start for p in placements] == [3.0, 10.0]
    assert all(p.fits and p.hold == 0 for p in placements)
    assert schedule.extended_duration(placements, 20.0) == 20.0


def test_a_voice_that_runs_long_pushes_the_next_one_back_so_they_never_overlap():
    wanted = _descriptions((1.0, 2.0), (2.0, 3.0), (3.0, 9.0))
    placements = schedule.place(wanted, [1.0, 1.0, 6.0], [(2.5, 220), (1.5, 220), (1.0, 175)])
    spans = schedule.voice_spans(placements, extended=False)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end + GAP - 1e-9
    assert spans[1][0] == pytest.approx(1.0 + 2.5 + GAP)


def test_a_description_too_long_for_its_window_is_held_for_the_rest_plus_a_margin():
    wanted = _descriptions((3.0, 5.0))
    [placement] = schedule.place(wanted, [2.0], [(3.2, 220)])
    assert not placement.fits
    assert placement.hold == pytest.approx(1.2 + HOLD_MARGIN)
    assert placement.hold_at == pytest.approx(5.0)
    assert placement.to_json()["fits"] is False


def test_extended_times_shift_by_the_holds_before_them_a_start_at_a_hold_after_it():
    wanted = _descriptions((3.0, 5.0), (12.0, 13.0))
    placements = schedule.place(wanted, [2.0, 1.0], [(3.0, 220), (2.0, 220)])
    first, second = (p.hold for p in placements)
    assert schedule.extended_time(placements, 4.0) == 4.0
    # a caption starting where the frame is held starts after the hold...
    assert schedule.extended_time(placements, 5.0) == pytest.approx(5.0 + first)
    # ...and one ending there ends before it
    assert schedule.extended_time(placements, 5.0, after_hold=False) == 5.0
    assert schedule.extended_time(placements, 12.5) == pytest.approx(12.5 + first)
    assert schedule.extended_time(placements, 19.0) == pytest.approx(19.0 + first + second)
    assert schedule.extended_duration(placements, 20.0) == pytest.approx(20.0 + first + second)


def test_extended_voices_start_at_their_cues_on_the_extended_timeline():
    wanted = _descriptions((3.0, 5.0), (12.0, 13.0))
    placements = schedule.place(wanted, [2.0, 1.0], [(3.0, 220), (2.0, 220)])
    spans = schedule.voice_spans(placements, extended=True)
    assert spans[0] == pytest.approx((3.0, 6.0))
    assert spans[1] == pytest.approx((12.0 + placements[0].hold, 14.0 + placements[0].hold))
    # the first voice ends a margin before the programme goes on after its hold
    assert spans[0][1] == pytest.approx(
        schedule.extended_time(placements, placements[0].hold_at) - HOLD_MARGIN)


def test_a_description_with_no_window_is_spoken_over_its_own_held_frame():
    # speech is under way at both cues' starts: each is said while the frame is held
    wanted = _descriptions((2.0, 4.0), (6.0, 8.0))
    windows = schedule.windows(wanted, [(1.0, 3.0), (5.0, 9.0)], 20.0)
    placements = schedule.place(wanted, windows, [(1.5, 220), (2.0, 220)])
    first, second = placements
    assert (first.hold_at, second.hold_at) == (2.0, 6.0)
    spans = schedule.voice_spans(placements, extended=True)
    assert spans[0] == pytest.approx((2.0, 3.5))
    assert spans[1] == pytest.approx((6.0 + first.hold, 8.0 + first.hold))
    # each voice is over by the time the programme goes on after its hold
    for span, placement in zip(spans, placements, strict=True):
        assert span[1] <= schedule.extended_time(placements, placement.hold_at) - HOLD_MARGIN + 1e-9


# --- ducking -------------------------------------------------------------------------

def test_voices_close_together_are_ducked_as_one():
    assert schedule.duck_spans([(5.0, 6.0), (1.0, 2.0), (2.2, 3.0)]) == [(1.0, 3.0), (5.0, 6.0)]


def _gain(expression: str, t: float) -> float:
    """Evaluate a duck expression as ffmpeg's volume filter would, at time ``t``."""
    python = expression.replace("clip(", "_clip(")
    return eval(python, {"_clip": lambda v, lo, hi: min(max(v, lo), hi),  # noqa: S307
                         "max": max, "min": min, "t": t})


def test_the_duck_expression_goes_down_before_each_voice_and_back_within_half_a_second():
    spans = [(3.0, 5.0), (10.0, 11.0)]
    expression = schedule.duck_expression(spans)
    assert re.fullmatch(r"1-[0-9.]+\*max\(clip\(.*\),clip\(.*\)\)", expression)
    floor = 10 ** (-DUCK_DB / 20)
    assert DUCK_DB >= 10 and RELEASE <= 0.5
    for t in (3.0, 4.0, 5.0, 10.5):
        assert _gain(expression, t) == pytest.approx(floor, abs=1e-6)
    for t in (0.0, 3.0 - ATTACK - 0.01, 5.0 + RELEASE + 0.01, 8.0, 19.0):
        assert _gain(expression, t) == pytest.approx(1.0, abs=1e-6)
    # half way through the release, half way back
    assert _gain(expression, 5.0 + RELEASE / 2) == pytest.approx((1 + floor) / 2, abs=1e-3)
    assert schedule.duck_expression([]) == "1"


# --- the ffmpeg argv -----------------------------------------------------------------

def _inputs(argv: list[str]) -> list[str]:
    return [argv[index + 1] for index, arg in enumerate(argv) if arg == "-i"]


def _assert_safe(argv: list[str], demuxers: set[str] = frozenset({SAFE_DEMUXERS})) -> None:
    """Every input is a file: URL opened with the file protocol and a fixed list of demuxers."""
    assert isinstance(argv, list) and all(isinstance(arg, str) for arg in argv)
    inputs = _inputs(argv)
    assert inputs and all(url.startswith("file:/") for url in inputs)
    assert argv.count("-protocol_whitelist") == len(inputs)
    assert {argv[i + 1] for i, arg in enumerate(argv) if arg == "-protocol_whitelist"} == {"file"}
    assert {argv[i + 1] for i, arg in enumerate(argv) if arg == "-format_whitelist"} == demuxers
    assert argv.count("-format_whitelist") == len(inputs)


def test_the_mix_opens_its_inputs_as_files_and_measures_the_mix():
    argv = described_mix_command("ffmpeg", "/clips/a b;rm.mp4", "/tmp/voices.wav",
                                 "/tmp/mix.wav", "1-0.8*x", -3.0, has_audio=True)
    _assert_safe(argv)
    assert _inputs(argv) == ["file:/clips/a b;rm.mp4", "file:/tmp/voices.wav"]
    graph = argv[argv.index("-filter_complex") + 1]
    assert "volume=eval=frame:volume=1-0.8*x" in graph
    assert "amix=duration=first:inputs=2:normalize=0" in graph and "ebur128=peak=true" in graph
    assert "-nostats" in argv and argv[argv.index("-loglevel") + 1] == "info"


def test_a_clip_without_sound_is_mixed_as_the_voice_alone():
    argv = described_mix_command("ffmpeg", "/clips/a.mp4", "/tmp/voices.wav", "/tmp/mix.wav",
                                 "1", 0.0, has_audio=False)
    assert _inputs(argv) == ["file:/tmp/voices.wav"]
    assert "amix" not in argv[argv.index("-filter_complex") + 1]


def test_the_standard_version_copies_the_video():
    argv = described_mux_command("ffmpeg", "/clips/a.mp4", "/tmp/mix.wav", "/out/a.mp4",
                                 "volume=2.00dB")
    _assert_safe(argv)
    assert argv[argv.index("-c:v") + 1] == "copy"
    assert argv[argv.index("-map") + 1] == "0:v:0"
    assert argv[argv.index("-c:a") + 1] == "aac"
    assert "+faststart" in argv and argv[-2] == "/out/a.mp4"


def test_the_extended_version_holds_frames_and_carries_its_captions_as_mov_text():
    argv = extended_video_command("ffmpeg", "/clips/a.mp4", "/tmp/mix.wav",
                                  [("/tmp/c.srt", "eng", "clip.en.vtt")], "/out/x.mp4", None,
                                  0.5, [(5.0, 1.5)], 20.0)
    _assert_safe(argv, {SAFE_DEMUXERS, SUBTITLE_DEMUXERS})
    graph = argv[argv.index("-filter_complex") + 1]
    # held at the start for the lead, and at 5 s for 1.5 s
    first_piece = graph.split(";")[3]
    assert first_piece.startswith("[s3]tpad=")
    assert {"start_duration=0.500000", "start_mode=clone", "stop_duration=1.500000",
            "stop_mode=clone"} <= set(first_piece[len("[s3]tpad="):-len("[s4]")].split(":"))
    assert argv[argv.index("-c:s") + 1] == "mov_text"
    # before the output name: ffmpeg ignores output options after the last output; an
    # MP4 keeps a stream's name as its handler name, not as a title
    assert argv[-6:] == ["-metadata:s:s:0", "language=eng",
                         "-metadata:s:s:0", "handler_name=clip.en.vtt", "/out/x.mp4", "-y"]


def test_the_extended_mix_silences_the_programme_while_the_frame_is_held():
    argv = extended_mix_command("ffmpeg", "/clips/a.mp4", "/tmp/v.wav", "/tmp/m.wav", "1", 0.0,
                                True, 1.0, [(5.0, 1.5)], 20.0)
    _assert_safe(argv)
    graph = argv[argv.index("-filter_complex") + 1]
    assert "adelay=all=1:delays=1000" in graph and "apad=pad_dur=1.500000" in graph
    assert "atrim=end=5.000000:start=0.000000" in graph
    assert "atrim=end=20.000000:start=5.000000" in graph
