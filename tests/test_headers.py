"""Security headers on every kind of response, the embed exception, HSTS, and no debug mode in production."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup

from app import CONTENT_SECURITY_POLICY, create_app
from tests.conftest import ROOT
from web.headers import security_headers
from web.settings import APP_DEFAULTS

ARTICLE = "/articles/night-ferry-returns"
BASIC = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin"}


def fetch(client, url: str, method: str = "GET", **headers):
    """Send a request, read the whole body and close the response."""
    response = client.open(url, method=method, headers=headers)
    response.get_data()
    response.close()
    return response


def article_links(client) -> dict[str, str]:
    page = BeautifulSoup(fetch(client, ARTICLE).get_data(as_text=True), "html.parser")
    return {"clip": page.find("source", type="video/mp4")["src"].split("#")[0],
            "css": page.find("link", rel="stylesheet")["href"]}


REQUESTS = {
    "home": ("GET", "/", {}),
    "article": ("GET", ARTICLE, {}),
    "article HEAD": ("HEAD", ARTICLE, {}),
    "article 304": ("GET", ARTICLE, {"If-None-Match": "ETAG"}),
    "not found": ("GET", "/articles/no-such-story", {}),
    "bad request": ("GET", ARTICLE + "?t=abc", {}),
    "method not allowed": ("POST", "/", {}),
    "stylesheet": ("GET", "CSS", {}),
    "missing static file": ("GET", "/static/css/none.css", {}),
    "clip": ("GET", "CLIP", {}),
    "clip range": ("GET", "CLIP", {"Range": "bytes=0-99"}),
    "clip 304": ("GET", "CLIP", {"If-None-Match": "*"}),
    "clip 416": ("GET", "CLIP", {"Range": "bytes=999999999-"}),
    "missing media": ("GET", "/media/0123456789abcdef.mp4", {}),
}


@pytest.mark.parametrize("name", REQUESTS)
def test_every_response_has_the_security_headers(client, name):
    method, url, headers = REQUESTS[name]
    links = article_links(client)
    url = url.replace("CSS", links["css"]).replace("CLIP", links["clip"])
    if headers.get("If-None-Match") == "ETAG":
        headers = {"If-None-Match": fetch(client, url).headers["ETag"]}
    response = fetch(client, url, method=method, **headers)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Frame-Options"] == "DENY"
    for header, value in BASIC.items():
        assert response.headers[header] == value
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers


def test_the_policy_allows_nothing_inline_and_only_this_site():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'none'"
    for name in ("script-src", "style-src", "media-src", "img-src"):
        assert directives[name] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("ancestors", [None, "https://partner.example https://*.news.example"])
def test_embed_pages_may_be_framed_by_the_configured_origins_only(demo_library, ancestors):
    config = {"TESTING": True, "LIBRARY": str(demo_library.root)}
    if ancestors:
        config["EMBED_FRAME_ANCESTORS"] = ancestors
    client = create_app(config).test_client()
    for url in ("/embed/night-ferry-returns", "/embed/no-such-story"):
        response = fetch(client, url)
        policy = response.headers["Content-Security-Policy"]
        assert f"frame-ancestors {ancestors or APP_DEFAULTS['EMBED_FRAME_ANCESTORS']}" in policy
        assert policy.replace(re.search(r"frame-ancestors [^;]+", policy).group(),
                              "frame-ancestors 'none'") == CONTENT_SECURITY_POLICY
        # X-Frame-Options cannot list origins and would contradict the policy.
        assert "X-Frame-Options" not in response.headers
    # other pages stay unframable
    assert "frame-ancestors 'none'" in fetch(client, ARTICLE).headers["Content-Security-Policy"]


@pytest.mark.parametrize("config, expected", [
    ({"HSTS_SECONDS": 31536000}, "max-age=31536000"),
    ({"HSTS_SECONDS": 600, "HSTS_INCLUDE_SUBDOMAINS": True}, "max-age=600; includeSubDomains"),
    ({"HSTS_SECONDS": 0}, None),
])
def test_hsts_only_when_configured(demo_library, config, expected):
    client = create_app({"TESTING": True, "LIBRARY": str(demo_library.root), **config}).test_client()
    for url in ("/", "/articles/no-such-story", "/static/css/app.css"):
        assert fetch(client, url).headers.get("Strict-Transport-Security") == expected


def test_settings_come_from_newsreel_environment_variables(tmp_path):
    result = run_python("from app import create_app; app = create_app();"
                        "print(app.config['MEDIA_HANDOFF'], app.config['HSTS_SECONDS'], app.config['LIBRARY'])",
                        NEWSREEL_MEDIA_HANDOFF="nginx", NEWSREEL_HSTS_SECONDS="3600",
                        NEWSREEL_LIBRARY=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["nginx", "3600", str(tmp_path)]


@pytest.mark.parametrize("env", [
    {"NEWSREEL_ENV": "production", "FLASK_DEBUG": "1"},
    {"NEWSREEL_ENV": "production", "NEWSREEL_DEBUG": "true"},
    {"NEWSREEL_ENV": "production", "NEWSREEL_TESTING": "true"},
    {"SERVER_SOFTWARE": "gunicorn/27.0.1", "FLASK_DEBUG": "1"},
])
def test_debug_mode_is_refused_in_production(env):
    result = run_python("from app import create_app; create_app()", **env)
    assert result.returncode != 0
    assert "ProductionConfigError" in result.stderr and "debug and testing mode" in result.stderr


def test_debug_mode_stays_available_for_development():
    result = run_python("from app import create_app; print(create_app().debug)", FLASK_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    """Run Python code in a fresh interpreter with ``env`` added to a clean environment."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("NEWSREEL_", "FLASK_")) and k != "SERVER_SOFTWARE"}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120, check=False)


