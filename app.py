"""The Newsreel web app: home page, article pages and media, read from the library."""

from __future__ import annotations

import math

from flask import Flask, abort, render_template, request, send_file, url_for
from jinja2 import StrictUndefined
from werkzeug.exceptions import HTTPException

from articles import present
from articles.store import Library, library_path
from media.cli import cli as media_cli

ONE_YEAR = 31_536_000

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
    "media-src 'self'", "font-src 'self'", "connect-src 'self'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
])

MEDIA_TYPES = {".mp4": "video/mp4", ".m4a": "audio/mp4", ".jpg": "image/jpeg",
               ".webp": "image/webp", ".avif": "image/avif", ".vtt": "text/vtt"}  # Werkzeug adds "; charset=utf-8" to text types


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

    def library() -> Library:
        return Library(app.config["LIBRARY"])

    def media_url(name: str) -> str:
        return url_for("media_file", name=name)

    @app.get("/")
    def index():
        teasers = [present.teaser_model(row.document, media_url) for row in library().articles()]
        return render_template("index.html", top=teasers[:1], more=teasers[1:])

    @app.get("/articles/<slug>")
    def article(slug: str):
        lib = library()
        row = lib.article(slug)
        if row is None:
            abort(404)
        model = present.article_model(row.document, media_url)
        start = _start_time(request.args.get("t"), model["video"])
        related = [present.teaser_model(r.document, media_url)
                   for r in (lib.article(s) for s in row.document["related"]) if r is not None]
        if not related:
            related = [present.teaser_model(r.document, media_url)
                       for r in lib.articles() if r.slug != slug][:3]
        structured = present.structured_data(
            row.document, lambda name: url_for("media_file", name=name, _external=True),
            url_for("article", slug=slug, _external=True))
        return render_template("article.html", article=model, start=start, related=related,
                               structured=structured)

    @app.get("/media/<name>")
    def media_file(name: str):
        path = library().media_path(name)
        if path is None or not path.is_file():
            abort(404)
        # Names are content hashes: a URL's bytes never change.
        response = send_file(path, mimetype=MEDIA_TYPES[path.suffix], conditional=True,
                             max_age=ONE_YEAR, etag=True)
        response.cache_control.immutable = True
        response.cache_control.public = True
        return response

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


def _start_time(value: str | None, video: dict | None) -> float | None:
    """Return the ``?t=`` start second for the player, or None; malformed values are a 400."""
    if value is None or video is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        abort(400, description="The start time ?t= must be a number of seconds.")
    if not math.isfinite(seconds) or seconds < 0:
        abort(400, description="The start time ?t= must be a number of seconds.")
    return min(seconds, video["duration"])
