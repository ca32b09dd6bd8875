"""Caption cues from aligned script words, within a caption quality profile.

Words are grouped into cues that fit the profile's lines, line length,
durations and reading speed, breaking where a reader expects a pause: after
a sentence, then after a comma or where the speaker pauses (a draft has no
punctuation, only the pauses), then before a function word. A speaker's
words become ``<v Name>`` cues of their own; a ``[sound description]`` gets
its own cue in the pause where it happens, or joins the next words when the
pause is too short to show it.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

from captions.models import CaptionTrack, Cue
from captions.profiles import QualityProfile
from captions.write import to_webvtt
from media.files import write_text_atomic
from media.speech.align import Alignment, TimedWord
from media.speech.matching import PHRASE_PAUSE_SECONDS
from media.speech.script import Script, ScriptWord, Sound

# The cost of ending a cue after a word, by what ends it: lower is better.
_SENTENCE_END, _CLAUSE_END, _BEFORE_FUNCTION_WORD, _MID_PHRASE = 0, 2, 5, 12
_PER_CUE = 3            # fewer, fuller cues are easier to read
_SHORT_CUE_CHARS = 15   # a cue shorter than this reads as a flash
_SHORT_CUE = 4
_BROKEN_LIMIT = 1000    # one limit of the profile not kept
_OVERFLOW = 100         # ... and that many for lines that do not fit
_FUNCTION_WORDS = frozenset("""
a an the and but or nor so yet for of in on at to by with from into onto about as than that
which who whom whose when where while if because although though since until unless after
before over under between through during without within is are was were be been being has
have had will would shall should can could may might must do does did not this these those
his her their its our your my we they he she it i you
""".split())
_SENTENCE_MARKS = (".", "?", "!", "…", '."', '?"', '!"', ".”", "?”", "!”")
_CLAUSE_MARKS = (",", ";", ":", "—", "–", ",”", ',"', ")")


@dataclass(frozen=True)
class _Token:
    """A unit of cue text: a word (or a sound folded into words) with its spoken times."""

    text: str
    start: float
    end: float
    sound: bool = False


def build_cues(script: Script, alignment: Alignment, profile: QualityProfile,
               frame_rate: float = 25.0) -> tuple[Cue, ...]:
    """Return the cues for ``script`` timed by ``alignment``, within ``profile``'s limits.

    Words the alignment reports as not in the audio are left out (they are
    in ``alignment.unmatched``).
    """
    items = _items(script, alignment, profile.min_duration)
    min_gap = (profile.min_gap_frames or 0) / frame_rate
    cues: list[Cue] = []
    for index, item in enumerate(items):
        bound = _next_start(items, index + 1, alignment.duration)
        if isinstance(item, _Token):
            cues.append(_sound_cue(item, bound, profile))
        else:
            speaker, tokens = item
            cues += _run_cues(tokens, speaker, bound, profile, min_gap)
    return tuple(cues)


def write_cues(path: Path | str, cues: tuple[Cue, ...]) -> None:
    """Write ``cues`` to ``path`` as WebVTT, whole or not at all."""
    write_text_atomic(path, to_webvtt(CaptionTrack(Path(path), "vtt", tuple(cues), "utf-8")))


def _items(script: Script, alignment: Alignment, min_duration: float) -> list:
    """Return runs of (speaker, word tokens) and sound tokens, in time order."""
    unsaid = [(part.start, part.end) for part in alignment.unmatched if part.kind == "script"]
    said: list[tuple[ScriptWord, TimedWord] | Sound] = []
    timed = iter(alignment.words)
    for part in script.parts:
        if isinstance(part, Sound):
            said.append(part)
            continue
        word = next(timed)
        if not any(start <= word.start and word.end <= end for start, end in unsaid):
            said.append((part, word))
    items: list = []
    for position, entry in enumerate(said):
        if isinstance(entry, Sound):
            before = _word_end(said, position)
            after = _word_start(said, position, alignment.duration)
            text = html.escape(entry.text, quote=False)
            items.append(_Token(text, before, max(before, after), sound=True))
            continue
        part, word = entry
        token = _Token(html.escape(word.text, quote=False), word.start, word.end)
        if items and isinstance(items[-1], tuple) and items[-1][0] == part.speaker:
            items[-1][1].append(token)
        else:
            items.append((part.speaker, [token]))
    return _fold_short_sounds(items, min_duration)


def _word_end(said: list, position: int) -> float:
    """Return when the last word before ``position`` ends, 0 at the start."""
    return next((entry[1].end for entry in reversed(said[:position]) if isinstance(entry, tuple)), 0.0)


def _word_start(said: list, position: int, duration: float) -> float:
    """Return when the first word after ``position`` starts, the clip's end when none does."""
    return next((entry[1].start for entry in said[position + 1:] if isinstance(entry, tuple)), duration)


