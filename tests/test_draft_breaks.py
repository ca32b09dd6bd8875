"""Where draft cues break: at the speaker's pauses, since a draft has no punctuation.

espeak-ng pauses at full stops (0.35-0.65 s at 160 words a minute) and
briefly at commas; those pauses, measured from espeak-ng's own word times,
are where a draft's cues should break when the profile's limits allow.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from captions.profiles import get_profile
from captions.quality import check_file
from captions.transcript import cue_plain_text
from media.speech.draft import Transcript, draft_cues, transcribe, write_draft
from media.speech.matching import PHRASE_PAUSE_SECONDS, TimedWord
from tests.conftest import require_tool
from tests.speech import speak

TEXT = (Path(__file__).parent / "data" / "speech" / "school-garden.txt").read_text(encoding="utf-8")
PROFILES = ("newsreel", "netflix-en", "bbc")
# the share of cue breaks at espeak-ng's pauses: about one in twenty before
# breaks looked for pauses, half or more since (the rest are held off by the
# profile's longest cue and line lengths)
AT_PAUSES = 0.4


@pytest.fixture(autouse=True)
def _pocketsphinx_present(pocketsphinx_present):
    """Every test here needs the speech engine."""


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    """What recognition hears in espeak-ng's reading of a text, and espeak-ng's pauses (start, end)."""
    require_tool("espeak-ng")
    wav = tmp_path_factory.mktemp("breaks") / "speech.wav"
    truth = speak(TEXT, wav)
    written = TEXT.split()
    assert len(written) == len(truth)
    pauses = [(word.end, after.start) for text, word, after in zip(written, truth, truth[1:], strict=False)
              if text.endswith((",", ".", "?", "!")) and after.start - word.end >= PHRASE_PAUSE_SECONDS]
    return transcribe(wav), pauses


def _cue_breaks(transcript: Transcript, cues) -> list[tuple[float, float]]:
    """Return the gap between the last word of each cue and the first of the next."""
    breaks, at = [], 0
    for cue in cues[:-1]:
        at += len(" ".join(cue_plain_text(line) for line in cue.text.split("\n")).split())
        breaks.append((transcript.words[at - 1].end, transcript.words[at].start))
    return breaks


def _at_a_pause(gap: tuple[float, float], pauses: list[tuple[float, float]]) -> bool:
    return any(min(gap[1], end) - max(gap[0], start) >= 0.1 for start, end in pauses)


def test_cue_breaks_land_at_the_speakers_pauses(spoken):
    transcript, pauses = spoken
    assert len(pauses) >= 6
    breaks = [gap for name in PROFILES for gap in _cue_breaks(transcript, draft_cues(transcript, get_profile(name)))]
    at_pauses = sum(_at_a_pause(gap, pauses) for gap in breaks)
    assert at_pauses >= AT_PAUSES * len(breaks), f"{at_pauses} of {len(breaks)} cue breaks at pauses"
    newsreel = _cue_breaks(transcript, draft_cues(transcript, get_profile("newsreel")))
    assert sum(_at_a_pause(gap, pauses) for gap in newsreel) >= len(newsreel) / 2


@pytest.mark.parametrize("name", PROFILES)
def test_every_draft_passes_captions_check_with_its_profile(spoken, tmp_path, name):
    transcript, _ = spoken
    out = tmp_path / "draft.vtt"
    write_draft(out, draft_cues(transcript, get_profile(name)), transcript.note)
    report = check_file(out, name)
    assert report.valid
    # speech faster than the profile reads is the one thing a draft may be warned of
    assert {problem.code for problem in report.problems} <= {"reading-speed"}, report.problems


def _words(spec: str, pause_after: int) -> tuple[TimedWord, ...]:
    """Return the words of ``spec`` 0.3 s apart, with a 0.5 s pause after word ``pause_after``."""
    words, at = [], 0.0
    for index, text in enumerate(spec.split()):
        words.append(TimedWord(text, round(at, 3), round(at + 0.28, 3)))
        at += 0.3 + (0.5 if index == pause_after else 0.0)
    return tuple(words)


def test_a_pause_is_preferred_to_a_break_before_a_function_word():
    spec = "harbour pilots voted to end their long strike today ferries sail again from the quay next week"
    transcript = Transcript(_words(spec, pause_after=8), 6.0, "Engine: test")
    cues = draft_cues(transcript, get_profile("newsreel"))
    assert [cue.text.replace("\n", " ") for cue in cues] == [
        "harbour pilots voted to end their long strike today",
        "ferries sail again from the quay next week"]


def test_without_pauses_breaks_fall_back_to_before_a_function_word():
    spec = "harbour pilots voted to end their long strike today ferries sail again from the quay next week"
    transcript = Transcript(_words(spec, pause_after=-1), 6.0, "Engine: test")
    cues = draft_cues(transcript, get_profile("newsreel"))
    firsts = [cue.text.split()[0] for cue in cues[1:]]
    assert firsts and all(word in {"to", "their", "from", "the"} for word in firsts), cues


def test_a_line_breaks_at_a_pause_where_both_lines_fit():
    from media.speech.cues import _lines, _Token
    spec = "the harbour pilots voted on tuesday to end the strike so ferries will sail again"
    even = ["the harbour pilots voted on tuesday to", "end the strike so ferries will sail again"]
    assert _lines([_Token(word, index, index + 0.9) for index, word in enumerate(spec.split())], 42) == even
    paused = [_Token(word.text, word.start, word.end) for word in _words(spec, pause_after=7)]
    assert _lines(paused, 42) == ["the harbour pilots voted on tuesday to end", "the strike so ferries will sail again"]
