"""The spoken audio-described version, made for real with espeak-ng and ffmpeg, and measured.

The programme is a steady tone, so its level can be read under the voice:
a Goertzel filter gives the power at the tone's frequency in each short
window, and what is left over (the total less the tone) is the voice. The
clip has captions where its speech would be, and descriptions in the gaps;
the last description is too long for its gap, so an extended version is made.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
from array import array
from pathlib import Path

import pytest

from captions import load_captions
from media.ffmpeg import tools
from media.ffmpeg.commands import speech_audio_command
from media.ffmpeg.probe import probe
from media.speech.describe import CaptionsInside, describe_clip
from media.speech.schedule import RELEASE, voice_spans
from media.video.loudness import measure_loudness
from tests.conftest import require_tool, run_media_cli

SECONDS = 24
RATE = 8000
TONE = 3200        # Hz: above most of the voice's energy, below 8 kHz decoding's 4 kHz
WINDOW = 0.1       # seconds per Goertzel window: 800 samples, a whole number of cycles
CAPTIONS = """WEBVTT

00:00:00.500 --> 00:00:03.000
The harbour opens.

00:00:08.000 --> 00:00:11.000
The ferry is late.

00:00:16.000 --> 00:00:18.000
Pilots are back at work.

00:00:20.000 --> 00:00:22.000
The first boat leaves at seven.
"""
# words too short and common for hearing them to show the description was understood
FUNCTION_WORDS = {"a", "an", "the", "and", "at", "in", "on", "of", "for", "are", "is", "to",
                  "while", "about"}
CAPTION_STARTS = [0.5, 8.0, 16.0, 20.0]
DESCRIPTIONS = """WEBVTT

00:00:03.500 --> 00:00:07.000
A woman reads a book in the garden.

00:00:11.500 --> 00:00:15.000
Three people sit at a table and talk about the news.

00:00:18.500 --> 00:00:20.000
People are waiting for the train while a man looks at the long road under the morning sky.
"""


@pytest.fixture(autouse=True)
def _espeak_present():
    """Every real run here speaks with espeak-ng."""
    require_tool("espeak-ng")


def _tone_clip(path: Path, seconds: float = SECONDS, audio: bool = True) -> Path:
    """Write a 320x240 H.264 clip whose sound is a steady stereo tone at -16 LUFS."""
    argv = [tools.ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}"]
    if audio:
        # sine's amplitude is 1/8 (-18 dBFS); +2 dB in stereo at 3.2 kHz (which K-weighting
        # lifts about 2 dB) measures -16 LUFS
        argv += ["-f", "lavfi", "-i", f"sine=frequency={TONE}:duration={seconds}",
                 "-af", "volume=2dB", "-ac", "2", "-c:a", "aac", "-b:a", "128k"]
    argv += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "50", "-shortest", str(path)]
    subprocess.run(argv, check=True, timeout=120)
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The tone clip, its tracks, and both described versions made from them."""
    require_tool("espeak-ng")
    folder = tmp_path_factory.mktemp("described")
    clip = _tone_clip(folder / "tone.mp4")
    (folder / "tone.en.vtt").write_text(CAPTIONS, encoding="utf-8")
    (folder / "tone.en.descriptions.vtt").write_text(DESCRIPTIONS, encoding="utf-8")
    captions = load_captions(folder / "tone.en.vtt")
    result = describe_clip(clip, load_captions(folder / "tone.en.descriptions.vtt"),
                           folder / "out" / "tone.described.mp4",
                           folder / "out" / "tone.extended.mp4", "en",
                           [CaptionsInside(captions, "en", "English")])
    return clip, result


def _samples(path: Path) -> array:
    """Return the first audio stream of ``path`` as 8 kHz mono 16-bit samples."""
    samples = array("h")
    samples.frombytes(subprocess.run(speech_audio_command(tools.ffmpeg(), path, rate=RATE),
                                     capture_output=True, check=True, timeout=120).stdout)
    return samples


def _powers(samples: array, start: float, end: float) -> tuple[float, float]:
    """Return the mean (tone power, power of everything else) over whole windows in a span."""
    size = round(WINDOW * RATE)
    coefficient = 2 * math.cos(2 * math.pi * TONE / RATE)
    tone = rest = 0.0
    count = 0
    for at in range(round(start * RATE), round(end * RATE) - size + 1, size):
        s1 = s2 = 0.0
        total = 0.0
        for value in samples[at:at + size]:
            s1, s2 = value + coefficient * s1 - s2, s1
            total += value * value
        # |X|^2 of the bin; a sine of amplitude A gives (A N / 2)^2 and a mean square of A^2/2
        tone_power = 2 * (s1 * s1 + s2 * s2 - coefficient * s1 * s2) / size ** 2
        tone += tone_power
        rest += max(total / size - tone_power, 0.0)
        count += 1
    assert count, f"no whole window between {start} and {end}"
    return tone / count, rest / count


