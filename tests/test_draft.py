"""Draft captions: speech recognised into cues that start with the draft NOTE and keep to a profile.

The speech is espeak-ng's (tests/speech.py), so the words said are known;
the bundled general model recognises synthetic speech poorly, so the word
error rate is reported by bench/align_bench.py, not bounded here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from captions.drafts import DRAFT_NOTE, is_draft
from captions.profiles import get_profile
from captions.webvtt_parser import parse_webvtt_file
from media.speech.draft import draft_cues, draft_webvtt, transcribe
from media.speech.errors import SpeechError
from tests.conftest import make_clip, require_tool, run_media_cli
from tests.speech import speak, spoken_words, word_error_rate

TEXT = Path(__file__).parent / "data" / "speech" / "school-garden.txt"


@pytest.fixture(autouse=True)
def _pocketsphinx_present(pocketsphinx_present):
    """Every test here needs the speech engine."""


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Path:
    """A clip of espeak-ng reading one of the test texts (about a minute)."""
    require_tool("espeak-ng")
    wav = tmp_path_factory.mktemp("draft") / "speech.wav"
    speak(TEXT.read_text(encoding="utf-8"), wav)
    return wav


@pytest.fixture(scope="module")
def transcript(speech):
    """What recognition hears in ``speech``."""
    return transcribe(speech)


@pytest.fixture(scope="module")
def drafted(speech, tmp_path_factory) -> tuple[Path, object]:
    """The draft command's output for ``speech``, with its --json report."""
    out = tmp_path_factory.mktemp("drafted") / "captions.en.vtt"
    done = run_media_cli("captions", "draft", str(speech), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    return out, json.loads(done.stdout)


def test_the_draft_starts_with_the_note_naming_the_engine(drafted):
    out, _ = drafted
    text = out.read_text(encoding="utf-8")
    assert is_draft(text)
    assert text.startswith(f"WEBVTT\n\n{DRAFT_NOTE}\nEngine: pocketsphinx ")
    assert "model en-us\n\n" in text


def test_the_draft_is_valid_webvtt_with_cues_inside_the_clip(drafted):
    out, report = drafted
    parsed = parse_webvtt_file(out)
    assert parsed.valid, parsed.error
    assert len(parsed.cues) == len(report["cues"]) > 3
    starts = [cue.start_time for cue in parsed.cues]
    assert starts == sorted(starts)
    for cue in parsed.cues:
        assert 0 <= cue.start_time < cue.end_time <= report["duration"] + 1e-3


def test_the_draft_passes_captions_check_with_its_profile(drafted):
    out, _ = drafted
    checked = run_media_cli("captions", "check", str(out), "--profile", "newsreel", "--json")
    assert checked.returncode in (0, 1), checked.stderr
    problems = json.loads(checked.stdout)
    # speech faster than the profile reads is the one thing a draft may be warned of
    assert all(problem["code"] == "reading-speed" for problem in problems), problems


def test_the_json_report_has_cues_words_duration_and_note(drafted, speech):
    _, report = drafted
    assert set(report) == {"cues", "counts", "duration", "note"}
    assert report["note"].startswith(DRAFT_NOTE)
    assert report["counts"]["cues"] == len(report["cues"])
    assert report["counts"]["words"] >= len(" ".join(cue["text"] for cue in report["cues"]).split())
    assert 50 < report["duration"] < 90


def test_the_words_heard_are_the_speech_more_than_chance(transcript):
    # A loose sanity check that recognition runs on the speech, not a bound on its accuracy.
    heard = [word.text for word in transcript.words]
    assert word_error_rate(spoken_words(TEXT.read_text(encoding="utf-8")), heard) < 1.0


def test_words_heard_are_in_order_inside_the_clip_without_fillers(transcript):
    starts = [word.start for word in transcript.words]
    assert starts == sorted(starts)
    assert all(0 <= word.start < word.end <= transcript.duration for word in transcript.words)
    assert not any(mark in word.text for word in transcript.words for mark in "<>[]()")


def test_cues_keep_to_each_profile_they_are_built_for(transcript):
    for name in ("newsreel", "bbc"):
        profile = get_profile(name)
        cues = draft_cues(transcript, profile)
        for cue in cues:
            lines = cue.text.split("\n")
            assert len(lines) <= profile.max_lines
            assert max(map(len, lines)) <= profile.max_chars_per_line


def test_a_draft_without_cues_still_carries_the_note():
    assert draft_webvtt((), DRAFT_NOTE) == f"WEBVTT\n\n{DRAFT_NOTE}\n"


@pytest.mark.parametrize(("options", "message"), [
    (("--language", "de"), "available: en"),
    (("--language", "de"), "--model is not offered for drafts"),
])
def test_a_language_without_a_model_is_refused_in_one_line(speech, tmp_path, options, message):
    out = tmp_path / "captions.vtt"
    done = run_media_cli("captions", "draft", str(speech), "--out", str(out), *options)
    assert done.returncode != 0
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_a_clip_with_no_audio_is_refused_in_one_line(tmp_path):
    clip = make_clip(tmp_path / "silent.mp4", seconds=1, audio=False)
    out = tmp_path / "captions.vtt"
    done = run_media_cli("captions", "draft", str(clip), "--out", str(out))
    assert done.returncode != 0
    assert "no audio" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == [clip]


def test_a_clip_with_no_speech_is_refused_in_one_line(tmp_path):
    clip = make_clip(tmp_path / "tone.mp4", seconds=2)
    with pytest.raises(SpeechError, match="no speech was recognised"):
        transcribe(clip)
    out = tmp_path / "captions.vtt"
    done = run_media_cli("captions", "draft", str(clip), "--out", str(out))
    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_a_missing_clip_is_refused_in_one_line(tmp_path):
    out = tmp_path / "captions.vtt"
    done = run_media_cli("captions", "draft", str(tmp_path / "nothing.mp4"), "--out", str(out))
    assert done.returncode != 0
    assert "nothing.mp4" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_clip_itself_is_never_overwritten(speech, tmp_path):
    clip = tmp_path / "speech.wav"
    clip.write_bytes(speech.read_bytes())
    done = run_media_cli("captions", "draft", str(clip), "--out", str(clip))
    assert done.returncode != 0
    assert clip.read_bytes() == speech.read_bytes()
