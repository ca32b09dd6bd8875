"""The demo clips speak their captions with espeak-ng, and beep without it."""

from __future__ import annotations

import itertools
import math
import os
import shutil
import subprocess
import sys
from array import array
from pathlib import Path

import pytest

from media.demo.bundles import CLIPS, NO_ESPEAK, SPOKEN
from media.ffmpeg import tools
from media.ffmpeg.commands import demo_speech_clip_command, speech_audio_command
from media.speech.voice import FASTEST, SLOWEST, speak_command, spoken_text, words_per_minute

ROOT = Path(__file__).resolve().parent.parent
RATE = 8000
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def _samples(clip: Path) -> array:
    argv = speech_audio_command(tools.ffmpeg(), clip, rate=RATE)
    samples = array("h")
    samples.frombytes(subprocess.run(argv, capture_output=True, check=True).stdout)
    return samples


def _level(samples: array, start: float, end: float) -> float:
    """RMS level in dBFS of the samples between ``start`` and ``end`` seconds."""
    part = samples[int(start * RATE):int(end * RATE)]
    mean = sum(s * s for s in part) / max(len(part), 1)
    return 10 * math.log10(mean / 32768 ** 2) if mean else -120.0


def test_a_german_cue_is_spoken_with_the_german_voice():
    argv = speak_command("/usr/bin/espeak-ng", "Es ist zwanzig vor zwölf.", "de", 180, "/tmp/c.wav")
    assert argv == ["/usr/bin/espeak-ng", "-v", "de", "-s", "180", "-w", "/tmp/c.wav",
                    "--", "Es ist zwanzig vor zwölf."]
    assert speak_command("e", "مرحبا", "ar", 150, "o.wav")[1:3] == ["-v", "ar"]
    assert speak_command("e", "Hello", "en", 150, "o.wav")[1:3] == ["-v", "en-us"]


def test_the_words_said_leave_out_voice_tags_sound_labels_and_line_breaks():
    assert spoken_text("<v Captain>The new shaft is in,\nthe engine sounds good.") == \
        "The new shaft is in, the engine sounds good."
    assert spoken_text("[Ship's horn]") == ""


def test_the_speed_fits_the_cue_within_understandable_limits():
    assert words_per_minute("one two three four five six", 2.0) == 180
    assert words_per_minute("one", 5.0) == SLOWEST
    assert words_per_minute(" ".join(["word"] * 40), 2.0) == FASTEST
    # Speech measured at 200 wpm that ran 10% long is sped up 10%.
    assert words_per_minute("a b", 3.0, measured=3.3, speed=200) == 220


def test_the_speech_clip_places_each_cue_at_its_start_and_mixes_one_track():
    argv = demo_speech_clip_command("ffmpeg", "out.mp4", 640, 360, 10, {"c:a": "aac"},
                                    [("/tmp/a.wav", 0.4, 3.6), ("/tmp/b.wav", 3.9, 7.2)])
    graph = argv[argv.index("-filter_complex") + 1]
    assert "atrim=end=3.200" in graph and "atrim=end=3.300" in graph
    assert "adelay=all=1:delays=400" in graph and "adelay=all=1:delays=3900" in graph
    assert "amix=inputs=2:normalize=0" in graph
    assert "apad=whole_dur=10" in graph and "loudnorm=I=-16.0:TP=-1.5" in graph
    assert argv.count("-i") == 3 and "file:/tmp/a.wav" in argv
    assert argv.count("-protocol_whitelist") == 2   # every WAV is opened as a plain file


@needs_espeak
@pytest.mark.parametrize("slug", sorted(CLIPS))
def test_each_demo_clip_has_speech_under_each_cue_and_quiet_between(demo_content, slug):
    samples = _samples(demo_content / slug / "clip.mp4")
    cues = [(s, e) for s, e, text in SPOKEN[slug][0] if spoken_text(text)]
    quiet = [(0.0, cues[0][0])] + [(a[1], b[0]) for a, b in itertools.pairwise(cues) if b[0] - a[1] > 0.1]
    between = max(_level(samples, s + 0.02, e - 0.02) for s, e in quiet)
    for start, end in cues:
        assert _level(samples, start, end) > between + 30, (slug, start, end)
    assert _level(samples, *cues[0]) > -35


def test_without_espeak_ng_the_demo_beeps_and_says_so_in_one_line(tmp_path):
    # A PATH with ffmpeg and ffprobe only: espeak-ng is not found.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("ffmpeg", "ffprobe"):
        (bin_dir / name).symlink_to(getattr(tools, name)())
    env = {**os.environ, "PATH": str(bin_dir)}
    result = subprocess.run([sys.executable, "-m", "media", "demo", "--out", str(tmp_path / "out")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    # One line says so, among the usual per-bundle progress lines.
    assert [line for line in result.stderr.splitlines() if "not found" in line] == [NO_ESPEAK]
    samples = _samples(tmp_path / "out" / "school-roof-garden" / "clip.mp4")
    # Today's tone sounds all the time, gaps between cues included.
    assert _level(samples, 3.6, 3.9) > -30
    crossings = sum((a < 0) != (b < 0) for a, b in itertools.pairwise(samples))
    assert 370 < crossings / 2 / (len(samples) / RATE) < 480   # about the 392 Hz tone
