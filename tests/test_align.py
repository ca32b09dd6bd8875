"""Aligning a script with a clip's speech: the script format, dictionary words, timing accuracy.

Speech is made by espeak-ng, one sentence at a time, and joined with known
silences, so each sentence's first word starts at a known time.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
import wave
from pathlib import Path

import pytest

from captions.profiles import get_profile
from captions.quality import check_file
from captions.transcript import cue_plain_text
from media.errors import MediaError
from media.ffmpeg.commands import speech_audio_command
from media.speech.align import align, align_script
from media.speech.cues import build_cues, write_cues
from media.speech.errors import SpeechError
from media.speech.script import parse_script
from tests.conftest import make_clip, require_tool, run_media_cli

# our own text, about 60 s at 160 words a minute, with numbers and names
STORY = [
    "Harbour pilots in Wexmoor voted on Tuesday to end their strike.",
    "The ferry to the islands will run again from the 21st of March.",
    "Amara Okonkwo-Hale, who leads the pilots, said 1,200 crossings had been cancelled.",
    "The port lost about 3.5 million pounds while the boats stayed tied up.",
    "Crews asked for a second tug on winter nights after storms closed the harbour.",
    "The owners agreed to buy one before the end of 2026.",
    "Passengers waiting at the terminal greeted the news with quiet relief.",
    "One driver said she had slept in her van for two nights in February.",
    "Pilots will return to work at six o'clock tomorrow morning.",
    "The first sailing leaves at a quarter past seven.",
    "Councillor Bryn Tallack thanked both sides for talking through the weekend.",
    "A review of safety at the port will report next summer.",
]
GAP = 0.6   # seconds of silence between sentences
SILENCE_PEAK = 300


@pytest.fixture(autouse=True)
def _pocketsphinx_present(pocketsphinx_present):
    """Every test here needs the speech engine."""


def _samples(path: Path) -> tuple[bytes, int]:
    with wave.open(str(path), "rb") as reader:
        return reader.readframes(reader.getnframes()), reader.getframerate()


def _first_sound(frames: bytes, rate: int) -> float:
    """Return the time of the first sample louder than silence."""
    values = memoryview(frames).cast("h")
    for index, value in enumerate(values):
        if abs(value) > SILENCE_PEAK:
            return index / rate
    return 0.0


def speak_sentences(sentences: list[str], out: Path, gap: float = GAP) -> list[float]:
    """Write ``sentences`` spoken by espeak-ng with ``gap`` s between them; return when each starts."""
    espeak = require_tool("espeak-ng")
    starts, joined, rate = [], b"", 22050
    for number, sentence in enumerate(sentences):
        part = out.with_name(f"{out.stem}.{number}.wav")
        subprocess.run([espeak, "-v", "en-us", "-s", "160", "-w", str(part), sentence], check=True)
        frames, rate = _samples(part)
        part.unlink()
        starts.append(len(joined) / 2 / rate + _first_sound(frames, rate))
        joined += frames + bytes(int(gap * rate) * 2)
    with wave.open(str(out), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(joined)
    return starts


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> tuple[Path, list[float]]:
    out = tmp_path_factory.mktemp("speech") / "story.wav"
    return out, speak_sentences(STORY, out)


# --- alignment ---------------------------------------------------------------------

def test_alignment_finds_each_sentence_start_within_a_tenth_of_a_second(story):
    clip, starts = story
    began = time.monotonic()
    alignment = align_script(clip, "\n".join(STORY))
    took = time.monotonic() - began
    assert [word.text for word in alignment.words] == " ".join(STORY).split()
    firsts, at = [], 0
    for sentence in STORY:
        firsts.append(alignment.words[at].start)
        at += len(sentence.split())
    errors = sorted(abs(found - truth) for found, truth in zip(firsts, starts, strict=True))
    assert statistics.median(errors) <= 0.10, errors
    assert errors[-1] <= 0.30, errors
    assert alignment.unmatched == ()
    assert alignment.duration == pytest.approx(starts[-1] + 3, abs=3)
    # at least 4 times faster than real time, on a shared machine
    assert took < alignment.duration / 4


def test_words_are_in_order_and_inside_the_clip(story):
    clip, _ = story
    alignment = align_script(clip, "\n".join(STORY[:3]) + "\n[horn sounds]")
    words = alignment.words
    assert all(a.start <= a.end <= b.start for a, b in zip(words, words[1:], strict=False))
    assert words[-1].end <= alignment.duration
    assert alignment.unmatched[-1].kind == "audio"   # the rest of the story has no script


def test_script_words_not_in_the_audio_are_reported_with_times(tmp_path):
    clip = tmp_path / "short.wav"
    speak_sentences(STORY[:1], clip)
    alignment = align_script(clip, STORY[0] + " A second sentence that nobody ever read aloud.")
    assert [part.kind for part in alignment.unmatched] == ["script"]
    part = alignment.unmatched[0]
    assert part.text.endswith("nobody ever read aloud.")
    assert part.start >= 3.0 and part.end <= alignment.duration


def test_a_sentence_missing_from_the_script_is_reported_as_sound_with_no_script(story):
    clip, starts = story
    alignment = align_script(clip, "\n".join(STORY[:4] + STORY[5:]))
    assert [part.kind for part in alignment.unmatched] == ["audio"]
    part = alignment.unmatched[0]
    assert part.start == pytest.approx(starts[4], abs=0.3)
    assert part.end == pytest.approx(starts[5] - GAP, abs=0.6)


def test_a_sentence_the_clip_never_says_is_reported_where_script_and_audio_part(story):
    clip, _ = story
    extra = "The mayor of the town said nothing about it at all on the radio."
    alignment = align_script(clip, "\n".join(STORY[:4] + [extra] + STORY[4:]))
    unsaid = [part.text for part in alignment.unmatched if part.kind == "script"]
    assert unsaid == [extra]
    # the sentences before it keep their times
    assert alignment.words[len(" ".join(STORY[:2]).split())].start == pytest.approx(9.34, abs=0.1)


def test_a_language_without_a_model_names_the_languages_and_model_option(story):
    with pytest.raises(SpeechError, match=r"available: en.*--model DIR"):
        align_script(story[0], "Die Fähre fährt wieder.", language="de")


def test_a_script_in_another_language_is_refused(story):
    with pytest.raises(SpeechError, match="another language"):
        align_script(story[0], "Die Lotsen im Hafen stimmten am Dienstag dafür, ihren Streik "
                               "zu beenden; die Fähre fährt ab Montag wieder nach Fahrplan.")


def test_a_clip_with_no_audio_is_refused_in_one_line(tmp_path):
    clip = make_clip(tmp_path / "silent.mp4", seconds=1, audio=False)
    with pytest.raises(MediaError, match="no audio stream") as caught:
        align_script(clip, "The ferry runs.")
    assert str(caught.value).startswith(str(clip))


def test_speech_audio_is_read_as_raw_16_khz_mono_from_the_given_file_only(tmp_path):
    argv = speech_audio_command("ffmpeg", tmp_path / "clip.mp4")
    assert argv[argv.index("-i") + 1] == f"file:{tmp_path / 'clip.mp4'}"
    assert argv[argv.index("-protocol_whitelist") + 1] == "file"
    assert "-format_whitelist" in argv
    for option, value in (("-map", "0:a:0"), ("-f", "s16le"), ("-ac", "1"), ("-ar", "16000")):
        assert argv[argv.index(option) + 1] == value
    assert argv[-2:] == ["pipe:1", "-y"]


# --- cues ----------------------------------------------------------------------------

@pytest.mark.parametrize("profile", ["newsreel", "netflix-en", "bbc"])
def test_cues_from_the_story_pass_the_profiles_check(story, tmp_path, profile):
    clip, _ = story
    script = parse_script("Reporter: " + " ".join(STORY[:6]) + "\n\n[horn sounds]\n\n"
                          + "Amara Okonkwo-Hale: " + " ".join(STORY[6:]))
    alignment = align(clip, script)
    cues = build_cues(script, alignment, get_profile(profile))
    out = tmp_path / "story.vtt"
    write_cues(out, cues)
    report = check_file(out, profile)
    assert report.valid
    assert report.problems == ()
    assert cues[0].text.startswith("<v Reporter>Harbour pilots")
    assert cues[-1].text.startswith("<v Amara Okonkwo-Hale>")
    shown = " ".join(cue_plain_text(line) for cue in cues for line in cue.text.split("\n"))
    assert shown.split() == " ".join([*STORY[:6], "[horn sounds]", *STORY[6:]]).split()


def test_speech_faster_than_a_profile_allows_keeps_the_lines_and_warns_of_speed(story, tmp_path):
    # DCMP allows 160 words a minute, the speed espeak-ng speaks at here
    clip, _ = story
    script = parse_script("\n".join(STORY))
    cues = build_cues(script, align(clip, script), get_profile("dcmp"))
    out = tmp_path / "story.vtt"
    write_cues(out, cues)
    report = check_file(out, "dcmp")
    assert {problem.code for problem in report.problems} <= {"reading-speed", "too-short"}
    assert len(report.problems) <= len(cues) // 4


# --- the command -----------------------------------------------------------------------

def test_align_command_writes_captions_that_captions_check_passes(story, tmp_path):
    clip, _ = story
    script = tmp_path / "script.txt"
    script.write_text("Reporter: " + "\n".join(STORY[:6]) + "\n\n[horn sounds]\n\n"
                      + "\n".join(STORY[6:]) + "\n", encoding="utf-8")
    out = tmp_path / "captions.en.vtt"
    done = run_media_cli("captions", "align", str(script), "--media", str(clip), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().endswith("part(s) unmatched")
    checked = run_media_cli("captions", "check", str(out), "--profile", "newsreel")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "<v Reporter>Harbour pilots" in out.read_text(encoding="utf-8")


def test_align_command_prints_cues_unmatched_parts_and_counts_as_json(story, tmp_path):
    clip, _ = story
    script = tmp_path / "script.txt"
    script.write_text(" ".join(STORY[:2]), encoding="utf-8")
    out = tmp_path / "captions.en.vtt"
    done = run_media_cli("captions", "align", str(script), "--media", str(clip), "--out", str(out),
                         "--profile", "bbc", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"cues", "unmatched", "counts", "duration"}
    assert result["counts"] == {"words": len(" ".join(STORY[:2]).split()), "cues": len(result["cues"]),
                                "unmatched": len(result["unmatched"])}
    assert result["cues"][0]["text"].startswith("Harbour pilots")
    # the rest of the story is speech with no script
    assert result["unmatched"][-1]["kind"] == "audio"
    assert result["unmatched"][-1]["start"] >= 4.0


@pytest.mark.parametrize(("script_text", "options", "message"), [
    ("", (), "no words to align"),
    ("\0\1\2 binary", (), "binary file"),
    ("Die Lotsen im Hafen stimmten am Dienstag dafür, ihren Streik zu beenden.", (), "another language"),
    ("Паромы снова ходят по расписанию с понедельника.", (), "another language"),
    ("The ferry runs again.", ("--language", "de"), "available: en"),
])
def test_align_command_refuses_bad_input_in_one_line_and_writes_nothing(
        story, tmp_path, script_text, options, message):
    script = tmp_path / "script.txt"
    script.write_text(script_text, encoding="utf-8")
    out = tmp_path / "captions.vtt"
    done = run_media_cli("captions", "align", str(script), "--media", str(story[0]), "--out", str(out),
                         *options)
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [script]


def test_align_command_refuses_a_clip_with_no_audio(tmp_path):
    clip = make_clip(tmp_path / "silent.mp4", seconds=1, audio=False)
    script = tmp_path / "script.txt"
    script.write_text("The ferry runs again.", encoding="utf-8")
    out = tmp_path / "captions.vtt"
    done = run_media_cli("captions", "align", str(script), "--media", str(clip), "--out", str(out))
    assert done.returncode != 0
    assert done.stderr == f"Error: {clip}: has no audio stream to align the script with\n"
    assert not out.exists()


@pytest.fixture
def model_dir(tmp_path) -> Path:
    """A model directory as a user would give one: the bundled English model, laid out flat."""
    import pocketsphinx
    bundled = Path(pocketsphinx.__file__).parent / "model" / "en-us"
    model = tmp_path / "model"
    model.mkdir()
    for file in (bundled / "en-us").iterdir():
        (model / file.name).symlink_to(file)
    (model / "cmudict-en-us.dict").symlink_to(bundled / "cmudict-en-us.dict")
    return model


def test_a_model_directory_aligns_another_language_with_its_own_dictionary(model_dir, tmp_path):
    clip = tmp_path / "two.wav"
    starts = speak_sentences(STORY[5:7], clip)
    first = STORY[5].replace("2026", "twenty twenty six")
    alignment = align_script(clip, f"{first}\n{STORY[6]}", language="xx", model=model_dir)
    second = len(first.split())
    assert alignment.words[second].text == "Passengers"
    assert alignment.words[second].start == pytest.approx(starts[1], abs=0.1)


def test_a_word_missing_from_a_model_directory_names_its_line(story, model_dir, tmp_path):
    script = tmp_path / "script.txt"
    script.write_text("The ferry runs.\nPilots in Wexmoor voted.\n", encoding="utf-8")
    out = tmp_path / "out.vtt"
    done = run_media_cli("captions", "align", str(script), "--media", str(story[0]), "--out", str(out),
                         "--language", "xx", "--model", str(model_dir))
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: {script}:2: 'wexmoor' is not in the model's dictionary")
    assert not out.exists()


def test_a_directory_that_is_no_model_is_refused(story, tmp_path):
    with pytest.raises(SpeechError, match="not a pocketsphinx model"):
        align_script(story[0], "The ferry runs.", language="xx", model=tmp_path)


def test_align_command_refuses_a_clip_with_no_speech_in_one_line(tmp_path):
    clip = make_clip(tmp_path / "tone.mp4", seconds=2)
    script = tmp_path / "script.txt"
    script.write_text("Harbour pilots in Wexmoor voted on Tuesday to end their strike.", encoding="utf-8")
    out = tmp_path / "captions.vtt"
    done = run_media_cli("captions", "align", str(script), "--media", str(clip), "--out", str(out))
    assert done.returncode == 1
    assert done.stderr == (f"Error: {script}: the script could not be aligned with the speech in {clip}: "
                           "is it the script of this clip, in its language?\n")
    assert not out.exists()
