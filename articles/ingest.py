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

import logging
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import captions
from articles.assemble import CheckedPhoto, assemble_article, short_hash
from articles.bundle import Bundle, BundleError, load_bundle
from articles.collect import media_names, release_unused
from articles.described import check_descriptions, make_described
from articles.document import DocumentError
from articles.objects import upload_missing
from articles.store import ArticleRow, Library
from captions.drafts import is_draft
from captions.profiles import DEFAULT_PROFILE, get_profile
from captions.quality import check_track
from captions.transcript import build_full_transcript
from media.ffmpeg.commands import ClipSettings
from media.ffmpeg.info import InputLimits, VideoInfo
from media.ffmpeg.probe import probe
from media.photos import images
from media.photos.metadata import read_photo_metadata
from media.video.clips import (
    ProgressCallback,
    file_hash,
    prepare_clip,
    settings_key,
)

logger = logging.getLogger(__name__)

# Bump when the shape of stored documents or outputs changes, so that an
# unchanged bundle is still re-ingested after an upgrade.
PIPELINE_VERSION = "6"


@dataclass(frozen=True)
class IngestOptions:
    """How ingest prepares media: encoding settings, input limits, threads, a progress callback."""

    settings: ClipSettings = ClipSettings()
    limits: InputLimits = InputLimits()
    threads: int | None = None
    on_progress: ProgressCallback | None = None


@dataclass(frozen=True)
class IngestResult:
    """What ingest did with one bundle."""

    slug: str
    skipped: bool
    written: tuple[Path, ...]
    notes: tuple[str, ...]


def ingest_bundle(folder: Path | str, library: Library,
                  options: IngestOptions = IngestOptions()) -> IngestResult:
    """Validate the bundle in ``folder`` and record it in ``library``.

    :raises BundleError: the bundle's files or fields are invalid.
    :raises captions.CaptionError: a caption file is not valid captions.
    :raises media.errors.MediaError: the clip or a photo cannot be used.
    :raises articles.objects.StoreError: the media store cannot be used or an upload failed.
    """
    bundle = load_bundle(folder)
    notes: list[str] = []
    specs = bundle.video.captions if bundle.video else ()
    tracks = [_draft(bundle, spec, notes) if spec.drafted else captions.load_captions(spec.path)
              for spec in specs]
    _check_drafts(specs)
    for track in tracks:
        notes.extend(track.warnings)
    info = probe(bundle.video.path) if bundle.video else None
    if info is not None:
        _check_clip(bundle, info, tracks, options.limits)
        notes.extend(_check_caption_quality(bundle, info, tracks))
        notes.extend(_check_text_alternative(bundle, info, tracks))
        check_descriptions(bundle, info, tracks)
    photos = [_check_photo(bundle, index, notes) for index in range(len(bundle.images))]

    hashes = {p: file_hash(p) for p in bundle.files}
    source_hash = short_hash(PIPELINE_VERSION, settings_key(options.settings),
                             *(f"{p.relative_to(bundle.folder)}={h}" for p, h in hashes.items()))
    # From the first look at existing files until the article is saved, the
    # files this ingest writes or reuses are referenced by no article yet.
    with library.references_held():
        return _prepare_and_save(bundle, library, options, info, tracks, photos, hashes,
                                 source_hash, notes)


