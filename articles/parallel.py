"""Ingest several bundles at once, sharing the machine's cores between ffmpeg runs."""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass
from pathlib import Path

import captions
from articles.bundle import BundleError
from articles.ingest import IngestOptions, IngestResult, ingest_bundle
from articles.objects import StoreError
from articles.store import Library
from media.errors import MediaError
from media.ffmpeg.commands import ClipSettings
from media.ffmpeg.info import InputLimits
from media.ffmpeg.run import CANCEL
from media.video.clips import ProgressCallback, cpu_count

# The errors that a bad bundle may cause; anything else is a bug and propagates.
# A store that refuses an upload fails the bundle being published, in its one line.
BUNDLE_ERRORS = (BundleError, captions.CaptionError, MediaError, StoreError)


@dataclass(frozen=True)
class Outcome:
    """The result of one bundle: a result, or the one-line error that stopped it."""

    bundle: Path
    result: IngestResult | None = None
    error: str | None = None

    def to_json(self) -> dict:
        """Return a JSON-ready summary for ``ingest --json``."""
        if self.error:
            return {"bundle": str(self.bundle), "ok": False, "error": self.error}
        return {"bundle": str(self.bundle), "ok": True, "slug": self.result.slug,
                "skipped": self.result.skipped,
                "written": [str(p) for p in self.result.written], "notes": list(self.result.notes)}


def ingest_many(bundles: tuple[Path, ...] | list[Path], library: Library,
                settings: ClipSettings = ClipSettings(), limits: InputLimits = InputLimits(),
                jobs: int = 1, on_progress: ProgressCallback | None = None) -> list[Outcome]:
    """Ingest ``bundles`` with up to ``jobs`` at once; return their outcomes in order.

    Each ffmpeg run gets cores / jobs threads, so the jobs together never ask
    for more threads than there are cores. On KeyboardInterrupt every running
    ffmpeg is stopped, its temporary file removed, and the interrupt re-raised.
    """
    threads = max(1, cpu_count() // max(1, jobs))
    options = IngestOptions(settings=settings, limits=limits, threads=threads,
                            on_progress=on_progress)

    def one(bundle: Path) -> Outcome:
        try:
            return Outcome(bundle, result=ingest_bundle(bundle, library, options))
        except BUNDLE_ERRORS as error:
            return Outcome(bundle, error=str(error))

    if jobs <= 1:
        return [one(bundle) for bundle in bundles]
    CANCEL.clear()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="ingest")
    try:
        futures = [pool.submit(one, bundle) for bundle in bundles]
        return [future.result() for future in futures]
    except BaseException:
        # Ctrl-C reaches only this thread: tell the workers' ffmpeg runs to stop.
        CANCEL.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        CANCEL.clear()
