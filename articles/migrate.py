"""Move a one-machine library (SQLite file and media folder) into PostgreSQL and a bucket.

The source is always the library folder itself: its SQLite file, opened
read-only, and its media/ folder, whatever NEWSREEL_DATABASE_URL or
NEWSREEL_MEDIA_STORE say (they may already name the targets). Nothing in the
folder is changed.

Media go first, then rows, so no migrated article ever refers to an object
the bucket lacks; the objects are checked before any row is copied, so none
refers to a wrong one either. Each step skips what the target already holds
(an object of the same name, a row with the same source hash), which makes
an interrupted run resumable: run it again and it finishes the job, copying
nothing twice. Only files some article refers to are uploaded: the others are
orphans, which gc would remove from the bucket anyway.

At the end both sides are compared: every referenced object's size and the
hash of its bytes (by its ETag when that is the MD5 a plain upload gets, else
by downloading it), then the number of articles and each one's columns and
document. The first difference stops the run with one line naming it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from articles.collect import media_names
from articles.errors import PlacedError
from articles.objects import S3Store, check_endpoint, parse_store_url
from articles.store import REFERENCES_LOCK, ArticleRow, Library

logger = logging.getLogger(__name__)

# boto3's upload_file splits files from 8 MiB into 8 MiB parts (TransferConfig's
# defaults); the service's ETag of such an object is the MD5 of the parts' MD5s.
PART_BYTES = 8 * 1024 * 1024
_READ_BYTES = 1024 * 1024


class MigrateError(PlacedError):
    """The library cannot be moved: no source, an unusable target, or the two sides differ."""


class MigrationDiffers(MigrateError):
    """After copying, the target holds something other than the library: names the first difference."""


@dataclass
class MigrationReport:
    """What one run copied, found already there, and verified on each side."""

    source: str
    database: str | None = None
    media_store: str | None = None
    articles_copied: int = 0
    articles_skipped: int = 0
    articles_verified: int = 0
    objects_uploaded: int = 0
    objects_skipped: int = 0
    objects_verified: int = 0
    # Files of the media folder no article refers to: left behind (gc's orphans).
    objects_unreferenced: int = 0
    bytes_uploaded: int = 0
    bytes_verified: int = 0
    # How the objects' bytes were compared: by ETag (MD5) or by downloading them.
    objects_checked_by_etag: int = 0
    objects_downloaded: int = 0
    version_before: int | None = None
    version_after: int | None = None

    def to_json(self) -> dict:
        """Return a JSON-ready summary for ``migrate --json``."""
        return asdict(self)


def migrate(source_root: str | Path, database_url: str | None = None,
            media_store: str | None = None, s3_endpoint_url: str | None = None) -> MigrationReport:
    """Copy the library folder at ``source_root`` into the database and the store; return the report.

    :raises MigrateError: there is no library at ``source_root``, an article refers to a
        file its media folder lacks, a setting cannot be used, or nothing to migrate to.
    :raises MigrationDiffers: after copying, the target differs from the library.
    :raises articles.database.DatabaseError: the database cannot be reached.
    :raises articles.objects.StoreError: the bucket is missing or cannot be reached.
    :raises articles.document.DocumentError: a stored document cannot be read.
    """
    if not database_url and not media_store:
        raise MigrateError("give a database, a media store, or both to migrate to", source_root)
    # The folder library only: never Library.from_environment, whose settings may
    # already name the targets.
    source = Library(source_root)
    if not source.database.is_file():
        raise MigrateError(f"no library here ({source.database.name} is missing)", source.root)
    target_database = _database(source.root, database_url) if database_url else None
    store = _store(media_store, s3_endpoint_url) if media_store else None
    report = MigrationReport(source=str(source.root), media_store=store.url if store else None,
                             database=target_database.postgres.where if target_database else None)
    if target_database is not None:
        # Before any upload: an unreachable database fails in seconds, not after the media.
        target_database.upgrade()
    with _references(source):
        rows = source.articles()
        if store is not None:
            _copy_media(source, rows, store, report)
            _verify_media(source, rows, store, report)
        if target_database is not None:
            _copy_rows(rows, target_database, report)
            _verify_rows(rows, target_database, report)
    return report


def _database(root: Path, url: str) -> Library:
    from psycopg.conninfo import conninfo_to_dict
    problem = "the database URL must look like postgresql://user:password@host/database"
    if not url.startswith(("postgresql://", "postgres://")):
        raise MigrateError(problem, url.split("@")[-1])
    try:
        conninfo_to_dict(url)
    except Exception:  # psycopg's parser raises its ProgrammingError for any malformed part
        raise MigrateError(problem, url.split("@")[-1]) from None
    return Library(root, database_url=url)


def _store(url: str, endpoint_url: str | None) -> S3Store:
    bucket, prefix = parse_store_url(url)
    return S3Store(bucket, prefix, endpoint_url=check_endpoint(endpoint_url))


def _references(source: Library) -> contextlib.AbstractContextManager:
    # Shared, as an ingest holds it: a gc of the library waits until the copy is
    # done rather than removing a file being uploaded. Only an existing lock
    # folder is used, so a library never ingested into is not written to.
    if (source.media_dir / ".locks" / REFERENCES_LOCK).is_file():
        return source.references_held()
    return contextlib.nullcontext()


def referenced_names(rows: Iterable[ArticleRow]) -> list[str]:
    """Return the media names the articles refer to, once each, sorted."""
    return sorted({name for row in rows for name in media_names(row.document)})


def _local(source: Library, name: str) -> Path:
    path = source.media_path(name)
    if path is None or not path.is_file():
        raise MigrateError(f"an article refers to {name}, which the media folder lacks",
                           source.media_dir)
    return path


def _copy_media(source: Library, rows: list[ArticleRow], store: S3Store,
                report: MigrationReport) -> None:
    names = referenced_names(rows)
    paths = {name: _local(source, name) for name in names}
    present = {item.name for item in store.list()}  # a missing bucket fails here, before any work
    for name in names:
        if name in present:
            report.objects_skipped += 1
            continue
        store.upload(paths[name], name)
        report.objects_uploaded += 1
        report.bytes_uploaded += paths[name].stat().st_size
        logger.info("uploaded %s", name)
    in_folder = {path.name for path in source.media_dir.iterdir()
                 if path.is_file() and source.media_path(path.name) is not None}
    report.objects_unreferenced = len(in_folder - set(names))


def _verify_media(source: Library, rows: list[ArticleRow], store: S3Store,
                  report: MigrationReport) -> None:
    listed = {item.name: item for item in store.list()}
    for name in referenced_names(rows):
        path = _local(source, name)
        found = listed.get(name)
        where = f"{store.location}/{name}"
        if found is None:
            raise MigrationDiffers("missing from the bucket after the upload", where)
        size = path.stat().st_size
        if found.bytes != size:
            raise MigrationDiffers(f"{found.bytes:,} bytes in the bucket, {size:,} in "
                                   f"{path}", where)
        if found.etag and found.etag in _etags(path, size):
            report.objects_checked_by_etag += 1
        else:
            # An ETag that is no MD5 (KMS encryption, other part sizes): the bytes decide.
            report.objects_downloaded += 1
            if _downloaded_sha256(store, name) != _sha256(path):
                raise MigrationDiffers(f"its bytes differ from {path} (same size, other "
                                       "content)", where)
        report.objects_verified += 1
        report.bytes_verified += size


def _etags(path: Path, size: int) -> set[str]:
    """Return the ETags a service gives the file: its MD5, and boto3's multipart form."""
    whole = hashlib.md5(usedforsecurity=False)
    parts = []
    with path.open("rb") as handle:
        while chunk := handle.read(PART_BYTES):
            whole.update(chunk)
            parts.append(hashlib.md5(chunk, usedforsecurity=False).digest())
    tags = {whole.hexdigest()}
    if size >= PART_BYTES:
        combined = hashlib.md5(b"".join(parts), usedforsecurity=False).hexdigest()
        tags.add(f"{combined}-{len(parts)}")
    return tags


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_READ_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _downloaded_sha256(store: S3Store, name: str) -> str:
    with tempfile.TemporaryDirectory(prefix="newsreel-verify-") as folder:
        path = Path(folder) / name
        store.download(name, path)
        return _sha256(path)


