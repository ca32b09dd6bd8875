"""Absolute URLs come from SITE_URL, and only the site's own host names are answered."""

from __future__ import annotations

import json
import re
import socket
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from app import create_app
from tests.conftest import serving
from tests.test_headers import run_python
from web.headers import CONTENT_SECURITY_POLICY

SITE = "https://news.example"
ARTICLE = "/articles/night-ferry-returns"
EMBED = "/embed/night-ferry-returns"
INVALID_HOSTS = ["a@b", "évil.example", "host:99999", "[::1", "host:", "", "news.example:0",
                 "news.example/x", "news example"]


def site_app(demo_library, **config):
    return create_app({"TESTING": True, "LIBRARY": str(demo_library.root), "SITE_URL": SITE, **config})


@pytest.fixture
def site(demo_library):
    return site_app(demo_library, TRUSTED_HOSTS=["alias.example"])


def get(client, path, host, **kwargs):
    return client.get(path, headers={"Host": host}, **kwargs)


def absolute_urls(text: str) -> set[str]:
    """Return every http(s) URL in ``text`` outside the vocabularies pages and feeds name."""
    found = set(re.findall(r"https?://[^\s\"'<>\\]+", text))
    return {url for url in found if not url.startswith(
        ("https://schema.org", "http://search.yahoo.com/mrss/", "http://www.w3.org/"))}


# Hosts the site answers: its own name (on any port, as Flask's TRUSTED_HOSTS has it) and a trusted alias.
@pytest.mark.parametrize("host", ["news.example", "news.example:8080", "alias.example"])
def test_absolute_urls_on_pages_start_with_the_site_url_whatever_host_is_sent(site, host):
    client = site.test_client()
    page = BeautifulSoup(get(client, ARTICLE, host).get_data(as_text=True), "html.parser")
    assert page.find("link", rel="canonical")["href"] == SITE + ARTICLE
    assert page.find("meta", property="og:url")["content"] == SITE + ARTICLE
    assert page.find("meta", property="og:image")["content"].startswith(SITE + "/media/")
    oembed = urlsplit(page.find("link", type="application/json+oembed")["href"])
    assert (oembed.scheme, oembed.netloc, oembed.path) == ("https", "news.example", "/oembed")
    assert parse_qs(oembed.query)["url"] == [SITE + ARTICLE]
    [block] = page.find_all("script", type="application/ld+json")
    structured = json.loads(block.string)
    assert structured["url"] == SITE + ARTICLE
    assert structured["video"]["embedUrl"] == SITE + EMBED
    for path in (ARTICLE, EMBED, "/", "/search?q=ferry", "/feed.xml", "/articles/no-such-story"):
        text = get(client, path, host).get_data(as_text=True)
        urls = absolute_urls(text)
        assert urls and all(url.startswith(SITE + "/") for url in urls), (path, urls - {SITE})


@pytest.mark.parametrize("host", ["news.example", "alias.example"])
def test_the_feed_links_to_the_site_url(site, host):
    feed = ET.fromstring(get(site.test_client(), "/feed.xml", host).data)
    channel = feed.find("channel")
    assert channel.findtext("link") == SITE + "/"
    assert channel.find("{http://www.w3.org/2005/Atom}link").get("href") == SITE + "/feed.xml"
    links = [item.findtext("link") for item in channel.findall("item")]
    assert links and all(link.startswith(SITE + "/articles/") for link in links)


@pytest.mark.parametrize("host", ["news.example", "alias.example"])
def test_oembed_describes_the_site_url_whatever_host_is_sent(site, host):
    response = get(site.test_client(), "/oembed", host, query_string={"url": SITE + ARTICLE})
    assert response.status_code == 200
    data = response.get_json()
    assert data["provider_url"] == SITE + "/"
    assert data["thumbnail_url"].startswith(SITE + "/media/")
    assert f'src="{SITE}{EMBED}"' in data["html"]


@pytest.mark.parametrize("url, status", [
    (SITE + ARTICLE, 200),
    ("http://news.example" + ARTICLE, 200),
    ("https://NEWS.example" + ARTICLE, 200),
    ("https://alias.example" + ARTICLE, 200),
    ("https://evil.example" + ARTICLE, 404),
    ("https://news.example.evil.example" + ARTICLE, 404),
    ("https://news.example@evil.example" + ARTICLE, 404),
    ("https://news.example:8443" + ARTICLE, 404),
])
def test_oembed_takes_the_addresses_of_this_site(site, url, status):
    response = get(site.test_client(), "/oembed", "alias.example", query_string={"url": url})
    assert response.status_code == status


PATHS = ["/", ARTICLE, EMBED, "/search?q=ferry", "/feed.xml", "/oembed?url=" + SITE + ARTICLE,
         "/static/css/site.css", "/articles/no-such-story"]


@pytest.mark.parametrize("host", ["evil.example", "news.example.evil.example", "evil.news.example",
                                  "127.0.0.1", "localhost:8000", "NEWS.EXAMPLE.", "xn--vil-bma.example"])
def test_other_hosts_get_the_sites_400_page_and_are_never_cached(site, host):
    client = site.test_client()
    for path in PATHS:
        response = get(client, path, host)
        assert response.status_code == 400, (path, response.status_code)
        assert response.mimetype == "text/html"
        assert "This site does not answer to that host name." in response.get_data(as_text=True)
        if not path.startswith("/embed/"):
            assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["Cache-Control"] == "no-store"
    # the page cache holds the pages of the site's own name only
    assert get(client, ARTICLE, "news.example").status_code == 200
    assert len(page_cache(site).store.pages()) == 1


