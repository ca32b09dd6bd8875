"""Malformed input on every route is a 4xx with the site's error page, never a 500.

The tables name each route's parameters: path parts, query arguments and the
request headers the app reads. A route added to the app without an entry here
fails ``test_every_route_has_a_table_of_malformed_values``.
"""

from __future__ import annotations

import gzip
from urllib.parse import quote, unquote

import brotli
import pytest

from app import create_app

ARTICLE_SLUG = "night-ferry-returns"
ARTICLE = f"/articles/{ARTICLE_SLUG}"
# Placeholders, replaced by the demo library's real file names when a request is made.
MEDIA = "/media/MEDIA_NAME"
STATIC = "/static/css/app.css"

# Values already decoded: each test sends them percent-encoded, so they reach the view
# (the early checks in web.headers refuse bad escapes and controls before any view runs).
NUMBERS = ["", " ", "NaN", "nan", "-nan", "inf", "-inf", "Infinity", "-1", "-0", "1e309", "-1e309",
           "1e-400", "9" * 400, "1" + "0" * 5000, "١", "١٢", "１２", "²", "½", "1_000", " 12 ", "+1",
           "0x10", "1e3", "12.5.5", "1,5", "٣٫٥", "12abc", "true", "[]", "{}", "\u200b1", "1\u200b"]
URLS = ["http://[", "http://%5B/articles/x", "http://[/articles/x", "http://[::1/articles/x",
        "http://[::1]:99999/articles/x", "http://[fe80::1%eth0]/articles/x", "http://[::ffff:1.2.3.4]/",
        "http://[v7.garbage]/articles/x", "http://]/articles/x", "https://[[::1]]/", "//evil",
        "//evil/articles/night-ferry-returns", "javascript:alert(1)", "JaVaScRiPt:alert(1)",
        "data:text/html,<b>x</b>", "file:///etc/passwd", "http://localhost:0/articles/x",
        "http://localhost:-1/articles/x", "http://localhost:99999/articles/x",
        "http://localhost:١٢/articles/x", "http://a@b/articles/x", "http://user:pass@localhost/articles/x",
        "http:///articles/x", "http://évil.example/articles/x", "http://xn--/articles/x",
        "http://localhost/articles/", "http://localhost/articles/%", "http://localhost/articles/%zz",
        "http://localhost/articles/%00", "http://localhost/articles/night-ferry-returns%0a",
        "http://localhost/articles/../media/x", "http://localhost/articles/" + "a" * 2000,
        "http://localhost" + "/a" * 1100, "http://localhost/embed/night-ferry-returns",
        "http://localhost/static/css/app.css", "http://localhost/?url=http://[", "http:", "http:/", ":", "?",
        "#", "http://localhost\\articles\\x", "http://localhost/articles/x?t=١"]
TIMES = NUMBERS + ["00:12", "1:02:03", "12s", "PT12S", "12.000000000000000000001"]
TEXTS = ["", "%", "\"", "'", "*", "NEAR(", "OR", "-", "^", ":", "()", "\u0308", "\u0308" * 150, "x" * 201,
         "a\u0308" * 100, "\ufeff", "\U0001f600", "\ud7ff", "٣", "_", "\u202e", "<script>"]
WORDS = ["", "xml", "JSON", "json ", "html", "١", "\u0308"]
SWITCHES = [*NUMBERS, *WORDS, "0", "1.0", "01", "yes", "on", "1 "]

# Raw query strings and path parts, sent exactly as written.
RAW_QUERIES = ["%", "%z", "%zz", "%00", "%0a", "%C0%AE", "%FF%FE", "%E2%82", "%ED%A0%80", "a=%u0041",
               "=", "&&&", "t", "t&t=1&t=2", ";t=1", "t=1;t=2", "+", "%2B", "x=" + "a" * 3000]
SLUGS = ["%00", "%25", "%2e%2e", "..", ".", "%2f", "%5c", "%0a", "night-ferry-returns%0a",
         "night-ferry-returns%0d", "NIGHT-FERRY-RETURNS", "%C0%AE", "%FF", "%E2%80%AE", "١", "a" * 3000,
         "night-ferry-returns%00", "night-ferry-returns%20", "%20night-ferry-returns", "-", "a--b",
         "night-ferry-returns.json", "night_ferry"]
MEDIA_NAMES = ["MEDIA_NAME%0a", "MEDIA_NAME%0d", "MEDIA_NAME%00", "MEDIA_NAME%20", "%0aMEDIA_NAME",
               "MEDIA_NAME.", "MEDIA_NAME/", "MEDIA_NAME%2f", "..%2fMEDIA_NAME", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦.mp4",
               "0" * 16 + ".mp4", "0" * 65 + ".mp4", "0" * 16 + ".json", "0" * 16 + ".MP4", "x" * 3000]
