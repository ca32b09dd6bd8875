"""The stored transcript and tracks of a clip: paragraphs, chapter sections, WebVTT tracks.

Part of the stored article (``articles.document``), which re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from articles.document_json import Fields


@dataclass(frozen=True)
class StoredParagraph:
    """A transcript paragraph: speech or a description, its speaker and time span."""

    start: float
    end: float
    text: str
    speaker: str | None
    kind: str                        # "speech" or "description"

    def to_json(self) -> dict:
        """Return the object stored in the document."""
        return {"start": self.start, "end": self.end, "text": self.text, "speaker": self.speaker,
                "kind": self.kind}

    @classmethod
    def from_json(cls, data: object, slug: str | None = None, place: str = "") -> StoredParagraph:
        """Return the paragraph stored as ``data``; an odd field raises DocumentError."""
        fields = Fields(data, slug, place)
        return cls(fields.number("start"), fields.number("end"), fields.text("text"),
                   fields.text("speaker", nullable=True), fields.text("kind"))


@dataclass(frozen=True)
class StoredSection:
    """The transcript paragraphs under one chapter title; those before the first have none."""

    title: str | None
    start: float
    paragraphs: tuple[StoredParagraph, ...]

    def to_json(self) -> dict:
        """Return the object stored in the document."""
        return {"title": self.title, "start": self.start,
                "paragraphs": [paragraph.to_json() for paragraph in self.paragraphs]}

    @classmethod
    def from_json(cls, data: object, slug: str | None = None, place: str = "") -> StoredSection:
        """Return the section stored as ``data``; an odd field raises DocumentError."""
        fields = Fields(data, slug, place)
        return cls(fields.text("title", nullable=True), fields.number("start"),
                   fields.objects("paragraphs", StoredParagraph.from_json))


@dataclass(frozen=True)
class StoredChapter:
    """One chapter of a chapters track: its title and time span."""

    start: float
    end: float
    title: str

    def to_json(self) -> dict:
        """Return the object stored in the document."""
        return {"start": self.start, "end": self.end, "title": self.title}

    @classmethod
    def from_json(cls, data: object, slug: str | None = None, place: str = "") -> StoredChapter:
        """Return the chapter stored as ``data``; an odd field raises DocumentError."""
        fields = Fields(data, slug, place)
        return cls(fields.number("start"), fields.number("end"), fields.text("title"))


@dataclass(frozen=True)
class StoredTrack:
    """A WebVTT track of the clip, with its transcript or chapter list where ingest made one."""

    src: str
    kind: str                        # captions, subtitles, descriptions or chapters
    language: str
    direction: str                   # "ltr" or "rtl"
    label: str
    default: bool
    # None where the document has none, unlike an empty transcript: captions
    # always have one, even when none of their cues shows any text.
    transcript: tuple[StoredSection, ...] | None = None
    chapters: tuple[StoredChapter, ...] | None = None
    # Published unreviewed from speech recognition (``automatic: true`` in the bundle).
    automatic: bool = False

    def to_json(self) -> dict:
        """Return the object stored in the document."""
        data = {"src": self.src, "kind": self.kind, "language": self.language,
                "dir": self.direction, "label": self.label, "default": self.default}
        if self.automatic:
            # Written only when true, so that other documents stay as they were.
            data["automatic"] = True
        if self.transcript is not None:
            data["transcript"] = [section.to_json() for section in self.transcript]
        if self.chapters is not None:
            data["chapters"] = [chapter.to_json() for chapter in self.chapters]
        return data

    @classmethod
    def from_json(cls, data: object, slug: str | None = None, place: str = "") -> StoredTrack:
        """Return the track stored as ``data``; an odd field raises DocumentError."""
        fields = Fields(data, slug, place)
        return cls(fields.text("src"), fields.text("kind"), fields.text("language"),
                   fields.text("dir"), fields.text("label"), fields.flag("default"),
                   fields.objects("transcript", StoredSection.from_json, default=None),
                   fields.objects("chapters", StoredChapter.from_json, default=None),
                   # Documents from before automatic tracks have none.
                   fields.flag("automatic", default=False))
