"""HTTP caching: hashed static URLs, immutable media, ETags and 304s, a render per library version, compression."""

from __future__ import annotations

import gzip
import re
from datetime import datetime

import brotli
import pytest
from bs4 import BeautifulSoup
from flask import template_rendered
from werkzeug.http import http_date, parse_date

from app import create_app
from articles.ingest import ingest_bundle
from articles.store import Library
from tests.conftest import ROOT
from tests.test_ingest import replace_in_article
from web.compression import negotiate
from web.static import HASHES

ARTICLE = "/articles/night-ferry-returns"
IMMUTABLE = "public, max-age=31536000, immutable"


def fetch(client, url: str, method: str = "GET", **headers):
    """Send a request, read the whole body and close the response."""
    response = client.open(url, method=method, headers=headers)
    response.get_data()
    response.close()
    return response


class Renders:
    """Counts the templates the app renders, through Flask's template_rendered signal."""

    def __init__(self, app):
        self.names: list[str] = []
        self._app = app

    def __enter__(self):
        template_rendered.connect(self._record, self._app)
        return self

    def __exit__(self, *exc):
        template_rendered.disconnect(self._record, self._app)

    def _record(self, sender, template, context, **extra):
        self.names.append(template.name)


def stylesheet_url(client) -> str:
    page = BeautifulSoup(fetch(client, "/").get_data(as_text=True), "html.parser")
    return page.find("link", rel="stylesheet")["href"]


def test_stylesheet_url_carries_the_hash_of_its_content(client):
    url = stylesheet_url(client)
    path, version = url.split("?v=")
    assert path == "/static/css/app.css"
    assert version == HASHES.get(ROOT / "static" / "css" / "app.css")
    assert re.fullmatch(r"[0-9a-f]{12}", version)


@pytest.mark.parametrize("query, cache_control", [
    ("?v=CURRENT", IMMUTABLE), ("", "no-cache"), ("?v=000000000000", "no-cache"),
])
def test_static_files_are_immutable_only_under_their_current_hash(client, query, cache_control):
    version = stylesheet_url(client).split("?v=")[1]
    response = fetch(client, "/static/css/app.css" + query.replace("CURRENT", version))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == cache_control
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"


