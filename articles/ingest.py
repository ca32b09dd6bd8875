"""Ingest a bundle into the library: validate everything, then prepare media, then record.

Every check that can fail on bad input runs before the first byte is written,
so a bad bundle leaves the library exactly as it was. Outputs are named by a
hash of their source and settings, written atomically, and reused on re-runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

import captions
from media import images
from media.clips import PreparedClip, prepare_clip, settings_key, write_poster
from media.commands import ClipSettings
from media.files import write_text_atomic
from media.image_metadata import read_photo_metadata
from media.probe import VideoInfo, probe

from . import languages
from .bundle import Bundle, BundleError, load_bundle
from .store import ArticleRow, Library

# Bump when the shape of stored documents or outputs changes, so that an
# unchanged bundle is still re-ingested after an upgrade.
PIPELINE_VERSION = "1"
PHOTO_WIDTHS = (480, 960, 1600)

Log = Callable[[str], None]


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


def file_hash(path: Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]


def render_markdown(text: str) -> str:
    """Return the HTML of a Markdown body; raw HTML in the source is escaped, not passed."""
    return MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
        ["replacements", "smartquotes"]).render(text)


def ingest_bundle(folder: Path | str, library: Library,
                  settings: ClipSettings = ClipSettings(), log: Log = lambda _: None) -> IngestResult:
    """Validate the bundle in ``folder`` and record it in ``library``.

    :raises BundleError: the bundle's files or fields are invalid.
    :raises captions.CaptionError: a caption file is not valid captions.
    :raises media.errors.MediaError: the clip or a photo cannot be used.
    """
    bundle = load_bundle(folder)
    notes: list[str] = []
    tracks = [captions.load_captions(spec.path) for spec in bundle.video.captions] if bundle.video else []
    for track in tracks:
        notes.extend(track.warnings)
    info = probe(bundle.video.path) if bundle.video else None
    if info is not None:
        _check_clip(bundle, info, tracks)
    photos = [_check_photo(bundle, index, notes) for index in range(len(bundle.images))]

    source_hash = _hash(PIPELINE_VERSION, settings_key(settings),
                        *(f"{p.relative_to(bundle.folder)}={file_hash(p)}" for p in bundle.files))
    stored = library.article(bundle.slug) if library.source_hash(bundle.slug) == source_hash else None
    if stored is not None and all(library.media_path(n).is_file() for n in _media_names(stored.document)):
        log(f"{bundle.slug}: unchanged, nothing to do")
        return IngestResult(bundle.slug, True, (), tuple(notes))

    written: list[Path] = []
    try:
        document = _build(bundle, library, info, tracks, photos, settings, written, log)
        library.save_article(ArticleRow(
            slug=bundle.slug, title=bundle.title, published=document["published"],
            top=bundle.top, source_hash=source_hash, document=document))
    except BaseException:
        # Only this run's new files go: earlier outputs may serve other articles.
        for path in written:
            path.unlink(missing_ok=True)
        raise
    log(f"{bundle.slug}: ingested")
    return IngestResult(bundle.slug, False, tuple(written), tuple(notes))


def _check_clip(bundle: Bundle, info: VideoInfo, tracks: list) -> None:
    if not info.has_video:
        raise BundleError("the clip has no video stream (audio-only clips are not supported yet)",
                          bundle.video.path)
    if info.has_audio and not tracks:
        # WCAG 1.2.2: prerecorded audio needs captions.
        raise BundleError("the clip has sound but the front matter lists no caption files",
                          bundle.article_file)


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


def _build(bundle: Bundle, library: Library, info: VideoInfo | None, tracks: list,
           photos: list[_Photo], settings: ClipSettings, written: list[Path], log: Log) -> dict:
    media_dir = library.media_dir
    media_dir.mkdir(parents=True, exist_ok=True)

    document = {
        "slug": bundle.slug, "title": bundle.title,
        "published": bundle.published.isoformat(), "language": bundle.language,
        "dir": languages.direction(bundle.language), "summary": bundle.summary,
        "body_html": render_markdown(bundle.body), "related": list(bundle.related),
        "video": None, "images": [],
    }
    if info is not None:
        document["video"] = _build_video(bundle, library, info, tracks, settings, written, log)
    for photo in photos:
        spec = bundle.images[photo.spec_index]
        base = _hash(file_hash(spec.path), photo.credit, photo.creator or "",
                     photo.copyright or "", repr(PHOTO_WIDTHS))
        existing = set(media_dir.glob(f"{base}-*.jpg"))
        log(f"{bundle.slug}: photo {spec.path.name}")
        renditions = images.make_renditions(spec.path, media_dir, base, PHOTO_WIDTHS,
                                            credit=photo.credit, creator=photo.creator,
                                            copyright=photo.copyright)
        written.extend(r.path for r in renditions if r.path not in existing)
        document["images"].append({
            "alt": photo.alt, "caption": spec.caption, "credit": photo.credit,
            "creator": photo.creator, "copyright": photo.copyright,
            "renditions": [{"src": r.path.name, "width": r.width, "height": r.height,
                            "type": r.media_type} for r in renditions],
        })
    return document


def _build_video(bundle: Bundle, library: Library, info: VideoInfo, tracks: list,
                 settings: ClipSettings, written: list[Path], log: Log) -> dict:
    spec = bundle.video
    media_dir = library.media_dir
    clip_path = media_dir / f"{_hash(file_hash(spec.path), settings_key(settings))}.mp4"
    if clip_path.exists():
        clip_info = probe(clip_path)
        method = "reused"
    else:
        log(f"{bundle.slug}: preparing {spec.path.name} ({info.duration:.1f} s)")
        prepared = prepare_clip(info, clip_path, settings)
        written.append(clip_path)
        clip_info, method = prepared.info, prepared.method
    clip = PreparedClip(clip_path, clip_info, method, ())
    poster_path = media_dir / f"{_hash(clip_path.name, repr(spec.poster_at))}.jpg"
    if not poster_path.exists():
        write_poster(clip, poster_path, spec.poster_at)
        written.append(poster_path)
    width, height = clip_info.display_size
    poster_size = images.open_image(poster_path)

    track_docs = []
    for caption_spec, track in zip(spec.captions, tracks):
        text = captions.to_webvtt(track)
        vtt_path = media_dir / f"{_hash(text)}.vtt"
        if not vtt_path.exists():
            write_text_atomic(vtt_path, text)
            written.append(vtt_path)
        track_docs.append({
            "src": vtt_path.name, "language": caption_spec.language,
            "dir": languages.direction(caption_spec.language), "label": caption_spec.label,
            "default": caption_spec.default,
            "transcript": [{"start": p.start, "end": p.end, "text": p.text}
                           for p in captions.build_transcript(track.cues)],
        })
    track_docs.sort(key=lambda t: not t["default"])
    return {
        "title": spec.title, "credit": spec.credit, "src": clip_path.name,
        "type": "video/mp4", "size": clip_path.stat().st_size,
        "duration": clip_info.duration, "width": width, "height": height,
        "has_audio": clip_info.has_audio, "method": method,
        "poster": {"src": poster_path.name, "width": poster_size.width,
                   "height": poster_size.height},
        "tracks": track_docs,
    }


def _media_names(document: dict) -> list[str]:
    names = [r["src"] for image in document.get("images", []) for r in image["renditions"]]
    video = document.get("video")
    if video:
        names += [video["src"], video["poster"]["src"], *(t["src"] for t in video["tracks"])]
    return names
