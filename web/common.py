"""What every view needs: the library and the URLs of media files."""

from __future__ import annotations

from flask import current_app, url_for

from articles.store import Library


def library() -> Library:
    """Return the library the app is configured to read."""
    return Library(current_app.config["LIBRARY"])


def media_url(name: str) -> str:
    """Return the site-relative URL of a media file in the library."""
    return url_for("media_file", name=name)


def external_media_url(name: str) -> str:
    """Return the absolute URL of a media file, for feeds, embeds and structured data."""
    return url_for("media_file", name=name, _external=True)
