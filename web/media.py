"""Media files from the library: clips, posters, photos and captions, under content-hashed names."""

from __future__ import annotations

from flask import Flask, Response, abort, current_app

from . import ranges
from .common import library
from .static import IMMUTABLE, compressed_reader

# Werkzeug adds "; charset=utf-8" to the text types
MEDIA_TYPES = {".mp4": "video/mp4", ".m4a": "audio/mp4", ".jpg": "image/jpeg",
               ".webp": "image/webp", ".avif": "image/avif", ".vtt": "text/vtt"}

DEFAULTS = {
    # None: the app sends the bytes. "nginx": X-Accel-Redirect to MEDIA_HANDOFF_PREFIX + name.
    # "sendfile": X-Sendfile with the file's absolute path (Apache mod_xsendfile, lighttpd).
    "MEDIA_HANDOFF": None,
    "MEDIA_HANDOFF_PREFIX": "/_newsreel/media/",
}
HANDOFFS = (None, "nginx", "sendfile")


class HandoffConfigError(ValueError):
    """MEDIA_HANDOFF names a front server the app cannot hand media to."""


def register(app: Flask) -> None:
    """Add ``/media/<name>`` (endpoint ``media_file``).

    :raises HandoffConfigError: MEDIA_HANDOFF is not one of HANDOFFS.
    """
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    if app.config["MEDIA_HANDOFF"] not in HANDOFFS:
        raise HandoffConfigError(f"MEDIA_HANDOFF must be one of {HANDOFFS}, not {app.config['MEDIA_HANDOFF']!r}")
    app.add_url_rule("/media/<name>", "media_file", media_file, methods=["GET"])


def media_file(name: str):
    """Serve one media file with Range support; its URL's bytes never change."""
    path = library().media_path(name)
    opened = ranges.open_regular_file(path) if path is not None else None
    if opened is None:
        abort(404)
    handle, st = opened
    mimetype = MEDIA_TYPES[path.suffix]
    handoff = current_app.config["MEDIA_HANDOFF"]
    if handoff is not None:
        handle.close()
        # The front server answers ranges and conditions itself, from the same file.
        response = Response(mimetype=mimetype)
        if handoff == "nginx":
            response.headers["X-Accel-Redirect"] = current_app.config["MEDIA_HANDOFF_PREFIX"] + name
        else:
            response.headers["X-Sendfile"] = str(path.resolve())
        response.headers["Cache-Control"] = IMMUTABLE
        return response
    return ranges.send_file(handle, st, mimetype, IMMUTABLE,
                            max_ranges=current_app.config["MAX_RANGES"],
                            compressed=compressed_reader(handle, st, mimetype))