def _prepare_and_save(bundle: Bundle, library: Library, options: IngestOptions,
                      info: VideoInfo | None, tracks: list, photos: list[CheckedPhoto],
                      hashes: dict[Path, str], source_hash: str, notes: list[str]) -> IngestResult:
    try:
        stored = library.article(bundle.slug)
    except DocumentError:
        # A document stored by an older pipeline may lack fields this one
        # reads. Replacing it must still work; its files age from their writing.
        stored = None
    store = library.objects()
    if (stored is not None and stored.source_hash == source_hash
            and all(store.exists(n) for n in media_names(stored.document))):
        logger.info("%s: unchanged, nothing to do", bundle.slug)
        return IngestResult(bundle.slug, True, (), tuple(notes))

    clip = None
    if info is not None:
        clip = prepare_clip(info, library.media_dir, options.settings,
                            poster_at=bundle.video.poster_at, limits=options.limits,
                            source_hash=hashes[bundle.video.path], threads=options.threads,
                            on_progress=options.on_progress, shared_lock=library.clip_lock())
    # No clean-up if what follows fails: every output is named by its content,
    # so a file this run created may already be reused by another ingest that
    # found it in place, and deleting it would break that article's page. No
    # output is unique to this run, so none is safe to delete here; the
    # orphans wait for ``python -m media gc``.
    written: list[Path] = []
    article = assemble_article(bundle, library, clip, tracks, photos, hashes, written)
    if clip is not None:
        described = make_described(bundle, library, clip, info, tracks, options.settings,
                                   options.threads, notes, written)
        article = replace(article, video=replace(article.video, described=described))
    if stored is not None:
        # Pages and caches rendered from the stored version still point at
        # the files it alone used: gc's grace period for them starts now.
        # Before saving, so that a crash in between cannot skip it.
        release_unused(library, stored.document, article)
    # Published before the article is saved, so no page ever links a file the
    # store lacks; a failed upload leaves the library without the article.
    upload_missing(store, library.media_dir, media_names(article))
    library.save_article(ArticleRow(
        slug=bundle.slug, title=bundle.title, published=article.published,
        top=bundle.top, source_hash=source_hash, document=article))
    logger.info("%s: ingested", bundle.slug)
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


def _check_drafts(specs) -> None:
    """Refuse a draft made by speech recognition unless the bundle marks it ``automatic: true``.

    An unreviewed draft must not pass as captions someone checked: the editor
    either reviews it (and removes the NOTE) or publishes it labelled automatic.
    """
    for spec in specs:
        if spec.automatic:
            continue
        text, _, _ = captions.read_caption_text(spec.path)
        if is_draft(text):
            raise BundleError("is an automatic draft (it carries the draft NOTE): review it and "
                              "remove the NOTE, or mark it 'automatic: true' in article.md",
                              spec.path)


def _draft(bundle: Bundle, spec, notes: list[str]) -> captions.CaptionTrack:
    """Return draft captions of the clip, recognised with the article's own words as the hint.

    The draft is written to a temporary file, read back as any caption file
    is, and published labelled automatic; the bundle folder is never written.
    """
    from media.speech.draft import draft_cues, transcribe, write_draft
    transcript = transcribe(bundle.video.path, spec.language.split("-")[0], (bundle.article_file,))
    cues = draft_cues(transcript, get_profile(DEFAULT_PROFILE))
    with tempfile.TemporaryDirectory(prefix="newsreel-draft-") as folder:
        drafted = Path(folder) / "draft.vtt"
        write_draft(drafted, cues, transcript.note)
        track = replace(captions.load_captions(drafted), path=spec.path)
    notes.append(f"{spec.path}: drafted by speech recognition ({len(cues)} cues, with "
                 f"{bundle.article_file.name} as the hint) and published as automatic captions; "
                 "review it and add it to the bundle")
    return track


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
    for spec, track in zip(bundle.video.captions, tracks, strict=True):
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
           for spec, track in zip(bundle.video.captions, tracks, strict=True)):
        return []
    problem = ("the clip has no sound and no descriptions track with text, so people who "
               "cannot see it get no text alternative (WCAG 1.2.1): add a caption file with "
               "'kind: descriptions' that says what the clip shows")
    if bundle.strict:
        raise BundleError(f"{problem} ('strict: true' refuses this)", bundle.article_file)
    return [f"{bundle.article_file}: {problem}"]


def _check_photo(bundle: Bundle, index: int, notes: list[str]) -> CheckedPhoto:
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
    return CheckedPhoto(index, alt or "", credit, meta.creator, meta.copyright)
