"""Enqueue bundles as ingest jobs, and the task a worker runs for each.

A job is keyed by its bundle's content hash and the encoding settings, so
it is idempotent: enqueued again while queued or running it is the same
job, and run twice (a worker killed after saving the article, before the
broker heard so) the second run finds the article up to date and writes
nothing. Everything a job needs travels in its message or sits on the shelf.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import redis

import captions
from articles.bundle import load_bundle
from articles.ingest import IngestOptions, ingest_bundle
from articles.parallel import BUNDLE_ERRORS
from articles.queue.connection import (
    QUEUE_NAME,
    TASK_NAME,
    QueueError,
    QueueSettings,
    celery_app,
    queue_settings,
    redis_client,
    unreachable,
)
from articles.queue.records import Job, JobRecords
from articles.queue.shelf import BundleRef, bundle_path, store_bundle
from articles.store import Library
from media.errors import StalledError
from media.ffmpeg.commands import ClipSettings
from media.ffmpeg.info import InputLimits, VideoInfo
from media.ffmpeg.probe import probe
from media.ffmpeg.progress import Progress
from media.photos import images
from media.video.clips import cpu_count, file_hash, settings_key

logger = logging.getLogger(__name__)

# A job whose ffmpeg stalls is tried this many times in all, then failed.
MAX_TRIES = 3
RETRY_SECONDS = 1
# How long a worker waits for a restarting Redis to record a job's state.
RECORD_PATIENCE = 120.0
# Progress is written to the job record at most this often.
PROGRESS_SECONDS = 2.0


@dataclass(frozen=True)
class Enqueued:
    """What enqueueing did with one bundle: its job, or the one-line error that refused it."""

    bundle: Path
    job_id: str | None = None
    slug: str | None = None
    already: bool = False     # the same job was already queued or running
    error: str | None = None

    def to_json(self) -> dict:
        """Return a JSON-ready summary for ``ingest --queue --json``."""
        if self.error:
            return {"bundle": str(self.bundle), "ok": False, "error": self.error}
        return {"bundle": str(self.bundle), "ok": True, "job": self.job_id, "slug": self.slug,
                "already_queued": self.already}


def check_bundle(folder: Path, limits: InputLimits, probed: dict[str, VideoInfo] | None = None) -> str:
    """Run the checks that need only the bundle's own files; return its slug.

    The rest (caption quality, descriptions, drafting captions by speech
    recognition) needs the full ingest and runs on the worker, where a
    failure shows in ``jobs``. ``probed`` keeps what ffprobe said of each
    clip by its content hash, so that a clip shared by several bundles
    (language versions, re-filed stories) is probed once.

    :raises BundleError, captions.CaptionError, MediaError: the bundle is bad.
    """
    bundle = load_bundle(folder)
    if bundle.video is not None:
        for spec in bundle.video.captions:
            if not spec.drafted:
                captions.load_captions(spec.path)
        probed = {} if probed is None else probed
        key = file_hash(bundle.video.path)
        if key not in probed:
            probed[key] = probe(bundle.video.path)
        replace(probed[key], path=bundle.video.path).check_limits(limits)
    for spec in bundle.images:
        images.open_image(spec.path)
    return bundle.slug


def job_id(ref: BundleRef, settings: ClipSettings, limits: InputLimits) -> str:
    """Return the id of the job that ingests ``ref`` with these settings: the same inputs, the same id."""
    text = "\0".join([ref.hash, ref.name, settings_key(settings),
                      json.dumps(asdict(limits), sort_keys=True)])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def enqueue_bundles(folders: list[Path] | tuple[Path, ...], library: Library,
                    settings: ClipSettings = ClipSettings(), limits: InputLimits = InputLimits(),
                    queue: QueueSettings | None = None) -> list[Enqueued]:
    """Check each bundle, shelve it and enqueue one job for it; return what happened to each, in order.

    A bad bundle is refused with its one-line error and nothing of it is
    shelved or enqueued; the others go on.

    :raises QueueError: the queue is not configured or Redis cannot be reached.
    """
    import kombu.exceptions

    queue = queue or queue_settings()
    records = JobRecords(redis_client(queue))
    app = queue_app(queue)

    probed: dict[str, VideoInfo] = {}

    def shelve(folder: Path) -> tuple[str, BundleRef] | str:
        try:
            slug = check_bundle(folder, limits, probed)
            return slug, store_bundle(library, folder)
        except BUNDLE_ERRORS as error:   # StoreError among them: the bucket refused the copy
            return str(error)

    # Checking (ffprobe) and copying wait on other processes and the disk:
    # several bundles at once; the messages then go out in the given order.
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, 4 * cpu_count())) as pool:
        shelved = list(pool.map(shelve, folders))
    outcomes = []
    with app.producer_or_acquire() as producer:
        for folder, found in zip(folders, shelved, strict=True):
            if isinstance(found, str):
                outcomes.append(Enqueued(Path(folder), error=found))
                continue
            slug, ref = found
            job = Job(id=job_id(ref, settings, limits), state="queued", bundle=str(folder),
                      slug=slug, bundle_hash=ref.hash, enqueued_at=time.time())
            if not records.create(job):
                outcomes.append(Enqueued(Path(folder), job.id, slug, already=True))
                continue
            try:
                app.send_task(TASK_NAME, args=[job.id, ref.to_json(), asdict(settings), asdict(limits)],
                              task_id=job.id, queue=QUEUE_NAME, producer=producer,
                              retry_policy={"max_retries": 3, "interval_start": 0.5,
                                            "interval_step": 1, "interval_max": 2})
            except kombu.exceptions.OperationalError as error:
                records.failed(job.id, "could not be sent to the queue")
                raise unreachable(queue, error) from None
            outcomes.append(Enqueued(Path(folder), job.id, slug))
    return outcomes


def list_jobs(queue: QueueSettings | None = None) -> list[Job]:
    """Return every recorded job, oldest first.

    :raises QueueError: the queue is not configured or Redis cannot be reached.
    """
    queue = queue or queue_settings()
    try:
        return JobRecords(redis_client(queue)).all()
    except redis.RedisError as error:
        raise unreachable(queue, error) from None


class _Reporter:
    """Writes the step a job is on to its record, at most every PROGRESS_SECONDS."""

    def __init__(self, records: JobRecords, job: str):
        self.records, self.job, self.last = records, job, 0.0

    def __call__(self, label: str, progress: Progress) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_SECONDS and not progress.done:
            return
        self.last = now
        fraction = progress.fraction
        self.records.progress(self.job, label if fraction is None else f"{label} {fraction:.0%}")


def queue_app(queue: QueueSettings, library: Path | None = None, threads: int | None = None):
    """Return the Celery app with the ingest task, which writes into ``library`` with ``threads`` per ffmpeg run."""
    app = celery_app(queue)
    app.conf.update(newsreel_library=str(library) if library else None, newsreel_threads=threads)
    app.task(name=TASK_NAME, bind=True)(run_job)
    return app


def run_job(task, job: str, ref: dict, settings: dict, limits: dict) -> None:
    """Ingest a shelved bundle into the worker's library, keeping the job's record up to date.

    A stalled ffmpeg is retried, up to MAX_TRIES runs in all; a bad bundle
    fails the job at once, with its one-line error in the record.
    """
    conf = task.app.conf
    # Redis handed this job over a moment ago; it may restart while the job runs.
    records = JobRecords(redis_client(queue_settings()), patience=RECORD_PATIENCE)
    records.started(job, task.request.hostname or "")
    library = Library.from_environment(conf.get("newsreel_library"))
    options = IngestOptions(
        settings=ClipSettings(**{**settings, "renditions": tuple(settings["renditions"])}),
        limits=InputLimits(**limits), threads=conf.get("newsreel_threads"),
        on_progress=_Reporter(records, job))
    tries = task.request.retries + 1
    shelved = None
    try:
        with bundle_path(library, BundleRef.from_json(ref)) as shelved:
            result = ingest_bundle(shelved, library, options)
    except StalledError as error:
        if tries < MAX_TRIES:
            records.retrying(job, f"try {tries} of {MAX_TRIES}: {_named(error, shelved, records, job)}")
            logger.warning("job %s: %s; trying again", job, error)
            raise task.retry(exc=error, countdown=RETRY_SECONDS, max_retries=MAX_TRIES - 1) from None
        records.failed(job, f"{_named(error, shelved, records, job)} (gave up after {MAX_TRIES} tries)")
        logger.error("job %s failed: %s", job, error)
        return
    except (*BUNDLE_ERRORS, QueueError) as error:
        records.failed(job, _named(error, shelved, records, job))
        logger.error("job %s failed: %s", job, error)
        return
    except Exception as error:
        records.failed(job, f"{type(error).__name__}: {error}")
        raise
    records.finished(job, result.skipped)
    logger.info("job %s: %s %s", job, result.slug, "unchanged" if result.skipped else "ingested")


def _named(error: Exception, shelved: Path | None, records: JobRecords, job: str) -> str:
    """Return the error's line with the shelved copy's folder named as the folder it was enqueued from."""
    try:
        found = records.get(job)
    except redis.RedisError:
        found = None
    text = str(error)
    if shelved is None or found is None or not found.bundle:
        return text
    return text.replace(str(shelved), found.bundle)
