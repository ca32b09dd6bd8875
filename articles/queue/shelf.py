"""Bundles copied at enqueue time to a place every worker reads, named by their content.

A job names its bundle by a ``BundleRef`` (content hash and folder name),
never by the path it was enqueued from: the editor's folder may change or
vanish, and a worker on another machine cannot see it. The place is the
media store's bucket when one is configured (under ``queue/bundles/`` beside
the media prefix, so workers need no shared folder), else the library
folder's ``queue/bundles/`` (a shared mount for several machines).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from articles.objects import S3Store, StoreError
from articles.queue.connection import QueueError
from articles.store import Library
from media.video.clips import file_hash

SHELF = Path("queue") / "bundles"
# Written last in the bucket: a bundle's copy is whole once this object exists.
COMPLETE = "complete"


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

    A worker finds a whole bundle or none: in a folder the copy is made in a
    temporary folder and renamed into place; in a bucket the marker object
    ``complete`` is written after every file.

    :raises StoreError: (bucket) the service cannot be reached or refuses the request.
    """
    folder = Path(folder).resolve()
    ref = BundleRef(bundle_hash(folder), folder.name)
    store = library.objects()
    if isinstance(store, S3Store):
        _store_in_bucket(store, folder, ref)
        return ref
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


def shelf_key(store: S3Store, ref: BundleRef) -> str:
    """Return the key every object of ``ref``'s copy in the bucket begins with (ending in ``/``)."""
    return store.beside(f"{SHELF.as_posix()}/{ref.hash}/")


def _store_in_bucket(store: S3Store, folder: Path, ref: BundleRef) -> None:
    start = shelf_key(store, ref)
    found = store.keys(start)
    if start + COMPLETE in found:
        # Renewed, so that a lifecycle rule expiring old copies counts from this enqueue.
        for key in sorted(found, key=lambda key: key == start + COMPLETE):
            store.renew(key)
        return
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        store.put_file(path, f"{start}{ref.name}/{path.relative_to(folder).as_posix()}")
    with tempfile.NamedTemporaryFile() as empty:
        store.put_file(Path(empty.name), start + COMPLETE)


@contextlib.contextmanager
def bundle_path(library: Library, ref: BundleRef) -> Iterator[Path]:
    """Yield the folder of a shelved bundle, for ingest to read.

    From a bucket, the copy is downloaded into a temporary folder of this
    machine (under the bundle's own folder name, which a slug may come
    from), removed when the block ends.

    :raises QueueError: the copy is missing (the shelf was cleared, or is not shared with this machine),
        or the bucket cannot be read.
    """
    store = library.objects()
    if not isinstance(store, S3Store):
        folder = library.root / SHELF / ref.hash / ref.name
        if not folder.is_dir():
            raise QueueError(f"{folder}: the job's copy of bundle {ref.name} is missing; is "
                             f"{library.root / SHELF} shared with this worker?")
        yield folder
        return
    start = shelf_key(store, ref)
    work = Path(tempfile.mkdtemp(prefix="newsreel-bundle-"))
    try:
        try:
            keys = store.keys(start)
            if start + COMPLETE not in keys:
                raise QueueError(f"s3://{store.bucket}/{start}: the job's copy of bundle {ref.name} "
                                 "is missing (expired, or removed from the bucket)")
            for key in keys:
                relative = key[len(start):]
                if key.startswith(f"{start}{ref.name}/") and ".." not in relative.split("/"):
                    target = work / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    store.get_file(key, target)
        except StoreError as error:
            raise QueueError(f"cannot fetch the job's copy of bundle {ref.name}: {error}") from None
        yield work / ref.name
    finally:
        shutil.rmtree(work, ignore_errors=True)
