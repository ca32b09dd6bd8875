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
from captions.timecodes import format_seconds
from tests.conftest import ROOT
from tests.test_ingest import replace_in_article
from web.caching import PageCache
from web.compression import negotiate
from web.page_store import Budget, CachedPage, PageStore
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


def test_ingest_bumps_the_version_and_the_next_request_shows_it(each_empty_library, small_bundle):
    library = each_empty_library
    ingest_bundle(small_bundle, library)
    app = create_app({"TESTING": True, "LIBRARY": str(library.root), "DATABASE_URL": library.database_url})
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


def page_cache(app) -> PageCache:
    """Return the app's page cache among its WSGI middleware."""
    layer = app.wsgi_app
    while not isinstance(layer, PageCache):
        layer = layer.wsgi_app
    return layer


def test_the_paths_the_cache_remembers_are_short_and_few(app):
    client, cache = app.test_client(), page_cache(app)
    for number in range(50):
        fetch(client, f"/articles/{number}-{'x' * 4000}")
        fetch(client, f"/nowhere/{'y' * 300}/{number}")
    assert cache._routes == {}
    fetch(client, ARTICLE)
    assert list(cache._routes) == [ARTICLE]


def site_urls(library) -> list[str]:
    slugs = [row.slug for row in library.articles()]
    return ["/", "/feed.xml", *(f"/articles/{s}" for s in slugs), *(f"/embed/{s}" for s in slugs)]


def assert_counted_and_bounded(store, limit: int) -> None:
    held = sum(sum(len(body) for body in page.encoded.values()) for page in store.pages())
    assert store.size == held <= limit


def test_the_page_cache_counts_every_byte_it_holds_in_every_encoding(demo_library):
    limit = 100_000
    app = create_app({"TESTING": True, "LIBRARY": str(demo_library.root), "PAGE_CACHE_BYTES": limit})
    client, store = app.test_client(), page_cache(app).store
    urls = site_urls(demo_library)
    # every page in each encoding, read often enough to be compressed again at the best level,
    # then a run of new pages that push older ones out
    visits = [(url, encoding) for _ in range(3) for encoding in ("identity", "br", "gzip") for url in urls]
    visits += [(f"{ARTICLE}?t={second}", encoding) for second in range(1, 13)
               for encoding in ("identity", "br", "gzip", "br")]
    for url, encoding in visits:
        assert fetch(client, url, **{"Accept-Encoding": encoding}).status_code == 200
        assert_counted_and_bounded(store, limit)
    assert any(page.best for page in store.pages())


def stored_page(body: bytes, version: int = 1) -> CachedPage:
    return CachedPage(version, "200 OK", [("Content-Type", "text/html; charset=utf-8")], body, None)


def test_the_page_store_counts_replacements_encodings_and_evictions():
    store = PageStore(entries=4, max_bytes=10_000)
    pages = {}
    for number in range(12):
        key = ("k", number % 5)
        pages[key] = page = stored_page(bytes(range(256)) * (4 + number))
        store.put(key, page)  # replaces the page held under the same key five puts ago
        assert_counted_and_bounded(store, 10_000)
        store.get(("k", 0))
        store.add_encoding(key, page, "gzip", gzip.compress(page.body), best=False)
        store.add_encoding(key, page, "br", b"x" * 900, best=False)
        store.add_encoding(key, page, "br", b"x" * 700, best=True)
        assert_counted_and_bounded(store, 10_000)
        # bytes added to a page no longer held count nowhere
        evicted = stored_page(b"gone" * 100)
        store.add_encoding(("gone",), evicted, "br", b"y" * 5000, best=True)
        assert_counted_and_bounded(store, 10_000)
        assert len(store.pages()) <= 4
    store.clear()
    assert store.size == 0 and store.pages() == []


@pytest.mark.parametrize("path, template", [(ARTICLE, "article.html"), ("/embed/night-ferry-returns", "embed.html")])
def test_spellings_of_one_start_time_are_one_cached_page(app, path, template):
    client = app.test_client()
    with Renders(app) as renders:
        bodies = {client.get(f"{path}?t={value}", follow_redirects=True).data
                  for value in ("1", "1.0", "01", "1.000", "1.0004", "1.", "1&t=2", "1&utm_source=feed")}
        assert renders.names == [template]
    assert len(bodies) == 1
    assert len(page_cache(app).store.pages()) == 1


