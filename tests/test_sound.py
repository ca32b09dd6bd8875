"""Sound detection: the silencedetect argv, parsing its log, and real runs on generated clips."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

from captions.quality import check_track
from captions.read import parse_captions
from media.errors import MediaError
from media.ffmpeg import tools
from media.ffmpeg.commands import SAFE_DEMUXERS, silencedetect_command
from media.ffmpeg.probe import probe
from media.video.sound import (
    MIN_SILENCE,
    NOISE_DB,
    parse_silences,
    sound_between,
    sound_stretches,
)
from tests.conftest import make_clip

SOURCE = Path("/in/clip one.mp4")

# Verbatim shape of what ffmpeg 5.1 prints for 2 s silence, 5 s tone, 2 s silence.
TONE_STDERR = """\
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/in/clip one.mp4':
  Duration: 00:00:09.00, start: 0.000000, bitrate: 97 kb/s
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, mono, fltp, 69 kb/s
[silencedetect @ 0x5653aeb24c80] silence_start: 0
[silencedetect @ 0x5653aeb24c80] silence_end: 2.00004 | silence_duration: 2.00004
[silencedetect @ 0x5653aeb24c80] silence_start: 6.99998
size=N/A time=00:00:09.00 bitrate=N/A speed= 703x
video:0kB audio:0kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: unknown
[silencedetect @ 0x5653aeb24c80] silence_end: 9.00267 | silence_duration: 2.00269
"""


def test_command_reads_only_audio_through_the_safe_input_options():
    argv = silencedetect_command("ffmpeg", SOURCE, NOISE_DB, MIN_SILENCE)
    assert argv == [
        "ffmpeg", "-nostats", "-hide_banner", "-nostdin", "-loglevel", "info",
        "-format_whitelist", SAFE_DEMUXERS, "-protocol_whitelist", "file",
        "-i", "file:/in/clip one.mp4", "-map", "0:a:0", "-f", "null",
        "-af", "silencedetect=noise=-35dB:duration=0.5", "-dn", "-sn", "-vn", "-", "-y"]


def test_command_takes_the_threshold_and_minimum_silence():
    argv = silencedetect_command("/opt/ffmpeg", SOURCE, noise_db=-50, min_silence=1.25)
    assert argv[0] == "/opt/ffmpeg"
    assert argv[argv.index("-af") + 1] == "silencedetect=noise=-50dB:duration=1.25"


@pytest.mark.parametrize("name", ["http://example.com/a.mp4", "-i.mp4", "concat:a.mp4|b.mp4"])
def test_command_opens_any_name_as_a_local_file(name):
    argv = silencedetect_command("ffmpeg", name, NOISE_DB, MIN_SILENCE)
    url = argv[argv.index("-i") + 1]
    assert url == "file:" + str(Path(name).resolve())


@pytest.mark.parametrize(("stderr", "duration", "silences"), [
    (TONE_STDERR, 9.0, [(0.0, 2.00004), (6.99998, 9.0)]),
    # older ffmpeg leaves a silence that runs to the end without its end line
    ("silence_start: 7.5\n", 9.0, [(7.5, 9.0)]),
    # encoder priming can put the first start before zero
    ("silence_start: -0.0213333\nsilence_end: 1.5 | silence_duration: 1.52\n", 4.0,
     [(0.0, 1.5)]),
    ("silence_start: 1e-05\nsilence_end: 2 | silence_duration: 2\n", 4.0, [(1e-05, 2.0)]),
    ("", 5.0, []),
    ("silence_end: 1.0 | silence_duration: 1.0\nsilence_start: nan\n", 5.0, []),
    ("silence_start: 4.9\nsilence_end: 5.1 | silence_duration: 0.2\n", 5.0, [(4.9, 5.0)]),
    ("silence_start: abc\nsilence_start: 1\nsilence_end: 2\n", 5.0, [(1.0, 2.0)]),
], ids=["ffmpeg-5.1", "open-at-end", "negative-start", "exponent", "no-silence",
        "end-without-start", "past-duration", "unreadable-number"])
def test_silences_are_read_from_the_log(stderr, duration, silences):
    assert parse_silences(stderr, duration) == silences


@pytest.mark.parametrize(("silences", "duration", "sound"), [
    ([(0.0, 2.0), (7.0, 9.0)], 9.0, [(2.0, 7.0)]),
    ([], 9.0, [(0.0, 9.0)]),
    ([(0.0, 9.0)], 9.0, []),
    ([(1.0, 2.0), (1.5, 3.0)], 4.0, [(0.0, 1.0), (3.0, 4.0)]),
])
def test_sound_is_what_lies_between_the_silences(silences, duration, sound):
    assert sound_between(silences, duration) == sound


def write_tone_clip(path: Path) -> Path:
    """Write a 9 s clip: 2 s of silence, a 440 Hz tone for 5 s, 2 s of silence."""
    argv = [tools.ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=9",
            "-f", "lavfi", "-i",
            "aevalsrc=if(between(t\\,2\\,7)\\,0.25*sin(2*PI*440*t)\\,0):s=48000:d=9",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)]
    subprocess.run(argv, check=True, timeout=120)
    return path


@pytest.fixture(scope="session")
def tone_clip(tmp_path_factory) -> Path:
    """A 9 s H.264/AAC clip whose sound is a tone from 2 s to 7 s."""
    return write_tone_clip(tmp_path_factory.mktemp("sound") / "tone.mp4")


def test_tone_between_silences_is_found(tone_clip):
    info = probe(tone_clip)
    [(start, end)] = sound_stretches(tone_clip, info)
    assert start == pytest.approx(2.0, abs=0.1)
    assert end == pytest.approx(7.0, abs=0.1)


def test_steady_sound_is_one_stretch_for_the_whole_clip(small_clip):
    info = probe(small_clip)
    [(start, end)] = sound_stretches(small_clip, info)
    assert start == 0.0
    assert end == pytest.approx(info.duration)


def test_clip_without_audio_has_no_sound(tmp_path):
    clip = make_clip(tmp_path / "silent.mp4", audio=False)
    info = probe(clip)
    assert not info.has_audio
    assert sound_stretches(clip, info) == []


def test_unreadable_audio_raises_media_error_naming_the_file(tmp_path, tone_clip):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a media file at all" * 100)
    info = dataclasses.replace(probe(tone_clip), path=broken)
    with pytest.raises(MediaError) as caught:
        sound_stretches(broken, info)
    assert str(caught.value).startswith(f"{broken}: could not detect sound")
    assert caught.value.argv[0] == tools.ffmpeg()


@pytest.mark.parametrize(("cues", "uncaptioned"), [
    # the tone from 2 s to 7 s is left without a caption
    ("00:00:00.000 --> 00:00:01.500\nBefore the tone.", 1),
    (("00:00:02.000 --> 00:00:04.500\nThe tone starts.\n\n"
      "00:00:04.500 --> 00:00:07.000\nThe tone goes on."), 0),
    # covered but for 2.5 s at its end, which is allowed
    ("00:00:02.000 --> 00:00:04.500\nThe tone starts.", 0),
])
def test_tone_without_captions_is_a_no_caption_warning(tone_clip, cues, uncaptioned):
    info = probe(tone_clip)
    track = parse_captions(f"WEBVTT\n\n{cues}\n", "vtt", Path("tone.vtt"))
    problems = check_track(track, sound=sound_stretches(tone_clip, info),
                           clip_duration=info.duration, frame_rate=info.frame_rate or 25.0)
    missing = [problem for problem in problems if problem.code == "no-caption"]
    assert len(missing) == uncaptioned
    for problem in missing:
        assert (problem.line, problem.severity) == (None, "warning")
        assert problem.message.startswith("sound from 0:02.0")
        assert "to 0:07.0" in problem.message or "to 0:06.9" in problem.message