def _fold_short_sounds(items: list, min_duration: float) -> list:
    """Return ``items`` with each sound whose pause is too short for a cue joined to the next words."""
    result: list = []
    waiting: list[_Token] = []
    for item in items:
        if isinstance(item, _Token):
            if item.end - item.start >= min_duration:
                result += [*waiting, item]   # waiting sounds stay in order, however short
                waiting = []
            else:
                waiting.append(item)
            continue
        speaker, tokens = item
        if waiting:
            at = tokens[0].start
            tokens = [_Token(sound.text, at, at, sound=True) for sound in waiting] + tokens
            waiting = []
        result.append((speaker, tokens))
    if waiting and result and isinstance(result[-1], tuple):
        at = result[-1][1][-1].end
        result[-1][1].extend(_Token(sound.text, at, at, sound=True) for sound in waiting)
    else:
        result += waiting
    return result


def _next_start(items: list, index: int, duration: float) -> float:
    """Return when item ``index`` starts, the clip's end after the last."""
    if index >= len(items):
        return duration
    item = items[index]
    return item.start if isinstance(item, _Token) else item[1][0].start


def _sound_cue(sound: _Token, bound: float, profile: QualityProfile) -> Cue:
    """Return the cue that shows a sound description through its pause."""
    end = min(bound, sound.start + (profile.max_duration or bound - sound.start))
    return Cue(round(sound.start, 3), round(max(end, sound.start), 3), sound.text)


def _run_cues(tokens: list[_Token], speaker: str | None, bound: float,
              profile: QualityProfile, min_gap: float) -> list[Cue]:
    """Return the cues of one speaker's run of words, split where the cost is least."""
    count = len(tokens)
    # best[j]: (cost, cue start index) of the best split of tokens[:j]
    best: list[tuple[float, int]] = [(0.0, 0)] + [(float("inf"), 0)] * count
    for last in range(count):
        for first in range(last, -1, -1):
            cost = best[first][0] + _cost(tokens, first, last, bound, profile, min_gap)
            if cost < best[last + 1][0]:
                best[last + 1] = (cost, first)
            if len(" ".join(t.text for t in tokens[first:last + 1])) > 3 * profile.max_chars_per_line:
                break   # longer cues only get worse
    spans = []
    end = count
    while end > 0:
        first = best[end][1]
        spans.append((first, end - 1))
        end = first
    cues = []
    for first, last in reversed(spans):
        start, stop = _times(tokens, first, last, bound, profile, min_gap)
        lines = _lines(tokens[first:last + 1], profile.max_chars_per_line)
        text = "\n".join(lines)
        cues.append(Cue(round(start, 3), round(stop, 3), f"<v {speaker}>{text}" if speaker else text))
    return cues


