"""Turn cues into plain text, readable transcript paragraphs and whole transcripts."""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from captions.models import Cue, TranscriptParagraph
from captions.timecodes import format_clock, iso_duration
from captions.tracks import check_language, text_direction

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


SPEECH = "speech"
DESCRIPTION = "description"


@dataclass(frozen=True)
class TranscriptBlock:
    """A paragraph of speech, or one of described action, with its time span."""

    start: float
    end: float
    text: str
    speaker: str | None = None
    kind: str = SPEECH  # SPEECH or DESCRIPTION


@dataclass(frozen=True)
class TranscriptSection:
    """The blocks under one chapter heading; cues before the first chapter have no title."""

    title: str | None
    start: float
    paragraphs: tuple[TranscriptBlock, ...]


@dataclass(frozen=True)
class Transcript:
    """A whole transcript: speech and descriptions in time order, in chapter sections."""

    sections: tuple[TranscriptSection, ...]


@dataclass
class _Draft:
    """A paragraph being built from consecutive cues."""

    start: float
    end: float
    speaker: str | None
    parts: list[str] = field(default_factory=list)
    kind: str = SPEECH
    section: int = 0

    @property
    def length(self) -> int:
        """Return the length of the joined text."""
        return sum(len(part) for part in self.parts) + len(self.parts) - 1


def build_transcript(cues: Iterable[Cue], max_chars: int = 400,
                     gap: float = 2.0) -> list[TranscriptParagraph]:
    """Return paragraphs of plain cue text, split at speakers, pauses and length."""
    return _paragraphs(_drafts(((SPEECH, cue) for cue in cues), max_chars, gap))


def build_full_transcript(captions: Sequence[Cue], descriptions: Sequence[Cue] = (),
                          chapters: Sequence[Cue] = (), gap: float = 2.0,
                          max_chars: int = 400) -> Transcript:
    """Return captions and descriptions merged in time order, in a section per chapter.

    Paragraphs split at speakers, pauses over ``gap`` seconds, chapter starts,
    and after a sentence once ``max_chars`` long.
    """
    titled = sorted(((chapter.start, cue_plain_text(chapter.text)) for chapter in chapters),
                    key=lambda item: item[0])
    titled = [(start, title) for start, title in titled if title.strip(_INVISIBLE)]
    starts = [start for start, _ in titled]
    # a description shown as a caption starts is read before the words over it
    merged = sorted([(DESCRIPTION, cue) for cue in descriptions]
                    + [(SPEECH, cue) for cue in captions],
                    key=lambda item: (item[1].start, item[0] == SPEECH))
    # section 0 holds what comes before the first chapter
    drafts = _drafts(merged, max_chars, gap, lambda start: bisect_right(starts, start))
    blocks: list[list[TranscriptBlock]] = [[] for _ in range(len(titled) + 1)]
    for draft in drafts:
        blocks[draft.section].append(TranscriptBlock(
            draft.start, draft.end, " ".join(draft.parts), draft.speaker, draft.kind))
    sections = [TranscriptSection(title, start, tuple(found))
                for (start, title), found in zip([(0.0, None), *titled], blocks, strict=False)]
    if not sections[0].paragraphs:
        sections.pop(0)
    return Transcript(tuple(sections))


def _drafts(cues: Iterable[tuple[str, Cue]], max_chars: int, gap: float,
            section_of: Callable[[float], int] = lambda start: 0) -> list[_Draft]:
    """Return drafts of paragraphs from (kind, cue) pairs in time order."""
    drafts: list[_Draft] = []
    speaker: str | None = None
    previous_text = ""
    last_speech: _Draft | None = None
    for kind, cue in cues:
        text = cue_plain_text(cue.text)
        if not text.strip(_INVISIBLE):
            continue
        current = drafts[-1] if drafts else None
        if kind == SPEECH:
            # captioners tag a voice when it changes, so untagged cues keep the last one
            speaker = cue_speaker(cue.text) or speaker
            full_text = text
            if last_speech is not None and speaker == last_speech.speaker:
                if text == previous_text:
                    if last_speech is current:
                        current.end = max(current.end, cue.end)
                    continue
                # roll-up captions repeat the previous line before adding a new one
                if previous_text and text.startswith(previous_text + " "):
                    text = text[len(previous_text) + 1:]
            previous_text = full_text
        section = section_of(cue.start)
        voice = speaker if kind == SPEECH else None
        if (current is None or current.kind != kind or current.section != section
                or _starts_paragraph(current, cue, voice, max_chars, gap)):
            drafts.append(_Draft(cue.start, cue.end, voice, [text], kind, section))
            if kind == SPEECH:
                last_speech = drafts[-1]
        else:
            current.parts.append(text)
            current.end = max(current.end, cue.end)
    return drafts


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


def _shown(section: TranscriptSection) -> Iterator[tuple[TranscriptBlock, str | None]]:
    """Yield each block with the speaker to name before it: at a change of voice."""
    # naming again in each section helps people who jump to a chapter
    previous: str | None = None
    for block in section.paragraphs:
        name = None
        if block.kind == SPEECH:
            name = block.speaker if block.speaker != previous else None
            previous = block.speaker
        yield block, name


def _bracketed(text: str) -> str:
    """Return description text in brackets, once."""
    return text if text.startswith("[") and text.endswith("]") else f"[{text}]"


def _width(text: str) -> int:
    """Return how many monospace columns text takes, wide East Asian letters counting two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def transcript_text(transcript: Transcript) -> str:
    """Return the transcript as plain text: underlined chapter titles, timed paragraphs."""
    blocks: list[str] = []
    for section in transcript.sections:
        if section.title:
            blocks.append(f"{section.title}\n{'=' * _width(section.title)}")
        for block, name in _shown(section):
            text = _bracketed(block.text) if block.kind == DESCRIPTION else block.text
            blocks.append(f"{format_clock(block.start)} {f'{name}: ' if name else ''}{text}")
    return "\n\n".join(blocks) + "\n" if blocks else ""


def transcript_html(transcript: Transcript, lang: str | None = None) -> str:
    """Return the transcript as an HTML fragment: a <section> per chapter, all text escaped.

    :raises CaptionError: when ``lang`` is not a valid language tag.
    """
    language = ""
    if lang is not None:
        tag = check_language(lang)
        language = f' lang="{html.escape(tag)}" dir="{text_direction(tag)}"'
    out: list[str] = []
    for section in transcript.sections:
        out.append(f'<section class="app-transcript__section"{language}>')
        if section.title:
            out.append(f'<h3 class="app-transcript__chapter">{html.escape(section.title)}</h3>')
        for block, name in _shown(section):
            time = (f'<time class="app-transcript__time" datetime="{iso_duration(block.start)}">'
                    f"{format_clock(block.start)}</time> ")
            if block.kind == DESCRIPTION:
                out.append(f'<p class="app-transcript__description">{time}'
                           f"{html.escape(_bracketed(block.text))}</p>")
                continue
            voice = f'<b class="app-transcript__speaker">{html.escape(name)}:</b> ' if name else ""
            out.append(f'<p class="app-transcript__paragraph">{time}{voice}'
                       f"{html.escape(block.text)}</p>")
        out.append("</section>")
    return "\n".join(out)


def transcript_json(transcript: Transcript) -> dict:
    """Return the transcript as plain dicts, lists and numbers, ready for json.dumps."""
    return {"sections": [
        {"title": section.title, "start": section.start,
         "paragraphs": [{"start": block.start, "end": block.end, "text": block.text,
                         "speaker": block.speaker, "kind": block.kind}
                        for block in section.paragraphs]}
        for section in transcript.sections]}
