"""Typed errors raised by the media package.

Each error carries what a person needs to act on it: the file, and for a
failed ffmpeg run the argv and the last lines of its stderr. ``str(error)``
is one line, ready for a CLI to print.
"""

from __future__ import annotations

from pathlib import Path


class MediaError(Exception):
    """A media file could not be read, prepared or written."""

    def __init__(self, message: str, path: Path | str | None = None,
                 argv: list[str] | None = None, stderr_tail: str = ""):
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.argv = list(argv) if argv else []
        self.stderr_tail = stderr_tail

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path is not None else ""
        return f"{where}{self.message}"


class ToolNotFoundError(MediaError):
    """ffmpeg or ffprobe is not installed where we look for it."""


class ImageError(MediaError):
    """An image is unreadable, unsafe or lacks what publishing needs."""


class CreditNotDrawable(ImageError):
    """A credit has letters the social card's font cannot draw; it can still go in the metadata."""


class StalledError(MediaError):
    """ffmpeg stopped making progress and was killed: the machine, not the file, may be at fault."""
