"""Script and speech that do not match: a sentence the clip skips, a sentence the script lacks.

The speech is espeak-ng reading a test text in one go (tests/speech.py), so
every word's time is known and the pauses are espeak-ng's own, not silences
joined in between sentences.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

import pytest

from captions.profiles import get_profile
from captions.quality import check_file
from media.speech.align import align, align_script
from media.speech.cues import build_cues, write_cues
from media.speech.script import parse_script
from tests.conftest import require_tool, run_media_cli
from tests.speech import speak, start_errors

TEXT = (Path(__file__).parent / "data" / "speech" / "school-garden.txt").read_text(encoding="utf-8")
SENTENCES = re.split(r"(?<=[.!?])\s+", TEXT.strip())
EXTRA = "The mayor of the town said nothing about it at all on the radio."
# how far a reported span may be from the pause where script and speech part
SPAN_TOLERANCE = 0.3


@pytest.fixture(autouse=True)
def _pocketsphinx_present(pocketsphinx_present):
    """Every test here needs the speech engine."""


def _words_before(sentences: list[str], count: int) -> int:
    return len(" ".join(sentences[:count]).split())


@pytest.fixture(scope="module", params=[2, 4, 6], ids=lambda index: f"sentence-{index}")
def skipping(request, tmp_path_factory):
    """A clip that says the text without one sentence in its middle; the sentence's index, the truth
    and the script's alignment with it."""
    require_tool("espeak-ng")
    skipped = request.param
    said = [sentence for index, sentence in enumerate(SENTENCES) if index != skipped]
    wav = tmp_path_factory.mktemp("skipping") / "speech.wav"
    truth = speak(" ".join(said), wav)
    return wav, skipped, truth, align(wav, parse_script(TEXT))


def test_a_sentence_the_clip_skips_is_reported_whole_between_the_words_around_it(skipping):
    _, skipped, truth, alignment = skipping
    [part] = alignment.unmatched
    assert (part.kind, part.text) == ("script", SENTENCES[skipped])
    before = _words_before(SENTENCES, skipped)
    # the span is the pause between the last word said before it and the first after
    assert part.start == pytest.approx(truth[before - 1].end, abs=SPAN_TOLERANCE)
    assert part.end == pytest.approx(truth[before].start, abs=SPAN_TOLERANCE)
    assert part.start <= part.end


def test_the_words_around_a_skipped_sentence_keep_their_accuracy(skipping):
    _, skipped, truth, alignment = skipping
    said = [word for word in alignment.words
            if not any(part.start <= word.start and word.end <= part.end for part in alignment.unmatched)]
    errors = start_errors(truth, said)
    assert statistics.median(errors) <= 0.10
    assert sorted(errors)[int(0.95 * len(errors)) - 1] <= 0.30


def test_captions_leave_out_a_skipped_sentence_and_are_valid(skipping, tmp_path):
    _, skipped, _, alignment = skipping
    cues = build_cues(parse_script(TEXT), alignment, get_profile("newsreel"))
    out = tmp_path / "captions.vtt"
    write_cues(out, cues)
    report = check_file(out, "newsreel")
    # espeak-ng reads at the edge of the profile's reading speed: a cue may warn of it, no more
    assert report.valid
    assert {problem.code for problem in report.problems} <= {"reading-speed"}
    shown = " ".join(cue.text.replace("\n", " ") for cue in cues)
    assert shown.split() == " ".join(s for i, s in enumerate(SENTENCES) if i != skipped).split()


def test_the_align_command_lists_the_skipped_sentence_with_its_times(skipping, tmp_path):
    wav, skipped, _, _ = skipping
    script = tmp_path / "script.txt"
    script.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "captions.vtt"
    done = run_media_cli("captions", "align", str(script), "--media", str(wav), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    [part] = json.loads(done.stdout)["unmatched"]
    assert part["kind"] == "script" and part["text"] == SENTENCES[skipped]
    assert 0 < part["start"] <= part["end"]


def test_a_sentence_the_script_lacks_is_reported_as_sound_with_its_times(tmp_path):
    require_tool("espeak-ng")
    wav = tmp_path / "speech.wav"
    truth = speak(" ".join(SENTENCES[:5] + [EXTRA] + SENTENCES[5:]), wav)
    alignment = align_script(wav, TEXT)
    [part] = alignment.unmatched
    assert part.kind == "audio"
    first = _words_before(SENTENCES, 5)
    last = first + len(EXTRA.split()) - 1
    assert part.start == pytest.approx(truth[first].start, abs=SPAN_TOLERANCE)
    assert part.end == pytest.approx(truth[last].end, abs=SPAN_TOLERANCE)
