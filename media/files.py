"""Atomic file output: a crash never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_output(path: Path | str, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place on success.

    The temporary file lives in the same directory, so the final rename is
    atomic on POSIX. On any exception the temporary file is removed and
    ``path`` is left as it was. ``suffix`` defaults to the target's suffix so
    tools that pick a format from the extension (ffmpeg, Pillow) still can.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=suffix if suffix is not None else path.suffix,
        dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates 0600; published files must be readable like any other.
    tmp.chmod(0o644)
    try:
        yield tmp
        # On disk before the rename, and the rename on disk before anything
        # (a database row, say) refers to the file: a power cut then leaves
        # the old file or the whole new one, never an empty one.
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Flush a file's or a directory's contents to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_atomic(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: Path | str, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def output_widths(base_name: str, widths) -> list[int]:
    """Return ``widths`` sorted without repeats, once ``base_name`` is checked to be a plain stem.

    :raises ValueError: for a stem that is empty, hidden or holds a path, or a width below 1.
    """
    # The stem becomes part of file names in a shared folder: no paths, no dotfiles.
    if not base_name or base_name.startswith(".") or any(c in base_name for c in "/\\\0"):
        raise ValueError(f"base_name must be a plain file name stem, not {base_name!r}")
    widths = sorted({int(w) for w in widths})
    if not widths or widths[0] < 1:
        raise ValueError(f"widths must be positive integers, not {widths!r}")
    return widths