def _copy_rows(rows: list[ArticleRow], target: Library, report: MigrationReport) -> None:
    report.version_before = target.version()
    stored = {row.slug: row.source_hash for row in target.articles()}
    # Oldest first, as they were ingested: the newest keeps the latest ingested_at.
    for row in reversed(rows):
        if stored.get(row.slug) == row.source_hash:
            report.articles_skipped += 1
            continue
        target.save_article(row)  # the row, its search rows and the version, in one transaction
        report.articles_copied += 1
        logger.info("copied %s", row.slug)
    if not report.articles_copied:
        # Nothing changed, but an app server started during an interrupted run
        # may have cached pages of a partial library: a new version renders them anew.
        target.postgres.bump_version()
    report.version_after = target.version()


def _verify_rows(rows: list[ArticleRow], target: Library, report: MigrationReport) -> None:
    where = target.postgres.where
    copied = {row.slug: row for row in target.articles()}
    extra = sorted(set(copied) - {row.slug for row in rows})
    if len(copied) != len(rows) or extra:
        named = f" (not in the library: {', '.join(extra[:3])})" if extra else ""
        raise MigrationDiffers(f"{len(copied)} articles in the database, {len(rows)} in the "
                               f"library{named}", where)
    for row in rows:
        found = copied.get(row.slug)
        if found is None:
            raise MigrationDiffers(f"article {row.slug!r} is missing from the database", where)
        for column in ("source_hash", "title", "published", "top"):
            if getattr(found, column) != getattr(row, column):
                raise MigrationDiffers(f"article {row.slug!r} has {column} "
                                       f"{getattr(found, column)!r} in the database, "
                                       f"{getattr(row, column)!r} in the library", where)
        if found.document.to_text() != row.document.to_text():
            raise MigrationDiffers(f"article {row.slug!r} has another document in the database "
                                   "than in the library", where)
        report.articles_verified += 1

