"""``python -m media gc``: remove library media files that no article refers to.

Thin: parses options, calls ``articles.collect.collect_orphans`` and prints
what it returns. Kept out of cli.py so that module stays a readable size.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta
from pathlib import Path

import click

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
    # Imported here: articles builds on this package, not the other way round.
    from articles.collect import CollectError, collect_orphans
    from articles.store import Library, library_path

    try:
        result = collect_orphans(Library(library_path(library)), timedelta(hours=hours), dry_run)
    except CollectError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps({**result.to_json(), "older_than_hours": hours}))
        return
    verb = "would remove" if dry_run else "removed"
    for orphan in result.orphans:
        click.echo(f"{verb} {orphan.path} ({orphan.bytes:,} bytes)")
    files = "file" if len(result.orphans) == 1 else "files"
    click.echo(f"{verb} {len(result.orphans)} {files}, {result.bytes:,} bytes"
               f"{' (dry run)' if dry_run else ''}")