def _db(power: float) -> float:
    return 10 * math.log10(max(power, 1e-12) / 32768 ** 2)


# --- the voice, the programme under it, and the length --------------------------------

def test_the_voice_is_heard_at_each_description_and_only_there(made):
    clip, result = made
    mix, programme = _samples(result.standard.path), _samples(clip)
    spans = voice_spans(result.placements, extended=False)
    for start, end in spans:
        _, voice = _powers(mix, start, end)
        _, alone = _powers(programme, start, end)
        # The programme alone is the tone and the AAC coder's noise, about 60 dB
        # below it; espeak-ng's voice at the programme's loudness is within a few
        # dB of the tone. 30 dB over the programme's own leftovers is a voice.
        assert _db(voice) - _db(alone) >= 30, (start, _db(voice), _db(alone))
    # between the first two voices, nothing but the programme
    _, between = _powers(mix, spans[0][1] + 0.5, spans[1][0] - 0.5)
    _, alone = _powers(programme, spans[0][1] + 0.5, spans[1][0] - 0.5)
    assert _db(between) - _db(alone) < 10


def test_the_programme_is_ducked_at_least_10_db_under_each_voice_and_back_within_half_a_second(made):
    _clip, result = made
    mix = _samples(result.standard.path)
    spans = voice_spans(result.placements, extended=False)
    outside, _ = _powers(mix, 0.0, spans[0][0] - 0.5)
    for start, end in spans:
        under, _ = _powers(mix, start, end)
        assert _db(outside) - _db(under) >= 10, (start, _db(outside), _db(under))
        after, _ = _powers(mix, end + 0.5, end + 0.5 + 2 * WINDOW)
        if end + 0.5 + 2 * WINDOW <= SECONDS:
            assert abs(_db(after) - _db(outside)) <= 1, (end, _db(after), _db(outside))
    assert RELEASE <= 0.5


def test_the_standard_version_lasts_as_long_as_the_clip(made):
    clip, result = made
    assert result.standard.path.name == "tone.described.mp4" and not result.standard.extended
    assert probe(result.standard.path).duration == pytest.approx(probe(clip).duration, abs=0.05)


def _video_packets(path: Path) -> list[str]:
    """Return the video stream's packets as ffmpeg's framemd5 lists them: time, size, hash."""
    argv = [tools.ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-i", str(path),
            "-map", "0:v", "-c", "copy", "-f", "framemd5", "-"]
    listing = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60).stdout
    return [line for line in listing.splitlines() if line and not line.startswith("#")]


def test_the_standard_versions_video_packets_are_the_clips_own(made):
    clip, result = made
    source = _video_packets(clip)
    assert len(source) == SECONDS * 25
    assert _video_packets(result.standard.path) == source


def test_the_mix_is_normalised_like_every_clip(made):
    clip, result = made
    # the programme was at the target already: the voice must not push it off
    assert measure_loudness(clip).integrated == pytest.approx(-16.0, abs=0.5)
    measured = measure_loudness(result.standard.path)
    assert measured.integrated == pytest.approx(-16.0, abs=1.0)
    assert measured.true_peak <= -1.0


