"""The root of the articles package's errors: every one a caller may catch derives from ArticleError."""

from __future__ import annotations


class ArticleError(Exception):
    """A bundle, the library or a search request that cannot be used; ``str()`` is one line."""


class PlacedError(ArticleError):
    """An error about one place, a file, a folder or a store's address: ``str()`` is "place: message"."""

    def __init__(self, message: str, where: object):
        super().__init__(message, where)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
