"""Find where a clip has sound, so captions can be checked for speech left uncaptioned.

ffmpeg's silencedetect filter reports the silent stretches of the first
audio stream; the sound is everything in between. Sound is not speech
(music and ambience count too), which is why a stretch without captions
is only ever a warning for whoever checks the captions.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from media.ffmpeg import tools
from media.ffmpeg.commands import silencedetect_command
from media.ffmpeg.info import VideoInfo
from media.ffmpeg.run import run_tool, timeout_for

NOISE_DB = -35.0
MIN_SILENCE = 0.5

# silencedetect logs "[silencedetect @ 0x...] silence_start: 1.5" and
# "silence_end: 3.25 | silence_duration: 1.75"; the numbers may be negative
# (encoder priming) or in exponent form
_EVENT = re.compile(r"\bsilence_(start|end): *([-+0-9.eE]+|[-+]?inf|nan)")


def parse_silences(stderr: str, duration: float) -> list[tuple[float, float]]:
    """Return the silent stretches silencedetect logged, clipped to [0, duration], in order.

    A silence still open when the log ends lasts until ``duration``.
    """
    silences: list[tuple[float, float]] = []
    start: float | None = None
    for kind, value in _EVENT.findall(stderr):
        try:
            seconds = min(max(float(value), 0.0), duration)
        except ValueError:
            continue
        if math.isnan(seconds):
            continue
        if kind == "start":
            # a second start before an end cannot happen; keep the first
            start = seconds if start is None else start
        elif start is not None:
            if seconds > start:
                silences.append((start, seconds))
            start = None
    if start is not None and duration > start:
        silences.append((start, duration))
    return silences


def sound_stretches(path: Path | str, info: VideoInfo, noise_db: float = NOISE_DB,
                    min_silence: float = MIN_SILENCE) -> list[tuple[float, float]]:
    """Return the (start, end) seconds of ``path`` with sound; [] without audio.

    :raises MediaError: when ffmpeg cannot read the audio.
    """
    if not info.has_audio:
        return []
    duration = info.duration
    argv = silencedetect_command(tools.ffmpeg(), path, noise_db, min_silence)
    result = run_tool(argv, path, "could not detect sound", timeout=timeout_for(duration))
    # no silence logged at all means sound from start to end
    return sound_between(parse_silences(result.stderr, duration), duration)


def sound_between(silences: list[tuple[float, float]],
                  duration: float) -> list[tuple[float, float]]:
    """Return the stretches of [0, duration] outside the given sorted silences."""
    stretches: list[tuple[float, float]] = []
    position = 0.0
    for start, end in silences:
        if start > position:
            stretches.append((position, start))
        position = max(position, end)
    if duration > position:
        stretches.append((position, duration))
    return stretches
