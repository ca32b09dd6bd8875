"""Static assets under content-hashed URLs: ``url_for('static', ...)`` adds ``?v=<hash>`` of the file."""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from pathlib import Path

from flask import Flask, abort, current_app, request

from web import compression, ranges

IMMUTABLE = "public, max-age=31536000, immutable"
# Without the current ?v= a URL may point at an older file: ask again every time.
REVALIDATE = "no-cache"
TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml",
         ".woff2": "font/woff2", ".png": "image/png", ".ico": "image/x-icon", ".json": "application/json"}
# Compressed copies of static and caption files are kept in memory; bigger files go as they are.
MAX_COMPRESSED_SOURCE = 2 * 1024 * 1024


def register(app: Flask, folder: Path) -> None:
    """Serve ``folder`` at ``/static/<path>`` (endpoint ``static``) and hash its URLs."""
    app.config.setdefault("STATIC_FOLDER", str(folder))
    app.add_url_rule("/static/<path:filename>", "static", static_file, methods=["GET"])
    app.url_defaults(_add_version)


def static_file(filename: str):
    """Serve one static file; immutable when the URL carries the file's current hash."""
    path = static_path(filename)
    opened = ranges.open_regular_file(path) if path else None
    if opened is None:
        abort(404)
    handle, st = opened
    version = request.args.get("v")
    cache_control = IMMUTABLE if version and version == HASHES.get(path, st) else REVALIDATE
    mimetype = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return ranges.send_file(handle, st, mimetype, cache_control,
                            max_ranges=current_app.config["MAX_RANGES"],
                            compressed=compressed_reader(handle, st, mimetype))


def static_path(filename: str) -> Path | None:
    """Return the file a static URL names, or None when the name could leave the static folder."""
    if not filename or any(c in filename for c in "\\\0") or filename.startswith("/"):
        return None
    parts = filename.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    root = Path(current_app.config["STATIC_FOLDER"]).resolve()
    path = root.joinpath(*parts)
    # Symlinks inside the folder are followed only while they stay inside it.
    try:
        if not path.resolve().is_relative_to(root):
            return None
    except (OSError, RuntimeError):
        return None
    return path


def compressed_reader(handle, st, mimetype: str):
    """Return a function giving an open file's bytes in an encoding, or None for files sent as they are."""
    if not compression.is_compressible(mimetype) or st.st_size > MAX_COMPRESSED_SOURCE:
        return None
    return lambda encoding: COMPRESSED.get(handle, st, encoding)


class _FileHashes:
    """Content hashes of files, recomputed when a file's size or mtime changes."""

    def __init__(self):
        self._known: dict[Path, tuple[int, int, str]] = {}
        self._lock = threading.Lock()

    def get(self, path: Path, st=None) -> str | None:
        """Return the first 12 hex digits of the file's SHA-256, or None when it is missing."""
        try:
            st = st or path.stat()
        except OSError:
            return None
        known = self._known.get(path)
        if known and known[:2] == (st.st_mtime_ns, st.st_size):
            return known[2]
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        except OSError:
            return None
        with self._lock:
            self._known[path] = (st.st_mtime_ns, st.st_size, digest)
        return digest


class _CompressedFiles:
    """Compressed copies of small text files, made once per file version and encoding."""

    def __init__(self, max_entries: int = 256):
        self._copies: dict[tuple, bytes] = {}
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, handle, st, encoding: str) -> bytes:
        """Return the bytes of the open file ``handle`` in ``encoding``."""
        key = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size, encoding)
        found = self._copies.get(key)
        if found is None:
            handle.seek(0)
            found = compression.compress(handle.read(), encoding, best=True)
            with self._lock:
                if len(self._copies) >= self._max_entries:
                    self._copies.pop(next(iter(self._copies)))
                self._copies[key] = found
        return found


HASHES = _FileHashes()
COMPRESSED = _CompressedFiles()


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint != "static" or "v" in values or "filename" not in values:
        return
    path = static_path(values["filename"])
    digest = HASHES.get(path) if path else None
    if digest:
        values["v"] = digest
