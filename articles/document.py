"""The stored article: frozen dataclasses that ingest saves as JSON and every reader loads.

``to_json()`` writes the document the library stores and ``from_json()``
reads it back as it was, so a round trip leaves the JSON text unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from articles.document_json import DocumentError, Fields
from articles.document_tracks import (
    StoredChapter,
    StoredParagraph,
    StoredSection,
    StoredTrack,
)

__all__ = ["DocumentError", "Rendition", "SocialImage", "StoredArticle", "StoredChapter",
           "StoredDescribed", "StoredImage", "StoredParagraph", "StoredPoster", "StoredSection",
           "StoredSource", "StoredTrack", "StoredVideo", "Translation"]


@dataclass(frozen=True)
class Rendition:
    """One size and format of a photo or of a poster frame, by its media name."""

    src: str
    width: int
    height: int
    media_type: str

    def to_json(self) -> dict:
        """Return the object stored in the document."""
        return {"src": self.src, "width": self.width, "height": self.height, "type": self.media_type}

    @classmethod
    def from_json(cls, data: object, slug: str | None = None, place: str = "") -> Rendition:
        """Return the rendition stored as ``data``; an odd field raises DocumentError."""
        fields = Fields(data, slug, place)
        return cls(fields.text("src"), fields.whole("width"), fields.whole("height"),
                   fields.text("type"))


@dataclass(frozen=True)
class StoredImage:
    """A credited photo of the article and its renditions."""

    alt: str
    caption: str | None
    credit: str
    creator: str | None
    copyright: str | None
    renditions: tuple[Rendition, ...]

    def to_json(self) -> dict:
        """Return the object stored in the document."""
        return {"alt": self.alt, "caption": self.caption, "credit": self.credit,
                "creator": self.creator, "copyright": self.copyright,
                "renditions": [rendition.to_json() for rendition in self.renditions]}

    @classmethod
    def from_json(cls, data: object, slug: str | None = None, place: str = "") -> StoredImage:
        """Return the photo stored as ``data``; an odd field raises DocumentError."""
        fields = Fields(data, slug, place)
        return cls(fields.text("alt"), fields.text("caption", nullable=True), fields.text("credit"),
                   fields.text("creator", nullable=True), fields.text("copyright", nullable=True),
                   fields.objects("renditions", Rendition.from_json))


@dataclass(frozen=True)
class SocialImage:
    """The 1200x630 sharing card of an article."""

    src: str
    width: int
    height: int

    def to_json(self) -> dict:
        """Return the object stored in the document."""
        return {"src": self.src, "width": self.width, "height": self.height}

    @classmethod
    def from_json(cls, data: object, slug: str | None = None, place: str = "") -> SocialImage:
        """Return the sharing card stored as ``data``; an odd field raises DocumentError."""
        fields = Fields(data, slug, place)
        return cls(fields.text("src"), fields.whole("width"), fields.whole("height"))


@dataclass(frozen=True)
class Translation:
    """Another language version of an article: its language tag and slug."""

    language: str
    slug: str

    def to_json(self) -> dict:
        """Return the object stored in the document."""
        return {"language": self.language, "slug": self.slug}

    @classmethod
    def from_json(cls, data: object, slug: str | None = None, place: str = "") -> Translation:
        """Return the version stored as ``data``; an odd field raises DocumentError."""
        fields = Fields(data, slug, place)
        return cls(fields.text("language"), fields.text("slug"))


@dataclass(frozen=True)
class StoredSource:
    """One playable file of the clip: the main MP4 or M4A, a smaller rendition, a WebM."""

    src: str
    media_type: str
    width: int | None
    height: int | None
    size: int
    codec: str | None

    def to_json(self) -> dict:
        """Return the object stored in the document."""
        return {"src": self.src, "type": self.media_type, "width": self.width,
                "height": self.height, "size": self.size, "codec": self.codec}

    @classmethod
    def from_json(cls, data: object, slug: str | None = None, place: str = "") -> StoredSource:
        """Return the file stored as ``data``; an odd field raises DocumentError."""
        fields = Fields(data, slug, place)
        return cls(fields.text("src"), fields.text("type"), fields.whole("width", nullable=True),
                   fields.whole("height", nullable=True), fields.whole("size"),
                   fields.text("codec", nullable=True))


@dataclass(frozen=True)
class StoredPoster:
    """The clip's poster frame: the largest JPEG, when it was taken, and every rendition."""

    src: str
    width: int
    height: int
    time: float | None
    alt: str | None
    images: tuple[Rendition, ...]

    def to_json(self) -> dict:
        """Return the object stored in the document."""
        return {"src": self.src, "width": self.width, "height": self.height, "time": self.time,
                "alt": self.alt, "images": [image.to_json() for image in self.images]}

    @classmethod
    def from_json(cls, data: object, slug: str | None = None, place: str = "") -> StoredPoster:
        """Return the poster stored as ``data``; an odd field raises DocumentError."""
        fields = Fields(data, slug, place)
        return cls(fields.text("src"), fields.whole("width"), fields.whole("height"),
                   fields.number("time", nullable=True), fields.text("alt", nullable=True),
                   fields.objects("images", Rendition.from_json))


@dataclass(frozen=True)
class StoredDescribed:
    """The clip with its descriptions spoken: the standard or the extended version.

    The standard version (WCAG 1.2.5) has the clip's own video and duration, so
    a player can switch to it and keep its place and caption choice. The
    extended version (WCAG 1.2.7) holds a frame where a description needs more
    time than the pause in speech allows; its times differ from the clip's, so
    it carries its captions inside and is offered as a file of its own.
    """

    src: str
    media_type: str
    size: int
    duration: float
    language: str
    extended: bool = False

    def to_json(self) -> dict:
        """Return the object stored in the document."""
        return {"src": self.src, "type": self.media_type, "size": self.size,
                "duration": self.duration, "language": self.language, "extended": self.extended}

    @classmethod
    def from_json(cls, data: object, slug: str | None = None, place: str = "") -> StoredDescribed:
        """Return the version stored as ``data``; an odd field raises DocumentError."""
        fields = Fields(data, slug, place)
        return cls(fields.text("src"), fields.text("type"), fields.whole("size"),
                   fields.number("duration"), fields.text("language"), fields.flag("extended"))


