"""Embeds are public players: any site may frame /embed/ and read /oembed; articles stay unframeable."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from app import create_app
from web.headers import FrameAncestorsError
from web.settings import APP_DEFAULTS

ARTICLE = "/articles/night-ferry-returns"
EMBED = "/embed/night-ferry-returns"
# Scheme sources, not *: wildcard rules before CSP 3 tied * to the embed's own
# scheme in some browsers, so an https: embed on an http: page (or the reverse) was refused.
ANY_SITE = "https: http:"


def frame_ancestors(response) -> str:
    policy = dict(d.split(" ", 1) for d in response.headers["Content-Security-Policy"].split("; "))
    return policy["frame-ancestors"]


def test_embeds_may_be_framed_by_any_site_by_default(client):
    assert APP_DEFAULTS["EMBED_FRAME_ANCESTORS"] == ANY_SITE
    for path in (EMBED, EMBED + "?t=5", "/embed/no-such-story"):
        response = client.get(path)
        assert frame_ancestors(response) == ANY_SITE
        assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize("path", [ARTICLE, "/", "/search?q=ferry", "/oembed?url=x", "/feed.xml",
                                  "/articles/no-such-story", "/embedded", "/static/css/embed.css"])
def test_everything_else_stays_unframeable(client, path):
    with client.get(path) as response:
        assert frame_ancestors(response) == "'none'"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_a_list_restricts_who_may_frame_embeds(demo_library):
    partners = "https://partner.example https://*.news.example"
    client = create_app({"TESTING": True, "LIBRARY": str(demo_library.root),
                         "EMBED_FRAME_ANCESTORS": partners}).test_client()
    assert frame_ancestors(client.get(EMBED)) == partners
    assert frame_ancestors(client.get(ARTICLE)) == "'none'"


@pytest.mark.parametrize("value", ["", "'self'; script-src *", "https://a.example, https://b.example",
                                   "https://a.example\r\nX-Evil: 1", "https://пример.example"])
def test_a_value_that_is_not_one_source_list_is_refused(demo_library, value):
    with pytest.raises(FrameAncestorsError, match="EMBED_FRAME_ANCESTORS"):
        create_app({"TESTING": True, "LIBRARY": str(demo_library.root), "EMBED_FRAME_ANCESTORS": value})


@pytest.mark.parametrize("url", ["http://localhost" + ARTICLE, "http://localhost/articles/no-such-story", ""])
def test_oembed_may_be_read_by_pages_of_any_site(client, url):
    response = client.get("/oembed", query_string={"url": url}, headers={"Origin": "https://partner.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    # Nothing else is shared: no credentials, and the page of the site gets no CORS header.
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Access-Control-Allow-Origin" not in client.get(ARTICLE).headers


@contextmanager
def partner_site(html: str) -> Iterator[str]:
    """Serve ``html`` at / from a second origin (localhost on its own port); yield its URL."""
    body = html.encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.browser
@pytest.mark.filterwarnings(
    r"ignore:unclosed file <_io\.BufferedReader name='[^']*/media/[0-9a-f]+\.\w+'>:ResourceWarning")
def test_a_page_of_another_site_frames_the_embed_but_not_the_article(page, live_server):
    html = (f'<!DOCTYPE html><title>Partner</title>'
            f'<iframe id="embed" src="{live_server}{EMBED}"></iframe>'
            f'<iframe id="article" src="{live_server}{ARTICLE}"></iframe>')
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "frame" in message.text else None)
    with partner_site(html) as partner:
        assert not partner.startswith(live_server)
        page.goto(partner, wait_until="load")
        embed = page.frame_locator("#embed")
        assert embed.locator("video").count() == 1
        assert embed.locator("#player-title").inner_text() == "On board the first night crossing"
        frames = {frame.name or frame.url: frame for frame in page.frames}
        article = page.locator("#article").element_handle().content_frame()
        assert article.url != live_server + ARTICLE or article.locator("article, h1").count() == 0
        assert article.locator("video").count() == 0
        assert any("frame-ancestors" in text for text in refused), (refused, list(frames))


@pytest.mark.browser
def test_a_page_of_another_site_reads_oembed_with_fetch(page, live_server):
    with partner_site("<!DOCTYPE html><title>Partner</title><p>Partner</p>") as partner:
        page.goto(partner, wait_until="load")
        url = f"{live_server}/oembed?url={live_server}{ARTICLE}"
        data = page.evaluate("async url => { const r = await fetch(url); return await r.json(); }", url)
        assert data["type"] == "video" and data["title"]
        assert f'src="{live_server}{EMBED}"' in data["html"]
