"""Assemble the stored article of a checked bundle: its prepared media, captions and photos.

Photo renditions, the sharing card and WebVTT files are written here, each
named by a hash of what it is made from, so a re-run finds them in place.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

import captions
from articles import languages
from articles.bundle import Bundle
from articles.document import (
    Rendition,
    SocialImage,
    StoredArticle,
    StoredChapter,
    StoredImage,
    StoredParagraph,
    StoredPoster,
    StoredSection,
    StoredSource,
    StoredTrack,
    StoredVideo,
    Translation,
)
from articles.store import Library
from captions.transcript import Transcript, build_full_transcript
from media.errors import CreditNotDrawable
from media.files import write_text_atomic
from media.photos.social_image import make_social_image
from media.photos.thumbs import DEFAULT_FORMATS, DEFAULT_WIDTHS, make_thumbnails
from media.video.clips import ClipResult

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class CheckedPhoto:
    """A photo that passed ingest's checks: the alt text and credits to publish with it."""

    spec_index: int
    alt: str
    credit: str
    creator: str | None
    copyright: str | None


def short_hash(*parts: str) -> str:
    """Return 16 hex digits of the SHA-256 of ``parts`` joined by NUL: a name for an output."""
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]


def render_markdown(text: str) -> str:
    """Return the HTML of a Markdown body; raw HTML in the source is escaped, not passed."""
    return MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
        ["replacements", "smartquotes"]).render(text)


def _companion_track(specs, tracks: list, kind: str,
                     language: str) -> captions.CaptionTrack | None:
    """Return the ``kind`` track in ``language`` (else in its primary language), or None."""
    matches = [(spec.language, track) for spec, track in zip(specs, tracks, strict=True) if spec.kind == kind]
    found = languages.closest(matches, language, tag_of=lambda match: match[0])
    return found[1] if found is not None else None


def _companion(specs, tracks: list, kind: str, language: str) -> tuple:
    """Return the cues of the ``kind`` track in ``language`` (else its primary language)."""
    track = _companion_track(specs, tracks, kind, language)
    return track.cues if track is not None else ()


def assemble_article(bundle: Bundle, library: Library, clip: ClipResult | None, tracks: list,
                     photos: list[CheckedPhoto], hashes: dict[Path, str], written: list[Path]) -> StoredArticle:
    """Return the stored article of ``bundle``, writing photo renditions, the sharing card and
    caption files to the library and listing each new file in ``written``."""
    video = _stored_video(bundle, library, clip, tracks, written) if clip is not None else None
    social_image = _social_image(bundle, library, clip, photos, hashes, written)
    stored_images = []
    for photo in photos:
        spec = bundle.images[photo.spec_index]
        base = short_hash(hashes[spec.path], photo.credit, photo.creator or "",
                          photo.copyright or "", photo.alt, repr(DEFAULT_WIDTHS),
                          repr(DEFAULT_FORMATS))
        existing = set(library.media_dir.glob(f"{base}-*"))
        logger.info("%s: photo %s", bundle.slug, spec.path.name)
        # "" rather than None: what ingest decided is published, nothing else
        # from the file's metadata.
        thumbs = make_thumbnails(spec.path, library.media_dir, base, credit=photo.credit,
                                 creator=photo.creator or "", copyright=photo.copyright or "",
                                 alt_text=photo.alt or None)
        renditions = thumbs.thumbnails
        written.extend(r.path for r in renditions if r.path not in existing)
        stored_images.append(StoredImage(
            alt=photo.alt, caption=spec.caption, credit=photo.credit, creator=photo.creator,
            copyright=photo.copyright,
            renditions=tuple(Rendition(r.path.name, r.width, r.height, r.media_type)
                             for r in renditions)))
    return StoredArticle(
        slug=bundle.slug, title=bundle.title, published=bundle.published.isoformat(),
        language=bundle.language, direction=languages.direction(bundle.language),
        summary=bundle.summary, body_html=render_markdown(bundle.body),
        related=tuple(bundle.related),
        translations=tuple(Translation(tag, slug) for tag, slug in bundle.translations),
        video=video, images=tuple(stored_images), social_image=social_image)


