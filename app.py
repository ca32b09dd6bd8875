"""The Newsreel web app: create_app() wires the views in ``web/`` to the library."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, make_response, render_template, request
from flask.globals import request_ctx
from jinja2 import StrictUndefined
from werkzeug.exceptions import HTTPException

from cli.main import cli as media_cli
from web import caching, embed, feeds, headers, pages, search, settings, static
from web import media as media_views
from web.headers import CONTENT_SECURITY_POLICY

__all__ = ["CONTENT_SECURITY_POLICY", "ProductionConfigError", "create_app", "in_production"]


class ProductionConfigError(RuntimeError):
    """A setting that must never reach a public server, such as debug mode."""


def in_production() -> bool:
    """Return True under gunicorn or when NEWSREEL_ENV is "production"."""
    return (os.environ.get("NEWSREEL_ENV") == "production"
            or os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/"))


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app; ``test_config`` overrides settings such as ``LIBRARY``.

    Settings also come from ``NEWSREEL_*`` environment variables
    (``NEWSREEL_MEDIA_HANDOFF=nginx`` sets ``MEDIA_HANDOFF``).

    :raises ProductionConfigError: debug or testing mode in production.
    """
    # The static route is web.static's, which hashes URLs and answers ranges.
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    app.config.from_mapping(settings.app_defaults())
    app.config.from_prefixed_env("NEWSREEL")
    if test_config:
        app.config.update(test_config)
    if in_production() and (app.debug or app.testing):
        raise ProductionConfigError(
            "debug and testing mode are for development only: unset FLASK_DEBUG / DEBUG / TESTING "
            "(NEWSREEL_ENV is production or the app runs under gunicorn)")
    # A missing template variable is a bug, never an empty string on the page.
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.globals["fail"] = _template_fail
    app.cli.add_command(media_cli, "media")

    headers.register(app)
    static.register(app, Path(app.root_path) / "static")
    for part in (pages, media_views, search, feeds, embed):
        part.register(app)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        _bind_urls_without_host(app)
        response = make_response(render_template("error.html", error=error), error.code)
        # What the error itself must say: Allow for 405, Content-Range for 416.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    caching.register(app)
    # Outermost: media requests need neither Flask nor the page cache.
    media_views.serve_directly(app)
    return app


def _bind_urls_without_host(app: Flask) -> None:
    """Give the error page its links when the request's Host could not be used.

    Werkzeug refuses a Host it cannot encode (BadHost), as Flask does one that
    is not in TRUSTED_HOSTS; either leaves the request without URLs, and the
    page that says 400 would fail with a 500. Its links never name that Host.
    """
    context = request_ctx._get_current_object()
    if context.url_adapter is not None:
        return
    site = urlsplit(app.config.get("SITE_URL") or "")
    context.url_adapter = app.url_map.bind(
        site.netloc or app.config["SERVER_NAME"] or "localhost",
        script_name=app.config["APPLICATION_ROOT"], url_scheme=site.scheme or request.scheme)


def _template_fail(message: str):
    """Stop rendering: a macro was called without what it requires."""
    raise ValueError(message)