STATIC_NAMES = ["css/app.css%0a", "css/app.css%00", "css/%2e%2e/css/app.css", "css//app.css", "css/",
                "CSS/APP.CSS", "css/app.css/", "%00", "x" * 3000, "css/" + "a/" * 600 + "x.css"]

# Headers the app reads, with values that a parser might choke on.
DATES = ["", "garbage", "Mon, 32 Dec 99999 99:99:99 GMT", "Sat, 01 Jan 10000 00:00:00 GMT",
         "Thu, 01 Jan 1970 00:00:00 GMT", "Mon, 01 Jan 0001 00:00:00 GMT", "-1", "١", "9" * 400,
         "Sun, 06 Nov 1994 08:49:37 GMT\x7f", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
         "Sun, 06 Nov 1994 08:49:37 +9999", "Tue, 31 Feb 2026 00:00:00 GMT"]
ETAGS = ["", '"', 'W/', 'W/"', '"unterminated', "*", "*, *", '"a", , "b"', "\x01", "é", '"' + "a" * 5000 + '"']
HEADERS = {
    "Range": ["", "bytes", "bytes=", "bytes=-", "bytes=--1", "bytes=1-0", "bytes=-0", "bytes=0--1",
              "bytes=" + "9" * 30 + "-", "bytes=-" + "9" * 30, "bytes=١-٢", "bytes=0-0," * 40, "bytes=,,,,",
              "units=0-1", "bytes = 0-1", "bytes=0-1;x", "BYTES=0-1", "bytes=NaN-inf", "bytes=0x0-0x10",
              "bytes=+1-2", "bytes=1_0-2_0"],
    "If-Range": ["", "garbage", *DATES[1:5], *ETAGS[1:6]],
    "If-None-Match": ETAGS,
    "If-Match": ETAGS,
    "If-Modified-Since": DATES,
    "If-Unmodified-Since": DATES,
    "Accept-Encoding": ["", ";", ";;;,,,", "br;q=NaN", "gzip;q=1e309", "br;q=-1", "br;q=١", "gzip;q=0.5.5",
                        "gzip;q=", "*;q=2", "identity;q=0", "identity;q=0, *;q=0", "br;q=0x1",
                        "gzip;q=" + "9" * 400, "zstd, deflate, x-gzip, compress", "\u00e9"],
    "Accept-Language": ["", "*", "xx-YY-ZZ-" * 20, "١", "en;q=NaN", "\u00e9"],
    "Host": ["", "a@b", "évil.example", "host:99999", "[::1", "[::1]:", "localhost:-1", "localhost:١",
             "local host", "a" * 300],
    "Content-Length": ["-1", "NaN", "9" * 30, "١"],
    "Transfer-Encoding": ["chunked, identity", "garbage"],
}


def _encoded(name: str, values: list[str]) -> list[str]:
    return [f"{name}={quote(value, safe='')}" for value in values]


