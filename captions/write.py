"""Write a CaptionTrack as a WebVTT document for the browser's <track>."""

from __future__ import annotations

import math
import re

from webvtt.errors import MalformedCaptionError
from webvtt.models import CueSettings

from .models import CaptionTrack, Cue

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def format_timestamp(seconds: float) -> str:
    """Return seconds as a WebVTT timestamp such as "00:01:02.345".

    :raises ValueError: if seconds is not a finite number
    """
    if not math.isfinite(seconds):
        raise ValueError(f"cannot write {seconds!r} seconds as a timestamp")
    # halves round up, as webvtt-py does, rather than to the even millisecond
    total = max(0, math.floor(seconds * 1000 + 0.5))
    hours, rest = divmod(total, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def to_webvtt(track: CaptionTrack) -> str:
    """Return the cues of a track as a WebVTT document ending in one newline."""
    blocks = ["WEBVTT", *(_cue_block(cue) for cue in track.cues)]
    return "\n\n".join(blocks) + "\n"


def _cue_block(cue: Cue) -> str:
    """Return the identifier, timings and text lines of one cue."""
    lines = []
    identifier = _identifier(cue.identifier)
    if identifier:
        lines.append(identifier)
    timings = f"{format_timestamp(cue.start)} --> {format_timestamp(cue.end)}"
    settings = _valid_settings(cue.settings)
    lines.append(f"{timings} {settings}" if settings else timings)
    for line in _LINE_BREAK.split(cue.text):
        # an empty line would end the cue and "-->" would start another;
        # the escaped arrow still reads "-->" on screen
        if line.strip():
            lines.append(line.replace("-->", "--&gt;"))
    return "\n".join(lines)


def _valid_settings(settings: str) -> str:
    """Return the cue settings a WebVTT parser applies, in their written order.

    Browsers ignore an unknown, invalid or repeated setting, so writing it
    would only make the file fail strict checks.
    """
    kept: list[str] = []
    names: set[str] = set()
    for setting in settings.split():
        name = setting.split(":", 1)[0]
        if name in names or "-->" in setting:
            continue
        try:
            CueSettings.from_string(setting, strict=True)
        except MalformedCaptionError:
            continue
        names.add(name)
        kept.append(setting)
    return " ".join(kept)


def _identifier(identifier: str | None) -> str | None:
    """Return an identifier WebVTT can hold on its one line, or None."""
    if not identifier:
        return None
    identifier = " ".join(_LINE_BREAK.split(identifier)).strip()
    # identifiers have no escapes, so one with an arrow cannot be written
    if not identifier or "-->" in identifier:
        return None
    return identifier
