"""``python -m media migrate``: move a one-machine library into PostgreSQL and a bucket.

Thin: it checks the options' values, calls articles.migrate.migrate and
prints its report.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.options import show_messages


def _store_url(_ctx, _param, value: str | None) -> str | None:
    # Checked here, so that a bad value is one line naming the option, not a usage block.
    from articles.objects import StoreSettingError, parse_store_url
    if value is None:
        return None
    try:
        parse_store_url(value)
    except StoreSettingError:
        raise click.ClickException(f"--to-media-store {value!r}: give a bucket and prefix, "
                                   "such as s3://newsreel-media/media") from None
    return value


def _endpoint_url(_ctx, _param, value: str | None) -> str | None:
    from articles.objects import StoreSettingError, check_endpoint
    try:
        return check_endpoint(value)
    except StoreSettingError:
        raise click.ClickException(f"--s3-endpoint-url {value!r}: give the service's address, "
                                   "such as https://s3.example:9000") from None


@click.command()
@click.option("--to-database", "database_url", metavar="URL",
              help="PostgreSQL database to copy the articles into: postgresql://user@host/db.")
@click.option("--to-media-store", "media_store", metavar="URL", callback=_store_url,
              help="Bucket to upload the media into: s3://bucket/prefix.")
@click.option("--s3-endpoint-url", metavar="URL", callback=_endpoint_url,
              help="The S3-compatible service's address (default: AWS's own).")
@click.option("--library", type=click.Path(file_okay=False, path_type=Path),
              help="Library folder to copy from (default: $NEWSREEL_LIBRARY or instance/library).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="Print errors only.")
def migrate(database_url: str | None, media_store: str | None, s3_endpoint_url: str | None,
            library: Path | None, as_json: bool, quiet: bool) -> None:
    """Copy a library folder's articles into PostgreSQL and its media into a bucket.

    \b
    Example:
      python -m media migrate --to-database postgresql://newsreel@db/newsreel \\
          --to-media-store s3://newsreel-media/media

    The library folder (its SQLite file and media/) is only read, whatever
    NEWSREEL_DATABASE_URL and NEWSREEL_MEDIA_STORE say. The database's schema
    is created or upgraded first. Media go before articles, so no copied
    article refers to a missing object; only files an article refers to are
    uploaded. What the targets already hold is skipped, so a run that was
    interrupted finishes when started again. At the end the number of
    articles, each one's source hash and document, and each object's size and
    bytes are compared; the first difference is one line and exit code 1.
    Either --to- option may be given alone. Credentials for the bucket come
    from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or ~/.aws).
    """
    # Imported here, so that the commands that do not need the library start faster.
    from articles.migrate import migrate as migrate_library
    from articles.store import library_path

    if not database_url and not media_store:
        raise click.ClickException("give --to-database URL, --to-media-store URL, or both")
    show_messages(not quiet and not as_json)
    report = migrate_library(library_path(library), database_url, media_store, s3_endpoint_url)
    if as_json:
        click.echo(json.dumps(report.to_json()))
        return
    if quiet:
        return
    if report.media_store:
        click.echo(f"objects: {report.objects_uploaded} uploaded ({report.bytes_uploaded:,} bytes), "
                   f"{report.objects_skipped} already there, {report.objects_verified} verified "
                   f"({report.bytes_verified:,} bytes; {report.objects_checked_by_etag} by ETag, "
                   f"{report.objects_downloaded} downloaded), {report.objects_unreferenced} "
                   f"unreferenced left behind -> {report.media_store}")
    if report.database:
        click.echo(f"articles: {report.articles_copied} copied, {report.articles_skipped} already "
                   f"there, {report.articles_verified} verified; library version "
                   f"{report.version_before} -> {report.version_after} -> {report.database}")