def test_page_has_strong_etag_last_modified_and_revalidates(client, demo_library):
    response = fetch(client, ARTICLE)
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]+"', etag)
    assert response.headers["Cache-Control"] == "no-cache"
    # Last-Modified is the library's last ingest
    with demo_library.connect() as db:
        newest = db.execute("SELECT max(ingested_at) FROM articles").fetchone()[0]
    assert parse_date(response.headers["Last-Modified"]) == datetime.fromisoformat(newest)
    again = fetch(client, ARTICLE, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Content-Security-Policy"] and again.headers["X-Content-Type-Options"]
    since = fetch(client, ARTICLE, **{"If-Modified-Since": response.headers["Last-Modified"]})
    assert since.status_code == 304
    stale = fetch(client, ARTICLE, **{"If-None-Match": '"something-else"'})
    assert stale.status_code == 200 and stale.data == response.data


def test_a_page_is_rendered_once_per_version_url_and_relevant_query(app):
    client = app.test_client()
    with Renders(app) as renders:
        first = fetch(client, ARTICLE)
        fetch(client, ARTICLE)
        fetch(client, ARTICLE, method="HEAD")
        fetch(client, ARTICLE + "?utm_source=feed")
        assert renders.names == ["article.html"]
        timed = fetch(client, ARTICLE + "?t=8")
        fetch(client, ARTICLE + "?t=8&utm_source=feed")
        assert renders.names == ["article.html"] * 2
    assert timed.data != first.data


def test_head_of_a_cached_page_has_the_headers_of_get(client):
    get = fetch(client, ARTICLE)
    head = fetch(client, ARTICLE, method="HEAD")
    assert head.data == b""
    for name in ("ETag", "Content-Length", "Content-Type", "Last-Modified", "Content-Security-Policy"):
        assert head.headers[name] == get.headers[name]


def test_pages_for_another_host_are_rendered_for_that_host(app):
    client = app.test_client()
    one = fetch(client, ARTICLE, Host="news.example")
    other = fetch(client, ARTICLE, Host="other.example")
    assert b"http://news.example/articles/night-ferry-returns" in one.data
    assert b"http://other.example/articles/night-ferry-returns" in other.data
    assert b"news.example" not in other.data


def test_the_page_cache_is_bounded(demo_library):
    app = create_app({"TESTING": True, "LIBRARY": str(demo_library.root), "PAGE_CACHE_ENTRIES": 2})
    client = app.test_client()
    with Renders(app) as renders:
        for query in ("?t=1", "?t=2", "?t=3", "?t=3", "?t=1"):
            fetch(client, ARTICLE + query)
    assert len(renders.names) == 4  # ?t=1 was pushed out by ?t=3 and rendered again


def test_ingest_bumps_the_version_and_the_next_request_shows_it(tmp_path, small_bundle):
    library = Library(tmp_path / "lib")
    ingest_bundle(small_bundle, library)
    app = create_app({"TESTING": True, "LIBRARY": str(library.root)})
    client = app.test_client()
    first = fetch(client, "/")
    assert b"A small story" in first.data
    assert fetch(client, "/", **{"If-None-Match": first.headers["ETag"]}).status_code == 304
    replace_in_article(small_bundle, "title: A small story", "title: A changed story")
    ingest_bundle(small_bundle, library)
    changed = fetch(client, "/", **{"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert b"A changed story" in changed.data and b"A small story" not in changed.data
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert parse_date(changed.headers["Last-Modified"]) >= parse_date(first.headers["Last-Modified"])


@pytest.mark.parametrize("header, encoding", [
    (None, "identity"), ("", "identity"), ("gzip", "gzip"), ("gzip, deflate, br, zstd", "br"),
    ("br;q=0, gzip", "gzip"), ("gzip;q=0", "identity"), ("*", "br"), ("*;q=0", "identity"),
    ("gzip;q=0.5, br;q=0", "gzip"), ("identity", "identity"), ("deflate", "identity"),
    ("GZIP", "gzip"), ("gzip;q=abc", "identity"),
])
def test_accept_encoding_negotiation(header, encoding):
    assert negotiate(header) == encoding


DECODE = {"gzip": gzip.decompress, "br": brotli.decompress, "identity": lambda data: data}


@pytest.mark.parametrize("encoding", ["gzip", "br", "identity"])
def test_pages_are_compressed_for_clients_that_accept_it(client, encoding):
    plain = fetch(client, ARTICLE)
    response = fetch(client, ARTICLE, **{"Accept-Encoding": encoding})
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.headers.get("Content-Encoding", "identity") == encoding
    assert DECODE[encoding](response.data) == plain.data
    assert int(response.headers["Content-Length"]) == len(response.data)
    if encoding != "identity":
        assert len(response.data) < len(plain.data) / 2
        assert response.headers["ETag"] != plain.headers["ETag"]
        again = fetch(client, ARTICLE, **{"Accept-Encoding": encoding,
                                          "If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304


def media_urls(client) -> dict[str, str]:
    page = BeautifulSoup(fetch(client, ARTICLE).get_data(as_text=True), "html.parser")
    return {"mp4": page.find("source", type="video/mp4")["src"].split("#")[0],
            "vtt": page.find("track")["src"], "jpg": page.find("video")["poster"]}


@pytest.mark.parametrize("kind, compressed", [("vtt", True), ("mp4", False), ("jpg", False)])
def test_text_media_is_compressed_and_the_rest_never(client, kind, compressed):
    url = media_urls(client)[kind]
    plain = fetch(client, url)
    response = fetch(client, url, **{"Accept-Encoding": "gzip, br"})
    assert response.headers["Cache-Control"] == IMMUTABLE
    if compressed:
        assert response.headers["Content-Encoding"] == "br"
        assert brotli.decompress(response.data) == plain.data
        assert response.headers["Vary"] == "Accept-Encoding"
    else:
        assert "Content-Encoding" not in response.headers
        assert response.data == plain.data


def test_range_responses_are_never_compressed(client):
    url = media_urls(client)["vtt"]
    plain = fetch(client, url)
    response = fetch(client, url, Range="bytes=0-9", **{"Accept-Encoding": "gzip, br"})
    assert response.status_code == 206
    assert "Content-Encoding" not in response.headers
    assert response.data == plain.data[:10]


def test_stylesheet_is_compressed(client):
    response = fetch(client, "/static/css/app.css", **{"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data) == (ROOT / "static" / "css" / "app.css").read_bytes()


def test_error_pages_are_compressed_but_not_cached(app):
    client = app.test_client()
    with Renders(app) as renders:
        for _ in range(2):
            response = fetch(client, "/articles/no-such-story", **{"Accept-Encoding": "gzip"})
            assert response.status_code == 404
            assert b"Page not found" in gzip.decompress(response.data)
    assert len(renders.names) == 2


def test_media_last_modified_is_the_file_time(client, demo_library):
    url = media_urls(client)["mp4"]
    response = fetch(client, url)
    path = demo_library.media_dir / url.rsplit("/", 1)[1]
    assert response.headers["Last-Modified"] == http_date(int(path.stat().st_mtime))