def test_media_of_other_hosts_is_refused_too(site, demo_library):
    name = next((demo_library.root / "media").glob("*.jpg")).name
    client = site.test_client()
    with get(client, f"/media/{name}", "news.example") as response:
        assert response.status_code == 200
    response = get(client, f"/media/{name}", "evil.example")
    assert response.status_code == 400 and response.mimetype == "text/html"


def test_trusted_hosts_alone_refuse_other_hosts_with_the_400_page(demo_library):
    client = create_app({"TESTING": True, "LIBRARY": str(demo_library.root),
                         "TRUSTED_HOSTS": ["news.example"]}).test_client()
    assert get(client, ARTICLE, "news.example").status_code == 200
    for path in PATHS:
        response = get(client, path, "evil.example")
        assert response.status_code == 400, (path, response.status_code)
        assert "This site does not answer to that host name." in response.get_data(as_text=True)


def page_cache(app):
    """Return the app's PageCache middleware."""
    layer = app.wsgi_app
    while not hasattr(layer, "store"):
        layer = layer.wsgi_app
    return layer


@pytest.mark.parametrize("with_site_url", [False, True])
@pytest.mark.parametrize("host", INVALID_HOSTS)
def test_invalid_hosts_get_a_400_with_or_without_site_url(demo_library, host, with_site_url):
    config = {"TESTING": True, "LIBRARY": str(demo_library.root)}
    if with_site_url:
        config["SITE_URL"] = SITE
    app = create_app(config)
    client = app.test_client()
    for path in PATHS:
        response = get(client, path, host)
        assert response.status_code == 400, (path, response.status_code)
        assert response.mimetype == "text/html"
        assert response.headers["Cache-Control"] == "no-store"
    assert not page_cache(app).store.pages()


def test_without_site_url_absolute_urls_follow_a_valid_host(app):
    client = app.test_client()
    page = BeautifulSoup(get(client, ARTICLE, "dev.example:5000").get_data(as_text=True), "html.parser")
    assert page.find("link", rel="canonical")["href"] == "http://dev.example:5000" + ARTICLE


def raw_request(base_url: str, request: bytes) -> bytes:
    """Send bytes to a live server and return the status line of its answer."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n" not in answer:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0]


@pytest.mark.parametrize("config, request_line, status", [
    # RFC 9112 3.2: a server must answer 400 to an HTTP/1.1 request without Host.
    ({}, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", b"400"),
    ({}, b"GET / HTTP/1.0\r\n\r\n", b"200"),
    # The site's name is known: a request that does not say it is for the site is not answered.
    ({"SITE_URL": SITE}, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", b"400"),
    ({"SITE_URL": SITE}, b"GET / HTTP/1.0\r\n\r\n", b"400"),
    ({"SITE_URL": SITE}, b"GET / HTTP/1.0\r\nHost: news.example\r\n\r\n", b"200"),
    ({"SITE_URL": SITE}, "GET / HTTP/1.0\r\nHost: névs.example\r\n\r\n".encode(), b"400"),
])
def test_requests_without_a_host_header(demo_library, config, request_line, status):
    app = create_app({"TESTING": True, "LIBRARY": str(demo_library.root), **config})
    with serving(app) as url:
        assert raw_request(url, request_line).split()[1] == status


def test_production_refuses_to_start_without_site_url():
    result = run_python("from app import create_app; create_app()", NEWSREEL_ENV="production")
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("app.ProductionConfigError:") and "NEWSREEL_SITE_URL" in last


@pytest.mark.parametrize("env", [{"NEWSREEL_ENV": "production"}, {"SERVER_SOFTWARE": "gunicorn/23.0.0"}])
def test_production_starts_with_site_url(env):
    result = run_python("from app import create_app; app = create_app();"
                        "print(app.config['SITE_URL'], app.config['TRUSTED_HOSTS'])",
                        NEWSREEL_SITE_URL="https://News.Example/",
                        NEWSREEL_TRUSTED_HOSTS='["www.news.example"]', **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "https://news.example ['www.news.example', 'news.example']"


@pytest.mark.parametrize("value", ["news.example", "ftp://news.example", "https://", "https://news.example/news",
                                   "https://news.example?x=1", "https://user@news.example",
                                   "https://news.example:99999", "https://évil.example", "http://[::1"])
def test_a_malformed_site_url_is_refused_with_one_line(value):
    result = run_python("from app import create_app; create_app()", NEWSREEL_SITE_URL=value)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "SiteUrlError" in last and "SITE_URL" in last


def test_with_site_url_each_page_is_cached_once_whatever_host_and_port_are_sent(site):
    # Ports are not compared with the site's host names, and pages no longer depend on
    # the Host: a new port or alias must not be a new copy of the page to render and keep.
    client = site.test_client()
    hosts = ["news.example", "alias.example", *(f"news.example:{port}" for port in range(8000, 8020))]
    bodies = {get(client, ARTICLE, host).data for host in hosts}
    assert len(bodies) == 1
    assert len(page_cache(site).store.pages()) == 1


def test_without_site_url_pages_are_cached_per_host(app):
    client = app.test_client()
    for host in ("localhost", "dev.example:5000"):
        assert get(client, ARTICLE, host).status_code == 200
    assert len(page_cache(app).store.pages()) == 2


@pytest.mark.parametrize("host", ["alias.example", "news.example:8443", "news.example"])
def test_redirects_name_no_host(site, host):
    response = get(site.test_client(), "/articles//night-ferry-returns?x=1", host)
    assert response.status_code == 308
    assert response.headers["Location"] == ARTICLE + "?x=1"
    assert response.headers["Cache-Control"] == "no-store"
