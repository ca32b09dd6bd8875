"""The Newsreel web app: create_app() wires the views in ``web/`` to the library."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, make_response, render_template
from jinja2 import StrictUndefined
from werkzeug.exceptions import BadHost, HTTPException, SecurityError, ServiceUnavailable

from articles.database import DatabaseError
from cli.main import cli as media_cli
from web import caching, embed, feeds, headers, pages, search, settings, static
from web import media as media_views
from web.common import absolute_media_url, absolute_url, library
from web.headers import CONTENT_SECURITY_POLICY, ERROR_CACHE_CONTROL

__all__ = ["CONTENT_SECURITY_POLICY", "ProductionConfigError", "create_app", "in_production"]


# What a 503 asks a client to wait while the database is unavailable.
RETRY_AFTER_SECONDS = 30


class ProductionConfigError(RuntimeError):
    """A setting that must never reach a public server, such as debug mode."""


def in_production() -> bool:
    """Return True under gunicorn or when NEWSREEL_ENV is "production"."""
    return (os.environ.get("NEWSREEL_ENV") == "production"
            or os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/"))


class NewsreelFlask(Flask):
    """Flask, answering a Host outside TRUSTED_HOSTS, or one Werkzeug cannot encode, with the site's 400 page."""

    def create_url_adapter(self, request):
        """Return Flask's URL adapter; for an untrusted Host, one bound to the site's own name.

        Flask leaves such a request without an adapter (a label over 63 characters
        fails Werkzeug's IDNA encoding the same way), so its error page could not
        build a single link; ``web.headers`` refuses the request with a 400.
        """
        try:
            return super().create_url_adapter(request)
        except (SecurityError, BadHost):
            site = self.config["SITE_URL"]
            name = urlsplit(site).netloc if site else "localhost"
            request.host = name
            return self.url_map.bind(name, script_name=request.root_path or None,
                                     url_scheme=request.scheme, path_info=request.path)


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app; ``test_config`` overrides settings such as ``LIBRARY``.

    Settings also come from ``NEWSREEL_*`` environment variables
    (``NEWSREEL_MEDIA_HANDOFF=nginx`` sets ``MEDIA_HANDOFF``).

    :raises ProductionConfigError: debug or testing mode, or no SITE_URL, in production.
    :raises SiteUrlError: SITE_URL is not an http(s) address of a host.
    :raises DatabaseError: DATABASE_URL names a database that cannot be reached, or whose
        schema is missing or older than this code's (``python -m media db upgrade``).
    """
    # The static route is web.static's, which hashes URLs and answers ranges.
    app = NewsreelFlask(__name__, instance_relative_config=True, static_folder=None)
    app.config.from_mapping(settings.app_defaults())
    app.config.from_prefixed_env("NEWSREEL")
    if test_config:
        app.config.update(test_config)
    if in_production() and (app.debug or app.testing):
        raise ProductionConfigError(
            "debug and testing mode are for development only: unset FLASK_DEBUG / DEBUG / TESTING "
            "(NEWSREEL_ENV is production or the app runs under gunicorn)")
    if in_production() and not app.config["SITE_URL"]:
        raise ProductionConfigError(
            "set NEWSREEL_SITE_URL to the site's public address, e.g. https://news.example: in production "
            "absolute URLs and the host names answered come from it, never from a client's Host header")
    # A missing template variable is a bug, never an empty string on the page.
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.globals["fail"] = _template_fail
    app.jinja_env.globals["absolute_url"] = absolute_url
    app.jinja_env.globals["absolute_media_url"] = absolute_media_url
    app.cli.add_command(media_cli, "media")
    if app.config["DATABASE_URL"]:
        # Serving an older schema would fail page by page; refuse once, saying what to run.
        with app.app_context():
            library().check_schema()

    headers.register(app)
    static.register(app, Path(app.root_path) / "static")
    for part in (pages, media_views, search, feeds, embed):
        part.register(app)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        response = make_response(render_template("error.html", error=error), error.code)
        # What the error itself must say: Allow for 405, Content-Range for 416.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        response.headers["Cache-Control"] = ERROR_CACHE_CONTROL
        return response

    @app.errorhandler(DatabaseError)
    def database_error(error: DatabaseError):
        # The database server is down or restarting: say so, ask to come back, cache nothing.
        app.logger.error("%s", error)
        return http_error(ServiceUnavailable(
            description="The news cannot be read at the moment. Try again in a minute.",
            retry_after=RETRY_AFTER_SECONDS))

    caching.register(app)
    # Outermost: media requests need neither Flask nor the page cache.
    media_views.serve_directly(app)
    return app


def _template_fail(message: str):
    """Stop rendering: a macro was called without what it requires."""
    raise ValueError(message)
