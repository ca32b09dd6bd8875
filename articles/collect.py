"""Collect orphans: media files no stored article refers to, once they are old enough.

Outputs are shared between articles, so ingest never deletes what it wrote
(see articles/ingest.py); a failed or superseded ingest leaves unreferenced
files behind, and this removes them. Two things keep a file that is about to
be referenced: collection holds the reference lock exclusively, so no ingest
is between its first look at the media folder and its saved article; and only
files older than a grace period go, which also spares whatever something
outside that lock wrote a moment ago.

Age counts from the later of a file's writing and its release: an ingest that
replaces an article touches the files the old version used and the new one
does not (``release_unused``), because pages, feeds and caches rendered from
the old version still point at them, and media is served as immutable.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from articles.document import DocumentError, StoredArticle
from articles.errors import PlacedError
from articles.objects import S3Store, StoredObject
from articles.store import Library
from media.names import OUTPUT_NAME, TEMPORARY_NAME

GRACE_PERIOD = timedelta(hours=24)

# The folder ingests create for their locks: proof that a media folder with no
# database beside it is a library's, left by a first ingest that failed.
_LOCKS = ".locks"


class CollectError(PlacedError):
    """The library cannot be collected: missing, unsafe to walk, or a file would not go."""


class LibraryBusy(CollectError):
    """An ingest or another collection holds the reference lock: nothing can be collected now."""


@dataclass(frozen=True)
class Orphan:
    """One unreferenced media file, removed (or, in a dry run, that would be)."""

    path: Path | str  # a file of the media folder, or an object's s3:// URL
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


def media_names(article: StoredArticle) -> list[str]:
    """Return the name of every media file a stored article refers to."""
    names = [r.src for image in article.images for r in image.renditions]
    if article.social_image:
        names.append(article.social_image.src)
    video = article.video
    if video:
        names += [source.src for source in video.sources]
        names += [track.src for track in (*video.tracks, *video.extra_tracks)]
        names += [version.src for version in video.described]
        if video.poster:
            names += [image.src for image in video.poster.images]
    return names


def release_unused(library: Library, previous: StoredArticle, article: StoredArticle) -> list[Path]:
    """Set to now the mtime of the files ``previous`` used and ``article`` does not; return them.

    With a bucket as the media store, their objects' LastModified is renewed as well.

    Call it with the reference lock held, before the new article is saved,
    so that gc's grace period for those files counts from now.
    """
    released = set(media_names(previous)) - set(media_names(article))
    store = library.objects()
    touched = []
    for name in sorted(released):
        path = library.media_path(name)
        if path is None:
            continue  # not a media name: nothing of ours to touch
        if isinstance(store, S3Store):
            store.touch(name)  # the bucket's copy ages from now too
        try:
            os.utime(path, follow_symlinks=False)
        except FileNotFoundError:
            continue  # already gone, by hand or by an earlier gc
        touched.append(path)
    return touched


def collect_orphans(library: Library, older_than: timedelta = GRACE_PERIOD,
                    dry_run: bool = False) -> Collection:
    """Remove the unreferenced media files of ``library`` older than ``older_than``; return them.

    Only regular files directly in the media folder whose names ingest writes
    are considered: symbolic links, folders and anything else are left alone.
    The files of one content stem (a clip, its renditions and its sidecar) go
    together, once the newest of them is older than ``older_than``. With
    ``dry_run`` nothing is removed or created; the result lists what would go.
    With a bucket as the media store, its objects are judged the same way,
    by LastModified, and the folder (the staging area) as before.

    :raises ValueError: ``older_than`` is negative.
    :raises CollectError: there is no library, or its media folder is a symbolic link,
        or it cannot be read, or a file cannot be removed.
    :raises LibraryBusy: an ingest is running in the library.
    :raises articles.objects.StoreError: the bucket cannot be listed, or an object would not go.
    """
    if older_than < timedelta(0):
        raise ValueError(f"older_than must not be negative, not {older_than}")
    media = library.media_dir
    store = library.objects()
    if not library.exists() and not (media / _LOCKS).is_dir():
        raise CollectError(f"no library here ({library.database.name} is missing)", library.root)
    if media.is_symlink():
        # Following it would walk, and delete in, a folder outside the library.
        raise CollectError("the media folder is a symbolic link; gc only cleans a real folder",
                           media)
    if not media.is_dir() and not isinstance(store, S3Store):
        return Collection((), dry_run)
    cutoff = time.time() - older_than.total_seconds()
    if dry_run:
        # No lock, so a dry run needs no write access and never makes an
        # ingest wait. That is safe because it deletes nothing; its list may
        # name a file an ingest running now is about to reference.
        return Collection(tuple(_collect_everywhere(library, cutoff, dry_run)), dry_run)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(library.references_held(exclusive=True, wait=False))
        except BlockingIOError:
            raise LibraryBusy("an ingest or another gc is running; run gc again when it ends",
                              library.root) from None
        except OSError as error:
            raise CollectError(f"cannot take the reference lock ({error.strerror})",
                               Path(error.filename or media / _LOCKS)) from None
        return Collection(tuple(_collect_everywhere(library, cutoff, dry_run)), dry_run)


def _referenced(library: Library) -> set[str]:
    # Read under the lock: every article an ingest has saved is in here. No
    # database, with the locks folder in place, is a library whose first
    # ingest failed: nothing is referenced.
    try:
        rows = library.articles()
    except sqlite3.Error as error:
        raise CollectError(f"cannot read the articles ({error})", library.database) from None
    except DocumentError as error:
        # Guessing would risk deleting what the article shows: stop instead.
        raise CollectError(f"article {error.slug!r} has a document gc cannot read "
                           f"({error.field} {error.problem})", library.database) from None
    stems = set()
    for row in rows:
        stems.update(found.group(1) for name in media_names(row.document)
                     if (found := OUTPUT_NAME.fullmatch(name)))
    return stems


def _collect_everywhere(library: Library, cutoff: float, dry_run: bool) -> list[Orphan]:
    store = library.objects()
    # The bucket is listed before the articles are read: the reference lock
    # holds off ingests on this machine only, and this way an article another
    # machine saved while the bucket was listed still protects its objects.
    objects = list(store.list()) if isinstance(store, S3Store) else []
    referenced = _referenced(library)
    orphans = _collect(library, referenced, cutoff, dry_run) if library.media_dir.is_dir() else []
    if isinstance(store, S3Store):
        # The folder is the staging area and cache; the bucket is what pages link.
        orphans += _collect_objects(store, objects, referenced, cutoff, dry_run)
    return orphans


def _collect_objects(store: S3Store, objects: list[StoredObject], referenced: set[str], cutoff: float,
                     dry_run: bool) -> list[Orphan]:
    """Remove the bucket's unreferenced objects, by stem, once the newest of a stem is old.

    LastModified is an object's age: it is set by its upload, and renewed by
    ``release_unused`` when a re-ingest stops using it.
    """
    stems: dict[str, list[StoredObject]] = {}
    for found in objects:
        stem = OUTPUT_NAME.fullmatch(found.name).group(1)
        if stem not in referenced:
            stems.setdefault(stem, []).append(found)
    old = sorted((found for files in stems.values() if max(f.modified for f in files) <= cutoff
                  for found in files), key=lambda found: found.name)
    orphans = []
    for found in old:
        if not dry_run:
            store.delete(found.name)
        orphans.append(Orphan(f"{store.location}/{found.name}", found.bytes))
    return orphans


def _collect(library: Library, referenced: set[str], cutoff: float, dry_run: bool) -> list[Orphan]:
    # Files are judged by stem, not name: a clip's sidecar and any output its
    # document does not list stay with the ones it does, and an unreferenced
    # stem goes only once its newest file (the one a release touched) is old.
    stems: dict[str, list[tuple[Path, os.stat_result]]] = {}
    temporaries: list[tuple[Path, os.stat_result]] = []
    try:
        with os.scandir(library.media_dir) as entries:
            for entry in entries:
                if not entry.is_file(follow_symlinks=False):
                    continue
                output = OUTPUT_NAME.fullmatch(entry.name)
                if output is None and TEMPORARY_NAME.match(entry.name) is None:
                    continue  # not a name ingest writes: someone else's file
                if output is not None and output.group(1) in referenced:
                    continue
                try:
                    found = (Path(entry.path), entry.stat(follow_symlinks=False))
                except FileNotFoundError:
                    continue  # removed meanwhile, by hand
                if output is not None:
                    stems.setdefault(output.group(1), []).append(found)
                else:
                    # A young temporary is an atomic write in progress; an old
                    # one is a crashed run's leftover: each by its own age.
                    temporaries.append(found)
    except OSError as error:
        raise CollectError(f"cannot read the media folder ({error.strerror})",
                           library.media_dir) from None
    old = [found for files in stems.values()
           if max(status.st_mtime for _, status in files) <= cutoff for found in files]
    old += [found for found in temporaries if found[1].st_mtime <= cutoff]
    orphans = []
    for path, status in sorted(old, key=lambda found: found[0].name):
        if not dry_run:
            try:
                path.unlink()
            except FileNotFoundError:
                continue  # removed meanwhile, by hand
            except OSError as error:
                files = "file" if len(orphans) == 1 else "files"
                raise CollectError(f"cannot remove it ({error.strerror}); "
                                   f"{len(orphans)} {files} already removed", path) from None
        orphans.append(Orphan(path, status.st_size))
    return orphans
