"""The Newsreel web app: create_app() wires the views in ``web/`` to the library."""

from __future__ import annotations

from flask import Flask, render_template
from jinja2 import StrictUndefined
from werkzeug.exceptions import HTTPException

from articles.store import library_path
from media.cli import cli as media_cli
from web import embed, feeds, pages, search
from web import media as media_views

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
    "media-src 'self'", "font-src 'self'", "connect-src 'self'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
])


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app; ``test_config`` overrides settings such as ``LIBRARY``."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(LIBRARY=str(library_path()), SITE_NAME="Newsreel")
    if test_config:
        app.config.update(test_config)
    # A missing template variable is a bug, never an empty string on the page.
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.globals["fail"] = _template_fail
    app.cli.add_command(media_cli, "media")

    for part in (pages, media_views, search, feeds, embed):
        part.register(app)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_template("error.html", error=error), error.code

    @app.after_request
    def security_headers(response):
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        return response

    return app


def _template_fail(message: str):
    """Stop rendering: a macro was called without what it requires."""
    raise ValueError(message)
