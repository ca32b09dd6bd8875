"""What the clip's samples say about an alignment: where there is sound, what matches nothing.

Forced alignment places every script word somewhere. These checks compare
that placement with the sound itself, so words the clip never says and
sound no script word covers are reported instead of hidden.
"""

from __future__ import annotations

import array
import random
import sys
from dataclasses import dataclass

SAMPLE_RATE = 16000
FRAME_SECONDS = 0.01          # pocketsphinx's frames are 10 ms
_FRAME_SAMPLES = int(SAMPLE_RATE * FRAME_SECONDS)
# a 10 ms frame peaking above this (-40 dBFS) has sound in it
_VOICED_PEAK = 330
# script words with less sound than this under them were not said there
_MIN_VOICED_SHARE = 0.2
# The model's phones take at least 3 frames each; words at about that
# length, several in a row, were fitted where there was no time for them.
_SQUEEZED_FRAMES_PER_PHONE = 3.3
_SQUEEZED_RUN = 3
# silences inside a word (before a stop consonant) are shorter than this, in frames
_WORD_GAP_FRAMES = 15
# sound with no script word is reported when it lasts this long...
MIN_UNSCRIPTED_SECONDS = 1.0
# ...counting pauses shorter than this as part of it; a pause this long
# between two words is a phrase boundary, where a caption may break
PHRASE_PAUSE_SECONDS = 0.3


@dataclass(frozen=True)
class TimedWord:
    """A script word as written, and when it is spoken, in seconds."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Unmatched:
    """Script with no speech under it (``kind`` "script") or sound with no script ("audio")."""

    kind: str
    text: str
    start: float
    end: float

    def to_json(self) -> dict:
        """Return the part as a JSON-ready dict, times rounded to milliseconds."""
        return {"kind": self.kind, "text": self.text,
                "start": round(self.start, 3), "end": round(self.end, 3)}


def trimmed(start: float, end: float, voiced: list[bool]) -> tuple[float, float]:
    """Return a word's span without the silence before and after it.

    Without pauses in the grammar, the pause before a word is counted as
    part of it (with the tail of the word before); its sound tells where it
    really is: the longest stretch of sound in the span, stop consonants'
    short silences included.
    """
    first, last = int(start / FRAME_SECONDS), min(len(voiced), int(end / FRAME_SECONDS))
    stretches: list[list[int]] = []
    for frame in range(first, last):
        if voiced[frame]:
            if stretches and frame - stretches[-1][1] <= _WORD_GAP_FRAMES:
                stretches[-1][1] = frame
            else:
                stretches.append([frame, frame])
    if not stretches:
        return start, end
    begin, finish = max(stretches, key=lambda stretch: stretch[1] - stretch[0])
    return begin * FRAME_SECONDS, (finish + 1) * FRAME_SECONDS


def quiet(seconds: float) -> bytes:
    """Return ``seconds`` of faint noise (about -60 dBFS), the same on every run.

    Not digital silence, nor a repeating pattern: on those the acoustic
    model scores no path well enough for the alignment to finish.
    """
    noise = random.Random(0)
    second = array.array("h", [noise.randint(-30, 30) for _ in range(SAMPLE_RATE)])
    if sys.byteorder == "big":
        second.byteswap()
    whole, rest = divmod(int(seconds * SAMPLE_RATE), SAMPLE_RATE)
    return second.tobytes() * whole + second.tobytes()[:rest * 2]


def voiced_frames(raw: bytes) -> list[bool]:
    """Return, for each 10 ms frame, whether it has sound above a quiet room's level."""
    samples = array.array("h")
    samples.frombytes(raw[:len(raw) - len(raw) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    frames = []
    for first in range(0, len(samples), _FRAME_SAMPLES):
        chunk = samples[first:first + _FRAME_SAMPLES]
        frames.append(max(chunk) > _VOICED_PEAK or -min(chunk) > _VOICED_PEAK)
    return frames


def unsaid(words: list[TimedWord], phones: list[int], voiced: list[bool],
           skipped: frozenset[int] = frozenset(), duration: float | None = None) -> list[Unmatched]:
    """Return runs of script words the clip does not say where they were placed.

    A word is not said there when (almost) no sound is under it, or when it
    is one of a run of words each given the least time the model allows, the
    mark of script words squeezed between words that are said. Words of
    ``skipped`` sentences are not said at all: their run spans the time
    between the words said around it (to ``duration`` at the end).
    """
    spoken = [index for index, count in enumerate(phones) if count]
    missing = set(skipped)
    squeezed: list[int] = []
    for index in spoken:
        word = words[index]
        frames = voiced[int(word.start / FRAME_SECONDS):int(word.end / FRAME_SECONDS)]
        if not frames or sum(frames) < _MIN_VOICED_SHARE * len(frames):
            missing.add(index)
        if word.end - word.start < _SQUEEZED_FRAMES_PER_PHONE * FRAME_SECONDS * phones[index]:
            squeezed.append(index)
            continue
        if len(squeezed) >= _SQUEEZED_RUN:
            missing.update(squeezed)
        squeezed = []
    if len(squeezed) >= _SQUEEZED_RUN:
        missing.update(squeezed)
    parts: list[Unmatched] = []
    run: list[TimedWord] = []
    gap = False   # the run holds a skipped sentence: it lasts until the next word said
    for index, word in enumerate(words):
        if index in missing or (run and not phones[index]):
            run.append(word)
            gap = gap or index in skipped
        elif run:
            parts.append(_part("script", run, word.start if gap else None))
            run, gap = [], False
    if run:
        parts.append(_part("script", run, duration if gap else None))
    return parts


def _part(kind: str, run: list[TimedWord], end: float | None = None) -> Unmatched:
    return Unmatched(kind, " ".join(word.text for word in run), run[0].start,
                     run[-1].end if end is None else max(run[-1].end, end))


def unscripted(words: list[TimedWord], voiced: list[bool]) -> list[Unmatched]:
    """Return stretches of sound, pauses included, with no script word over them."""
    covered = [False] * len(voiced)
    for word in words:
        for frame in range(int(word.start / FRAME_SECONDS), min(len(voiced), int(word.end / FRAME_SECONDS))):
            covered[frame] = True
    parts: list[Unmatched] = []
    pause = int(PHRASE_PAUSE_SECONDS / FRAME_SECONDS)
    start = last = None
    for frame, (sound, taken) in enumerate(zip(voiced, covered, strict=True)):
        if sound and not taken:
            if start is None or frame - last > pause:
                _close(parts, start, last)
                start = frame
            last = frame
    _close(parts, start, last)
    return parts


def _close(parts: list[Unmatched], start: int | None, last: int | None) -> None:
    """Add the stretch from frame ``start`` to ``last`` when it is long enough to report."""
    if start is None or last is None:
        return
    begin, end = start * FRAME_SECONDS, (last + 1) * FRAME_SECONDS
    if end - begin >= MIN_UNSCRIPTED_SECONDS:
        parts.append(Unmatched("audio", "(sound with no script)", round(begin, 3), round(end, 3)))
