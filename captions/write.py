"""Write a CaptionTrack as a WebVTT document for the browser's <track>."""

from __future__ import annotations

import html
import re

from webvtt.errors import MalformedCaptionError
from webvtt.models import CueSettings

from captions.models import CaptionTrack, Cue
from captions.timecodes import format_srt_timestamp, format_timestamp

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# every WebVTT tag except <b>, <i>, <u> and their end tags, with any classes
_SRT_DROPPED_TAG = re.compile(r"<(?!/?[biu](?:\.[^<>]*)?>)(?:/?[A-Za-z][^<>]*|\d[\d:.]*)>")
_SRT_VOICE = re.compile(r"<v(?:\.[^\s<>]*)?(?:[ \t]([^<>]*))?>")
_SRT_CLASSES = re.compile(r"<(/?[biu])\.[^<>]*>")


def to_webvtt(track: CaptionTrack) -> str:
    """Return the track as canonical WebVTT: sorted cues, ids, settings and markup kept.

    Canonical means UTF-8 text without a byte order mark, LF line ends and
    one newline at the end; the caller encodes it.
    """
    blocks = ["WEBVTT", *(_cue_block(cue) for cue in sorted_cues(track))]
    return "\n\n".join(blocks) + "\n"


def to_srt(track: CaptionTrack) -> str:
    """Return the track as SubRip text: numbered sorted cues, only <b> <i> <u> kept.

    SRT has no voices, classes, ruby, settings or character references, so
    those tags are dropped and references decoded; the words all stay, and a
    voice becomes a "Name: " prefix.
    """
    blocks = []
    for number, cue in enumerate(sorted_cues(track), 1):
        times = f"{format_srt_timestamp(cue.start)} --> {format_srt_timestamp(cue.end)}"
        lines = [_srt_text(line) for line in _LINE_BREAK.split(cue.text)]
        blocks.append("\n".join([str(number), times, *(line for line in lines if line.strip())]))
    return "\n\n".join(blocks) + "\n"


def sorted_cues(track: CaptionTrack) -> list[Cue]:
    """Return the cues in time order; cues starting together keep their file order."""
    return sorted(track.cues, key=lambda cue: (cue.start, cue.end))


def _srt_text(line: str) -> str:
    """Return one line of cue text with only the tags SRT players know."""
    # SRT has no voices; "Name: " is how SRT files usually name a speaker
    line = _SRT_VOICE.sub(lambda m: f"{name}: " if (name := (m[1] or "").strip()) else "", line)
    line = _SRT_CLASSES.sub(r"<\1>", _SRT_DROPPED_TAG.sub("", line))
    # "-->" on a text line would read as timings to an SRT parser
    return html.unescape(line).replace("-->", "->")


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
