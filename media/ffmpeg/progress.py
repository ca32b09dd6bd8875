"""Parse ffmpeg's ``-progress`` key=value stream into Progress reports."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from captions.timecodes import parse_ffmpeg_time

# ffmpeg names these "_ms" but, for historical reasons, prints microseconds in
# both; out_time is the same instant as HH:MM:SS.ffffff.
_MICROSECOND_KEYS = ("out_time_us", "out_time_ms")


@dataclass(frozen=True)
class Progress:
    """One progress report of a running ffmpeg: output time so far, of how much."""

    seconds: float               # output time written so far
    total: float | None          # expected output duration, when the caller knows it
    speed: float | None          # media seconds per wall second, as ffmpeg reports it
    done: bool                   # ffmpeg printed progress=end
    elapsed: float | None = None  # wall seconds since the run started

    @property
    def fraction(self) -> float | None:
        """Return how much is done, from 0 to 1; None when the total is unknown."""
        if self.total is None or not self.total > 0:
            return None
        if self.done:
            return 1.0
        return min(1.0, max(0.0, self.seconds / self.total))


def parse_speed(text: str) -> float | None:
    """Return the factor of ``"2.01x"``; None for ``N/A`` or anything unreadable."""
    text = text.strip().removesuffix("x").strip()
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class ProgressParser:
    """Turn ffmpeg ``-progress`` lines into a Progress at each ``progress=`` line."""

    def __init__(self, total: float | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.total = total
        self._clock = clock
        self._started = clock()
        self._seconds = 0.0
        self._speed: float | None = None

    def feed(self, line: str) -> Progress | None:
        """Take one line; return a Progress when it closes a block, else None."""
        key, sep, value = line.strip().partition("=")
        if not sep:
            return None
        key, value = key.strip(), value.strip()
        if key in _MICROSECOND_KEYS:
            self._take_seconds(_float_or_none(value), scale=1e-6)
        elif key == "out_time":
            self._take_seconds(parse_ffmpeg_time(value))
        elif key == "speed":
            self._speed = parse_speed(value)
        elif key == "progress":
            return Progress(seconds=self._seconds, total=self.total, speed=self._speed,
                            done=value == "end", elapsed=self._clock() - self._started)
        return None

    def _take_seconds(self, value: float | None, scale: float = 1.0) -> None:
        # N/A and the negative times ffmpeg prints before the first packet
        # keep the last good value, so reported time never runs backwards.
        if value is not None and value >= 0:
            self._seconds = max(self._seconds, value * scale)




def _float_or_none(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
