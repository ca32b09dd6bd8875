"""Ingest's spoken descriptions: the audio-described versions of a bundle's clip.

For each descriptions track, ``media.speech.describe`` speaks the cues into
a version of the prepared clip (and an extended one where a description does
not fit before the next speech). The files are named by a hash of what they
are made from, with a sidecar written last, so a re-run finds them in place.
Where espeak-ng or a voice for the language is missing, the bundle is still
published, its descriptions as text, with one note saying so.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import captions
from articles.assemble import short_hash
from articles.bundle import Bundle
from articles.document import DocumentError, StoredDescribed
from articles.store import Library
from media.ffmpeg.commands import ClipSettings
from media.ffmpeg.info import VideoInfo
from media.files import write_text_atomic
from media.speech.describe import CaptionsInside, check_describable, describe_clip, descriptions_of
from media.speech.errors import SpeechError
from media.video.clips import ClipResult, settings_key

logger = logging.getLogger(__name__)

# Part of every described version's name: bump when the way it is made changes.
DESCRIBE_VERSION = "1"
MP4 = "video/mp4"


def check_descriptions(bundle: Bundle, info: VideoInfo, tracks: list) -> None:
    """Refuse descriptions that cannot be spoken: cues that overlap or start after the clip.

    :raises media.speech.errors.DescriptionsError: naming the file and line.
    """
    if bundle.video is None or not info.has_video:
        return
    for spec, track in zip(bundle.video.captions, tracks, strict=True):
        if spec.kind == "descriptions":
            descriptions_of(track, info.duration)


def make_described(bundle: Bundle, library: Library, clip: ClipResult, info: VideoInfo,
                   tracks: list, settings: ClipSettings, threads: int | None,
                   notes: list[str], written: list[Path]) -> tuple[StoredDescribed, ...]:
    """Return the clip's audio-described versions, writing those not yet in the library.

    :raises media.errors.MediaError: when ffmpeg cannot make a version.
    """
    if clip.main.kind != "video":
        return ()
    specs = bundle.video.captions
    shown = [(spec, track) for spec, track in zip(specs, tracks, strict=True) if spec.shown_as_text]
    # Where people speak: the captions (else the subtitles) of every language.
    speech = ([pair for pair in shown if pair[0].kind == "captions"]
              or [pair for pair in shown if pair[0].kind == "subtitles"])
    inside = [CaptionsInside(track, spec.language, spec.label) for spec, track in speech]
    versions: list[StoredDescribed] = []
    for spec, track in zip(specs, tracks, strict=True):
        if spec.kind != "descriptions" or not descriptions_of(track, info.duration):
            continue
        try:
            check_describable(info, spec.language)
        except SpeechError as error:
            notes.append(f"{spec.path}: {error.message}; the descriptions are published as "
                         "text only")
            continue
        key = short_hash(DESCRIBE_VERSION, clip.main.path.name, captions.to_webvtt(track),
                         spec.language, settings_key(settings),
                         *(captions.to_webvtt(t.track) + t.language + t.title for t in inside))
        versions += _described(library, clip, track, spec.language, inside, key, settings,
                               threads, written, bundle.slug)
    return tuple(versions)


def _described(library: Library, clip: ClipResult, track, language: str,
               inside: list[CaptionsInside], key: str, settings: ClipSettings,
               threads: int | None, written: list[Path], slug: str) -> list[StoredDescribed]:
    """Return the versions named ``key``: from their sidecar when complete, else made now."""
    sidecar = library.media_dir / f"{key}-described.json"
    found = _read_sidecar(library, sidecar, language)
    if found is not None:
        return found
    logger.info("%s: speaking the %s descriptions", slug, language)
    standard = library.media_dir / f"{key}-described.mp4"
    extended = library.media_dir / f"{key}-extended.mp4"
    result = describe_clip(clip.main.path, track, standard, extended, language, inside,
                           settings, threads)
    versions = [StoredDescribed(f.path.name, MP4, f.bytes, f.duration, language, f.extended)
                for f in (result.standard, result.extended) if f is not None]
    written += [library.media_dir / v.src for v in versions]
    # Last: when the sidecar exists, every version it lists is complete.
    write_text_atomic(sidecar, json.dumps([v.to_json() for v in versions]))
    return versions


def _read_sidecar(library: Library, sidecar: Path, language: str) -> list[StoredDescribed] | None:
    """Return the versions a sidecar lists when they are all in place, else None."""
    try:
        listed = [StoredDescribed.from_json(item) for item in json.loads(sidecar.read_text())]
    except (OSError, ValueError, TypeError, DocumentError):
        # missing or damaged: the versions are made again
        return None
    if not listed or any(v.language != language or not (library.media_dir / v.src).is_file()
                         for v in listed):
        return None
    return listed
