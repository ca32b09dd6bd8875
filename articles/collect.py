"""Collect orphans: media files no stored article refers to, once they are old enough.

Outputs are shared between articles, so ingest never deletes what it wrote
(see articles/ingest.py); a failed or superseded ingest leaves unreferenced
files behind, and this removes them. Two things keep a file that is about to
be referenced: collection holds the reference lock exclusively, so no ingest
is between its first look at the media folder and its saved article; and only
files older than a grace period go, which also spares whatever something
outside that lock wrote a moment ago.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from .ingest import media_names
from .store import Library

GRACE_PERIOD = timedelta(hours=24)

# The names ingest writes: a hex stem (the content hash) with "-" parts, such
# as "<key>-640.webp" or "<key>.json", a clip's sidecar.
_OUTPUT = re.compile(r"^([0-9a-f]{16,64})(?:-[0-9a-z]+)*\.(?:mp4|m4a|webm|jpg|webp|avif|vtt|json)$")
# media.files.atomic_output's temporaries: ".<output stem>.<random><suffix>".
_TEMPORARY = re.compile(r"^\.[0-9a-f]{16,64}[-.]")


class CollectError(Exception):
    """The library cannot be collected: missing, unsafe to walk, or a file would not go."""

    def __init__(self, message: str, path: Path):
        super().__init__(message, path)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class LibraryBusy(CollectError):
    """An ingest or another collection holds the reference lock: nothing can be collected now."""


@dataclass(frozen=True)
class Orphan:
    """One unreferenced media file, removed (or, in a dry run, that would be)."""

    path: Path
    bytes: int


@dataclass(frozen=True)
class Collection:
    """What one collection removed, or would remove in a dry run."""

    orphans: tuple[Orphan, ...]
    dry_run: bool

    @property
    def bytes(self) -> int:
        """Return the total size of the orphans."""
        return sum(orphan.bytes for orphan in self.orphans)

    def to_json(self) -> dict:
        """Return a JSON-ready summary for ``gc --json``."""
        return {"dry_run": self.dry_run, "count": len(self.orphans), "bytes": self.bytes,
                "files": [{"path": str(o.path), "bytes": o.bytes} for o in self.orphans]}


def collect_orphans(library: Library, older_than: timedelta = GRACE_PERIOD,
                    dry_run: bool = False) -> Collection:
    """Remove the unreferenced media files of ``library`` older than ``older_than``; return them.

    Only regular files directly in the media folder whose names ingest writes
    are considered: symbolic links, folders and anything else are left alone.
    With ``dry_run`` nothing is removed; the result lists what would be.

    :raises ValueError: ``older_than`` is negative.
    :raises CollectError: there is no library, or its media folder is a symbolic link,
        or a file cannot be removed.
    :raises LibraryBusy: an ingest is running in the library.
    """
    if older_than < timedelta(0):
        raise ValueError(f"older_than must not be negative, not {older_than}")
    if not library.exists():
        raise CollectError(f"no library here ({library.database.name} is missing)", library.root)
    media = library.media_dir
    if media.is_symlink():
        # Following it would walk, and delete in, a folder outside the library.
        raise CollectError("the media folder is a symbolic link; gc only cleans a real folder",
                           media)
    if not media.is_dir():
        return Collection((), dry_run)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(library.references_held(exclusive=True, wait=False))
        except BlockingIOError:
            raise LibraryBusy("an ingest or another gc is running; run gc again when it ends",
                              library.root) from None
        cutoff = time.time() - older_than.total_seconds()
        return Collection(tuple(_collect(library, cutoff, dry_run)), dry_run)


def _collect(library: Library, cutoff: float, dry_run: bool) -> list[Orphan]:
    # Read under the lock: every article an ingest has saved is in here.
    referenced = {found.group(1) for row in library.articles()
                  for name in media_names(row.document) if (found := _OUTPUT.match(name))}
    orphans = []
    with os.scandir(library.media_dir) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if not entry.is_file(follow_symlinks=False):
                continue
            output = _OUTPUT.match(entry.name)
            if output is not None:
                # Files are kept by stem, not name: a clip's sidecar and any
                # output its document does not list go with the ones it does.
                if output.group(1) in referenced:
                    continue
            elif _TEMPORARY.match(entry.name) is None:
                continue  # not a name ingest writes: someone else's file
            # A young temporary is an atomic write in progress; an old one is
            # a crashed run's leftover.
            orphan = _remove_if_older(Path(entry.path), cutoff, dry_run)
            if orphan is not None:
                orphans.append(orphan)
    return orphans


def _remove_if_older(path: Path, cutoff: float, dry_run: bool) -> Orphan | None:
    try:
        status = path.lstat()
        if status.st_mtime > cutoff:
            return None
        if not dry_run:
            path.unlink()
    except FileNotFoundError:
        return None  # removed meanwhile, by hand
    except OSError as error:
        raise CollectError(f"cannot remove it ({error.strerror})", path) from None
    return Orphan(path, status.st_size)
