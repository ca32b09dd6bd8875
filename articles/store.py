"""The library: prepared media files plus a SQLite database of articles.

Layout of a library folder::

    newsreel.sqlite3     articles, one JSON document each, their search index
                         (FTS5, see articles/search.py) and a version counter
    media/               content-hashed outputs: clips, posters, captions, photos

The web app only reads from here; ingest is the only writer.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from articles import search as search_index
from articles.document import StoredArticle
from articles.objects import FolderStore, S3Store, open_store
from media.names import SERVED_NAME

DATABASE = "newsreel.sqlite3"
MEDIA = "media"
# In the media folder's .locks: shared by ingests, exclusive for collecting orphans.
REFERENCES_LOCK = "references.lock"
DEFAULT_LIBRARY = Path("instance") / "library"
# Where a library lives beyond its folder, each unset by default (one machine):
# the Library argument and the environment variable that sets it.
ENVIRONMENT = {
    "database_url": "NEWSREEL_DATABASE_URL",      # postgresql://...; unset: SQLite in the folder
    "media_store": "NEWSREEL_MEDIA_STORE",        # s3://bucket/prefix; unset: the folder's media/
    "s3_endpoint_url": "NEWSREEL_S3_ENDPOINT_URL",  # any S3-compatible service; unset: AWS
}

# The SQLite file's schema version in its meta table: db upgrade records it.
SQLITE_SCHEMA = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    slug        TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    published   TEXT NOT NULL,
    language    TEXT NOT NULL,
    summary     TEXT NOT NULL,
    top         INTEGER NOT NULL DEFAULT 0,
    source_hash TEXT NOT NULL,
    document    TEXT NOT NULL,
    ingested_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def library_path(configured: str | os.PathLike | None = None) -> Path:
    """Return the library folder: ``configured``, else $NEWSREEL_LIBRARY, else instance/library."""
    return Path(configured or os.environ.get("NEWSREEL_LIBRARY") or DEFAULT_LIBRARY)


@dataclass(frozen=True)
class ArticleRow:
    """One stored article: sortable columns plus the full document."""

    slug: str
    title: str
    published: str
    top: bool
    source_hash: str
    document: StoredArticle


class Library:
    """A library folder; open connections are short-lived, one per call.

    The folder holds everything on one machine. ``database_url`` and
    ``media_store`` move the articles and the prepared media elsewhere, for
    several machines; the folder then stages media being prepared.
    """

    def __init__(self, root: str | os.PathLike, database_url: str | None = None,
                 media_store: str | None = None, s3_endpoint_url: str | None = None):
        self.root = Path(root)
        self.database_url = database_url
        self.media_store = media_store
        self.s3_endpoint_url = s3_endpoint_url
        self.postgres = None
        if database_url:
            # Imported here: a library in its folder needs no PostgreSQL client.
            from articles.postgres import PostgresDatabase
            self.postgres = PostgresDatabase(database_url)

    @classmethod
    def from_environment(cls, root: str | os.PathLike | None = None) -> Library:
        """Return the library that ``root`` (else $NEWSREEL_LIBRARY) and the NEWSREEL_* variables name."""
        return cls(library_path(root), **{argument: os.environ.get(variable) or None
                                         for argument, variable in ENVIRONMENT.items()})

    @property
    def database(self) -> Path:
        """Return the SQLite database path."""
        return self.root / DATABASE

    @property
    def media_dir(self) -> Path:
        """Return the folder of prepared media files."""
        return self.root / MEDIA

    def objects(self) -> FolderStore | S3Store:
        """Return where prepared media are published: ``media_store``'s bucket, else ``media_dir``.

        :raises StoreSettingError: ``media_store`` or ``s3_endpoint_url`` cannot be used.
        """
        return open_store(self.media_store, self.s3_endpoint_url, self.media_dir)

    def exists(self) -> bool:
        """Return True when the database has been created (by an ingest, or db upgrade)."""
        if self.postgres:
            return self.postgres.exists()
        return self.database.is_file()

    def upgrade(self) -> tuple[int, int]:
        """Create or migrate the database's schema; return its versions before and after.

        Idempotent. SQLite: creates the file, its tables and the search index.
        """
        if self.postgres:
            return self.postgres.upgrade()
        with self.connect(write=True) as db:
            before = _sqlite_schema(db)
            search_index.ensure_index(db)
            db.execute("INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT(key)"
                       " DO UPDATE SET value = excluded.value", (str(SQLITE_SCHEMA),))
        return before, SQLITE_SCHEMA

    def check_schema(self) -> None:
        """:raises DatabaseError: (PostgreSQL) the schema is missing or older than this code's."""
        if self.postgres:
            self.postgres.check_schema()

    def state(self) -> tuple[int, int | None]:
        """Return (version, last change as a Unix time); PostgreSQL only, see web.caching.

        :raises DatabaseError: the database cannot be reached or has no schema.
        """
        return self.postgres.state()

    @contextlib.contextmanager
    def connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """Yield a connection; with ``write`` the block is one transaction."""
        if write:
            self.root.mkdir(parents=True, exist_ok=True)
            uri = f"file:{self.database}"
        else:
            # Read-only, so a page view can never create or change the library.
            uri = f"file:{self.database}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, timeout=30)
        connection.row_factory = sqlite3.Row
        try:
            if write:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.executescript(SCHEMA)
                with connection:
                    yield connection
            else:
                yield connection
        finally:
            connection.close()

    @contextlib.contextmanager
    def references_held(self, exclusive: bool = False, wait: bool = True) -> Iterator[None]:
        """Hold the library's reference lock: shared by ingests, exclusive for collecting orphans.

        An ingest holds it from its first look at the media folder until its
        article is saved, the time when files it wrote or chose to reuse are
        referenced by no article yet.

        With PostgreSQL the lock is also an advisory lock there, so that it
        holds across machines; the file lock stays for processes of this
        machine (and a library in its folder).

        :raises BlockingIOError: with ``wait=False``, when another holder keeps the lock.
        :raises DatabaseUnavailable: (PostgreSQL) the server cannot be reached.
        """
        locks = self.media_dir / ".locks"  # beside media.video.clips' per-clip locks
        locks.mkdir(parents=True, exist_ok=True)
        with (locks / REFERENCES_LOCK).open("a") as handle:
            mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
            fcntl.flock(handle, mode if wait else mode | fcntl.LOCK_NB)
            try:
                if self.postgres:
                    from articles.postgres import REFERENCES_LOCK as KEY
                    with self.postgres.advisory_lock(KEY, shared=not exclusive, wait=wait):
                        yield
                else:
                    yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def clip_lock(self) -> Callable[[str], contextlib.AbstractContextManager] | None:
        """Return the lock machines share per clip output key (media.video.clips), or None on one machine.

        With PostgreSQL, an exclusive advisory lock keyed by the output key:
        workers with folders of their own then never prepare one clip at once,
        and a dead machine's lock goes with its connection. Without it the
        media folder's file locks are the only ones, as the folder is shared.
        """
        if not self.postgres:
            return None
        postgres = self.postgres
        # The output key is a hex hash: its first 60 bits are a bigint key.
        return lambda key: postgres.advisory_lock(int(key[:15], 16), shared=False)

    def media_path(self, name: str) -> Path | None:
        """Return the path of a media file by its public name, or None if not a valid name."""
        if not SERVED_NAME.fullmatch(name):
            return None
        return self.media_dir / name

    def save_article(self, row: ArticleRow) -> None:
        """Insert or replace an article, its search rows and the library version, in one
        transaction."""
        if self.postgres:
            return self.postgres.save_article(row)
        with self.connect(write=True) as db:
            db.execute(
                "INSERT OR REPLACE INTO articles (slug, title, published, language, summary,"
                " top, source_hash, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (row.slug, row.title, row.published, row.document.language,
                 row.document.summary, int(row.top), row.source_hash, row.document.to_text()))
            search_index.write_article(db, row.document)
            db.execute("INSERT INTO meta (key, value) VALUES ('version', '1') ON CONFLICT(key)"
                       " DO UPDATE SET value = CAST(value AS INTEGER) + 1")

    def source_hash(self, slug: str) -> str | None:
        """Return the stored source hash of an article, or None if not stored."""
        if self.postgres:
            return self.postgres.source_hash(slug)
        if not self.exists():
            return None
        with self.connect() as db:
            found = db.execute("SELECT source_hash FROM articles WHERE slug = ?",
                               (slug,)).fetchone()
        return found["source_hash"] if found else None

    def version(self) -> int:
        """Return a number that grows with every ingest (0 for an empty library)."""
        if self.postgres:
            return self.postgres.version()
        if not self.exists():
            return 0
        with self.connect() as db:
            found = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        return int(found["value"]) if found else 0

    def articles(self) -> list[ArticleRow]:
        """Return all articles: pinned top stories first, then newest first.

        :raises DocumentError: a stored document is missing a field or holds an odd value.
        """
        if self.postgres:
            return [_row(r) for r in self.postgres.articles()]
        if not self.exists():
            return []
        with self.connect() as db:
            rows = db.execute(
                "SELECT * FROM articles ORDER BY top DESC, published DESC, slug").fetchall()
        return [_row(r) for r in rows]

    def search(self, query: str) -> search_index.Results:
        """Return the articles and transcript moments matching every word of ``query``.

        :raises search_index.QueryTooLong: the query is longer than the limit.
        :raises search_index.SearchIndexMissing: the library predates search; ingest builds it.
        """
        terms = search_index.query_terms(query)
        if self.postgres:
            return self.postgres.search(terms)
        if not terms or not self.exists():
            return search_index.Results(terms, (), False)
        with self.connect() as db:
            return search_index.search(db, terms)

    def article(self, slug: str) -> ArticleRow | None:
        """Return one article by slug, or None.

        :raises DocumentError: its stored document is missing a field or holds an odd value.
        """
        if self.postgres:
            found = self.postgres.article(slug)
            return _row(found) if found else None
        if not self.exists():
            return None
        with self.connect() as db:
            found = db.execute("SELECT * FROM articles WHERE slug = ?", (slug,)).fetchone()
        return _row(found) if found else None


def _row(row) -> ArticleRow:
    # A sqlite3.Row by name, or PostgreSQL's tuple in postgres.COLUMNS order.
    slug, title, published, top, source_hash, document = (
        (row["slug"], row["title"], row["published"], row["top"], row["source_hash"],
         row["document"]) if isinstance(row, sqlite3.Row) else row)
    return ArticleRow(slug=slug, title=title, published=published, top=bool(top),
                      source_hash=source_hash, document=StoredArticle.from_text(document, slug))


def _sqlite_schema(db: sqlite3.Connection) -> int:
    found = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    return int(found[0]) if found else 0
