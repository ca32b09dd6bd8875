"""What every view needs: the library, the URLs of media files and absolute URLs."""

from __future__ import annotations

from flask import current_app, url_for

from articles.store import Library


def library() -> Library:
    """Return the library the app is configured to read."""
    config = current_app.config
    return Library(config["LIBRARY"], database_url=config["DATABASE_URL"],
                   media_store=config["MEDIA_STORE"], s3_endpoint_url=config["S3_ENDPOINT_URL"])


def media_url(name: str) -> str:
    """Return the URL of a media file: MEDIA_URL + name when set (a bucket or CDN), else site-relative."""
    base = current_app.config["MEDIA_URL"]
    return base + name if base else url_for("media_file", name=name)


def absolute_url(endpoint: str, **values) -> str:
    """Return the absolute URL of ``endpoint``, for links that leave the site: feeds, embeds, metadata.

    It starts with SITE_URL when that is set; without it (development) it
    names the host the request was sent to.
    """
    site = current_app.config["SITE_URL"]
    if site is None:
        return url_for(endpoint, **values, _external=True)
    return site + url_for(endpoint, **values)


def absolute_media_url(name: str) -> str:
    """Return the absolute URL of a media file: MEDIA_URL + name when set, else on the site."""
    base = current_app.config["MEDIA_URL"]
    return base + name if base else absolute_url("media_file", name=name)
