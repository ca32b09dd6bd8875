"""Loudness: argv and filter builders, parsing loudnorm's summary, and real measurements."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import pytest

from media.errors import MediaError
from media.ffmpeg import commands, tools
from media.ffmpeg.probe import probe
from media.ffmpeg.run import run_tool
from media.video import loudness
from media.video.loudness import Loudness, LoudnessTarget
from tests.conftest import make_clip

SOURCE = Path("/in/clip one.mp4")

# Verbatim shape of what ffmpeg 5.1 and 6.0 print when ebur128 finishes.
QUIET_STDERR = """\
Input #0, wav, from 'file:/in/clip one.wav':
  Duration: 00:00:08.00, bitrate: 768 kb/s
  Stream #0:0: Audio: pcm_s16le ([1][0][0][0] / 0x0001), 48000 Hz, mono, s16, 768 kb/s
[Parsed_ebur128_0 @ 0x55e53aaed180] t: 7.9       TARGET:-23 LUFS    M: -23.0 S: -23.1     I: -23.1 LUFS       LRA:   6.3 LU  FTPK: -4.5 dBFS  TPK: -4.2 dBFS
video:0kB audio:3000kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: unknown
[Parsed_ebur128_0 @ 0x55e53aaed180] Summary:

  Integrated loudness:
    I:         -23.1 LUFS
    Threshold: -33.4 LUFS

  Loudness range:
    LRA:         6.3 LU
    Threshold: -43.2 LUFS
    LRA low:   -27.0 LUFS
    LRA high:  -20.7 LUFS

  True peak:
    Peak:       -4.2 dBFS
"""

SILENT_STDERR = """\
video:0kB audio:3000kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: unknown
[Parsed_ebur128_0 @ 0x563488b8ccc0] Summary:

  Integrated loudness:
    I:         -70.0 LUFS
    Threshold:   0.0 LUFS

  Loudness range:
    LRA:         0.0 LU
    Threshold:   0.0 LUFS
    LRA low:     0.0 LUFS
    LRA high:    0.0 LUFS

  True peak:
    Peak:       -inf dBFS