def test_the_extended_version_lasts_the_clip_plus_its_holds_and_carries_the_captions(made):
    clip, result = made
    holds = [p.hold for p in result.placements if p.hold]
    assert len(holds) == 1 and not result.placements[2].fits
    assert result.extended is not None and result.extended.path.name == "tone.extended.mp4"
    length = probe(clip).duration + sum(holds)
    info = probe(result.extended.path)
    assert info.duration == pytest.approx(length, abs=0.05)
    streams = subprocess.run(
        [tools.ffprobe(), "-v", "error", "-show_entries",
         "stream=codec_name:stream_tags=language,handler_name", "-of", "csv=p=0",
         str(result.extended.path)],
        capture_output=True, text=True, check=True, timeout=60).stdout.split()
    assert "mov_text,eng,English" in streams
    srt = subprocess.run([tools.ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-i",
                          str(result.extended.path), "-map", "0:s:0", "-f", "srt", "-"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    times = [_seconds(start) for start in re.findall(r"^(\S+) --> ", srt, re.MULTILINE)]
    hold_at = result.placements[2].hold_at
    expected = [start + (holds[0] if start >= hold_at else 0.0) for start in CAPTION_STARTS]
    assert times == pytest.approx(expected, abs=0.01)


def _seconds(stamp: str) -> float:
    hours, minutes, rest = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest.replace(",", "."))


def test_the_draft_engine_hears_words_of_each_description_near_its_time(made, pocketsphinx_present):
    from media.speech.draft import transcribe
    _clip, result = made
    heard = transcribe(result.standard.path).words
    for placement, (start, end) in zip(result.placements,
                                       voice_spans(result.placements, extended=False),
                                       strict=True):
        said = {word.strip(".,").lower() for word in placement.description.text.split()}
        near = {word.text.lower() for word in heard if start - 0.5 <= word.start <= end + 0.5}
        # "a" and "the" are heard in any noise: only words that say something count
        assert (said & near) - FUNCTION_WORDS, (placement.description.text, sorted(near))


def test_a_clip_without_sound_gets_the_voice_alone(tmp_path):
    clip = _tone_clip(tmp_path / "silent.mp4", seconds=10, audio=False)
    track = tmp_path / "silent.en.descriptions.vtt"
    track.write_text("WEBVTT\n\n00:00:02.000 --> 00:00:06.000\nA red house stands by the water.\n",
                     encoding="utf-8")
    result = describe_clip(clip, load_captions(track), tmp_path / "out" / "silent.described.mp4",
                           tmp_path / "out" / "silent.extended.mp4")
    assert result.extended is None
    info = probe(result.standard.path)
    assert info.has_audio and info.duration == pytest.approx(10, abs=0.05)
    samples = _samples(result.standard.path)
    [(start, end)] = voice_spans(result.placements, extended=False)
    _, voice = _powers(samples, start, end)
    _, before = _powers(samples, 0.0, start - 0.2)
    assert _db(voice) > -40 and _db(before) < -70
    assert _video_packets(result.standard.path) == _video_packets(clip)


# --- bad input through the command line -----------------------------------------------

@pytest.fixture(scope="module")
def inputs(tmp_path_factory, made):
    """A folder of good and bad inputs for the command line."""
    folder = tmp_path_factory.mktemp("bad")
    clip, _ = made
    shutil.copy(clip, folder / "clip.mp4")
    (folder / "good.vtt").write_text(DESCRIPTIONS, encoding="utf-8")
    (folder / "overlap.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nA harbour.\n\n"
        "00:00:03.000 --> 00:00:05.000\nA boat.\n", encoding="utf-8")
    (folder / "late.vtt").write_text(
        "WEBVTT\n\n00:00:30.000 --> 00:00:33.000\nA harbour at night.\n", encoding="utf-8")
    (folder / "no-text.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n[music]\n", encoding="utf-8")
    subprocess.run([tools.ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                    "-f", "lavfi", "-i", "sine=duration=5", "-c:a", "aac",
                    str(folder / "sound.m4a")], check=True, timeout=60)
    (folder / "notes.mp4").write_text("not a clip at all\n", encoding="utf-8")
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    for name in ("ffmpeg", "ffprobe"):
        (bin_dir / name).symlink_to(tools.find_tool(name).path)
    return folder


BAD = {
    "overlapping cues": ("clip.mp4", "overlap.vtt", (), r"overlap\.vtt:6: .*overlap"),
    "a cue after the end": ("clip.mp4", "late.vtt", (), r"late\.vtt:3: .*after the end"),
    "no text": ("clip.mp4", "no-text.vtt", (), r"no-text\.vtt: .*no description text"),
    "no video": ("sound.m4a", "good.vtt", (), r"sound\.m4a: .*no video stream"),
    "no voice": ("clip.mp4", "good.vtt", ("--language", "tlh"), r"good\.vtt: .*no voice .*'tlh'"),
    "espeak-ng missing": ("clip.mp4", "good.vtt", ("--no-espeak",), r"good\.vtt: espeak-ng is not installed"),
    "not a clip": ("notes.mp4", "good.vtt", (), r"notes\.mp4: "),
    "no descriptions file": ("clip.mp4", "missing.vtt", (), r"missing\.vtt: "),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_gets_one_line_naming_the_file_and_nothing_is_written(inputs, case):
    clip, descriptions, extra, message = BAD[case]
    env = None
    if "--no-espeak" in extra:
        # ffmpeg and ffprobe are found, espeak-ng is not
        env = {"PATH": str(inputs / "bin"), "FFMPEG_BINARY": "", "FFPROBE_BINARY": ""}
        extra = ()
    out = inputs / f"out-{case.replace(' ', '-')}"
    done = run_media_cli("describe", str(inputs / clip), "--descriptions",
                         str(inputs / descriptions), "--out", str(out), *extra, env=env)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert re.search(message, lines[0]), lines[0]
    assert not out.exists()


def test_the_command_line_writes_the_versions_and_says_where_each_description_went(inputs):
    out = inputs / "out-good"
    (inputs / "clip.en.vtt").write_text(CAPTIONS, encoding="utf-8")
    done = run_media_cli("describe", str(inputs / "clip.mp4"), "--descriptions",
                         str(inputs / "good.vtt"), "--captions", str(inputs / "clip.en.vtt"),
                         "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    assert sorted(path.name for path in out.iterdir()) == ["clip.described.mp4",
                                                           "clip.extended.mp4"]
    assert os.access(out / "clip.described.mp4", os.R_OK)