# Every route: its paths, then the queries each path is tried with.
ROUTES: dict[str, dict] = {
    "index": {"paths": ["/"], "queries": [*RAW_QUERIES, *_encoded("t", TIMES)]},
    "article": {"paths": [ARTICLE, *(f"/articles/{slug}" for slug in SLUGS)],
                "queries": [*RAW_QUERIES, *_encoded("t", TIMES), "t=1&t=x", "t=x&t=1",
                            *_encoded("described", SWITCHES), "described=1&described=1",
                            "described=1&t=x", "t=x&described=1", "described=x&t=1"]},
    "embed": {"paths": [f"/embed/{ARTICLE_SLUG}", "/embed/reading-room-stays-open",
                        *(f"/embed/{slug}" for slug in SLUGS)],
              "queries": [*RAW_QUERIES, *_encoded("t", TIMES), *_encoded("described", SWITCHES),
                          "described=1&described=0"]},
    "oembed": {"paths": ["/oembed"],
               "queries": [*RAW_QUERIES, *_encoded("url", URLS), *_encoded("maxwidth", NUMBERS),
                           *_encoded("maxheight", NUMBERS), *_encoded("format", WORDS),
                           *(f"url=http%3A%2F%2Flocalhost{ARTICLE}&{q}" for q in
                             [*_encoded("maxwidth", NUMBERS), *_encoded("maxheight", NUMBERS),
                              *_encoded("format", WORDS)])]},
    "search": {"paths": ["/search"], "queries": [*RAW_QUERIES, *_encoded("q", TEXTS), "q=a&q=b", "q"]},
    "feed": {"paths": ["/feed.xml", "/feed.xml/"],
             "queries": [*RAW_QUERIES, *_encoded("page", NUMBERS), *_encoded("limit", NUMBERS)]},
    "media_file": {"paths": [MEDIA, *(f"/media/{name}" for name in MEDIA_NAMES)],
                   "queries": [*RAW_QUERIES, *_encoded("v", NUMBERS)]},
    "static": {"paths": [STATIC, *(f"/static/{name}" for name in STATIC_NAMES)],
               "queries": [*RAW_QUERIES, *_encoded("v", [*NUMBERS, *WORDS])]},
}
# Every route's main path also gets each header value and each method.
METHODS = ["HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "BREW"]


def _short(text: str) -> str:
    return text if len(text) <= 80 else f"{text[:40]}…{text[-36:]}"


def _cases() -> list:
    cases = []
    for endpoint, table in ROUTES.items():
        for path in table["paths"]:
            cases.append(pytest.param(endpoint, "GET", path, {}, id=f"{endpoint} {_short(path)}"))
        main = table["paths"][0]
        for query in table["queries"]:
            cases.append(pytest.param(endpoint, "GET", f"{main}?{query}", {},
                                      id=f"{endpoint} ?{_short(query)}"))
        for name, values in HEADERS.items():
            for value in values:
                cases.append(pytest.param(endpoint, "GET", main, {name: value},
                                          id=f"{endpoint} {name}: {value[:40]!r}"))
        for method in METHODS:
            cases.append(pytest.param(endpoint, method, main, {}, id=f"{endpoint} {method}"))
    return cases


@pytest.fixture(scope="module")
def walker(demo_library):
    """A test client of the demo app, and a real name of each kind of file it serves."""
    app = create_app({"TESTING": True, "LIBRARY": str(demo_library.root)})
    media = sorted(path.name for path in demo_library.media_dir.iterdir() if path.suffix == ".mp4")
    return app, app.test_client(), media[0]


def test_every_route_has_a_table_of_malformed_values(walker):
    app, _, _ = walker
    assert {rule.endpoint for rule in app.url_map.iter_rules()} == set(ROUTES)


@pytest.mark.parametrize("endpoint, method, target, headers", _cases())
def test_malformed_input_is_a_4xx_page_never_a_5xx(walker, endpoint, method, target, headers):
    _, client, media_name = walker
    target = target.replace("MEDIA_NAME", media_name)
    response = client.open(target, method=method, headers=headers)
    body = decoded(response)
    status = response.status_code
    if endpoint == "oembed" and status == 501:
        # oEmbed's own answer to a format the provider does not offer; it says which it does.
        assert "format=" in target
        assert b"format=json only" in body, body[:300]
        return
    assert status < 500, (status, body[:300])
    if 400 <= status < 500 and method not in ("HEAD", "OPTIONS"):
        assert response.mimetype == "text/html", response.mimetype
        assert b'<main id="main-content"' in body and b'class="app-heading-xl"' in body, body[:300]


def decoded(response) -> bytes:
    """Return the response body as sent, less its content coding; close the response."""
    try:
        body = response.get_data()
    finally:
        response.close()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        return brotli.decompress(body)
    return body


@pytest.mark.parametrize("url", ["http://[", "http://[/articles/x", "http://]/articles/x",
                                 "http://localhost:99999/articles/night-ferry-returns",
                                 "http://localhost:١/articles/night-ferry-returns"])
def test_an_oembed_address_that_cannot_be_parsed_is_a_400(walker, url):
    _, client, _ = walker
    response = client.get("/oembed", query_string={"url": url})
    assert response.status_code == 400
    assert b"not a valid web address" in decoded(response)


def test_a_host_flask_does_not_trust_gets_the_400_page(demo_library):
    app = create_app({"TESTING": True, "LIBRARY": str(demo_library.root), "TRUSTED_HOSTS": ["localhost"]})
    response = app.test_client().get("/", headers={"Host": "evil.example"})
    body = decoded(response)
    assert response.status_code == 400
    assert b'class="app-heading-xl"' in body and b"//evil.example" not in body


@pytest.mark.parametrize("suffix", ["%0a", "%0d%0a", "%0d", "%00"])
def test_a_media_name_with_a_trailing_newline_is_a_404(walker, demo_library, suffix):
    _, client, media_name = walker
    assert demo_library.media_path(media_name + unquote(suffix)) is None
    response = client.get(f"/media/{media_name}{suffix}")
    assert response.status_code == 404
    assert b'class="app-heading-xl"' in decoded(response)
