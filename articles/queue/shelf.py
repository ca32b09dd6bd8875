"""Bundles copied at enqueue time to a place every worker reads, named by their content.

A job names its bundle by a ``BundleRef`` (content hash and folder name),
never by the path it was enqueued from: the editor's folder may change or
vanish, and a worker on another machine cannot see it. For now the place is
the library folder's ``queue/bundles/`` (a shared mount for several
machines); ``store_bundle`` and ``bundle_path`` are the two functions a
media store in object storage would take over.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from articles.queue.connection import QueueError
from articles.store import Library
from media.video.clips import file_hash

SHELF = Path("queue") / "bundles"


@dataclass(frozen=True)
class BundleRef:
    """A bundle on the shelf: the hash of its files, and its folder's name (a slug may come from it)."""

    hash: str
    name: str

    def to_json(self) -> dict:
        """Return the fields a job message carries."""
        return {"hash": self.hash, "name": self.name}

    @classmethod
    def from_json(cls, data: dict) -> BundleRef:
        """Return the reference a job message carries."""
        return cls(str(data["hash"]), str(data["name"]))


def bundle_hash(folder: Path) -> str:
    """Return a hash of the folder's name and of every file in it, by relative path."""
    digest = hashlib.sha256(f"name={folder.name}\0".encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(folder).as_posix()}={file_hash(path)}\0".encode())
    return digest.hexdigest()


def store_bundle(library: Library, folder: Path) -> BundleRef:
    """Copy the bundle in ``folder`` to the shelf, unless a copy of the same content is there.

    The copy is made in a temporary folder and renamed into place, so a
    worker finds a whole bundle or none.
    """
    folder = Path(folder).resolve()
    ref = BundleRef(bundle_hash(folder), folder.name)
    final = library.root / SHELF / ref.hash
    if final.is_dir():
        return ref
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{ref.hash[:16]}.", dir=final.parent))
    try:
        shutil.copytree(folder, staging / ref.name)
        staging.chmod(0o755)
        try:
            os.rename(staging, final)
        except OSError:
            if not final.is_dir():  # not "another enqueue stored it first"
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ref


def bundle_path(library: Library, ref: BundleRef) -> Path:
    """Return the folder of a shelved bundle, for ingest to read.

    :raises QueueError: the copy is missing (the shelf was cleared, or is not shared with this machine).
    """
    folder = library.root / SHELF / ref.hash / ref.name
    if not folder.is_dir():
        raise QueueError(f"{folder}: the job's copy of bundle {ref.name} is missing; is "
                         f"{library.root / SHELF} shared with this worker?")
    return folder
