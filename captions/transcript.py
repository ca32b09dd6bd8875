"""Turn cues into plain text and readable transcript paragraphs."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .models import Cue, TranscriptParagraph

# tags start with a letter or "/", or are timestamps such as <00:00:01.000>;
# anything else, like the "2<3,5>1" of a plain SRT line, is text
_TAG = re.compile(r"<(?:/?[A-Za-z][^<>]*|/?|\d[\d:.]*)>")
# SRT files written by Aegisub and friends carry ASS overrides like {\an8}
_ASS_OVERRIDE = re.compile(r"\{\\[^}]*\}")
_VOICE = re.compile(r"<v(?:\.[^\s>.]+)*\s+([^>]*)>")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»]*$")
# direction marks decoded from &lrm; and &rlm; are invisible on their own
_INVISIBLE = " \u200e\u200f"


def cue_plain_text(text: str) -> str:
    """Return cue text without tags, with entities decoded and spaces collapsed."""
    text = _ASS_OVERRIDE.sub("", _TAG.sub("", text))
    # unescape after removing tags, so an escaped "&lt;b&gt;" stays as text
    return " ".join(html.unescape(text).split())


def cue_speaker(text: str) -> str | None:
    """Return the name in the first <v Name> voice tag of cue text, or None."""
    match = _VOICE.search(text)
    if not match:
        return None
    name = " ".join(html.unescape(match[1]).split())
    return name or None


@dataclass
class _Draft:
    """A paragraph being built from consecutive cues."""

    start: float
    end: float
    speaker: str | None
    parts: list[str] = field(default_factory=list)

    @property
    def length(self) -> int:
        """Return the length of the joined text."""
        return sum(len(part) for part in self.parts) + len(self.parts) - 1


def build_transcript(cues: Iterable[Cue], max_chars: int = 400,
                     gap: float = 2.0) -> list[TranscriptParagraph]:
    """Return paragraphs of plain cue text, split at speakers, pauses and length."""
    drafts: list[_Draft] = []
    speaker: str | None = None
    previous_text = ""
    for cue in cues:
        text = cue_plain_text(cue.text)
        if not text.strip(_INVISIBLE):
            continue
        # captioners tag a voice when it changes, so untagged cues keep the last one
        speaker = cue_speaker(cue.text) or speaker
        current = drafts[-1] if drafts else None
        full_text = text
        if current is not None and speaker == current.speaker:
            if text == previous_text:
                current.end = max(current.end, cue.end)
                continue
            # roll-up captions repeat the previous line before adding a new one
            if previous_text and text.startswith(previous_text + " "):
                text = text[len(previous_text) + 1:]
        previous_text = full_text
        if current is None or _starts_paragraph(current, cue, speaker, max_chars, gap):
            drafts.append(_Draft(cue.start, cue.end, speaker, [text]))
        else:
            current.parts.append(text)
            current.end = max(current.end, cue.end)
    return _paragraphs(drafts)


def _starts_paragraph(current: _Draft, cue: Cue, speaker: str | None,
                      max_chars: int, gap: float) -> bool:
    """Return whether a cue should start a new paragraph after the current one."""
    return (speaker != current.speaker
            or cue.start - current.end > gap
            or (current.length >= max_chars
                and bool(_SENTENCE_END.search(current.parts[-1]))))


def _paragraphs(drafts: list[_Draft]) -> list[TranscriptParagraph]:
    """Return finished paragraphs, naming a speaker when the voice changes."""
    paragraphs = []
    previous_speaker: str | None = None
    for draft in drafts:
        text = " ".join(draft.parts)
        if draft.speaker and draft.speaker != previous_speaker:
            text = f"{draft.speaker}: {text}"
        previous_speaker = draft.speaker
        paragraphs.append(TranscriptParagraph(draft.start, draft.end, text))
    return paragraphs


def format_clock(seconds: float) -> str:
    """Return a clock reading such as "0:32", "1:05" or "1:02:03", seconds floored."""
    total = max(0, math.floor(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"
