"""Hostile requests: path traversal, oversized or malformed queries and headers, and markup in content."""

from __future__ import annotations

import html
import http.client
import json
import os
import shutil
from pathlib import Path

import pytest

from app import create_app
from articles.ingest import ingest_bundle
from articles.store import Library
from media.demo.bundles import write_photo
from media.demo.pictures import harbour
from tests.conftest import serving

SECRET = b"secret-bytes-outside-the-library-7f3a"

# Each request tries to reach SECRET (beside the library's media folder and the
# static folder) or another file outside what is served.
TRAVERSALS = [
    "/media/../secret.txt", "/media/..%2fsecret.txt", "/media/%2e%2e%2fsecret.txt",
    "/media/%2e%2e/secret.txt", "/media/%252e%252e%252fsecret.txt", "/media/..%5csecret.txt",
    "/media/..\\secret.txt", "/media/%c0%ae%c0%ae%c0%afsecret.txt", "/media/%c0%ae%c0%ae/secret.txt",
    "/media/secret.txt%00.mp4", "/media/0123456789abcdef.mp4%00", "/media//etc/passwd",
    "/media/%2fetc%2fpasswd", "/media/ABSOLUTE", "/media/../newsreel.sqlite3",
    "/media/%2e%2e%2fnewsreel.sqlite3", "/media/0123456789abcdef.jpg",
    "/media/fedcba9876543210.vtt", "/media/.locks", "/media/",
    "/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/%2e%2e%2fsecret.txt",
    "/static/%252e%252e%252fsecret.txt", "/static/..%5csecret.txt", "/static/..\\secret.txt",
    "/static/%c0%ae%c0%ae/secret.txt", "/static/css/%00", "/static/secret.txt%00.css",
    "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/ABSOLUTE", "/static/css/../../secret.txt",
    "/static/out.txt", "/static/outdir/secret.txt", "/static/.hidden", "/static/css/.%2e/.%2e/secret.txt",
    "/static/%2e%2e%5c%2e%2e%5csecret.txt",
]


@pytest.fixture
def planted(tmp_path, demo_library) -> dict:
    """A copy of the demo library and a static folder, each beside a secret and holding symlinks to it."""
    root = tmp_path / "site"
    library = Library(root / "library")
    shutil.copytree(demo_library.root, library.root)
    secret = root / "library" / "secret.txt"
    secret.write_bytes(SECRET)
    (root / "secret.txt").write_bytes(SECRET)
    # Names that pass the media name check, pointing out of the media folder.
    (library.media_dir / "0123456789abcdef.jpg").symlink_to(secret)
    (library.media_dir / "fedcba9876543210.vtt").symlink_to("../secret.txt")
    static = root / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "app.css").write_text("body { color: black; }\n", encoding="utf-8")
    (static / ".hidden").write_bytes(SECRET)
    (static / "out.txt").symlink_to(root / "secret.txt")
    (static / "outdir").symlink_to(root)
    return {"library": library, "static": static, "secret": secret}


@pytest.fixture
def hostile_client(planted):
    app = create_app({"TESTING": True, "LIBRARY": str(planted["library"].root),
                      "STATIC_FOLDER": str(planted["static"])})
    return app.test_client()


