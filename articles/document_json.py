"""Typed reads of the JSON objects in a stored article; an odd field is a DocumentError naming it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from articles.errors import ArticleError

# No default: the field must be in the document.
REQUIRED = object()


class DocumentError(ArticleError):
    """A stored article document that lacks a field or holds an odd value: older, or edited by hand."""

    def __init__(self, slug: str | None, field: str, problem: str):
        super().__init__(slug, field, problem)
        self.slug = slug
        self.field = field
        self.problem = problem

    def __str__(self) -> str:
        return f"stored article {self.slug!r}: {self.field} {self.problem}"


def _described(value: object) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return {dict: "an object", list: "a list", str: "text"}.get(type(value), "null")


class Fields:
    """One JSON object of a stored document, read a typed field at a time; errors name the field."""

    def __init__(self, data: object, slug: str | None, place: str):
        if not isinstance(data, dict):
            raise DocumentError(slug, place or "the document", f"is {_described(data)}, not an object")
        self.data, self.slug, self.place = data, slug, place

    def where(self, key: str) -> str:
        """Return the path of ``key`` in the document, such as ``video.tracks[0].src``."""
        return f"{self.place}.{key}" if self.place else key

    def value(self, key: str, kinds: tuple[type, ...], wanted: str, nullable: bool = False,
              default: Any = REQUIRED) -> Any:
        """Return the value of ``key`` if it is one of ``kinds`` (or null when ``nullable``)."""
        if key not in self.data:
            if default is REQUIRED:
                raise DocumentError(self.slug, self.where(key), "is missing")
            return default
        value = self.data[key]
        if value is None and nullable:
            return None
        # JSON's true and false are ints to Python, yet never a size or a time.
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise DocumentError(self.slug, self.where(key), f"is {_described(value)}, not {wanted}")
        return value

    def text(self, key: str, nullable: bool = False) -> str | None:
        """Return a text field."""
        return self.value(key, (str,), "text", nullable)

    def number(self, key: str, nullable: bool = False) -> float | None:
        """Return a number field as stored, int or float, so that it is written back the same."""
        return self.value(key, (int, float), "a number", nullable)

    def whole(self, key: str, nullable: bool = False) -> int | None:
        """Return a whole-number field: a size in pixels or bytes."""
        return self.value(key, (int,), "a whole number", nullable)

    def flag(self, key: str, default: Any = REQUIRED) -> bool:
        """Return a true-or-false field (``default`` where an older document has none)."""
        return self.value(key, (bool,), "true or false", default=default)

    def texts(self, key: str) -> tuple[str, ...]:
        """Return a list of texts."""
        items = self.value(key, (list,), "a list")
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise DocumentError(self.slug, f"{self.where(key)}[{index}]",
                                    f"is {_described(item)}, not text")
        return tuple(items)

    def objects(self, key: str, read: Callable, default: Any = REQUIRED) -> tuple | None:
        """Return a list of objects, each made by ``read(item, slug, place)``."""
        items = self.value(key, (list,), "a list", default=default)
        if items is None:
            return None
        return tuple(read(item, self.slug, f"{self.where(key)}[{index}]")
                     for index, item in enumerate(items))

    def object(self, key: str, read: Callable, default: Any = REQUIRED) -> Any:
        """Return an object made by ``read(value, slug, place)``, or None for null."""
        value = self.value(key, (dict,), "an object", nullable=True, default=default)
        return None if value is None else read(value, self.slug, self.where(key))
