"""Every setting of the app and of its production server, with its default, in one place.

The app's settings are ``app.config`` keys; each can also be set in the
environment as ``NEWSREEL_<KEY>`` (``NEWSREEL_MEDIA_HANDOFF=nginx``), and
tests pass them to ``create_app``. docs/deployment.md lists them all; a test
keeps that table and this module in step.
"""

from __future__ import annotations

import os

from articles.store import library_path

APP_DEFAULTS = {
    # The library folder (a database and media/); NEWSREEL_LIBRARY, else instance/library.
    "LIBRARY": None,
    # Beyond one machine (docs/several-machines.md): the articles in PostgreSQL,
    # postgresql://user:password@host/database; unset, SQLite in the library folder.
    "DATABASE_URL": None,
    # Prepared media in an S3-compatible bucket, s3://bucket/prefix, at an endpoint
    # (unset: AWS's own); unset, the library folder's media/.
    "MEDIA_STORE": None,
    "S3_ENDPOINT_URL": None,
    # Where pages link media, e.g. https://cdn.example/media/; unset, the app's own /media/.
    "MEDIA_URL": None,
    "SITE_NAME": "Newsreel",
    # The site's public address, scheme and host (and port): https://news.example.
    # Every absolute URL (canonical links, og:url, oEmbed, JSON-LD, the feed) starts
    # with it, and requests for other host names get a 400. Required in production:
    # without it those URLs would name whatever Host a client sends.
    "SITE_URL": None,
    # Flask's: further host names answered (aliases); SITE_URL's host is added to them.
    # A name starting with "." also allows its subdomains. Ports are not compared.
    "TRUSTED_HOSTS": None,
    # Who may put /embed/ pages in a frame: a CSP source list. Embeds are public
    # players, so by default any web page may. Scheme sources rather than *: before
    # CSP 3, browsers matched * against the embed's own scheme only, refusing an
    # https: embed on an http: page (or the reverse). A list of origins such as
    # "https://partner.example https://*.partner.example" restricts them.
    "EMBED_FRAME_ANCESTORS": "https: http:",
    # Strict-Transport-Security max-age; None sends no header (set it once the site is HTTPS only).
    "HSTS_SECONDS": None,
    "HSTS_INCLUDE_SUBDOMAINS": False,
    "MAX_QUERY_BYTES": 2048,
    # gunicorn's own limit on one header line, so every server behaves alike.
    "MAX_HEADER_BYTES": 8190,
    "MAX_HEADERS": 100,
    "MAX_RANGE_HEADER_BYTES": 512,
    # Browsers ask for one range; a long list of ranges is a way to make the server work.
    "MAX_RANGES": 8,
    # None: the app sends media bytes. "nginx": X-Accel-Redirect to MEDIA_HANDOFF_PREFIX + name.
    # "sendfile": X-Sendfile with the file's absolute path (Apache mod_xsendfile, lighttpd).
    "MEDIA_HANDOFF": None,
    "MEDIA_HANDOFF_PREFIX": "/_newsreel/media/",
    # Each process's cache of rendered pages.
    "PAGE_CACHE_ENTRIES": 512,
    "PAGE_CACHE_BYTES": 64 * 1024 * 1024,
}

# gunicorn.conf.py's settings: environment only, read when the server starts.
SERVER_DEFAULTS = {
    "NEWSREEL_BIND": "127.0.0.1:8000",
    "NEWSREEL_THREADS": "8",
    "NEWSREEL_ACCESS_LOG": "-",
    "NEWSREEL_ERROR_LOG": "-",
    "NEWSREEL_LOG_LEVEL": "info",
    # The scheme a front server reports (X-Forwarded-Proto) is believed only from these addresses.
    "NEWSREEL_FORWARDED_ALLOW_IPS": "127.0.0.1,::1",
}


def app_defaults() -> dict:
    """Return the app's settings before the environment and a test's overrides are applied."""
    return {**APP_DEFAULTS, "LIBRARY": str(library_path())}


def server_setting(name: str) -> str:
    """Return a production server setting from the environment, else its default."""
    return os.environ.get(name, SERVER_DEFAULTS[name])
