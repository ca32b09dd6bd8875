"""The library's articles in PostgreSQL (``NEWSREEL_DATABASE_URL``), for several machines.

Same tables and guarantees as the SQLite file (articles/store.py): an article,
its search rows and the version counter change in one transaction, so no
reader ever sees one without the others. The schema carries a version in
``meta``; ``python -m media db upgrade`` creates and migrates it, and
nothing else changes it.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Iterator

import psycopg

from articles import search_postgres
from articles.database import UPGRADE_COMMAND, DatabaseUnavailable, SchemaOutOfDate

# Bump with a new entry in MIGRATIONS; the app refuses to start on an older schema.
SCHEMA_VERSION = 2
BUMP_VERSION = "UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'version'"
# A server that does not answer in this time is as good as down: say so, do not hang the page.
CONNECT_SECONDS = 5
# Idle connections kept per process and URL (gunicorn's threads, the page cache's reads).
MAX_IDLE = 16
# Any constant: serialises two upgrades started at once on different machines.
UPGRADE_LOCK = 0x6E657773  # "news"
# Another: the library's reference lock (ingests shared, gc exclusive) across machines.
REFERENCES_LOCK = 0x72656673  # "refs"

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)",
        "INSERT INTO meta (key, value) VALUES ('version', '0')",
        """CREATE TABLE articles (
            slug        text PRIMARY KEY,
            title       text NOT NULL,
            published   text NOT NULL,
            language    text NOT NULL,
            summary     text NOT NULL,
            top         boolean NOT NULL DEFAULT false,
            source_hash text NOT NULL,
            document    text NOT NULL,
            ingested_at timestamptz NOT NULL DEFAULT now())""",
        "CREATE INDEX articles_listing ON articles (top DESC, published DESC, slug)",
        # The page cache asks for the last change on every version change.
        "CREATE INDEX articles_ingested_at ON articles (ingested_at)",
        *search_postgres.SCHEMA,
    ),
    2: search_postgres.PLAIN_WORDS,
}


def _where(url: str) -> str:
    """Return the URL without its password, to name the database in messages."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


class _Connections:
    """The idle connections of one database URL in this process.

    A request borrows one and gives it back, rather than each thread keeping
    its own: the development server and the test client start a thread per
    request, which would leave a connection behind for every one. A connection
    that fails is closed, never returned, and with it every idle one, which
    the same server restart has broken too: the next borrower connects anew,
    so the app recovers without a restart.
    """

    def __init__(self, url: str):
        self.url = url
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()

    def _take(self) -> psycopg.Connection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        # autocommit: a read holds no transaction open between requests;
        # writes open one explicitly.
        return psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_SECONDS)

    def _give_back(self, connection: psycopg.Connection) -> None:
        healthy = (not connection.closed
                   and connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE)
        with self._lock:
            if healthy and len(self._idle) < MAX_IDLE:
                self._idle.append(connection)
                return
        connection.close()

    def discard_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    @contextlib.contextmanager
    def borrow(self) -> Iterator[psycopg.Connection]:
        """Yield a connection; failures become DatabaseUnavailable or SchemaOutOfDate."""
        try:
            connection = self._take()
        except psycopg.OperationalError as error:
            raise DatabaseUnavailable(f"cannot reach the database at {_where(self.url)}: "
                                      f"{_first_line(error)}") from None
        try:
            yield connection
        except psycopg.errors.UndefinedTable:
            raise SchemaOutOfDate(f"the database at {_where(self.url)} has no Newsreel schema: "
                                  f"run {UPGRADE_COMMAND}") from None
        except psycopg.OperationalError as error:
            connection.close()
            self.discard_idle()
            raise DatabaseUnavailable(f"lost the database at {_where(self.url)}: "
                                      f"{_first_line(error)}") from None
        finally:
            self._give_back(connection)


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


_POOLS: dict[str, _Connections] = {}
_POOLS_LOCK = threading.Lock()


@atexit.register
def _close_idle() -> None:
    # A process that ends closes its connections: the server sees a goodbye
    # rather than a dropped socket, and Python no longer warns of each one.
    for pool in list(_POOLS.values()):
        pool.discard_idle()


def connections(url: str) -> _Connections:
    """Return this process's connections to ``url``, shared by every Library naming it."""
    with _POOLS_LOCK:
        return _POOLS.setdefault(url, _Connections(url))


