"""Ingest a bundle into the library: validate everything, then prepare media, then record.

Every check that can fail on bad input runs before the first byte is written,
so a bad bundle leaves the library exactly as it was. Outputs are named by a
hash of their source and settings, written atomically, and reused on re-runs.

Outputs are shared (the same photo or caption text in two bundles, one bundle
ingested twice at once), so a failed ingest never deletes what it wrote:
``articles.collect`` removes orphans later, never while an ingest holds the
reference lock.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

import captions
from captions.quality import check_track
from captions.transcript import build_full_transcript, transcript_json
from media.photos import images
from media.video.clips import (
    ClipResult,
    ProgressCallback,
    file_hash,
    prepare_clip,
    settings_key,
)
from media.ffmpeg.commands import ClipSettings
from media.errors import CreditNotDrawable
from media.files import write_text_atomic
from media.photos.metadata import read_photo_metadata
from media.ffmpeg.info import InputLimits, VideoInfo
from media.ffmpeg.probe import probe
from media.photos.social_image import make_social_image
from media.photos.thumbs import DEFAULT_FORMATS, DEFAULT_WIDTHS, make_thumbnails

from . import languages
from .bundle import Bundle, BundleError, load_bundle
from .collect import media_names, release_unused
from .store import ArticleRow, Library

# Bump when the shape of stored documents or outputs changes, so that an
# unchanged bundle is still re-ingested after an upgrade.
PIPELINE_VERSION = "5"

Log = Callable[[str], None]

@dataclass(frozen=True)
class IngestOptions:
    """How ingest prepares media: encoding settings, input limits, threads, callbacks."""

    settings: ClipSettings = ClipSettings()
    limits: InputLimits = InputLimits()
    threads: int | None = None
    on_progress: ProgressCallback | None = None
    log: Log = lambda _: None


@dataclass(frozen=True)
class IngestResult:
    """What ingest did with one bundle."""

    slug: str
    skipped: bool
    written: tuple[Path, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Photo:
    spec_index: int
    alt: str
    credit: str
    creator: str | None
    copyright: str | None


def _hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]


def render_markdown(text: str) -> str:
    """Return the HTML of a Markdown body; raw HTML in the source is escaped, not passed."""
    return MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
        ["replacements", "smartquotes"]).render(text)


def ingest_bundle(folder: Path | str, library: Library,
                  options: IngestOptions = IngestOptions()) -> IngestResult:
    """Validate the bundle in ``folder`` and record it in ``library``.

    :raises BundleError: the bundle's files or fields are invalid.
    :raises captions.CaptionError: a caption file is not valid captions.
    :raises media.errors.MediaError: the clip or a photo cannot be used.
    """
    bundle = load_bundle(folder)
    notes: list[str] = []
    specs = bundle.video.captions if bundle.video else ()
    tracks = [captions.load_captions(spec.path) for spec in specs]
    for track in tracks:
        notes.extend(track.warnings)
    info = probe(bundle.video.path) if bundle.video else None
    if info is not None:
        _check_clip(bundle, info, tracks, options.limits)
        notes.extend(_check_caption_quality(bundle, info, tracks))
        notes.extend(_check_text_alternative(bundle, info, tracks))
    photos = [_check_photo(bundle, index, notes) for index in range(len(bundle.images))]

    hashes = {p: file_hash(p) for p in bundle.files}
    source_hash = _hash(PIPELINE_VERSION, settings_key(options.settings),
                        *(f"{p.relative_to(bundle.folder)}={h}" for p, h in hashes.items()))
    # From the first look at existing files until the article is saved, the
    # files this ingest writes or reuses are referenced by no article yet.
    with library.references_held():
        return _prepare_and_save(bundle, library, options, info, tracks, photos, hashes,
                                 source_hash, notes)


def _prepare_and_save(bundle: Bundle, library: Library, options: IngestOptions,
                      info: VideoInfo | None, tracks: list, photos: list[_Photo],
                      hashes: dict[Path, str], source_hash: str, notes: list[str]) -> IngestResult:
    log = options.log
    stored = library.article(bundle.slug)
    if (stored is not None and stored.source_hash == source_hash
            and all(library.media_path(n).is_file() for n in media_names(stored.document))):
        log(f"{bundle.slug}: unchanged, nothing to do")
        return IngestResult(bundle.slug, True, (), tuple(notes))

    clip = None
    if info is not None:
        clip = prepare_clip(info, library.media_dir, options.settings,
                            poster_at=bundle.video.poster_at, limits=options.limits,
                            source_hash=hashes[bundle.video.path], threads=options.threads,
                            on_progress=options.on_progress,
                            log=lambda message: log(f"{bundle.slug}: {message}"))
    # No clean-up if what follows fails: every output is named by its content,
    # so a file this run created may already be reused by another ingest that
    # found it in place, and deleting it would break that article's page. No
    # output is unique to this run, so none is safe to delete here; the
    # orphans wait for ``python -m media gc``.
    written: list[Path] = []
    document = _document(bundle, library, clip, tracks, photos, hashes, written, log)
    if stored is not None:
        # Pages and caches rendered from the stored version still point at
        # the files it alone used: gc's grace period for them starts now.
        # Before saving, so that a crash in between cannot skip it.
        release_unused(library, stored.document, document)
    library.save_article(ArticleRow(
        slug=bundle.slug, title=bundle.title, published=document["published"],
        top=bundle.top, source_hash=source_hash, document=document))
    log(f"{bundle.slug}: ingested")
    if clip is not None and not clip.reused:
        written = [o.path for o in clip.outputs] + written
    return IngestResult(bundle.slug, False, tuple(written), tuple(notes))


def _check_clip(bundle: Bundle, info: VideoInfo, tracks: list, limits: InputLimits) -> None:
    info.check_limits(limits)
    spec = bundle.video
    if spec.poster_at is not None and info.has_video and spec.poster_at >= info.duration:
        raise BundleError(f"poster_at {spec.poster_at:g} s is after the end of the clip "
                          f"({info.duration:.1f} s)", bundle.article_file)
    if info.has_audio and not any(spec.shown_as_text for spec in spec.captions):
        # WCAG 1.2.2: prerecorded audio needs captions.
        raise BundleError("the clip has sound but the front matter lists no caption files",
                          bundle.article_file)


def _companion_track(specs, tracks: list, kind: str,
                     language: str) -> captions.CaptionTrack | None:
    """Return the ``kind`` track in ``language`` (else in its primary language), or None."""
    matches = [(spec.language, track) for spec, track in zip(specs, tracks) if spec.kind == kind]
    found = languages.closest(matches, language, tag_of=lambda match: match[0])
    return found[1] if found is not None else None


def _companion(specs, tracks: list, kind: str, language: str) -> tuple:
    """Return the cues of the ``kind`` track in ``language`` (else its primary language)."""
    track = _companion_track(specs, tracks, kind, language)
    return track.cues if track is not None else ()


def _has_visible_text(track: captions.CaptionTrack) -> bool:
    """Return whether a track has a cue that a transcript would show: not only tags or marks."""
    return bool(build_full_transcript(track.cues).sections)


def _check_caption_quality(bundle: Bundle, info: VideoInfo, tracks: list) -> list[str]:
    """Return caption quality problems as notes; with ``strict: true``, refuse them.

    Captions and subtitles are checked against the default profile and the
    clip's length. Descriptions are voiced and chapter titles are headings,
    so the limits of on-screen text do not apply to them; they are only read.
    """
    problems = []
    for spec, track in zip(bundle.video.captions, tracks):
        if not spec.shown_as_text:
            continue
        problems += check_track(track, clip_duration=info.duration,
                                frame_rate=info.frame_rate or 25.0)
    # decoding warnings are already notes, from the track itself
    problems = [problem for problem in problems if problem.code != "encoding"]
    if bundle.strict and problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise BundleError(f"caption quality problem with 'strict: true': {problems[0]}{more}",
                          bundle.article_file)
    return [str(problem) for problem in problems]


def _check_text_alternative(bundle: Bundle, info: VideoInfo, tracks: list) -> list[str]:
    """Return a note when a silent clip has no descriptions; with ``strict: true``, refuse it.

    WCAG 1.2.1: video-only content needs a text alternative. A silent clip has
    nothing to caption, so its descriptions track is that alternative; one
    whose cues are all empty or invisible (such as a lone ``&lrm;``) says nothing.
    """
    if not info.has_video or info.has_audio:
        return []
    if any(spec.kind == "descriptions" and _has_visible_text(track)
           for spec, track in zip(bundle.video.captions, tracks)):
        return []
    problem = ("the clip has no sound and no descriptions track with text, so people who "
               "cannot see it get no text alternative (WCAG 1.2.1): add a caption file with "
               "'kind: descriptions' that says what the clip shows")
    if bundle.strict:
        raise BundleError(f"{problem} ('strict: true' refuses this)", bundle.article_file)
    return [f"{bundle.article_file}: {problem}"]


def _check_photo(bundle: Bundle, index: int, notes: list[str]) -> _Photo:
    spec = bundle.images[index]
    images.open_image(spec.path)
    meta = read_photo_metadata(spec.path)
    notes.extend(f"{spec.path}: {w}" for w in meta.warnings)
    alt = spec.alt
    if alt is None and meta.alt_text:
        alt = meta.alt_text
        notes.append(f"{spec.path}: alt text taken from the image's IPTC metadata")
    if alt is None and not spec.decorative:
        raise BundleError("photo has no alt text: add 'alt' in article.md "
                          "(or 'decorative: true')", spec.path)
    credit = spec.credit or meta.credit or meta.creator
    if credit is None:
        raise BundleError("photo has no credit: add 'credit' in article.md or to the "
                          "image's IPTC/XMP metadata", spec.path)
    return _Photo(index, alt or "", credit, meta.creator, meta.copyright)


def _document(bundle: Bundle, library: Library, clip: ClipResult | None, tracks: list,
              photos: list[_Photo], hashes: dict[Path, str], written: list[Path], log: Log) -> dict:
    document = {
        "slug": bundle.slug, "title": bundle.title,
        "published": bundle.published.isoformat(), "language": bundle.language,
        "dir": languages.direction(bundle.language), "summary": bundle.summary,
        "body_html": render_markdown(bundle.body), "related": list(bundle.related),
        "translations": [{"language": tag, "slug": slug} for tag, slug in bundle.translations],
        "video": None, "images": [],
    }
    if clip is not None:
        document["video"] = _clip_document(bundle, library, clip, tracks, written)
    document["social_image"] = _social_image(bundle, library, clip, photos, hashes, written, log)
    for photo in photos:
        spec = bundle.images[photo.spec_index]
        base = _hash(hashes[spec.path], photo.credit, photo.creator or "", photo.copyright or "",
                     photo.alt, repr(DEFAULT_WIDTHS), repr(DEFAULT_FORMATS))
        existing = set(library.media_dir.glob(f"{base}-*"))
        log(f"{bundle.slug}: photo {spec.path.name}")
        # "" rather than None: what ingest decided is published, nothing else
        # from the file's metadata.
        thumbs = make_thumbnails(spec.path, library.media_dir, base, credit=photo.credit,
                                 creator=photo.creator or "", copyright=photo.copyright or "",
                                 alt_text=photo.alt or None)
        renditions = thumbs.thumbnails
        written.extend(r.path for r in renditions if r.path not in existing)
        document["images"].append({
            "alt": photo.alt, "caption": spec.caption, "credit": photo.credit,
            "creator": photo.creator, "copyright": photo.copyright,
            "renditions": [{"src": r.path.name, "width": r.width, "height": r.height,
                            "type": r.media_type} for r in renditions],
        })
    return document


def _social_image(bundle: Bundle, library: Library, clip: ClipResult | None, photos: list[_Photo],
                  hashes: dict[Path, str], written: list[Path], log: Log) -> dict | None:
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
    card = _hash(key, credit or "", creator or "", copyright or "", repr(focus))
    target = library.media_dir / f"{card}-og.jpg"
    if not target.exists():
        try:
            make_social_image(source, target, credit, creator, copyright, focus)
        except CreditNotDrawable as error:
            # A credit in a script the card font lacks still goes into the metadata.
            log(f"{bundle.slug}: {error}; sharing image written without the credit line")
            make_social_image(source, target, credit, creator, copyright, focus, overlay=False)
        written.append(target)
    return {"src": target.name, "width": 1200, "height": 630}


def _clip_document(bundle: Bundle, library: Library, clip: ClipResult, tracks: list,
                   written: list[Path]) -> dict:
    spec = bundle.video
    # Descriptions are read into the transcript of the captions in their language.
    merged = [_companion_track(spec.captions, tracks, "descriptions", s.language)
              for s in spec.captions if s.shown_as_text]
    silent = clip.main.kind == "video" and not clip.has_audio
    track_docs, extra_docs = [], []
    for caption_spec, track in zip(spec.captions, tracks):
        text = captions.to_webvtt(track)
        vtt_path = library.media_dir / f"{_hash(text)}.vtt"
        if not vtt_path.exists():
            write_text_atomic(vtt_path, text)
            written.append(vtt_path)
        doc = {"src": vtt_path.name, "kind": caption_spec.kind,
               "language": caption_spec.language,
               "dir": languages.direction(caption_spec.language), "label": caption_spec.label,
               "default": caption_spec.default}
        if caption_spec.shown_as_text:
            described = _companion(spec.captions, tracks, "descriptions", caption_spec.language)
            chaptered = _companion(spec.captions, tracks, "chapters", caption_spec.language)
            full = build_full_transcript(track.cues, described, chaptered)
            doc["transcript"] = transcript_json(full)["sections"]
            track_docs.append(doc)
        else:
            if caption_spec.kind == "chapters":
                doc["chapters"] = [{"start": cue.start, "end": cue.end,
                                    "title": captions.cue_plain_text(cue.text)}
                                   for cue in captions.sorted_cues(track)
                                   if captions.cue_plain_text(cue.text)]
            elif (caption_spec.kind == "descriptions" and silent
                  and not any(track is other for other in merged)):
                # A clip without sound: descriptions that no caption transcript
                # holds are its text alternative in their language (WCAG 1.2.1),
                # so they are a transcript of their own. Each is a paragraph, so
                # that each keeps its time link however close the next one is.
                chaptered = _companion(spec.captions, tracks, "chapters", caption_spec.language)
                full = build_full_transcript((), track.cues, chaptered, gap=-math.inf)
                if full.sections:
                    doc["transcript"] = transcript_json(full)["sections"]
            extra_docs.append(doc)
    track_docs.sort(key=lambda t: not t["default"])
    main = clip.main
    playable = [main, *clip.of_kind("rendition"), *clip.of_kind("webm")]
    posters = clip.of_kind("poster")
    poster = max((p for p in posters if p.codec == "jpeg"), key=lambda p: p.width, default=None)
    return {
        "kind": main.kind, "title": spec.title, "credit": spec.credit,
        "src": main.path.name, "type": main.media_type, "size": main.bytes,
        "duration": main.duration, "width": main.width, "height": main.height,
        "has_audio": clip.has_audio,
        "method": clip.method, "loudness": clip.loudness, "normalised": clip.normalised,
        "sources": [{"src": o.path.name, "type": o.media_type, "width": o.width,
                     "height": o.height, "size": o.bytes, "codec": o.codec} for o in playable],
        "poster": None if poster is None else {
            "src": poster.path.name, "width": poster.width, "height": poster.height,
            "time": clip.poster_time, "alt": spec.poster_alt,
            "images": [{"src": p.path.name, "width": p.width, "height": p.height,
                        "type": p.media_type} for p in posters]},
        "tracks": track_docs,
        "extra_tracks": extra_docs,
    }
