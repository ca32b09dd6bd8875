"""Typed errors raised by the captions package.

``str(error)`` is one line naming the file and, when known, the line at
fault, ready for a CLI to print or a web page to show.
"""

from __future__ import annotations

import os
from pathlib import Path


def location(path: Path | None, line: int | None) -> str:
    """Return "path:line", "path", "line N" or "" for a place in a file."""
    if path is not None and line is not None:
        return f"{path}:{line}"
    if path is not None:
        return str(path)
    if line is not None:
        return f"line {line}"
    return ""


class CaptionError(Exception):
    """A caption file that cannot be used, with the file and line at fault."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None,
                 line: int | None = None) -> None:
        # messages may quote file content; collapsing whitespace keeps str() on one line
        self.message = " ".join(str(message).split())
        self.path = Path(path) if path is not None else None
        self.line = line
        super().__init__(self.message, self.path, self.line)

    def __str__(self) -> str:
        where = location(self.path, self.line)
        return f"{where}: {self.message}" if where else self.message
