"""``python -m media worker`` and ``jobs``: ingest jobs on worker machines, through the queue.

Thin: each reads the queue settings, calls ``articles.queue`` and prints
what it returns. ``ingest --queue`` (in cli/library.py) enqueues.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime
from pathlib import Path

import click

from cli.options import show_messages


@click.command()
@click.option("--concurrency", "-c", type=click.IntRange(1, 64),
              help="Jobs this worker runs at once (default: one per core).")
@click.option("--library", type=click.Path(file_okay=False, path_type=Path),
              help="Library folder to write into (default: $NEWSREEL_LIBRARY or instance/library).")
@click.option("--stall-seconds", type=click.FloatRange(1), default=120, show_default=True,
              help="Stop an ffmpeg run whose output makes no progress this long, and retry the job.")
def worker(concurrency: int | None, library: Path | None, stall_seconds: float) -> None:
    """Run ingest jobs from the queue at $NEWSREEL_QUEUE_URL until stopped.

    \b
    Example:
      python -m media worker --concurrency 2

    NEWSREEL_QUEUE_URL names the Redis broker, such as redis://localhost:6379/0.
    Each job ingests one bundle enqueued by python -m media ingest --queue.
    A job is acknowledged only when it has finished, so one that a lost
    worker was running is run again by another. SIGTERM stops after the
    running jobs; a stalled ffmpeg run is retried, the job failing after 3 tries.
    """
    from articles.queue.connection import queue_settings, redis_client
    from articles.queue.jobs import queue_app
    from media.ffmpeg.run import set_stall_seconds
    from media.video.clips import cpu_count

    settings = queue_settings()
    redis_client(settings)  # one clear line now, rather than a worker retrying forever
    concurrency = concurrency or cpu_count()
    set_stall_seconds(stall_seconds)
    show_messages(True)
    app = queue_app(settings, library, threads=max(1, cpu_count() // concurrency))
    app.worker_main(["worker", f"--concurrency={concurrency}", "--loglevel=INFO",
                     "--without-gossip", "--without-mingle", "--pool=prefork",
                     f"--hostname=newsreel-{os.getpid()}@{socket.gethostname()}"])


def _when(seconds: float | None) -> str:
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S") if seconds else "-"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the jobs as JSON.")
def jobs(as_json: bool) -> None:
    """List the ingest jobs at $NEWSREEL_QUEUE_URL: queued, running, done and failed.

    \b
    Example:
      python -m media jobs

    One line per job, oldest first: its id, state, article slug, bundle
    folder and, for a failed job, the one-line reason.
    """
    from articles.queue.jobs import list_jobs

    found = list_jobs()
    if as_json:
        click.echo(json.dumps([job.to_json() for job in found]))
        return
    for job in found:
        detail = job.error or job.progress or ("unchanged" if job.skipped else "")
        when = job.finished_at or job.started_at or job.enqueued_at
        click.echo(f"{job.id}  {job.state:<7}  {_when(when)}  {job.slug}  {job.bundle}"
                   f"{f'  {detail}' if detail else ''}")
    counts = {state: sum(job.state == state for job in found)
              for state in ("queued", "running", "done", "failed")}
    click.echo(", ".join(f"{count} {state}" for state, count in counts.items()))
