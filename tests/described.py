"""A library whose demo clip has spoken described versions, made with real ffmpeg files.

Until ingest makes them, the standard version is the clip remuxed under a new
name and the extended one is the clip with its last frame held for two more
seconds and its English captions inside as mov_text; the document lists them
as ingest will. One function, so that it can later become a plain ingest.
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

from articles.document import StoredDescribed
from articles.ingest import ingest_bundle
from articles.store import Library
from media.ffmpeg import tools
from media.ffmpeg.probe import probe

DESCRIBED_SLUG = "night-ferry-returns"
PLAIN_SLUG = "reading-room-stays-open"
HELD_SECONDS = 2.0


def _ffmpeg(*args: str) -> None:
    subprocess.run([tools.ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
                   check=True, timeout=300)


def make_described_library(root: Path, demo_content: Path, languages=("en",)) -> Library:
    """Ingest two demo bundles into ``root``; give the first a standard and an extended spoken version."""
    library = Library(root)
    for slug in (DESCRIBED_SLUG, PLAIN_SLUG):
        ingest_bundle(demo_content / slug, library)
    row = library.article(DESCRIBED_SLUG)
    video = row.document.video
    source = library.media_path(video.src)
    stem = Path(video.src).stem
    standard = library.media_dir / f"{stem}-ad.mp4"
    _ffmpeg("-i", str(source), "-map", "0", "-c", "copy", "-movflags", "+faststart", str(standard))
    captions = library.media_path(next(t for t in video.tracks if t.language == "en").src)
    extended = library.media_dir / f"{stem}-adx.mp4"
    _ffmpeg("-i", str(source), "-i", str(captions), "-filter_complex",
            f"[0:v]tpad=stop_mode=clone:stop_duration={HELD_SECONDS}[v];"
            f"[0:a]apad=pad_dur={HELD_SECONDS}[a]",
            "-map", "[v]", "-map", "[a]", "-map", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-c:s", "mov_text", "-movflags", "+faststart", str(extended))
    versions = tuple(_version(path, language, is_extended) for language in languages
                     for path, is_extended in ((standard, False), (extended, True)))
    document = dataclasses.replace(row.document,
                                   video=dataclasses.replace(video, described=versions))
    library.save_article(dataclasses.replace(row, document=document))
    return library


def _version(path: Path, language: str, extended: bool) -> StoredDescribed:
    return StoredDescribed(src=path.name, media_type="video/mp4", size=path.stat().st_size,
                           duration=round(probe(path).duration, 3), language=language,
                           extended=extended)
