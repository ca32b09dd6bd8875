"""The ground truth for alignment: the word times espeak-ng reports (tests/speech.py), checked against the audio."""

from __future__ import annotations

import math
import re
import statistics
import subprocess
import wave
from pathlib import Path

import pytest

from media.ffmpeg import tools
from tests.conftest import require_tool
from tests.speech import TimedText, evenly_spread, percentile, speak, start_errors, words_of

TEXTS = sorted((Path(__file__).parent / "data" / "speech").glob("*.txt"))
# How far a sentence gap found in the audio may be from the times espeak-ng
# reports (measured: starts within 3 ms, ends within 42 ms). A word's end is
# its last sound's end, and a final "n" fades below -40 dB before that.
START_TOLERANCE = 0.030
END_TOLERANCE = 0.060


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    """Speak every text once: {name: (text, wav, words)}."""
    require_tool("espeak-ng")
    folder = tmp_path_factory.mktemp("speech")
    result = {}
    for path in TEXTS:
        text = path.read_text(encoding="utf-8")
        wav = folder / f"{path.stem}.wav"
        result[path.stem] = (text, wav, speak(text, wav))
    return result


def silences(wav: Path) -> list[tuple[float, float]]:
    """Return (start, end) of each silence of 0.3 s or more inside ``wav``, found by ffmpeg's silencedetect."""
    run = subprocess.run([tools.find_tool("ffmpeg").path, "-hide_banner", "-nostats", "-i", str(wav),
                          "-af", "silencedetect=n=-40dB:d=0.3", "-f", "null", "-"],
                         capture_output=True, text=True, check=True)
    starts = [float(value) for value in re.findall(r"silence_start: ([\d.]+)", run.stderr)]
    ends = [float(value) for value in re.findall(r"silence_end: ([\d.]+)", run.stderr)]
    return list(zip(starts, ends, strict=False))  # the last silence runs to the end: no silence_end


def duration(wav: Path) -> float:
    with wave.open(str(wav)) as file:
        return file.getnframes() / file.getframerate()


def test_there_are_three_texts_of_30_to_90_seconds(spoken):
    assert len(spoken) == 3
    for _text, wav, _words in spoken.values():
        assert 30 <= duration(wav) <= 90


@pytest.mark.parametrize("path", TEXTS, ids=lambda path: path.stem)
def test_the_words_are_the_text_s_words_in_order(spoken, path):
    text, _wav, words = spoken[path.stem]
    assert [word.word for word in words] == [word for word, _first, _last in words_of(text)]


@pytest.mark.parametrize("path", TEXTS, ids=lambda path: path.stem)
def test_word_times_are_in_order_and_inside_the_audio(spoken, path):
    _text, wav, words = spoken[path.stem]
    length = duration(wav)
    starts = [word.start for word in words]
    assert starts == sorted(starts)
    assert all(0 <= word.start <= word.end <= length for word in words)
    # espeak-ng times nearly every word itself; the few it speaks with a neighbour are marked.
    assert sum(word.reported for word in words) >= 0.9 * len(words)


@pytest.mark.parametrize("path", TEXTS, ids=lambda path: path.stem)
def test_word_times_agree_with_the_silences_between_sentences(spoken, path):
    _text, wav, words = spoken[path.stem]
    gaps = silences(wav)
    assert len(gaps) >= 5, "each text has several sentences, so several gaps"
    reported = [word for word in words if word.reported]
    for silence_start, silence_end in gaps:
        following = min(reported, key=lambda word: abs(word.start - silence_end))
        preceding = min(reported, key=lambda word: abs(word.end - silence_start))
        assert abs(following.start - silence_end) <= START_TOLERANCE, (following, silence_end)
        assert abs(preceding.end - silence_start) <= END_TOLERANCE, (preceding, silence_start)


def test_numbers_and_names_are_single_words(spoken):
    _text, _wav, words = spoken["harbour-ferry"]
    spoken_words = [word.word for word in words]
    for word in ("1,200", "2026", "Wexmoor", "Okonkwo"):
        assert word in spoken_words
    number = words[spoken_words.index("1,200")]
    assert number.reported and number.end - number.start > 0.8, "one thousand two hundred takes time to say"


def test_a_word_left_without_a_time_is_an_infinite_error(spoken):
    _text, _wav, words = spoken["city-library"]
    timed = [TimedText(word.word.upper() + ",", word.start + 0.02) for word in words]
    errors = start_errors(words, timed)
    assert len(errors) == sum(word.reported for word in words)
    assert max(errors) == pytest.approx(0.02)
    dropped = timed[:10] + timed[11:]
    assert start_errors(words, dropped).count(math.inf) == (1 if words[10].reported else 0)


def test_evenly_spread_words_are_the_baseline_alignment_must_beat(spoken):
    text, wav, words = spoken["harbour-ferry"]
    errors = start_errors(words, evenly_spread(text, duration(wav)))
    assert statistics.median(errors) > 0.10, "if spreading words evenly were accurate, the bounds would prove nothing"
    assert percentile(errors, 0.95) > 0.30


def test_percentile_is_the_nearest_rank():
    values = [float(number) for number in range(1, 101)]
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.5) == 50.0
    assert percentile([3.0], 0.95) == 3.0
