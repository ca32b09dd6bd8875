"""``python -m media ingest``, ``gc`` and ``demo``: the commands that write bundles or act on the library.

Thin: each parses options, calls ``articles`` (or ``media.demo.bundles``) and prints
what it returns.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import timedelta
from pathlib import Path

import click

from cli.options import ProgressBars, clip_options, clip_settings, show_messages

MAX_HOURS = 1_000_000  # about 114 years


def _hours(_ctx, _param, value: str) -> float:
    # Checked here rather than with click.FloatRange, so that a bad value is
    # one line, as the help promises, not a usage block.
    try:
        hours = float(value)
    except ValueError:
        raise click.ClickException(f"--older-than {value!r}: give a number of hours, "
                                   "such as 24") from None
    if not math.isfinite(hours) or hours < 0:
        raise click.ClickException(f"--older-than {value}: hours must be 0 or more")
    if hours > MAX_HOURS:
        # timedelta overflows near 2.7e10 hours; over a century is already "never".
        raise click.ClickException(f"--older-than {value}: hours must be at most {MAX_HOURS:,}")
    return hours


@click.command()
@click.option("--library", type=click.Path(file_okay=False, path_type=Path),
              help="Library folder to clean (default: $NEWSREEL_LIBRARY or instance/library).")
@click.option("--older-than", "hours", default="24", show_default=True, callback=_hours,
              metavar="HOURS",
              help="Only remove files written, or released by a re-ingest, at least this long ago.")
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def gc(library: Path | None, hours: float, dry_run: bool, as_json: bool) -> None:
    """Remove media files in the library that no article refers to.

    \b
    Example:
      python -m media gc --dry-run

    A failed or superseded ingest leaves files no page uses. Only those
    older than --older-than go, counted from when a file was written or
    stopped being used by an article, whichever is later; and never while
    an ingest is running, so files an ingest has just written or chosen to
    reuse are kept. --dry-run takes no lock and changes nothing.
    """
    # Imported here, so that the commands that do not need the library start faster.
    from articles.collect import collect_orphans
    from articles.store import Library

    result = collect_orphans(Library.from_environment(library), timedelta(hours=hours), dry_run)
    if as_json:
        click.echo(json.dumps({**result.to_json(), "older_than_hours": hours}))
        return
    verb = "would remove" if dry_run else "removed"
    for orphan in result.orphans:
        click.echo(f"{verb} {orphan.path} ({orphan.bytes:,} bytes)")
    files = "file" if len(result.orphans) == 1 else "files"
    click.echo(f"{verb} {len(result.orphans)} {files}, {result.bytes:,} bytes"
               f"{' (dry run)' if dry_run else ''}")


@click.command()
@click.argument("bundles", nargs=-1, required=True,
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--library", type=click.Path(file_okay=False, path_type=Path),
              help="Library folder to write into (default: $NEWSREEL_LIBRARY or instance/library).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64),
              help="Bundles prepared at once (default: one per core, at most one per bundle).")
@click.option("--queue", is_flag=True,
              help="Check each bundle, then leave it to workers on $NEWSREEL_QUEUE_URL and return.")
@clip_options
def ingest(bundles: tuple[Path, ...], library: Path | None, jobs: int | None, queue: bool,
           max_height: int, crf: int, preset: str, renditions: tuple[int, ...], webm: bool,
           loudness: float, no_loudness: bool, max_duration: float, quiet: bool,
           as_json: bool) -> None:
    """Validate article BUNDLES, prepare their media and record them in the library.

    \b
    Example:
      python -m media ingest content/night-ferry-returns content/school-roof-garden

    An unchanged bundle is skipped. A bad bundle is reported in one line and
    leaves the library as it was; the other bundles are still ingested, and
    the exit code is 1 if any failed. Ctrl-C stops cleanly: nothing is left
    half-written; whole files no article uses yet stay until python -m media gc.
    With --queue each checked bundle becomes a job for python -m media
    worker, and its job id is printed; python -m media jobs follows them.
    """
    if queue:
        _enqueue(bundles, library, clip_settings(max_height, crf, preset, renditions, webm,
                                                 loudness, no_loudness), max_duration, quiet, as_json)
        return
    # Imported here, so that the commands that do not need the library start faster.
    from articles.parallel import ingest_many
    from articles.store import Library
    from media.ffmpeg.info import InputLimits
    from media.video.clips import cpu_count

    jobs = jobs or max(1, min(len(bundles), cpu_count()))
    settings = clip_settings(max_height, crf, preset, renditions, webm, loudness, no_loudness)
    # Bars from parallel jobs would overwrite each other: one job draws one.
    progress = ProgressBars(enabled=not quiet and not as_json and jobs == 1)
    show_messages(not quiet and not as_json)
    try:
        outcomes = ingest_many(bundles, Library.from_environment(library), settings,
                               InputLimits(max_duration=max_duration), jobs, progress)
    except KeyboardInterrupt:
        progress.close()
        click.echo("error: interrupted; finished bundles are saved, nothing is half-written",
                   err=True)
        sys.exit(130)
    progress.close()
    failures = [o for o in outcomes if o.error]
    for outcome in outcomes:
        if outcome.error:
            click.echo(f"error: {outcome.error}", err=True)
        elif not quiet and not as_json:
            for note in outcome.result.notes:
                click.echo(f"note: {note}", err=True)
    if as_json:
        click.echo(json.dumps([o.to_json() for o in outcomes]))
    if failures:
        if len(bundles) > 1:
            click.echo(f"{len(failures)} of {len(bundles)} bundles failed", err=True)
        sys.exit(1)


def _enqueue(bundles: tuple[Path, ...], library: Path | None, settings, max_duration: float,
             quiet: bool, as_json: bool) -> None:
    from articles.queue.jobs import enqueue_bundles
    from articles.store import Library
    from media.ffmpeg.info import InputLimits

    outcomes = enqueue_bundles(bundles, Library.from_environment(library), settings,
                               InputLimits(max_duration=max_duration))
    for outcome in outcomes:
        if outcome.error:
            click.echo(f"error: {outcome.error}", err=True)
        elif not as_json and not quiet:
            what = "already queued" if outcome.already else "queued"
            click.echo(f"{outcome.job_id}  {what}  {outcome.slug}  {outcome.bundle}")
    if as_json:
        click.echo(json.dumps([o.to_json() for o in outcomes]))
    failures = sum(1 for o in outcomes if o.error)
    if failures:
        if len(bundles) > 1:
            click.echo(f"{failures} of {len(bundles)} bundles refused", err=True)
        sys.exit(1)


@click.command()
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the demo bundles into (e.g. content).")
def demo(out: Path) -> None:
    """Write demo article bundles (clips, captions, photos, text) into --out.

    \b
    Example:
      python -m media demo --out content

    Existing bundle folders are left untouched.
    """
    from media.demo.bundles import write_demo
    show_messages(True)
    written = write_demo(out)
    for folder in written:
        click.echo(str(folder))