def _social_image(bundle: Bundle, library: Library, clip: ClipResult | None,
                  photos: list[CheckedPhoto], hashes: dict[Path, str], written: list[Path]) -> SocialImage | None:
    """Write the 1200x630 sharing card from the lead photo (else the poster), credit drawn on it."""
    if photos:
        photo, spec = photos[0], bundle.images[photos[0].spec_index]
        source, credit, focus = spec.path, photo.credit, spec.focus
        creator, copyright = photo.creator, photo.copyright
        key = hashes[spec.path]
    elif clip is not None and clip.of_kind("poster"):
        poster = max((p for p in clip.of_kind("poster") if p.codec == "jpeg"),
                     key=lambda p: p.width)
        source, credit, focus = poster.path, bundle.video.credit, (0.5, 0.5)
        creator = copyright = None
        key = poster.path.name
    else:
        return None
    card = short_hash(key, credit or "", creator or "", copyright or "", repr(focus))
    target = library.media_dir / f"{card}-og.jpg"
    if not target.exists():
        try:
            make_social_image(source, target, credit, creator, copyright, focus)
        except CreditNotDrawable as error:
            # A credit in a script the card font lacks still goes into the metadata.
            logger.info("%s: %s; sharing image written without the credit line", bundle.slug, error)
            make_social_image(source, target, credit, creator, copyright, focus, overlay=False)
        written.append(target)
    return SocialImage(target.name, 1200, 630)


def _stored_transcript(transcript: Transcript) -> tuple[StoredSection, ...]:
    """Return a transcript's sections as the stored article keeps them."""
    return tuple(StoredSection(section.title, section.start, tuple(
        StoredParagraph(block.start, block.end, block.text, block.speaker, block.kind)
        for block in section.paragraphs)) for section in transcript.sections)


def _stored_video(bundle: Bundle, library: Library, clip: ClipResult, tracks: list,
                  written: list[Path]) -> StoredVideo:
    spec = bundle.video
    # Descriptions are read into the transcript of the captions in their language.
    merged = [_companion_track(spec.captions, tracks, "descriptions", s.language)
              for s in spec.captions if s.shown_as_text]
    silent = clip.main.kind == "video" and not clip.has_audio
    shown, extra = [], []
    for caption_spec, track in zip(spec.captions, tracks, strict=True):
        text = captions.to_webvtt(track)
        vtt_path = library.media_dir / f"{short_hash(text)}.vtt"
        if not vtt_path.exists():
            write_text_atomic(vtt_path, text)
            written.append(vtt_path)
        transcript = chapters = None
        if caption_spec.shown_as_text:
            described = _companion(spec.captions, tracks, "descriptions", caption_spec.language)
            chaptered = _companion(spec.captions, tracks, "chapters", caption_spec.language)
            transcript = _stored_transcript(build_full_transcript(track.cues, described, chaptered))
        elif caption_spec.kind == "chapters":
            chapters = tuple(StoredChapter(cue.start, cue.end, captions.cue_plain_text(cue.text))
                             for cue in captions.sorted_cues(track)
                             if captions.cue_plain_text(cue.text))
        elif (caption_spec.kind == "descriptions" and silent
              and not any(track is other for other in merged)):
            # A clip without sound: descriptions that no caption transcript
            # holds are its text alternative in their language (WCAG 1.2.1),
            # so they are a transcript of their own. Each is a paragraph, so
            # that each keeps its time link however close the next one is.
            chaptered = _companion(spec.captions, tracks, "chapters", caption_spec.language)
            full = build_full_transcript((), track.cues, chaptered, gap=-math.inf)
            if full.sections:
                transcript = _stored_transcript(full)
        (shown if caption_spec.shown_as_text else extra).append(StoredTrack(
            src=vtt_path.name, kind=caption_spec.kind, language=caption_spec.language,
            direction=languages.direction(caption_spec.language), label=caption_spec.label,
            default=caption_spec.default, transcript=transcript, chapters=chapters,
            automatic=caption_spec.automatic))
    shown.sort(key=lambda t: not t.default)
    main = clip.main
    playable = [main, *clip.of_kind("rendition"), *clip.of_kind("webm")]
    posters = clip.of_kind("poster")
    poster = max((p for p in posters if p.codec == "jpeg"), key=lambda p: p.width, default=None)
    return StoredVideo(
        kind=main.kind, title=spec.title, credit=spec.credit, src=main.path.name,
        media_type=main.media_type, size=main.bytes, duration=main.duration,
        width=main.width, height=main.height, has_audio=clip.has_audio, method=clip.method,
        loudness=clip.loudness, normalised=clip.normalised,
        sources=tuple(StoredSource(o.path.name, o.media_type, o.width, o.height, o.bytes, o.codec)
                      for o in playable),
        poster=None if poster is None else StoredPoster(
            poster.path.name, poster.width, poster.height, clip.poster_time, spec.poster_alt,
            tuple(Rendition(p.path.name, p.width, p.height, p.media_type) for p in posters)),
        tracks=tuple(shown), extra_tracks=tuple(extra))