def _cost(tokens: list[_Token], first: int, last: int, bound: float,
          profile: QualityProfile, min_gap: float) -> float:
    """Return how bad a cue of tokens[first..last] is: broken limits, then a poor break."""
    words = [token.text for token in tokens[first:last + 1]]
    lines = _lines(tokens[first:last + 1], profile.max_chars_per_line)
    start, end = _times(tokens, first, last, bound, profile, min_gap)
    duration = end - start
    chars = sum(map(len, lines))
    # Lines that do not fit are cut off or cover the picture; a cue a little
    # fast for its reading speed is only hard to read, so it is the lesser harm.
    overflowing = len(lines) > profile.max_lines or max(map(len, lines)) > profile.max_chars_per_line
    broken = _OVERFLOW * overflowing
    broken += duration < profile.min_duration - 1e-3
    broken += profile.max_duration is not None and duration > profile.max_duration + 1e-3
    broken += profile.max_cps is not None and chars > profile.max_cps * duration + 1e-3
    broken += profile.max_wpm is not None and len(" ".join(words).split()) * 60 > profile.max_wpm * duration
    cost = _BROKEN_LIMIT * broken + _PER_CUE + (_SHORT_CUE if chars < _SHORT_CUE_CHARS else 0)
    if last + 1 < len(tokens):
        cost += _break_cost(tokens[last], tokens[last + 1])
    return cost


def _break_cost(before: _Token, after: _Token) -> int:
    """Return the cost of ending a cue between two tokens."""
    if before.sound or after.sound or before.text.endswith(_SENTENCE_MARKS) or _pause(before, after):
        return _SENTENCE_END
    if before.text.endswith(_CLAUSE_MARKS):
        return _CLAUSE_END
    if after.text.lower().strip("\"'“‘(") in _FUNCTION_WORDS:
        return _BEFORE_FUNCTION_WORD
    return _MID_PHRASE


def _pause(before: _Token, after: _Token) -> bool:
    """Return whether the speaker pauses between two words long enough to mark a phrase."""
    return after.start - before.end >= PHRASE_PAUSE_SECONDS - 1e-6


def _times(tokens: list[_Token], first: int, last: int, bound: float,
           profile: QualityProfile, min_gap: float) -> tuple[float, float]:
    """Return when a cue of tokens[first..last] is shown: from its first word, long enough to read.

    It never runs into the next cue (``bound`` after the last token), and it
    ends either at the next cue or at least ``min_gap`` before it, never in a flicker between.
    """
    # in whole milliseconds, as written, so the limits are judged on the times a checker reads
    start = round(tokens[first].start, 3)
    following = round(tokens[last + 1].start if last + 1 < len(tokens) else bound, 3)
    chars = sum(len(token.text) for token in tokens[first:last + 1]) + last - first
    wanted = max(tokens[last].end, start + profile.min_duration)
    if profile.max_cps:
        wanted = max(wanted, start + chars / profile.max_cps)
    if profile.max_wpm:
        wanted = max(wanted, start + (last - first + 1) * 60 / profile.max_wpm)
    end = min(math.ceil(wanted * 1000 - 1e-6) / 1000, following)
    if following - end < min_gap:
        end = following
    return start, max(end, start)


def _lines(tokens: list[_Token], width: int) -> list[str]:
    """Return the tokens' words on one line, or split in two where the lines are most even.

    A break after punctuation or at a pause is preferred when it leaves both
    lines within ``width``; lines that do not fit are returned as they are,
    for the caller to judge.
    """
    words = [token.text for token in tokens]
    text = " ".join(words)
    if len(text) <= width or len(words) == 1:
        return [text]
    best: tuple[float, list[str]] | None = None
    for split in range(1, len(words)):
        top, bottom = " ".join(words[:split]), " ".join(words[split:])
        longest = max(len(top), len(bottom))
        phrase = (words[split - 1].endswith(_SENTENCE_MARKS + _CLAUSE_MARKS)
                  or _pause(tokens[split - 1], tokens[split]))
        score = longest - (6 if phrase and longest <= width else 0)
        if best is None or score < best[0]:
            best = (score, [top, bottom])
    assert best is not None
    return best[1]
