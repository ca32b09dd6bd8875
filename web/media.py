"""Media files from the library: clips, posters, photos and captions, under content-hashed names."""

from __future__ import annotations

from flask import Flask, abort, send_file

from .common import library

ONE_YEAR = 31_536_000

# Werkzeug adds "; charset=utf-8" to the text types
MEDIA_TYPES = {".mp4": "video/mp4", ".m4a": "audio/mp4", ".jpg": "image/jpeg",
               ".webp": "image/webp", ".avif": "image/avif", ".vtt": "text/vtt"}


def register(app: Flask) -> None:
    """Add ``/media/<name>`` (endpoint ``media_file``)."""
    app.add_url_rule("/media/<name>", "media_file", media_file, methods=["GET"])


def media_file(name: str):
    """Serve one media file with Range support; its URL's bytes never change."""
    path = library().media_path(name)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=MEDIA_TYPES[path.suffix], conditional=True,
                         max_age=ONE_YEAR, etag=True)
    response.cache_control.immutable = True
    response.cache_control.public = True
    return response
