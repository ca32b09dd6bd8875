"""Thumbnails of many photos at once, one process per core, a crashing decoder isolated to its file."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from media.errors import ImageError
from media.photos.thumbs import ThumbSet, make_thumbnails, set_encode_threads


def make_many(jobs: Sequence[dict], workers: int | None = None) -> list[ThumbSet | ImageError]:
    """Run ``make_thumbnails(**job)`` for each job across processes; return results in order.

    An unusable image gives its ImageError in its place and the others go on;
    a job whose arguments are wrong (a ValueError, as from make_thumbnails)
    is the caller's mistake and stops the batch. One worker runs the jobs in
    this process.
    """
    jobs = [dict(job) for job in jobs]
    if not jobs:
        return []
    cores = os.cpu_count() or 1
    workers = max(1, min(len(jobs), workers or cores))
    if workers == 1:
        return [_outcome(_run_job(job)) for job in jobs]
    # AVIF encodes with every core by default; split them so workers do not oversubscribe.
    threads = max(1, cores // workers)
    results: list[ThumbSet | ImageError | None] = [None] * len(jobs)
    crashed = []
    with _pool(workers, threads) as pool:
        futures = [pool.submit(_run_job, job) for job in jobs]
        for index, future in enumerate(futures):
            try:
                results[index] = _outcome(future.result())
            except BrokenProcessPool:
                crashed.append(index)
    # A worker that dies (a decoder crash on a hostile file) takes every
    # pending job with it; rerunning each alone shows which file was at fault.
    for index in crashed:
        results[index] = _alone(jobs[index], threads)
    return results


def _pool(workers: int, threads: int) -> ProcessPoolExecutor:
    # spawn, not fork: forking a threaded web server can copy a held Pillow lock.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(threads,))


def _alone(job: dict, threads: int) -> ThumbSet | ImageError:
    with _pool(1, threads) as pool:
        try:
            return _outcome(pool.submit(_run_job, job).result())
        except BrokenProcessPool:
            return ImageError("the image decoder crashed on this file", job.get("source"))


def _init_worker(threads: int) -> None:
    set_encode_threads(threads)


def _run_job(job: dict) -> ThumbSet | tuple[str, Path | None]:
    try:
        return make_thumbnails(**job)
    except ImageError as err:
        # An ImageError loses its path when pickled; send the parts back instead.
        return err.message, err.path


def _outcome(result: ThumbSet | tuple[str, Path | None]) -> ThumbSet | ImageError:
    return ImageError(*result) if isinstance(result, tuple) else result
