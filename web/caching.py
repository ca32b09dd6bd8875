"""Pages rendered once per library version, and ETags with 304s for every rendered response.

``PageCache`` sits in front of the Flask app as WSGI middleware: a view marked
with ``@cached_page`` is rendered once for each library version, URL, host
and the values of the query arguments it names, and from then on its bytes
(plain, gzip and brotli) go out without Flask being involved. Ingest bumps the
library version, which empties the cache. ``web.page_store`` decides what is
kept and counts every byte held.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
import time
from calendar import timegm
from pathlib import Path
from time import strptime

from flask import Flask, abort, request
from werkzeug.datastructures import EnvironHeaders
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date

from articles.database import DatabaseError
from articles.store import DATABASE, Library
from captions.timecodes import parse_seconds
from web import compression
from web.headers import request_problem
from web.page_store import Budget, CachedPage, PageStore
from web.ranges import precondition_status

PAGE_CACHE_CONTROL = "no-cache"
CACHEABLE = "newsreel.cacheable"
PRECONDITION_FAILED = "newsreel.precondition_failed"
# How the page cache keys each query argument a cached view reads: on the value
# the view uses, so ?t=1, ?t=1.0 and ?t=01 (one page) are one entry and one
# render. A value the parser refuses with ValueError is not cached: the view
# answers it with a 400, as is an argument given twice. Any other argument is
# keyed on its text.


def parse_switch(text: str) -> bool:
    """Return True for ``1``, the one spelling of a switch that is on.

    :raises ValueError: any other text: "0", "true", "1.0" and "" are not pages of their own.
    """
    if text != "1":
        raise ValueError(f"a switch is 1 or absent, not {text!r}")
    return True


ARGUMENT_PARSERS = {"t": parse_seconds, "described": parse_switch}
# At most 4,096 paths of 256 characters: about 1 MB.
MAX_REMEMBERED_PATHS = 4096
MAX_REMEMBERED_PATH = 256
# A page served from the cache this often is worth compressing at the best level.
REUSED_AFTER_HITS = 2
# The best levels cost 20 to 40 times the fast ones (brotli 11 against 5: about
# 40 ms against 1 ms for a 20 kB page), so they are spent only on pages read
# again, and at most this many input bytes a second (under a tenth of a core)
# after a first burst, however many distinct pages are read again.
BEST_BYTES_PER_SECOND = 32 * 1024
BEST_BURST_BYTES = 1024 * 1024


def register(app: Flask) -> None:
    """Put the page cache in front of ``app`` and add ETags, 304s and compression to its responses."""
    app.wsgi_app = PageCache(app.wsgi_app, app)
    app.before_request(_fail_precondition)
    app.after_request(finish_response)


def cached_page(*args: str, **parsers):
    """Mark a view whose response depends only on the library, the URL and the query ``args``.

    Each argument is keyed on its value as ``parsers`` (or ``ARGUMENT_PARSERS``)
    read it; name an argument as a keyword to give it its own parser.
    """
    def decorate(view):
        @functools.wraps(view)
        def wrapper(**kwargs):
            request.environ[CACHEABLE] = True
            return view(**kwargs)
        wrapper.page_cache_args = (*args, *parsers)
        wrapper.page_cache_keys = {**{name: ARGUMENT_PARSERS.get(name, str) for name in args}, **parsers}
        return wrapper
    return decorate


def finish_response(response):
    """Compress a rendered response, give a 200 its ETag and answer If-None-Match with 304."""
    if request.environ.get(CACHEABLE) and response.status_code == 200:
        return response  # the page cache does this once per version
    response = compression.compress_response(response)
    if (request.method in ("GET", "HEAD") and response.status_code == 200
            and not response.direct_passthrough and not response.is_streamed
            and not {"ETag", "X-Accel-Redirect", "X-Sendfile"} & set(response.headers.keys())):
        response.add_etag()
        response.make_conditional(request)
    return response


def _fail_precondition():
    if request.environ.get(PRECONDITION_FAILED):
        abort(412)


class LibraryVersion:
    """The library's version and last change, read again whenever its database files change.

    With a PostgreSQL library there are no files to watch, and another
    machine's ingest changes it: the version row is read again at most every
    POSTGRES_RECHECK_SECONDS. Read on every request, that query (about 135 us
    on loopback, plus the server's own work) cost the cached article page
    more than half its requests per second on two cores
    (bench/database_bench.py); ten reads a second per process cost nothing
    measurable, and every app server still shows an ingest within that time.
    """

    POSTGRES_RECHECK_SECONDS = 0.1

    # Two commits can leave the WAL file with the same size and timestamp (the
    # clock behind file times ticks every few milliseconds): look anyway this often.
    RECHECK_SECONDS = 1.0

    def __init__(self, root: str | os.PathLike, database_url: str | None = None):
        self.postgres = Library(root, database_url=database_url).postgres if database_url else None
        self._postgres_read = (float("-inf"), (0, None))  # (when, state): one tuple, swapped whole
        self.database = Path(root) / DATABASE
        self.wal = self.database.with_name(DATABASE + "-wal")
        self._signature: tuple | None = None
        self._checked = 0.0
        self._state: tuple[int, int | None] = (0, None)

    def current(self) -> tuple[int, int | None] | None:
        """Return (version, last change as a Unix time); None when the database cannot be read now."""
        if self.postgres is not None:
            now = time.monotonic()
            read, state = self._postgres_read
            if now - read < self.POSTGRES_RECHECK_SECONDS:
                return state
            try:
                state = self.postgres.state()
            except DatabaseError:
                return None  # the view answers, with the 503 page while the server is down
            self._postgres_read = (now, state)
            return state
        signature = (_file_signature(self.database), _file_signature(self.wal))
        now = time.monotonic()
        if signature == self._signature and now - self._checked < self.RECHECK_SECONDS:
            return self._state
        state = self._read()
        if state is not None:
            # Taken before the read: a commit in between only causes one more read.
            self._state, self._signature, self._checked = state, signature, now
        return state

    def _read(self) -> tuple[int, int | None] | None:
        if not self.database.is_file():
            return 0, None
        try:
            with contextlib.closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)) as db:
                found = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
                latest = db.execute("SELECT max(ingested_at) FROM articles").fetchone()[0]
        except sqlite3.Error:
            # A library being created has no tables yet: render, but do not cache.
            return None
        return (int(found[0]) if found else 0), _unix_time(latest)


def _file_signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _unix_time(stamp: str | None) -> int | None:
    return None if stamp is None else timegm(strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))


class PageCache:
    """WSGI middleware: answer requests for ``@cached_page`` views from bytes rendered earlier."""

    def __init__(self, wsgi_app, flask_app: Flask):
        self.wsgi_app = wsgi_app
        self.flask_app = flask_app
        self.library = LibraryVersion(flask_app.config["LIBRARY"], flask_app.config["DATABASE_URL"])
        self.store = PageStore(flask_app.config["PAGE_CACHE_ENTRIES"], flask_app.config["PAGE_CACHE_BYTES"])
        self.best_budget = Budget(BEST_BYTES_PER_SECOND, BEST_BURST_BYTES)
        self._routes: dict[str, dict | None] = {}
        self._version: int | None = None
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or request_problem(environ, self.flask_app.config):
            return self.wsgi_app(environ, start_response)
        key = self._key(environ)
        state = self.library.current() if key is not None else None
        if state is None:
            return self.wsgi_app(environ, start_response)
        version, last_modified = state
        page = self._get(key, version)
        if page is None:
            page = self._render(environ, version, last_modified)
            if not isinstance(page, CachedPage):
                status, headers, body = page
                start_response(status, headers)
                return [] if method == "HEAD" else [body]
            self._put(key, page)
        return self._serve(key, page, environ, start_response)

    def _key(self, environ) -> tuple | None:
        """Return the cache key of a request for a cached view, else None."""
        path = environ.get("PATH_INFO", "")
        parsers = self._routes.get(path, False)
        if parsers is False:
            parsers = self._view_args(environ)
            # Paths are remembered to skip matching the URL map (about 20 us a request), but only
            # short ones: 4,096 paths of up to 8 kB each would be 33 MB outside PAGE_CACHE_BYTES.
            if len(path) <= MAX_REMEMBERED_PATH:
                if len(self._routes) >= MAX_REMEMBERED_PATHS:
                    self._routes.clear()
                self._routes[path] = parsers
        if parsers is None:
            return None
        values = []
        if parsers:
            # Parsed as the view will see them: request.args, first value of each name.
            args = self.flask_app.request_class(environ).args
            for name, parse in parsers.items():
                given = args.getlist(name)
                if len(given) > 1:
                    return None  # the view answers it: a redirect or a 400, never a cached page
                text = given[0] if given else None
                try:
                    values.append(None if text is None else parse(text))
                except ValueError:
                    return None
        # With SITE_URL, pages name the site whatever Host was sent (web.common.absolute_url).
        site = self.flask_app.config["SITE_URL"]
        origin = (site,) if site else (environ.get("wsgi.url_scheme"),
                                       environ.get("HTTP_HOST") or environ.get("SERVER_NAME"))
        return (*origin, environ.get("SCRIPT_NAME", ""), path, tuple(values))

    def _view_args(self, environ) -> dict | None:
        try:
            endpoint, _ = self.flask_app.url_map.bind_to_environ(environ).match()
        except HTTPException:
            return None
        return getattr(self.flask_app.view_functions.get(endpoint), "page_cache_keys", None)

    def _get(self, key: tuple, version: int) -> CachedPage | None:
        with self._lock:
            if version != self._version:
                # Ingest changed the library: every page rendered before is out of date.
                self.store.clear()
                self._version = version
                return None
        return self.store.get(key)

    def _put(self, key: tuple, page: CachedPage) -> None:
        with self._lock:
            if page.version == self._version:
                self.store.put(key, page)

    def _render(self, environ, version: int, last_modified: int | None):
        """Run the app as for a GET; return a CachedPage, or (status, headers, body) to pass on."""
        captured = []
        inner = {**environ, "REQUEST_METHOD": "GET"}
        chunks = self.wsgi_app(inner, lambda status, headers, exc_info=None: captured.extend(
            (status, headers)))
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status, headers = captured
        if not (inner.get(CACHEABLE) and status.startswith("200")):
            return status, headers, body
        kept = [(name, value) for name, value in headers
                if name.lower() not in ("content-length", "content-encoding", "etag", "vary")]
        if not any(name.lower() == "cache-control" for name, _ in kept):
            kept.append(("Cache-Control", PAGE_CACHE_CONTROL))
        if last_modified is not None:
            kept.append(("Last-Modified", http_date(last_modified)))
        return CachedPage(version, status, kept, body, last_modified)

    def _serve(self, key: tuple, page: CachedPage, environ, start_response):
        encoding = compression.negotiate(environ.get("HTTP_ACCEPT_ENCODING"))
        if len(page.body) < compression.MIN_BYTES or not page.compressible:
            encoding = "identity"
        conditional = precondition_status(
            EnvironHeaders(environ), page.etags(), page.last_modified) if _has_conditions(environ) else None
        if conditional == 412:
            environ[PRECONDITION_FAILED] = True
            return self.wsgi_app(environ, start_response)
        if conditional == 304:
            start_response("304 Not Modified", [
                *(h for h in page.headers if h[0].lower() != "content-type"),
                ("ETag", page.etag(encoding)), ("Vary", "Accept-Encoding")])
            return []
        body, etag = self._in_encoding(key, page, encoding)
        headers = [*page.headers, ("ETag", etag), ("Vary", "Accept-Encoding"),
                   ("Content-Length", str(len(body)))]
        if encoding != "identity":
            headers.append(("Content-Encoding", encoding))
        start_response(page.status, headers)
        sent = [] if environ["REQUEST_METHOD"] == "HEAD" else [body]
        if encoding != "identity" and encoding not in page.best and page.hits >= REUSED_AFTER_HITS:
            # After the response has gone: the client does not wait for the slow level.
            return _ThenClose(sent, lambda: self._compress_best(key, page, encoding))
        return sent

    def _in_encoding(self, key: tuple, page: CachedPage, encoding: str) -> tuple[bytes, str]:
        """Return the page in ``encoding`` and its ETag, compressing it at the fast level the first time."""
        found = self.store.encoded(page, encoding)
        if found is None:
            found = self.store.add_encoding(key, page, encoding,
                                            compression.compress(page.body, encoding), best=False)
        return found

    def _compress_best(self, key: tuple, page: CachedPage, encoding: str) -> None:
        if encoding in page.best or not self.best_budget.take(len(page.body)):
            return
        self.store.add_encoding(key, page, encoding,
                                compression.compress(page.body, encoding, best=True), best=True)


class _ThenClose(list):
    """A response body that runs ``then`` when the server closes it, after the bytes went out."""

    def __init__(self, chunks: list[bytes], then):
        super().__init__(chunks)
        self._then = then

    def close(self) -> None:
        self._then()


def _has_conditions(environ) -> bool:
    return any(name in environ for name in ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE",
                                             "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE"))