def nginx_headers() -> dict[str, str]:
    """Return the headers nginx adds to its own responses: security-headers.conf's names, nginx.conf's values."""
    names = (ROOT / "deploy" / "security-headers.conf").read_text(encoding="utf-8")
    maps = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    values = dict(re.findall(r'map \$newsreel_sets_headers \$(\w+) \{\s*1\s+"([^"]*)";', maps))
    return {name: values[variable]
            for name, variable in re.findall(r"^add_header (\S+) \$(\w+) always;$", names, re.MULTILINE)
            if name != "Cache-Control"}  # no-store on errors only, not a security header


def test_the_nginx_example_sends_the_same_headers_as_the_app():
    app = create_app({"TESTING": True})
    assert nginx_headers() == security_headers("/media/x.mp4", app.config)


def media_name(demo_library, suffix: str) -> str:
    return next((demo_library.root / "media").glob(f"*{suffix}")).name


@pytest.mark.parametrize("url, method, headers, status", [
    ("/articles/no-such-story", "GET", {}, 404),
    ("/media/0000000000000000.mp4", "GET", {}, 404),
    ("/static/no-such.css", "HEAD", {}, 404),
    ("/search?q=" + "x" * 300, "GET", {}, 400),
    (ARTICLE + "?t=soon", "GET", {}, 400),
    ("/oembed?url=http://localhost/articles/no-such-story", "GET", {}, 404),
    ("/oembed?url=x&format=xml", "GET", {}, 501),
    (ARTICLE, "POST", {}, 405),
    (ARTICLE, "GET", {"If-Match": '"nothing"'}, 412),
    ("{clip}", "GET", {"Range": "bytes=999999999-"}, 416),
    ("/boom", "GET", {}, 500),
])
def test_error_pages_are_never_stored(demo_library, url, method, headers, status):
    app = create_app({"LIBRARY": str(demo_library.root)})

    @app.route("/boom")
    def boom():
        raise RuntimeError("a bug")

    url = url.format(clip="/media/" + media_name(demo_library, ".mp4"))
    with fetch(app.test_client(), url, method=method, **headers) as response:
        assert response.status_code == status
        # A cache that kept one would go on answering an error after the page exists.
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", ["/search", "/search?q=ferry", "/search?q=zeppelin"])
def test_search_results_are_private_and_revalidated(client, url):
    response = fetch(client, url)
    assert response.status_code == 200
    # They change with every ingest and name what a person looked for: no shared cache keeps them.
    assert response.headers["Cache-Control"] == "private, no-cache"
    again = fetch(client, url, **{"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_oembed_may_be_reused_for_five_minutes(client):
    url = "/oembed?url=http://localhost" + ARTICLE
    response = fetch(client, url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert fetch(client, url, **{"If-None-Match": response.headers["ETag"]}).status_code == 304