class PostgresDatabase:
    """A library's articles, search rows and version in the PostgreSQL database at ``url``."""

    def __init__(self, url: str):
        self.url = url
        self.where = _where(url)

    def _read(self, work):
        """Return ``work(connection)``; a read that fails on a broken connection runs once more.

        The idle connections a server restart broke fail on first use; reads
        change nothing, so the first request after a restart is served from a
        new connection rather than answered with a 503.
        """
        try:
            with connections(self.url).borrow() as connection:
                return work(connection)
        except DatabaseUnavailable:
            with connections(self.url).borrow() as connection:
                return work(connection)

    def schema_version(self) -> int:
        """Return the schema version in the database (0 when it has none)."""
        with connections(self.url).borrow() as connection:
            return _schema_version(connection)

    def check_schema(self) -> None:
        """:raises SchemaOutOfDate: the schema is missing or older than this code's."""
        found = self.schema_version()
        if found < SCHEMA_VERSION:
            state = "has no Newsreel schema" if found == 0 else f"has schema {found}, not {SCHEMA_VERSION}"
            raise SchemaOutOfDate(f"the database at {self.where} {state}: run {UPGRADE_COMMAND}")
        if found > SCHEMA_VERSION:
            raise SchemaOutOfDate(f"the database at {self.where} has schema {found}, newer than this "
                                  f"Newsreel's {SCHEMA_VERSION}: upgrade Newsreel")

    def upgrade(self) -> tuple[int, int]:
        """Create or migrate the schema; return the versions before and after. Idempotent."""
        with connections(self.url).borrow() as connection, connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (UPGRADE_LOCK,))
            before = _schema_version(connection)
            if before > SCHEMA_VERSION:
                raise SchemaOutOfDate(f"the database at {self.where} has schema {before}, newer "
                                      f"than this Newsreel's {SCHEMA_VERSION}: upgrade Newsreel")
            for version in range(before + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version]:
                    connection.execute(statement)
                connection.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', %s)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(version),))
        return before, SCHEMA_VERSION

    @contextlib.contextmanager
    def advisory_lock(self, key: int, shared: bool, wait: bool = True) -> Iterator[None]:
        """Hold the session-level advisory lock ``key`` on a connection of its own for the block.

        Session-level, on a connection nobody else uses: the lock lasts
        exactly as long as the block, and if this machine dies its connection
        goes, and the lock with it, so no other machine waits for ever.

        :raises BlockingIOError: with ``wait=False``, when another session holds it in a conflicting mode.
        :raises DatabaseUnavailable: the server cannot be reached.
        """
        function = ("pg_advisory_lock" if wait else "pg_try_advisory_lock") + ("_shared" if shared else "")
        try:
            connection = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_SECONDS)
        except psycopg.OperationalError as error:
            raise DatabaseUnavailable(f"cannot reach the database at {self.where}: {_first_line(error)}") from None
        with connection:
            try:
                taken = connection.execute(f"SELECT {function}(%s)", (key,)).fetchone()[0]
            except psycopg.OperationalError as error:
                raise DatabaseUnavailable(f"lost the database at {self.where}: {_first_line(error)}") from None
            if taken is False:
                raise BlockingIOError(f"advisory lock {key} of {self.where} is held")
            yield
            # Closing the connection (leaving the with) releases the lock.

    def exists(self) -> bool:
        """Return True when the schema is in place."""
        return self.schema_version() > 0

    def save_article(self, row) -> None:
        """Insert or replace an article, its search rows and the version, in one transaction.

        :raises SchemaOutOfDate: the schema is missing or older: nothing is written.
        """
        with connections(self.url).borrow() as connection, connection.transaction():
            found = _schema_version(connection)
            if found != SCHEMA_VERSION:
                self.check_schema()
            document = row.document
            connection.execute(
                "INSERT INTO articles (slug, title, published, language, summary, top, source_hash,"
                " document) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (slug) DO UPDATE SET"
                " title = excluded.title, published = excluded.published, language = excluded.language,"
                " summary = excluded.summary, top = excluded.top, source_hash = excluded.source_hash,"
                " document = excluded.document, ingested_at = now()",
                (row.slug, row.title, row.published, document.language, document.summary,
                 bool(row.top), row.source_hash, document.to_text()))
            search_postgres.write_article(connection, document)
            connection.execute(BUMP_VERSION)

    def bump_version(self) -> None:
        """Raise the library's version, so every app server's page cache renders anew."""
        with connections(self.url).borrow() as connection, connection.transaction():
            connection.execute(BUMP_VERSION)

    def source_hash(self, slug: str) -> str | None:
        """Return the stored source hash of an article, or None if not stored."""
        found = self._read(lambda db: db.execute(
            "SELECT source_hash FROM articles WHERE slug = %s", (slug,)).fetchone())
        return found[0] if found else None

    def state(self) -> tuple[int, int | None]:
        """Return the version and the last change as a Unix time (None for no articles)."""
        version, latest = self._read(lambda db: db.execute(
            "SELECT (SELECT value::bigint FROM meta WHERE key = 'version'),"
            " (SELECT extract(epoch FROM max(ingested_at))::bigint FROM articles)").fetchone())
        return int(version or 0), latest

    def version(self) -> int:
        """Return a number that grows with every ingest."""
        return self.state()[0]

    def articles(self) -> list[tuple]:
        """Return every article's columns: pinned top stories first, then newest first."""
        return self._read(lambda db: db.execute(
            f"SELECT {COLUMNS} FROM articles ORDER BY top DESC, published DESC, slug").fetchall())

    def article(self, slug: str) -> tuple | None:
        """Return one article's columns, or None."""
        return self._read(lambda db: db.execute(
            f"SELECT {COLUMNS} FROM articles WHERE slug = %s", (slug,)).fetchone())

    def search(self, terms: tuple[str, ...]):
        """Return the articles and moments matching every term (search_postgres.search)."""
        return self._read(lambda db: search_postgres.search(db, terms))


# The order store._row reads them in.
COLUMNS = "slug, title, published, top, source_hash, document"


def _schema_version(connection: psycopg.Connection) -> int:
    exists = connection.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]
    if not exists:
        return 0
    found = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    return int(found[0]) if found else 0

