"""Bad input to ``captions align`` and ``captions draft``: one clear line each, exit non-zero, nothing written.

A script is in the wrong language, measurably, when more than half of its
words are missing from the model's dictionary: English news scripts, names
and numbers included, have under 3% (tests/data/speech: 0-1.2%), German
ones about half or more (the German demo captions: 54%).
"""

from __future__ import annotations

import pytest

from media.demo.content import TOP_STORY
from tests.conftest import make_clip, require_tool, run_media_cli

GERMAN = " ".join(text.replace("\n", " ") for _, _, text in TOP_STORY["captions_de"]
                  if not text.startswith("["))


@pytest.fixture(autouse=True)
def _pocketsphinx_present(pocketsphinx_present):
    """Every test here needs the speech engine."""


@pytest.fixture(scope="module")
def german_speech(tmp_path_factory):
    """The German demo captions spoken in German by espeak-ng."""
    from tests.speech import speak
    require_tool("espeak-ng")
    wav = tmp_path_factory.mktemp("german") / "speech.wav"
    speak(GERMAN, wav, voice="de")
    return wav


def _refused(done, out, *words):
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in done.stderr, done.stderr
    assert not out.exists()
    assert not list(out.parent.glob("*.tmp*"))


def test_a_german_script_of_german_speech_with_language_en_is_refused(german_speech, tmp_path):
    script = tmp_path / "script.txt"
    script.write_text(GERMAN, encoding="utf-8")
    out = tmp_path / "captions.vtt"
    done = run_media_cli("captions", "align", str(script), "--media", str(german_speech), "--out", str(out),
                         "--language", "en")
    _refused(done, out, str(script), "not in the English dictionary", "another language")


@pytest.mark.parametrize("text", ["", "   \n\n  \n", "[music]\n\n[applause]\n", "— … –"],
                         ids=["empty", "blank-lines", "sounds-only", "punctuation-only"])
def test_a_script_with_no_words_is_refused(german_speech, tmp_path, text):
    script = tmp_path / "script.txt"
    script.write_text(text, encoding="utf-8")
    out = tmp_path / "captions.vtt"
    done = run_media_cli("captions", "align", str(script), "--media", str(german_speech), "--out", str(out))
    _refused(done, out, str(script), "no words to align")


@pytest.mark.parametrize("command", ["align", "draft"])
def test_a_clip_with_no_audio_is_refused_by_both_commands(tmp_path, command):
    clip = make_clip(tmp_path / "silent.mp4", seconds=1, audio=False)
    script = tmp_path / "script.txt"
    script.write_text("The ferry runs again.", encoding="utf-8")
    out = tmp_path / "captions.vtt"
    args = (str(script), "--media", str(clip)) if command == "align" else (str(clip),)
    done = run_media_cli("captions", command, *args, "--out", str(out))
    _refused(done, out, str(clip), "has no audio stream")
