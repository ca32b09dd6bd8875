"""Parse ffmpeg's ``-progress`` key=value stream and draw a one-line progress bar."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from captions.timecodes import format_clock, parse_ffmpeg_time

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

    @property
    def eta(self) -> float | None:
        """Return the wall seconds still to go; None when that cannot be estimated."""
        if self.done:
            return 0.0
        if self.total is None or not self.total > 0:
            return None
        remaining = max(0.0, self.total - self.seconds)
        if self.speed is not None and self.speed > 0:
            return remaining / self.speed
        # ffmpeg reports speed N/A or 0x early on; fall back to the rate so far.
        if self.elapsed is not None and self.elapsed > 0 and self.seconds > 0:
            return remaining * self.elapsed / self.seconds
        return None


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




def render_line(label: str, progress: Progress, width: int = 20) -> str:
    """Return one bar line such as ``clip.mp4  [####----]  50%  0:16 / 0:32  ETA 0:08``."""
    parts = [label] if label else []
    fraction = progress.fraction
    if fraction is not None:
        filled = round(fraction * width)
        parts.append("[" + "#" * filled + "-" * (width - filled) + "]")
        parts.append(f"{fraction * 100:3.0f}%")
        parts.append(f"{format_clock(progress.seconds)} / {format_clock(progress.total or 0)}")
    else:
        parts.append(format_clock(progress.seconds))
    eta = progress.eta
    if eta is not None:
        parts.append(f"ETA {format_clock(math.ceil(eta))}")
    elif progress.speed is not None:
        parts.append(f"{progress.speed:.2f}x")
    return "  ".join(parts)


class ProgressBar:
    """A single updating terminal line; silent unless the stream is a terminal or forced."""

    def __init__(self, label: str = "", stream: TextIO | None = None,
                 force: bool | None = None, width: int = 20, interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = force if force is not None else _is_terminal(self.stream)
        self.width = width
        self.interval = interval
        self._clock = clock
        self._drawn_at: float | None = None
        self._drawn_width = 0
        self._pending: Progress | None = None
        self._closed = False

    def update(self, progress: Progress) -> None:
        """Redraw the line for ``progress``, at most once per ``interval`` unless it is done."""
        if not self.enabled or self._closed:
            return
        now = self._clock()
        # Redrawing on every report makes a slow terminal the bottleneck.
        if (not progress.done and self._drawn_at is not None
                and now - self._drawn_at < self.interval):
            self._pending = progress
            return
        self._draw(progress, now)

    def close(self) -> None:
        """Draw the latest report still waiting and end the line; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if not self.enabled:
            return
        if self._pending is not None:
            self._draw(self._pending, self._clock())
        if self._drawn_at is not None:
            self.stream.write("\n")
            self.stream.flush()

    def __call__(self, progress: Progress) -> None:
        """Same as ``update``, so the bar itself can be passed as ``on_progress``."""
        self.update(progress)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _draw(self, progress: Progress, now: float) -> None:
        line = render_line(self.label, progress, self.width)
        # Pad over the previous line's tail: \r only moves the cursor back.
        padding = " " * max(0, self._drawn_width - len(line))
        self.stream.write("\r" + line + padding)
        self.stream.flush()
        self._drawn_at = now
        self._drawn_width = len(line)
        self._pending = None


def _float_or_none(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        return False