def raw_get(client_or_port, target: str, headers: dict | None = None) -> tuple[int, bytes]:
    """Send a request line exactly as written (no client-side normalisation) and return status and body."""
    if isinstance(client_or_port, int):
        connection = http.client.HTTPConnection("127.0.0.1", client_or_port, timeout=30)
        try:
            # A Host the caller names replaces the one http.client would add (two would be a 400).
            skip_host = any(name.lower() == "host" for name in headers or {})
            connection.putrequest("GET", target, skip_host=skip_host, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()
    response = client_or_port.get(target, headers=headers or {})
    body = response.get_data()
    response.close()
    return response.status_code, body


@pytest.mark.parametrize("target", TRAVERSALS)
def test_path_traversal_never_reaches_a_file_outside(hostile_client, planted, target):
    target = target.replace("ABSOLUTE", str(planted["secret"]).lstrip("/").replace("/", "%2f"))
    status, body = raw_get(hostile_client, target)
    assert status in (400, 404, 308), status
    assert SECRET not in body
    assert b"root:" not in body


def test_the_planted_files_are_real(planted):
    # The traversal table is worth something only if the targets exist and the symlinks resolve.
    assert (planted["library"].media_dir / "0123456789abcdef.jpg").read_bytes() == SECRET
    assert (planted["static"] / "out.txt").read_bytes() == SECRET
    assert (planted["static"] / "outdir" / "secret.txt").read_bytes() == SECRET


def test_served_folders_may_be_symlinks_but_hold_none(planted, tmp_path):
    # Like nginx's disable_symlinks: the folder itself may be a link, nothing inside it.
    (planted["static"] / "css" / "alias.css").symlink_to("app.css")
    (tmp_path / "static-link").symlink_to(planted["static"])
    client = create_app({"TESTING": True, "LIBRARY": str(planted["library"].root),
                         "STATIC_FOLDER": str(tmp_path / "static-link")}).test_client()
    assert raw_get(client, "/static/css/app.css") == (200, b"body { color: black; }\n")
    assert raw_get(client, "/static/css/alias.css")[0] == 404


def test_a_fifo_with_a_media_name_does_not_hang_the_server(planted):
    os.mkfifo(planted["library"].media_dir / "aaaaaaaaaaaaaaaa.mp4")
    client = create_app({"TESTING": True, "LIBRARY": str(planted["library"].root)}).test_client()
    assert raw_get(client, "/media/aaaaaaaaaaaaaaaa.mp4")[0] == 404


ARTICLE = "/articles/night-ferry-returns"
BAD_REQUESTS = [
    ("long query", ARTICLE + "?t=" + "1" * 3000, {}),
    ("long search", "/search?q=" + "a" * 3000, {}),
    ("bad percent escape", ARTICLE + "?t=%zz", {}),
    ("bad percent escape at the end", "/?q=%", {}),
    ("not UTF-8", "/search?q=%ff%fe", {}),
    ("overlong UTF-8", "/search?q=%c0%ae", {}),
    ("NUL in query", "/search?q=a%00b", {}),
    ("control character", ARTICLE + "?t=1%0d%0aX-Injected:%20yes", {}),
    ("t not a number", ARTICLE + "?t=1e999", {}),
    ("t negative", ARTICLE + "?t=-1", {}),
    ("huge header", "/", {"X-Padding": "a" * 9000}),
    ("huge Range", "CLIP", {"Range": "bytes=" + "1" * 600 + "-"}),
    ("many ranges", "CLIP", {"Range": "bytes=" + ",".join(f"{n}-{n}" for n in range(0, 40, 2))}),
    ("many headers", "/", {f"X-Header-{n}": "x" for n in range(120)}),
]


@pytest.mark.parametrize("name, target, headers", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_oversized_or_malformed_requests_are_a_400_page(client, name, target, headers):
    target = target.replace("CLIP", clip_url(client))
    status, body = raw_get(client, target, headers)
    assert status == 400
    assert b"<main" in body  # the accessible error page, not a bare message


@pytest.mark.parametrize("target", [ARTICLE + "?t=12.5", "/?q=caf%C3%A9+ol%C3%A9", "/search?q=ferry"])
def test_ordinary_queries_pass(client, target):
    assert raw_get(client, target)[0] == 200


def clip_url(client) -> str:
    from bs4 import BeautifulSoup
    response = client.get(ARTICLE)
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return page.find("source", type="video/mp4")["src"].split("#")[0]


# Content that would run code if any field were ever inserted as markup. Each
# payload calls pwn(field), which the browser test watches.
def payloads(field: str) -> str:
    return (f'<img src=x onerror="pwn(\'{field}\')"><script>pwn("{field}")</script>'
            f'<svg onload="pwn(\'{field}\')"></svg>" onmouseover="pwn(\'{field}\')" javascript:pwn(1)')


@pytest.fixture(scope="module")
def hostile_library(tmp_path_factory, small_clip_module) -> Library:
    """A library holding one article whose every text field carries script payloads."""
    folder = tmp_path_factory.mktemp("hostile") / "hostile-story"
    folder.mkdir()
    shutil.copy(small_clip_module, folder / "clip.mp4")
    voice = html.escape("Eve\" onmouseover=\"pwn('voice')", quote=False)
    (folder / "clip.en.vtt").write_text(
        "WEBVTT\n\n00:00:00.000 --> 00:00:00.900\n"
        f"<v {voice}>{html.escape(payloads('cue'), quote=False)}\n\n"
        f"00:00:01.000 --> 00:00:01.900\n<c.x\"onclick=pwn('class')>{html.escape(payloads('cue2'), quote=False)}</c>\n",
        encoding="utf-8")
    (folder / "clip.en.chapters.vtt").write_text(
        f"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n{html.escape(payloads('chapter'), quote=False)}\n",
        encoding="utf-8")
    (folder / "clip.en.descriptions.vtt").write_text(
        f"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n{html.escape(payloads('description'), quote=False)}\n",
        encoding="utf-8")
    write_photo(folder / "photo.jpg", harbour(800, 450), credit="metadata credit")
    front = {
        "title": payloads("title"), "published": "2026-11-01T10:00:00Z", "language": "en",
        "summary": payloads("summary"),
        "video": {"source": "clip.mp4", "title": payloads("video-title"), "credit": payloads("video-credit"),
                  "poster_alt": payloads("poster-alt"),
                  "captions": [{"file": "clip.en.vtt", "language": "en", "label": payloads("label")},
                               {"file": "clip.en.chapters.vtt", "language": "en", "kind": "chapters"},
                               {"file": "clip.en.descriptions.vtt", "language": "en",
                                "kind": "descriptions"}]},
        "images": [{"source": "photo.jpg", "alt": payloads("alt"), "caption": payloads("caption"),
                    "credit": payloads("credit")}],
    }
    body = (f"{payloads('body')}\n\n[a link](javascript:pwn('link'))\n\n"
            "<a href=\"javascript:pwn('raw-link')\">raw</a>\n")
    (folder / "article.md").write_text(f"---\n{json.dumps(front)}\n---\n\n{body}", encoding="utf-8")
    library = Library(tmp_path_factory.mktemp("hostile-library") / "library")
    ingest_bundle(folder, library)
    return library


@pytest.fixture(scope="module")
def small_clip_module(tmp_path_factory) -> Path:
    from tests.conftest import make_clip
    return make_clip(tmp_path_factory.mktemp("hostile-clip") / "small.mp4")


@pytest.fixture(scope="module")
def hostile_server(hostile_library):
    """The app serving the hostile library on a real threaded HTTP server; yields its base URL."""
    with serving(create_app({"LIBRARY": str(hostile_library.root)})) as url:
        yield url


INJECTED = ("img[src='x'], svg, [onerror], [onload], [onmouseover], [onclick], "
            "a[href^='javascript:' i], script:not([src]):not([type='application/ld+json'])")


@pytest.mark.browser
@pytest.mark.filterwarnings(
    r"ignore:unclosed file <_io\.BufferedReader name='[^']*/media/[0-9a-f]+\.\w+'>:ResourceWarning")
@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "escaping-alone"])
@pytest.mark.parametrize("path", ["/articles/hostile-story", "/", "/embed/hostile-story",
                                  "/search?q=" + "%3Cimg%20src%3Dx%20onerror%3Dpwn(%27search%27)%3E",
                                  "/search?q=pwn"])
def test_markup_in_content_never_runs_in_the_browser(new_context, hostile_server, path, bypass_csp):
    # Without the CSP (bypass_csp) any markup that escaped escaping would run: this checks escaping itself.
    calls = []
    context = new_context(bypass_csp=bypass_csp)
    page = context.new_page()
    page.expose_function("pwn", lambda field: calls.append(field))
    response = page.goto(hostile_server + path, wait_until="networkidle")
    assert response is not None and response.status == 200
    if page.locator("video").count():
        # Cues become active while the clip plays: a player that inserted cue text as HTML would run it now.
        page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
        page.wait_for_function("() => { const v = document.querySelector('video');"
                               " return v.ended || v.currentTime > 1.9; }", timeout=20_000)
    # An injected onmouseover would run on the first pointer that crossed it.
    page.evaluate("() => document.querySelectorAll('body *').forEach("
                  "e => e.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})))")
    assert calls == []
    assert page.locator(INJECTED).count() == 0
    if path.startswith("/articles/"):
        assert "pwn('title')" in page.locator("h1").inner_text()
