"""Media files from the library: clips, posters, photos and captions, under content-hashed names."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, abort, current_app, redirect, request
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.utils import get_content_type

from articles.objects import open_store
from articles.store import Library
from media.names import MEDIA_TYPES, SERVED_NAME
from web import ranges
from web.errors import WebError
from web.headers import http_address, media_origin, request_problem, security_headers
from web.static import IMMUTABLE, compressed_reader

PREFIX = "/media/"

HANDOFFS = (None, "nginx", "sendfile")


# How long a client may keep /media/<name>'s redirect to the store: the
# name's bytes never change, but MEDIA_URL may move to another CDN.
REDIRECT_CACHE_CONTROL = "public, max-age=86400"


class HandoffConfigError(WebError, ValueError):
    """MEDIA_HANDOFF names a front server the app cannot hand media to."""


class MediaUrlError(WebError, ValueError):
    """MEDIA_URL is not an address media can be linked at, or a media store has none."""


def register(app: Flask) -> None:
    """Add ``/media/<name>`` (endpoint ``media_file``), and check where media are served from.

    :raises HandoffConfigError: MEDIA_HANDOFF is not one of HANDOFFS.
    :raises MediaUrlError: MEDIA_URL cannot be used, or MEDIA_STORE is set without it.
    :raises articles.objects.StoreSettingError: MEDIA_STORE or S3_ENDPOINT_URL cannot be used.
    """
    if app.config["MEDIA_HANDOFF"] not in HANDOFFS:
        raise HandoffConfigError(f"MEDIA_HANDOFF must be one of {HANDOFFS}, not {app.config['MEDIA_HANDOFF']!r}")
    configure_media_url(app.config)
    app.add_url_rule(PREFIX + "<name>", "media_file", media_file, methods=["GET"])
    # <video crossorigin> makes the clip and its <track>s CORS requests: captions
    # from another origin load only so (and only if that origin's CORS allows it).
    app.jinja_env.globals["media_crossorigin"] = is_cross_origin(app.config)


def configure_media_url(config) -> None:
    """Normalise MEDIA_URL to ``scheme://host[:port]/path/`` and check the media store's settings.

    :raises MediaUrlError: MEDIA_URL cannot be used, or MEDIA_STORE is set without it.
    :raises articles.objects.StoreSettingError: MEDIA_STORE or S3_ENDPOINT_URL cannot be used.
    """
    # Raises on a bad value now, rather than at the first request.
    open_store(config["MEDIA_STORE"], config["S3_ENDPOINT_URL"], Path(config["LIBRARY"]) / "media")
    value = config["MEDIA_URL"]
    if not value:
        config["MEDIA_URL"] = None
        if config["MEDIA_STORE"]:
            raise MediaUrlError("MEDIA_URL (NEWSREEL_MEDIA_URL) must be set with MEDIA_STORE: the "
                                "address the bucket's objects are served at, such as "
                                "https://cdn.example/media/")
        return
    problem = (f"MEDIA_URL (NEWSREEL_MEDIA_URL) must be an http(s) address ending in /, "
               f"such as https://cdn.example/media/, not {value!r}")
    parts = http_address(value)
    if parts is None or not parts.path.endswith("/"):
        raise MediaUrlError(problem)
    config["MEDIA_URL"] = f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}"


def is_cross_origin(config) -> bool:
    """Return True when media are linked at another origin than the site's (or the site's is unknown)."""
    media = media_origin(config["MEDIA_URL"])
    return media is not None and media != config["SITE_URL"]


def serve_directly(app: Flask) -> None:
    """Put ``MediaFastPath`` in front of the app, so media bytes go out without Flask."""
    app.wsgi_app = MediaFastPath(app.wsgi_app, app.config)


def media_file(name: str):
    """Serve one media file with Range support; its URL's bytes never change.

    With a media store, the store answers instead: the old address of a file
    redirects to MEDIA_URL + name, so links made before the move keep working.
    """
    config = current_app.config
    if config["MEDIA_STORE"]:
        if not SERVED_NAME.fullmatch(name):
            abort(404)
        response = redirect(config["MEDIA_URL"] + name, 301)
        response.headers["Cache-Control"] = REDIRECT_CACHE_CONTROL
        return response
    answer = answer_media(request.environ, current_app.config, name)
    if answer is None:
        abort(404)
    if answer.error is not None:
        raise answer.error
    return Response(answer.body, answer.status, answer.headers, direct_passthrough=True)


def answer_media(environ: dict, config, name: str) -> ranges.FileAnswer | None:
    """Return the answer to a request for the media file ``name``, or None when there is no such file."""
    path = Library(config["LIBRARY"]).media_path(name)
    opened = ranges.open_regular_file(path) if path is not None else None
    if opened is None:
        return None
    handle, st = opened
    mimetype = MEDIA_TYPES[path.suffix]
    handoff = config["MEDIA_HANDOFF"]
    if handoff is None:
        return ranges.answer_file(environ, handle, st, mimetype, IMMUTABLE, max_ranges=config["MAX_RANGES"],
                                  compressed=compressed_reader(handle, st, mimetype))
    if _range_past_the_end(environ, st, config["MAX_RANGES"]):
        handle.close()
        return ranges.FileAnswer(416, [], error=RequestedRangeNotSatisfiable(length=st.st_size))
    handle.close()
    # The front server answers ranges and conditions itself, from the same file.
    headers = [("Content-Type", get_content_type(mimetype, "utf-8")), ("Cache-Control", IMMUTABLE),
               ("Content-Length", "0")]
    if handoff == "nginx":
        headers.append(("X-Accel-Redirect", config["MEDIA_HANDOFF_PREFIX"] + name))
    else:
        headers.append(("X-Sendfile", str(path.resolve())))
    return ranges.FileAnswer(200, headers)


def _range_past_the_end(environ: dict, st, max_ranges: int) -> bool:
    """Return True when the request's Range header asks only for bytes the file does not have.

    The app answers these itself before a hand-off: nginx's own 416 page would
    repeat every header it had already added for the file.
    """
    header = environ.get("HTTP_RANGE")
    if header is None or not ranges.if_range_allows(environ.get("HTTP_IF_RANGE"), ranges.file_etag(st),
                                                    int(st.st_mtime)):
        return False
    try:
        return ranges.parse_range(header, st.st_size, max_ranges) == []
    except ranges.RangeRequestError:
        return False


class MediaFastPath:
    """WSGI middleware: answers 200, 206 and 304 for media itself; errors go to the app for its pages.

    A media request through Flask costs several times what sending a 1 MB
    range with sendfile does; this way it costs a few header lines.
    """

    def __init__(self, wsgi_app, config):
        self.wsgi_app = wsgi_app
        self.config = config

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        name = path[len(PREFIX):]
        if (not path.startswith(PREFIX) or "/" in name or environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
                or self.config["MEDIA_STORE"] or request_problem(environ, self.config)):
            return self.wsgi_app(environ, start_response)
        answer = answer_media(environ, self.config, name)
        if answer is None or answer.error is not None:
            return self.wsgi_app(environ, start_response)
        start_response(answer.status_line(), [*answer.headers, *security_headers(path, self.config).items()])
        return answer.body
