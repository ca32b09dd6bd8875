"""Frozen dataclasses passed between the captions modules and their callers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Cue:
    """One timed caption: times in seconds, raw cue text with its tags.

    ``line`` is the 1-based line of the cue's timings in its source file, so
    checks can point at it; ``settings`` is the WebVTT cue settings text,
    such as "line:0 align:start", kept as written.
    """

    start: float
    end: float
    text: str
    identifier: str | None = None
    # where a cue was written is not part of what it is
    line: int | None = field(default=None, compare=False)
    settings: str = ""


@dataclass(frozen=True)
class CaptionTrack:
    """The cues of one caption file, how it was decoded and what looked wrong.

    ``cues`` holds the cues with text to show; ``empty_cues`` the ones left
    out for having none, kept so quality checks can point at their lines.
    """

    path: Path
    format: str  # 'vtt', 'srt' or 'sbv'
    cues: tuple[Cue, ...]
    encoding: str
    warnings: tuple[str, ...] = ()
    empty_cues: tuple[Cue, ...] = ()

    @property
    def duration(self) -> float:
        """Return the time in seconds when the last cue ends, 0 with no cues."""
        return max((cue.end for cue in self.cues), default=0.0)


@dataclass(frozen=True)
class TranscriptParagraph:
    """A readable paragraph of plain cue text with the time span it covers."""

    start: float
    end: float
    text: str