@pytest.mark.parametrize("value, address", [
    ("01", "?t=1"), ("1.0", "?t=1"), ("1.0004", "?t=1"), ("1.0005", "?t=1.001"), ("1&t=2", "?t=1"),
    ("01&utm_source=feed", "?utm_source=feed&t=1"),
])
def test_another_spelling_of_a_start_redirects_to_its_one_address(client, value, address):
    response = fetch(client, f"{ARTICLE}?t={value}")
    assert response.status_code == 302
    assert response.headers["Location"] == ARTICLE + address
    assert response.headers["Cache-Control"] == "no-store"


def test_starts_past_the_end_of_the_clip_are_one_page_at_its_end(app, demo_library):
    duration = demo_library.article("night-ferry-returns").document.video.duration
    client = app.test_client()
    with Renders(app) as renders:
        for value in ("1000", "100000", "9" * 300, f"{duration + 0.0004:.4f}"):
            response = client.get(f"{ARTICLE}?t={value}", follow_redirects=True)
            assert response.request.args["t"] == format_seconds(duration)
            assert f"#t={duration:.3f}" in response.get_data(as_text=True)
        assert renders.names == ["article.html"]


def test_a_start_on_a_page_without_a_clip_redirects_to_the_page(tmp_path, small_bundle):
    article = small_bundle / "article.md"
    article.write_text(re.sub(r"(?ms)^video:.*?(?=^images:)", "", article.read_text(encoding="utf-8")),
                       encoding="utf-8")
    library = Library(tmp_path / "library")
    ingest_bundle(small_bundle, library)
    client = create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()
    response = fetch(client, "/articles/small-story?t=5&utm_source=feed")
    assert (response.status_code, response.headers["Location"]) == (302, "/articles/small-story?utm_source=feed")
    assert fetch(client, response.headers["Location"]).status_code == 200


@pytest.mark.parametrize("value", ["abc", "-1", "nan", "inf", "1e400", "1e0", "+1", "1_0", "%D9%A1", "", "0x10"])
def test_malformed_start_times_are_a_400_and_never_cached(app, value):
    client = app.test_client()
    for _ in range(2):
        assert fetch(client, f"{ARTICLE}?t={value}").status_code == 400
    assert page_cache(app).store.pages() == []


def test_a_flood_of_new_urls_leaves_pages_read_again_in_the_cache(demo_library):
    app = create_app({"TESTING": True, "LIBRARY": str(demo_library.root), "PAGE_CACHE_ENTRIES": 20})
    client = app.test_client()
    urls = site_urls(demo_library)
    for _ in range(2):
        for url in urls:
            fetch(client, url)
    for second in range(60):
        fetch(client, f"{ARTICLE}?t={second / 1000}")
    with Renders(app) as renders:
        for url in urls:
            fetch(client, url)
        assert renders.names == []
    assert len(page_cache(app).store.pages()) <= 20


def test_a_new_page_is_compressed_fast_and_a_page_read_again_at_the_best_level(app):
    client = app.test_client()
    plain = fetch(client, ARTICLE).data
    first = fetch(client, ARTICLE, **{"Accept-Encoding": "br"})
    assert first.data == brotli.compress(plain, quality=5)
    fetch(client, ARTICLE, **{"Accept-Encoding": "br"})
    best = fetch(client, ARTICLE, **{"Accept-Encoding": "br"})
    assert best.data == brotli.compress(plain, quality=11)
    assert len(best.data) < len(first.data)
    assert best.headers["ETag"] != first.headers["ETag"]
    assert fetch(client, ARTICLE, **{"Accept-Encoding": "br"}).headers["ETag"] == best.headers["ETag"]
    # a client (or nginx) holding the fast copy gets the smaller one once, then revalidates it
    again = fetch(client, ARTICLE, **{"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.data == best.data
    for held in (best.headers["ETag"], fetch(client, ARTICLE).headers["ETag"]):
        assert fetch(client, ARTICLE, **{"Accept-Encoding": "br", "If-None-Match": held}).status_code == 304


def test_best_level_compression_stays_within_its_budget_however_many_pages_are_read_again(app):
    client, cache = app.test_client(), page_cache(app)
    burst = 50_000
    cache.best_budget = Budget(rate=0, burst=burst)
    for second in range(30):
        for _ in range(4):
            fetch(client, f"{ARTICLE}?t={second}", **{"Accept-Encoding": "br"})
    upgraded = [page for page in cache.store.pages() if page.best]
    assert upgraded
    assert sum(len(page.body) for page in upgraded) <= burst
