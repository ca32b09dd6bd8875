"""What can go wrong with a library's database server, importable without its client library."""

from __future__ import annotations

from articles.errors import ArticleError

UPGRADE_COMMAND = "python -m media db upgrade"


class DatabaseError(ArticleError):
    """The PostgreSQL library cannot be used; ``str()`` is one line naming what to do."""


class DatabaseUnavailable(DatabaseError):
    """The server cannot be reached or dropped the connection: try again later."""


class SchemaOutOfDate(DatabaseError):
    """The database has no Newsreel schema, or an older one: ``db upgrade`` brings it up to date."""
