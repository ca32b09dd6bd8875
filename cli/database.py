"""``python -m media db upgrade``: create or migrate the library's database schema.

Thin: it names the library as every command does (``--library``,
``NEWSREEL_LIBRARY``, ``NEWSREEL_DATABASE_URL``) and calls Library.upgrade.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def db() -> None:
    """Manage the library's database: SQLite in the folder, or NEWSREEL_DATABASE_URL."""


@db.command()
@click.option("--library", type=click.Path(file_okay=False, path_type=Path),
              help="Library folder (default: $NEWSREEL_LIBRARY or instance/library).")
def upgrade(library: Path | None) -> None:
    """Create the database's tables, or bring an older schema up to date.

    \b
    Example:
      python -m media db upgrade

    With NEWSREEL_DATABASE_URL set (postgresql://user@host/database) it acts
    on that database, otherwise on the SQLite file in the library folder.
    Safe to run again, and from several machines at once: a database that is
    up to date is left as it is. Run it before starting app servers of a new
    version; they refuse to start on an older schema.
    """
    # Imported here, so that the commands that do not need the library start faster.
    from articles.store import Library

    found = Library.from_environment(library)
    before, after = found.upgrade()
    where = found.postgres.where if found.postgres else str(found.database)
    if before == after:
        click.echo(f"{where}: schema {after}, up to date")
    else:
        click.echo(f"{where}: schema {before} -> {after}")
