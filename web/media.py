"""Media files from the library: clips, posters, photos and captions, under content-hashed names."""

from __future__ import annotations

from flask import Flask, Response, abort, current_app, request
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.utils import get_content_type

from articles.store import Library
from media.names import MEDIA_TYPES
from web import ranges
from web.errors import WebError
from web.headers import request_problem, security_headers
from web.static import IMMUTABLE, compressed_reader

PREFIX = "/media/"

HANDOFFS = (None, "nginx", "sendfile")


class HandoffConfigError(WebError, ValueError):
    """MEDIA_HANDOFF names a front server the app cannot hand media to."""


def register(app: Flask) -> None:
    """Add ``/media/<name>`` (endpoint ``media_file``).

    :raises HandoffConfigError: MEDIA_HANDOFF is not one of HANDOFFS.
    """
    if app.config["MEDIA_HANDOFF"] not in HANDOFFS:
        raise HandoffConfigError(f"MEDIA_HANDOFF must be one of {HANDOFFS}, not {app.config['MEDIA_HANDOFF']!r}")
    app.add_url_rule(PREFIX + "<name>", "media_file", media_file, methods=["GET"])


def serve_directly(app: Flask) -> None:
    """Put ``MediaFastPath`` in front of the app, so media bytes go out without Flask."""
    app.wsgi_app = MediaFastPath(app.wsgi_app, app.config)


def media_file(name: str):
    """Serve one media file with Range support; its URL's bytes never change."""
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
                or request_problem(environ, self.config)):
            return self.wsgi_app(environ, start_response)
        answer = answer_media(environ, self.config, name)
        if answer is None or answer.error is not None:
            return self.wsgi_app(environ, start_response)
        start_response(answer.status_line(), [*answer.headers, *security_headers(path, self.config).items()])
        return answer.body