@dataclass(frozen=True)
class StoredVideo:
    """The article's clip, video or audio only: its files, poster, tracks and how it was prepared."""

    kind: str                        # "video" or "audio"
    title: str
    credit: str | None
    src: str
    media_type: str
    size: int
    duration: float
    width: int | None
    height: int | None
    has_audio: bool
    method: str                      # "remux", "transcode", "audio-copy", "audio-transcode"
    loudness: str | None
    normalised: bool
    sources: tuple[StoredSource, ...]
    poster: StoredPoster | None
    tracks: tuple[StoredTrack, ...]          # captions and subtitles, the default first
    extra_tracks: tuple[StoredTrack, ...]    # descriptions and chapters
    described: tuple[StoredDescribed, ...] = ()  # spoken descriptions, per language

    def to_json(self) -> dict:
        """Return the object stored in the document."""
        return {"kind": self.kind, "title": self.title, "credit": self.credit, "src": self.src,
                "type": self.media_type, "size": self.size, "duration": self.duration,
                "width": self.width, "height": self.height, "has_audio": self.has_audio,
                "method": self.method, "loudness": self.loudness, "normalised": self.normalised,
                "sources": [source.to_json() for source in self.sources],
                "poster": None if self.poster is None else self.poster.to_json(),
                "tracks": [track.to_json() for track in self.tracks],
                "extra_tracks": [track.to_json() for track in self.extra_tracks],
                **({"described": [version.to_json() for version in self.described]}
                   # Written only when there is one, so other documents stay as they were.
                   if self.described else {})}

    @classmethod
    def from_json(cls, data: object, slug: str | None = None, place: str = "") -> StoredVideo:
        """Return the clip stored as ``data``; an odd field raises DocumentError."""
        fields = Fields(data, slug, place)
        return cls(
            kind=fields.text("kind"), title=fields.text("title"),
            credit=fields.text("credit", nullable=True), src=fields.text("src"),
            media_type=fields.text("type"), size=fields.whole("size"),
            duration=fields.number("duration"), width=fields.whole("width", nullable=True),
            height=fields.whole("height", nullable=True), has_audio=fields.flag("has_audio"),
            method=fields.text("method"), loudness=fields.text("loudness", nullable=True),
            normalised=fields.flag("normalised"),
            sources=fields.objects("sources", StoredSource.from_json),
            poster=fields.object("poster", StoredPoster.from_json),
            tracks=fields.objects("tracks", StoredTrack.from_json),
            # Documents from before descriptions and chapters tracks have none.
            extra_tracks=fields.objects("extra_tracks", StoredTrack.from_json, default=()),
            described=fields.objects("described", StoredDescribed.from_json, default=()))


@dataclass(frozen=True)
class StoredArticle:
    """An ingested article as the library keeps it: text, clip, photos, sharing card, versions."""

    slug: str
    title: str
    published: str                   # ISO 8601, always with an offset
    language: str
    direction: str                   # "ltr" or "rtl"
    summary: str
    body_html: str                   # rendered at ingest with raw HTML disabled
    related: tuple[str, ...]
    translations: tuple[Translation, ...]
    video: StoredVideo | None
    images: tuple[StoredImage, ...]
    social_image: SocialImage | None

    def to_json(self) -> dict:
        """Return the document as plain dicts, lists and values, ready for json.dumps."""
        return {"slug": self.slug, "title": self.title, "published": self.published,
                "language": self.language, "dir": self.direction, "summary": self.summary,
                "body_html": self.body_html, "related": list(self.related),
                "translations": [version.to_json() for version in self.translations],
                "video": None if self.video is None else self.video.to_json(),
                "images": [image.to_json() for image in self.images],
                "social_image": None if self.social_image is None else self.social_image.to_json()}

    def to_text(self) -> str:
        """Return the document as the JSON text the library stores."""
        return json.dumps(self.to_json(), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: object, slug: str | None = None) -> StoredArticle:
        """Return the article stored as ``data``; ``slug`` names it in errors if ``data`` cannot.

        :raises DocumentError: a field is missing or odd, as in a document from an older pipeline.
        """
        if slug is None and isinstance(data, dict) and isinstance(data.get("slug"), str):
            slug = data["slug"]
        fields = Fields(data, slug, "")
        return cls(
            slug=fields.text("slug"), title=fields.text("title"),
            published=fields.text("published"), language=fields.text("language"),
            direction=fields.text("dir"), summary=fields.text("summary"),
            body_html=fields.text("body_html"), related=fields.texts("related"),
            # Documents from before language versions and sharing cards have
            # neither, and every reader has always taken that as none.
            translations=fields.objects("translations", Translation.from_json, default=()),
            video=fields.object("video", StoredVideo.from_json),
            images=fields.objects("images", StoredImage.from_json),
            social_image=fields.object("social_image", SocialImage.from_json, default=None))

    @classmethod
    def from_text(cls, text: str, slug: str | None = None) -> StoredArticle:
        """Return the article stored as JSON ``text``.

        :raises DocumentError: the text is not JSON, or a field is missing or odd.
        """
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as error:
            raise DocumentError(slug, "the document", f"is not JSON ({error})") from None
        return cls.from_json(data, slug)
