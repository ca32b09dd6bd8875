"""The root of the articles package's errors: every one a caller may catch derives from ArticleError."""

from __future__ import annotations


class ArticleError(Exception):
    """A bundle, the library or a search request that cannot be used; ``str()`` is one line."""