"""

MEASURED = Loudness(integrated=-23.1, true_peak=-4.2, lra=6.3, threshold=-33.4)


# --- builders -------------------------------------------------------------

def test_measure_input_is_opened_as_a_file_url_with_safe_demuxers_only():
    argv = commands.measure_command("ffmpeg", SOURCE)
    position = argv.index("-i")
    assert argv[position + 1] == "file:" + str(SOURCE)
    assert argv[argv.index("-protocol_whitelist") + 1] == "file"
    assert argv[argv.index("-format_whitelist") + 1] == commands.SAFE_DEMUXERS
    assert argv.index("-protocol_whitelist") < position
    assert argv.index("-format_whitelist") < position


def test_measure_reads_only_the_first_audio_stream_into_the_null_muxer():
    argv = commands.measure_command("ffmpeg", SOURCE)
    assert argv[0] == "ffmpeg"
    assert argv[argv.index("-map") + 1] == "0:a:0"
    assert {"-vn", "-sn", "-dn", "-hide_banner", "-nostdin", "-nostats"} <= set(argv)
    assert argv[argv.index("-f") + 1] == "null" and argv[-2:] == ["-", "-y"]


def test_measure_logs_at_info_where_ebur128_prints_its_summary():
    argv = commands.measure_command("ffmpeg", SOURCE)
    assert argv[argv.index("-loglevel") + 1] == "info"


def test_measure_uses_ebur128_with_true_peak():
    argv = commands.measure_command("ffmpeg", SOURCE)
    assert argv[argv.index("-af") + 1] == "ebur128=peak=true"


def test_a_name_that_looks_like_an_option_stays_a_file():
    argv = commands.measure_command("ffmpeg", "-y.wav")
    assert argv[argv.index("-i") + 1].startswith("file:/")


def test_normalise_filter_passes_the_first_pass_measurements_on():
    chain = loudness.normalise_filter(MEASURED, LoudnessTarget())
    first, resample = chain.split(",")
    options = dict(part.split("=", 1) for part in first.removeprefix("loudnorm=").split(":"))
    assert options == {
        "I": "-16", "TP": "-1.5", "LRA": "11",
        "measured_I": "-23.10", "measured_TP": "-4.20", "measured_LRA": "6.30",
        "measured_thresh": "-33.40", "offset": "0.00",
        "linear": "true", "print_format": "none",
    }
    assert first.startswith("loudnorm=")
    assert resample == "aresample=48000"


def test_a_gain_that_keeps_the_peak_under_the_ceiling_is_a_plain_volume_change():
    measured = loudness.Loudness(integrated=-20.0, true_peak=-10.0, lra=5.0, threshold=-30.0,
                                 offset=0.0)
    assert loudness.normalise_filter(measured, LoudnessTarget()) == "volume=4.00dB"


def test_normalise_filter_refuses_silence():
    silent = loudness.parse_measurement(SILENT_STDERR, SOURCE)
    with pytest.raises(ValueError, match="silent"):
        loudness.normalise_filter(silent, LoudnessTarget())


# --- decisions ------------------------------------------------------------

@pytest.mark.parametrize("integrated, true_peak, expected", [
    (-16.0, -10.0, False),
    (-16.9, -10.0, False),
    (-15.1, -1.5, False),
    (-17.2, -10.0, True),
    (-14.8, -10.0, True),
    (-16.0, -1.2, True),
    (-30.0, -20.0, True),
    (-80.0, -60.0, False),
    (-math.inf, -math.inf, False),
])
def test_needs_normalising_outside_tolerance_or_over_the_peak_ceiling(integrated, true_peak,
                                                                      expected):
    measured = Loudness(integrated, true_peak, lra=3.0, threshold=integrated - 10, offset=0.0)
    assert loudness.needs_normalising(measured, LoudnessTarget()) is expected


def test_describe_is_short_and_rounded():
    assert loudness.describe(MEASURED) == "-23.1 LUFS, true peak -4.2 dBTP"


# --- parsing --------------------------------------------------------------

def test_parse_reads_loudnorm_summary():
    assert loudness.parse_measurement(QUIET_STDERR, SOURCE) == MEASURED


def test_parse_takes_the_last_summary():
    measured = loudness.parse_measurement(QUIET_STDERR + SILENT_STDERR, SOURCE)
    assert measured.integrated == -70.0


def test_parse_reads_the_absolute_gate_and_minus_infinity_as_silence():
    measured = loudness.parse_measurement(SILENT_STDERR, SOURCE)
    assert measured.integrated == -70.0 and measured.true_peak == -math.inf
    assert measured.is_silent
    assert not loudness.needs_normalising(measured, LoudnessTarget())


@pytest.mark.parametrize("stderr", [
    "",
    "Stream mapping:\n  Stream #0:0 -> #0:0\n",
    QUIET_STDERR.split("[Parsed_ebur128_0 @ 0x55e53aaed180] Summary")[0],
    QUIET_STDERR.replace("    I:         -23.1 LUFS\n", ""),
    QUIET_STDERR.replace("Peak:       -4.2 dBFS", "Peak:       loud dBFS"),
])
def test_parse_without_a_complete_summary_is_an_error(stderr):
    with pytest.raises(MediaError, match="could not measure loudness") as caught:
        loudness.parse_measurement(stderr, SOURCE)
    assert caught.value.path == SOURCE


def test_parse_failure_carries_the_run_that_should_have_printed_a_summary():
    argv = ["ffmpeg", "-i", "file:/in/clip one.mp4", "-f", "null", "-"]
    with pytest.raises(MediaError, match="could not measure loudness") as caught:
        loudness.parse_measurement("Stream mapping:\n", SOURCE, argv)
    assert caught.value.argv == argv


# --- real runs ------------------------------------------------------------

def make_audio(path: Path, source: str, seconds: float = 8.0) -> Path:
    """Write a generated mono WAV from a lavfi source and filter chain."""
    argv = [tools.ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-f", "lavfi", "-i", source, "-t", str(seconds), "-ar", "48000", str(path)]
    subprocess.run(argv, check=True, timeout=120)
    return path


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("loudness")


@pytest.fixture(scope="session")
def quiet_clip(audio_dir) -> Path:
    # Seeded pink noise: deterministic, and with some loudness range, like speech.
    return make_audio(audio_dir / "quiet.wav", "anoisesrc=c=pink:a=0.17:seed=7")


@pytest.fixture(scope="session")
def loud_clip(audio_dir) -> Path:
    # The sine source's default amplitude is 1/8 (-18 dBFS); +17 dB peaks near -1 dBFS.
    return make_audio(audio_dir / "loud.wav", "sine=frequency=440:duration=8,volume=17dB")


def test_quiet_clip_measures_quiet(quiet_clip):
    measured = loudness.measure_loudness(quiet_clip)
    assert -33.0 < measured.integrated < -27.0
    assert measured.true_peak < -10.0
    assert loudness.needs_normalising(measured, LoudnessTarget())


def test_loud_clip_measures_loud_with_a_peak_over_the_ceiling(loud_clip):
    measured = loudness.measure_loudness(loud_clip)
    assert -7.0 < measured.integrated < -3.0
    assert measured.true_peak > LoudnessTarget().true_peak
    assert loudness.needs_normalising(measured, LoudnessTarget())


@pytest.mark.parametrize("name, channels", [("quiet_clip", 1), ("quiet_clip", 2),
                                            ("loud_clip", 1)])
def test_normalised_clip_lands_on_target_at_48_khz(name, channels, request, tmp_path):
    source = request.getfixturevalue(name)
    target = LoudnessTarget()
    measured = loudness.measure_loudness(source, target)
    output = tmp_path / "normalised.m4a"
    # -ac as the clip commands set it; see normalise_filter's docstring.
    argv = [tools.ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error",
            "-protocol_whitelist", "file", "-i", commands.input_url(source),
            "-af", loudness.normalise_filter(measured, target),
            "-c:a", "aac", "-b:a", "128k", "-ac", str(channels), "-f", "mp4", str(output)]
    run_tool(argv, source, "normalising failed", timeout=120)
    result = loudness.measure_loudness(output, target)
    assert abs(result.integrated - target.integrated) <= 1.0, loudness.describe(result)
    assert result.true_peak <= -1.0, loudness.describe(result)
    assert not loudness.needs_normalising(result, target)
    info = probe(output)
    assert (info.audio_sample_rate, info.audio_channels) == (48000, channels)


def test_clip_at_target_is_left_alone(audio_dir):
    clip = make_audio(audio_dir / "at-target.wav", "sine=frequency=440:duration=8,volume=5.75dB")
    measured = loudness.measure_loudness(clip)
    assert abs(measured.integrated - -16.0) < 1.0, loudness.describe(measured)
    assert not loudness.needs_normalising(measured, LoudnessTarget())


def test_silence_is_silent_and_left_alone(audio_dir):
    clip = make_audio(audio_dir / "silence.wav", "anullsrc=r=48000:cl=mono", seconds=4)
    measured = loudness.measure_loudness(clip)
    assert measured.is_silent
    assert not loudness.needs_normalising(measured, LoudnessTarget())
    assert loudness.describe(measured).startswith("silent")


def test_video_without_audio_is_a_one_line_error_naming_the_file(tmp_path):
    clip = make_clip(tmp_path / "no sound.mp4", seconds=1, audio=False)
    with pytest.raises(MediaError) as caught:
        loudness.measure_loudness(clip)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(clip))
    assert "could not measure loudness: no audio stream" in message
    assert caught.value.argv[0] == tools.ffmpeg()
    assert "matches no streams" in caught.value.stderr_tail


def test_unreadable_file_is_an_error_naming_the_file(tmp_path):
    clip = tmp_path / "broken.wav"
    clip.write_bytes(b"RIFF not really a wave file")
    with pytest.raises(MediaError, match="could not measure loudness") as caught:
        loudness.measure_loudness(clip)
    assert caught.value.path == clip
    assert "\n" not in str(caught.value)
