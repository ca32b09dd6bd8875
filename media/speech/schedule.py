"""Where each spoken description goes: in the pauses of the programme, or in a held frame.

Pure arithmetic over times in seconds, so every rule is tested without
espeak-ng or ffmpeg. A description is spoken from its cue's start. The time
it has, its window, ends at the next speech (a caption cue) or the next
description or the end of the clip; without captions, the speech is unknown
and the cue's own end bounds it too. A description longer than its window
overlaps speech in the standard version, which keeps the clip's timing; the
extended version (WCAG 1.2.7) holds the frame at the window's end until the
description has been said.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from captions.models import Cue
from media.speech.errors import DescriptionsError

DUCK_DB = 15.0      # the programme under a description: the issue asks for at least 10 dB
ATTACK = 0.15       # seconds the programme takes to go down, before the voice starts
RELEASE = 0.3       # seconds it takes to come back after the voice ends; 0.5 s is allowed
GAP = 0.1           # seconds between two descriptions that would otherwise touch
HOLD_MARGIN = 0.25  # seconds of held frame after a description, before the programme goes on


@dataclass(frozen=True)
class Description:
    """One description to speak: its text as said aloud, its cue's times and source line."""

    text: str
    start: float
    end: float
    line: int | None = None


@dataclass(frozen=True)
class Placement:
    """Where one description is spoken, in both versions, and how it fits."""

    description: Description
    window: float       # seconds free for the voice from the cue's start
    speed: int          # words a minute
    length: float       # seconds of voice
    start: float        # when the voice starts in the standard version
    hold: float         # seconds the extended version holds the frame for it; 0 when it fits

    @property
    def hold_at(self) -> float:
        """Return the time of the clip at which the extended version holds its frame."""
        return self.description.start + self.window

    @property
    def fits(self) -> bool:
        """Return True when the voice ends before the next speech in the standard version."""
        return self.hold == 0

    def to_json(self) -> dict:
        """Return the fields ``python -m media describe --json`` prints for it."""
        return {"line": self.description.line, "text": self.description.text,
                "start": round(self.start, 3), "window": round(self.window, 3),
                "length": round(self.length, 3), "speed": self.speed, "fits": self.fits,
                "hold": round(self.hold, 3)}


def check_descriptions(cues: Sequence[Cue], path=None) -> None:
    """Refuse cues that overlap: two descriptions cannot be spoken at once.

    :raises DescriptionsError: naming the line of the first cue that starts
        before the one before it has ended.
    """
    ordered = sorted(cues, key=lambda cue: (cue.start, cue.end))
    for before, cue in itertools.pairwise(ordered):
        if cue.start < before.end:
            raise DescriptionsError(
                f"description cue starts at {cue.start:.3f} s, before the one before it ends "
                f"({before.end:.3f} s): descriptions cannot overlap", path, cue.line)


def windows(descriptions: Sequence[Description], speech: Sequence[tuple[float, float]] | None,
            duration: float) -> list[float]:
    """Return the seconds each description has before something else must be heard."""
    result = []
    for index, description in enumerate(descriptions):
        end = duration
        if index + 1 < len(descriptions):
            end = min(end, descriptions[index + 1].start)
        if speech is None:
            end = min(end, description.end)
        else:
            for start, stop in speech:
                if stop > description.start:
                    # speech already under way at the cue's start leaves no window
                    end = min(end, max(start, description.start))
        result.append(max(0.0, end - description.start))
    return result


def place(descriptions: Sequence[Description], windows_: Sequence[float],
          spoken: Sequence[tuple[float, int]]) -> list[Placement]:
    """Return each description's placement, from its window and its (length, speed) as spoken.

    In the standard version a voice starts at its cue, or just after the
    voice before it where that one ran long: two voices never overlap.
    """
    placements = []
    free_from = -math.inf
    for description, window, (length, speed) in zip(descriptions, windows_, spoken, strict=True):
        start = max(description.start, free_from + GAP)
        overrun = length - window
        hold = overrun + HOLD_MARGIN if overrun > 0 else 0.0
        placements.append(Placement(description, window, speed, length, start, hold))
        free_from = start + length
    return placements


def extended_time(placements: Sequence[Placement], time: float, after_hold: bool = True) -> float:
    """Return where ``time`` of the clip falls in the extended version.

    A moment at a hold point comes after the hold when ``after_hold`` (a
    start) and before it otherwise (an end).
    """
    held = sum(p.hold for p in placements
               if p.hold and (p.hold_at <= time if after_hold else p.hold_at < time))
    return time + held


def extended_duration(placements: Sequence[Placement], duration: float) -> float:
    """Return the length of the extended version of a clip of ``duration`` seconds."""
    return duration + sum(p.hold for p in placements)


def voice_spans(placements: Sequence[Placement], extended: bool) -> list[tuple[float, float]]:
    """Return the (start, end) of each voice in the standard or the extended version."""
    spans = []
    for index, p in enumerate(placements):
        start = p.start
        if extended:
            # After the holds of the descriptions before it, but not after its
            # own: one with no window holds at its cue's start, and is said
            # while that frame is held, not after it over the speech.
            start = p.description.start + sum(
                q.hold for q in placements[:index] if q.hold_at <= p.description.start)
        spans.append((start, start + p.length))
    return spans


def duck_spans(voices: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Return the voices' spans merged where the programme would barely come back between them."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(voices):
        if merged and start - merged[-1][1] < ATTACK + RELEASE:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def duck_expression(spans: Sequence[tuple[float, float]], depth_db: float = DUCK_DB) -> str:
    """Return an ffmpeg expression of t: the programme's gain, lowered under each span.

    The gain falls linearly over ATTACK before a span, stays ``depth_db``
    down through it and rises over RELEASE after it.
    """
    if not spans:
        return "1"
    ramps = [f"clip(min((t-{start - ATTACK:.3f})/{ATTACK},({end + RELEASE:.3f}-t)/{RELEASE}),0,1)"
             for start, end in spans]
    deepest = ramps[0]
    for ramp in ramps[1:]:
        deepest = f"max({deepest},{ramp})"
    floor = 10 ** (-depth_db / 20)
    return f"1-{1 - floor:.6f}*{deepest}"
