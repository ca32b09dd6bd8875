"""The production set-up as it runs: gunicorn with gunicorn.conf.py, nginx with deploy/nginx.conf, wrk for load.

Every server here is a real process on a free loopback port, with its logs,
pid file and caches in a temporary folder.
"""

from __future__ import annotations

import gzip
import os
import re
import runpy
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass

import brotli
import pytest
from bs4 import BeautifulSoup

from app import CONTENT_SECURITY_POLICY
from articles.ingest import ingest_bundle
from articles.store import Library
from deploy.servers import Gunicorn, Nginx, Site, free_port, nginx_binary
from tests.conftest import ROOT, require_tool
from tests.test_hostile_requests import SECRET, TRAVERSALS, raw_get
from tests.test_ingest import replace_in_article
from web.compression import negotiate

ARTICLE = "/articles/night-ferry-returns"
IMMUTABLE = "public, max-age=31536000, immutable"
MEGABYTE = 1_048_576
# The site's name in the examples: nginx's server_name and the app's SITE_URL.
SITE_HOST = "news.example"
SITE_URL = f"http://{SITE_HOST}"


def get(url: str, **headers) -> tuple[int, dict, bytes]:
    """GET a URL as the site (Host: news.example unless given) and return status, headers and body.

    Repeated headers are joined with ", ".
    """
    request = urllib.request.Request(url, headers={"Host": SITE_HOST, **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, _headers(response), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, _headers(error), error.read()


def _headers(response) -> dict:
    joined: dict[str, str] = {}
    for name, value in response.headers.items():
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return joined


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_library) -> dict:
    """A checkout's static folder and a library, each copied, with secrets and symlinks planted beside them."""
    root = tmp_path_factory.mktemp("site")
    library = Library(root / "library")
    shutil.copytree(demo_library.root, library.root)
    static = root / "app" / "static"
    shutil.copytree(ROOT / "static", static)
    (root / "secret.txt").write_bytes(SECRET)
    (library.root / "secret.txt").write_bytes(SECRET)
    (library.media_dir / "0123456789abcdef.jpg").symlink_to(library.root / "secret.txt")
    (library.media_dir / "fedcba9876543210.vtt").symlink_to("../secret.txt")
    (static / ".hidden").write_bytes(SECRET)
    (static / "out.txt").symlink_to(root / "secret.txt")
    (static / "outdir").symlink_to(root)
    clip = max(library.media_dir.glob("*.mp4"), key=lambda p: p.stat().st_size)
    return {"root": root, "library": library, "static": static, "clip": clip}


def start_gunicorn(site: dict, folder, **env) -> Gunicorn:
    server = Gunicorn(site["library"].root, folder, env={
        "NEWSREEL_STATIC_FOLDER": str(site["static"]), "NEWSREEL_SITE_URL": SITE_URL,
        "WEB_CONCURRENCY": "2", **env})
    server.wait_until_serving()
    return server


@pytest.fixture(scope="module")
def gunicorn(site, tmp_path_factory):
    """gunicorn serving the site's library and static folder itself."""
    with start_gunicorn(site, tmp_path_factory.mktemp("gunicorn")) as server:
        yield server


@dataclass
class FrontedSite:
    """nginx with deploy/nginx.conf in front of its own gunicorn."""

    nginx: Nginx
    gunicorn: Gunicorn
    media: str


@pytest.fixture(scope="module", params=["direct", "handoff"])
def fronted(request, site, tmp_path_factory):
    """nginx in front of gunicorn; media from disk directly, or handed back by the app with X-Accel-Redirect."""
    if nginx_binary() is None:
        require_tool("nginx")
    folder = tmp_path_factory.mktemp(f"nginx-{request.param}")
    env = {"NEWSREEL_MEDIA_HANDOFF": "nginx"} if request.param == "handoff" else {}
    with start_gunicorn(site, folder / "gunicorn", **env) as app_server:
        layout = Site(listen=f"127.0.0.1:{free_port()}", upstream=f"127.0.0.1:{app_server.port}",
                      app_root=site["static"].parent, library=site["library"].root, media=request.param)
        with Nginx(layout, folder / "nginx") as nginx:
            nginx.wait_until_serving()
            yield FrontedSite(nginx, app_server, request.param)


def test_gunicorn_config_takes_workers_from_cores_and_threads_for_media():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["worker_class"] == "gthread"
    assert settings["threads"] >= 4
    if "WEB_CONCURRENCY" not in os.environ:
        assert settings["workers"] == len(os.sched_getaffinity(0))
    assert settings["wsgi_app"] == "app:create_app()"
    assert settings["accesslog"] and settings["preload_app"] is False


def test_gunicorn_serves_pages_media_and_static_files(gunicorn, site):
    status, headers, body = get(gunicorn.url + ARTICLE, **{"Accept-Encoding": "br"})
    assert status == 200 and headers["Content-Encoding"] == "br"
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert get(gunicorn.url + ARTICLE, **{"If-None-Match": headers["ETag"]})[0] == 304
    data = site["clip"].read_bytes()
    for first in (0, len(data) - MEGABYTE):
        status, headers, body = get(f"{gunicorn.url}/media/{site['clip'].name}",
                                    Range=f"bytes={first}-{first + MEGABYTE - 1}")
        assert status == 206 and body == data[first:first + MEGABYTE]
    page = BeautifulSoup(get(gunicorn.url + "/")[2], "html.parser")
    status, headers, body = get(gunicorn.url + page.find("link", rel="stylesheet")["href"])
    assert status == 200 and headers["Cache-Control"] == IMMUTABLE
    assert body == (site["static"] / "css" / "app.css").read_bytes()
    access = gunicorn.access_log.read_text(encoding="utf-8")
    assert f'"GET {ARTICLE} HTTP/1.1" 200' in access


def test_bin_serve_starts_gunicorn_with_the_production_settings(site, tmp_path):
    with Gunicorn(site["library"].root, tmp_path, env={"WEB_CONCURRENCY": "1", "NEWSREEL_SITE_URL": SITE_URL},
                  command=[str(ROOT / "bin" / "serve")]) as server:
        server.wait_until_serving()
        status, headers, _ = get(server.url + ARTICLE)
        assert status == 200 and headers["Server"] == "gunicorn"
        assert "Using worker: gthread" in server.log.read_text(encoding="utf-8")


def test_debug_mode_stops_gunicorn_from_starting(site, tmp_path):
    server = Gunicorn(site["library"].root, tmp_path, env={"FLASK_DEBUG": "1", "WEB_CONCURRENCY": "1",
                                                            "NEWSREEL_SITE_URL": SITE_URL})
    assert server.process.wait(timeout=120) != 0
    assert "ProductionConfigError" in server.log.read_text(encoding="utf-8")


def test_gunicorn_refuses_to_start_without_the_site_url(site, tmp_path):
    server = Gunicorn(site["library"].root, tmp_path, env={"WEB_CONCURRENCY": "1", "NEWSREEL_SITE_URL": ""})
    assert server.process.wait(timeout=120) != 0
    log = server.log.read_text(encoding="utf-8")
    assert "ProductionConfigError" in log and "NEWSREEL_SITE_URL" in log


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_through_gunicorn_never_reaches_a_file_outside(gunicorn, site, target):
    target = target.replace("ABSOLUTE", str(site["root"] / "secret.txt").lstrip("/").replace("/", "%2f"))
    status, body = raw_get(gunicorn.port, target, {"Host": SITE_HOST})
    assert status in (400, 404, 308)
    assert SECRET not in body and b"root:" not in body


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_through_nginx_never_reaches_a_file_outside(fronted, site, target):
    target = target.replace("ABSOLUTE", str(site["root"] / "secret.txt").lstrip("/").replace("/", "%2f"))
    status, body = raw_get(port_of(fronted.nginx), target, {"Host": SITE_HOST})
    assert status in (400, 404, 308)
    assert SECRET not in body and b"root:" not in body


def port_of(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def security_headers_of(headers: dict) -> dict:
    names = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
             "Referrer-Policy", "Permissions-Policy")
    return {name: headers.get(name) for name in names}


def test_nginx_serves_media_ranges_with_the_apps_headers(fronted, gunicorn, site):
    name = site["clip"].name
    data = site["clip"].read_bytes()
    for first in (0, len(data) - MEGABYTE):
        status, headers, body = get(f"{fronted.nginx.url}/media/{name}",
                                    Range=f"bytes={first}-{first + MEGABYTE - 1}")
        assert status == 206 and body == data[first:first + MEGABYTE]
        assert headers["Server"] == "nginx"
    direct = get(f"{gunicorn.url}/media/{name}", Range="bytes=0-9")[1]
    assert security_headers_of(headers) == security_headers_of(direct)
    assert headers["Cache-Control"] == IMMUTABLE  # once, not doubled by the hand-off
    assert headers["Content-Type"] == "video/mp4"
    assert headers["ETag"] == direct["ETag"]  # the app and nginx name the file alike


def test_nginx_leaves_unknown_media_to_the_apps_404_page(fronted):
    for url in ("/media/0123456789abcdef.mp4", "/media/not-a-name.exe"):
        status, headers, body = get(fronted.nginx.url + url)
        assert status == 404 and b"Page not found" in body
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_hand_off_location_is_internal(fronted, site):
    status, _, body = get(f"{fronted.nginx.url}/_newsreel/media/{site['clip'].name}")
    assert status == 404 and not body.startswith(site["clip"].read_bytes()[:64])


def test_nginx_serves_static_files_immutable_under_hashed_urls(fronted, site):
    page = BeautifulSoup(get(fronted.nginx.url + "/")[2], "html.parser")
    status, headers, body = get(fronted.nginx.url + page.find("link", rel="stylesheet")["href"])
    assert status == 200 and headers["Server"] == "nginx"
    assert headers["Cache-Control"] == IMMUTABLE
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert body == (site["static"] / "css" / "app.css").read_bytes()
    # A URL without the hash, such as a script module's import, is asked for again each time.
    status, headers, _ = get(fronted.nginx.url + "/static/css/app.css")
    assert status == 200 and headers["Cache-Control"] == "no-cache"


def test_nginx_micro_caches_pages_and_revalidates_them_with_the_etag(fronted):
    # A query no other test uses: the first request is a miss.
    url = ARTICLE + f"?t=3&cache-test={fronted.media}"
    status, first, body = get(fronted.nginx.url + url)
    assert status == 200 and first["X-Cache-Status"] == "MISS"
    assert first["ETag"] == get(fronted.gunicorn.url + url)[1]["ETag"]
    assert first["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert get(fronted.nginx.url + url)[1]["X-Cache-Status"] == "HIT"
    # Once the second is over nginx asks the app again, with the ETag it holds.
    log_line = re.compile(rf'"GET {re.escape(url)} HTTP/1.[01]" 304 ')
    deadline = time.monotonic() + 30
    while not log_line.search(fronted.gunicorn.access_log.read_text(encoding="utf-8")):
        assert time.monotonic() < deadline, "nginx never revalidated the page"
        time.sleep(0.3)
        status, _, again = get(fronted.nginx.url + url)
        assert status == 200 and again == body


def test_nginx_shows_a_new_ingest_within_its_cache_time(fronted, site, small_bundle):
    slug = f"fresh-{fronted.media}"
    replace_in_article(small_bundle, "title: A small story", f"title: A small story\nslug: {slug}")
    assert f"/articles/{slug}".encode() not in get(fronted.nginx.url + "/")[2]
    ingest_bundle(small_bundle, site["library"])
    deadline = time.monotonic() + 30
    while f"/articles/{slug}".encode() not in get(fronted.nginx.url + "/")[2]:
        assert time.monotonic() < deadline, "the new article never reached the home page"
        time.sleep(0.2)
    assert get(f"{fronted.nginx.url}/articles/{slug}")[0] == 200


@pytest.mark.parametrize("accept_encoding", [
    None, "gzip", "gzip, deflate, br, zstd", "br;q=0, gzip", "gzip;q=0", "GZIP", "deflate",
    "gzip;q=0.0, br", "br;q=0.5", "x-gzip", "gzip ; q=0 , br ; q=0",
])
def test_nginx_caches_each_page_encoding_as_the_app_chooses_it(fronted, accept_encoding):
    # nginx reduces Accept-Encoding to the app's choice, which is part of its cache key.
    expected = negotiate(accept_encoding)
    url = ARTICLE + f"?t=4&encoding-test={fronted.media}"
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding else {}
    for _ in range(2):
        status, got, body = get(fronted.nginx.url + url, **headers)
        assert status == 200 and got.get("Content-Encoding", "identity") == expected
        assert got["Vary"] == "Accept-Encoding"
    assert got["X-Cache-Status"] == "HIT"
    plain = get(fronted.nginx.url + url, **{"Accept-Encoding": "identity"})[2]
    assert {"gzip": gzip.decompress, "br": brotli.decompress}.get(expected, bytes)(body) == plain


def wrk(url: str, seconds: int = 3, connections: int = 32, headers: tuple[str, ...] = ()) -> dict:
    """Run wrk against a loopback URL and return requests/s, p99 text, errors and non-2xx/3xx count."""
    binary = require_tool("wrk")
    argv = [binary, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "60s"]
    for header in (f"Host: {SITE_HOST}", *headers):
        argv += ["-H", header]
    result = subprocess.run([*argv, url], capture_output=True, text=True, timeout=seconds + 120, check=True)
    output = result.stdout
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"requests": int(re.search(r"(\d+) requests in", output).group(1)),
            "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "p99": re.search(r"99%\s+(\S+)", output).group(1),
            "errors": sum(map(int, errors.groups())) if errors else 0,
            "non_2xx_3xx": int(bad.group(1)) if bad else 0, "output": output}


@pytest.mark.parametrize("target, path, range_at", [
    ("gunicorn", ARTICLE, None), ("gunicorn", "CLIP", "start"), ("gunicorn", "CLIP", "end"),
    ("nginx", ARTICLE, None), ("nginx", "CLIP", "end"),
])
def test_load_on_loopback_has_no_errors(gunicorn, fronted, site, target, path, range_at, capsys):
    base = gunicorn.url if target == "gunicorn" else fronted.nginx.url
    headers = ()
    if path == "CLIP":
        path = f"/media/{site['clip'].name}"
        size = site["clip"].stat().st_size
        first = 0 if range_at == "start" else size - MEGABYTE
        headers = (f"Range: bytes={first}-{first + MEGABYTE - 1}",)
    result = wrk(base + path, headers=headers)
    with capsys.disabled():
        print(f"\n  wrk {target} ({fronted.media} media) {path} {range_at or ''}: "
              f"{result['rate']:.0f} req/s, p99 {result['p99']}")
    assert result["requests"] > 0, result["output"]
    assert result["errors"] == 0, result["output"]
    assert result["non_2xx_3xx"] == 0, result["output"]


def test_graceful_reload_under_load_drops_no_request(site, tmp_path):
    server = start_gunicorn(site, tmp_path)
    with server:
        before = server.worker_pids()
        results = {}
        # Connection: close, so every request is a new connection, as a reload may meet them.
        load = threading.Thread(target=lambda: results.update(
            wrk(server.url + ARTICLE, seconds=4, connections=16, headers=("Connection: close",))))
        load.start()
        time.sleep(1)
        server.process.send_signal(signal.SIGHUP)
        load.join(timeout=180)
        deadline = time.monotonic() + 60
        while server.worker_pids() & before or len(server.worker_pids()) < 2:
            assert time.monotonic() < deadline, "the old workers never left"
            time.sleep(0.1)
        assert results["errors"] == 0 and results["non_2xx_3xx"] == 0, results["output"]
        assert get(server.url + ARTICLE)[0] == 200
        assert "handling signal: hup" in server.log.read_text(encoding="utf-8").lower()


def exchange(port: int, request: bytes) -> bytes:
    """Send raw request bytes and return everything the server answers before it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def parse_response(raw: bytes) -> tuple[int, dict, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip()] = f"{headers[name.strip()]}, {value.strip()}" if name.strip() in headers \
            else value.strip()
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize("host", [None, "", "other.example", "127.0.0.1", "a@b", "news.example.evil",
                                  "évil.example", "xnews.example"])
def test_nginx_answers_no_other_host(fronted, host):
    # Only the named site gets pages; any other Host, or none at all, gets no answer (444).
    request = b"GET / HTTP/1.0\r\n" if host is None else f"GET / HTTP/1.1\r\nHost: {host}\r\n".encode()
    raw = exchange(port_of(fronted.nginx), request + b"Connection: close\r\n\r\n")
    if raw:  # nginx refuses a Host it cannot parse with its own 400 page, before choosing a server
        status, headers, body = parse_response(raw)
        assert status == 400 and b"<main" not in body
        assert security_headers_of(headers)["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_a_request_without_host_reaches_no_page_and_pages_name_only_the_site(fronted):
    assert exchange(port_of(fronted.nginx), b"GET " + ARTICLE.encode() + b" HTTP/1.0\r\n\r\n") == b""
    # nginx answers for its name on any port and in any case, and tells the app only the name.
    for host in (SITE_HOST, f"{SITE_HOST}:{port_of(fronted.nginx)}", "NEWS.EXAMPLE", f"{SITE_HOST}:99999",
                 f"{SITE_HOST}."):
        status, _, body = get(fronted.nginx.url + ARTICLE + "?t=5", Host=host)
        assert status == 200
        canonical = BeautifulSoup(body, "html.parser").find("link", rel="canonical")["href"]
        assert canonical == f"{SITE_URL}{ARTICLE}?t=5" or canonical == f"{SITE_URL}{ARTICLE}"
        assert f":{fronted.gunicorn.port}".encode() not in body and b"127.0.0.1" not in body
    # The micro-cache keys pages by the site's name, never by an empty or client-chosen Host.
    keys = [path.read_bytes().split(b"\nKEY: ", 1)[1].split(b"\n", 1)[0]
            for path in (fronted.nginx.prefix / "tmp" / "pages").rglob("*") if path.is_file()]
    assert keys and all(key.startswith(f"http://{SITE_HOST}/".encode()) for key in keys), keys


def nginx_errors(fronted) -> dict[str, bytes]:
    """Requests nginx refuses itself, without asking the app."""
    long_header = "X-Padding: " + "a" * 9000
    return {
        "400 header too large": f"GET / HTTP/1.1\r\nHost: {SITE_HOST}\r\n{long_header}\r\n\r\n".encode(),
        "400 two hosts": f"GET / HTTP/1.1\r\nHost: {SITE_HOST}\r\nHost: {SITE_HOST}\r\n\r\n".encode(),
        "400 bad request line": f"GET /\x01 HTTP/1.1\r\nHost: {SITE_HOST}\r\n\r\n".encode(),
        "413 body too large": (f"GET / HTTP/1.1\r\nHost: {SITE_HOST}\r\nContent-Length: 20000\r\n"
                               "Connection: close\r\n\r\n").encode() + b"x" * 20000,
        "414 request line too long": f"GET /{'a' * 9000} HTTP/1.1\r\nHost: {SITE_HOST}\r\n\r\n".encode(),
        "404 internal location": (f"GET /_newsreel/media/x.mp4 HTTP/1.1\r\nHost: {SITE_HOST}\r\n"
                                  "Connection: close\r\n\r\n").encode(),
    }


@pytest.mark.parametrize("case", ["400 header too large", "400 two hosts", "400 bad request line",
                                  "413 body too large", "414 request line too long", "404 internal location"])
def test_nginx_error_pages_carry_the_security_headers(fronted, case):
    status, headers, _ = parse_response(exchange(port_of(fronted.nginx), nginx_errors(fronted)[case]))
    assert status == int(case.split()[0])
    assert security_headers_of(headers) == {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY", "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()"}


@pytest.mark.parametrize("path", [ARTICLE, "/embed/night-ferry-returns", "/", "/search?q=ferry",
                                  "/articles/no-such-story", "/.env", "/media/not-a-name.exe"])
def test_nginx_passes_the_apps_own_security_headers_once(fronted, path):
    # The app's headers, not nginx's fallback: an embed's CSP names who may frame it.
    direct = security_headers_of(get(fronted.gunicorn.url + path)[1])
    assert direct["Content-Security-Policy"]
    for _ in range(2):  # a miss, then from the micro-cache
        assert security_headers_of(get(fronted.nginx.url + path)[1]) == direct


def target_of_length(length: int, in_query: bool) -> str:
    """Return a target whose request line ("GET <target> HTTP/1.1") is ``length`` bytes long."""
    start = ARTICLE + "?t=1&pad=" if in_query else "/articles/"
    return start + "a" * (length - len(f"GET {start} HTTP/1.1"))


@pytest.mark.parametrize("in_query", [True, False], ids=["query", "path"])
@pytest.mark.parametrize("length", [4000, 4094, 4095, 4200, 8000, 8190, 8191, 8300, 17000])
def test_long_request_lines_get_a_page_with_the_security_headers(fronted, length, in_query):
    # The app's page (400 for a long query, 404 for an unknown path) or nginx's 414,
    # never gunicorn's bare "Request Line is too large"; gunicorn takes what nginx passes.
    target = target_of_length(length, in_query)
    servers = [fronted.nginx] + ([fronted.gunicorn] if length <= 8190 else [])
    for server in servers:
        status, headers, body = parse_response(exchange(port_of(server), (
            f"GET {target} HTTP/1.1\r\nHost: {SITE_HOST}\r\nConnection: close\r\n\r\n").encode()))
        assert b"too large" not in body and status in (400, 404, 414), (server.url, status, body[:200])
        assert headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY
        assert headers.get("X-Frame-Options") == "DENY"
        if status != 414:
            assert b"<main" in body  # the site's own error page


@pytest.mark.parametrize("count", [101, 120, 900])
def test_many_headers_get_the_sites_400_page(fronted, count):
    headers = "".join(f"X-Header-{n}: x\r\n" for n in range(count))
    for server in (fronted.nginx, fronted.gunicorn):
        status, got, body = parse_response(exchange(port_of(server), (
            f"GET {ARTICLE}?t=1&headers={count} HTTP/1.1\r\nHost: {SITE_HOST}\r\n{headers}"
            "Connection: close\r\n\r\n").encode()))
        assert status == 400 and b"<main" in body, (server.url, status, body[:200])
        assert got["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_nginx_marks_static_files_immutable_only_for_their_current_hash(fronted):
    page = BeautifulSoup(get(fronted.nginx.url + "/")[2], "html.parser")
    current = page.find("link", rel="stylesheet")["href"]
    assert get(fronted.nginx.url + current)[1]["Cache-Control"] == IMMUTABLE
    for version in ("000000000000", "garbage", "1", current.rsplit("=", 1)[1] + "0"):
        for _ in range(2):  # a miss, then from the micro-cache
            status, headers, body = get(f"{fronted.nginx.url}/static/css/app.css?v={version}")
            assert status == 200 and headers["Cache-Control"] == "no-cache", version
            assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("name, value", [
    ("X-Forwarded-Ssl", "on"), ("X-Forwarded-Protocol", "https"), ("X-Forwarded-Protocol", "ssl"),
    ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "evil.example"), ("X-Forwarded-Prefix", "/evil"),
    ("X-Forwarded-Port", "444"), ("Forwarded", "for=1.2.3.4;host=evil.example;proto=https"),
    ("X-Real-IP", "1.2.3.4"), ("SCRIPT_NAME", "/evil"), ("Script-Name", "/evil"),
])
def test_client_forwarded_headers_change_nothing_through_nginx(fronted, name, value):
    # A query of its own, so the request reaches the app instead of the micro-cache.
    url = f"{fronted.nginx.url}{ARTICLE}?t=6&forwarded-test={name}-{value}-{fronted.media}"
    status, headers, body = get(url, **{name: value})
    assert status == 200 and headers["X-Cache-Status"] == "MISS"
    assert b"evil" not in body and b"https://" + SITE_HOST.encode() not in body


@pytest.mark.parametrize("name, value", [("SCRIPT_NAME", "/evil"), ("PATH_INFO", "/evil"),
                                         ("X-Forwarded-Ssl", "on"), ("X-Forwarded-Protocol", "ssl")])
def test_gunicorn_believes_no_client_header_but_the_scheme_from_nginx(gunicorn, name, value):
    status, _, plain = get(gunicorn.url + ARTICLE)
    status, _, body = get(gunicorn.url + ARTICLE, **{name: value})
    assert status == 200 and body == plain and b"/evil" not in body


def test_gunicorn_takes_the_scheme_from_x_forwarded_proto(gunicorn):
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["secure_scheme_headers"] == {"X-FORWARDED-PROTO": "https"}
    assert settings["forwarder_headers"] == ""


def test_a_media_name_with_a_trailing_newline_is_not_a_file(fronted, site):
    status, headers, body = get(f"{fronted.nginx.url}/media/{site['clip'].name}%0A")
    assert status == 404 and b"Page not found" in body
    assert not body.startswith(site["clip"].read_bytes()[:64])


def header_count(raw: bytes, name: str) -> int:
    """Return how many times the response head in ``raw`` states the header ``name``."""
    head = raw.partition(b"\r\n\r\n")[0].decode("latin-1").lower()
    return sum(line.partition(":")[0].strip() == name.lower() for line in head.split("\r\n")[1:])


SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
                    "Referrer-Policy", "Permissions-Policy")


@pytest.mark.parametrize("path", ["CLIP", "/static/css/app.css"])
def test_an_unsatisfiable_range_gets_the_sites_416_page_with_each_header_once(fronted, site, path):
    path = f"/media/{site['clip'].name}" if path == "CLIP" else path
    raw = exchange(port_of(fronted.nginx), (f"GET {path} HTTP/1.1\r\nHost: {SITE_HOST}\r\n"
                                            "Range: bytes=999999999-\r\nConnection: close\r\n\r\n").encode())
    status, headers, body = parse_response(raw)
    assert status == 416
    for name in SECURITY_HEADERS:
        assert header_count(raw, name) == 1, (name, raw[:2000])
    # An error is never kept, by the browser or anyone between. nginx keeps the
    # Cache-Control it had added for a file it serves itself; no-store overrides it.
    assert "no-store" in headers["Cache-Control"].split(", ")
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert b"<main" in body  # the site's own page


def bad_requests(media: str) -> dict[str, bytes]:
    """Requests refused by nginx, by gunicorn or by the app, each answered with an error page."""
    host = f"Host: {SITE_HOST}\r\nConnection: close\r\n"
    # A query of its own, so the request passes the micro-cache and reaches gunicorn.
    fresh = f"/?t=7&no-store-test={media}"
    return {
        "400 dot segment": f"GET /%2e%2e/ HTTP/1.1\r\n{host}\r\n".encode(),
        "405 TRACE": f"TRACE / HTTP/1.1\r\n{host}\r\n".encode(),
        "405 two-letter method": f"AB / HTTP/1.1\r\n{host}\r\n".encode(),
        "405 long method": f"{'A' * 21} / HTTP/1.1\r\n{host}\r\n".encode(),
        "405 POST": f"POST / HTTP/1.1\r\n{host}Content-Length: 3\r\n\r\nq=1".encode(),
        "413 body too large": f"GET / HTTP/1.1\r\n{host}Content-Length: 20000\r\n\r\n".encode() + b"x" * 20000,
        "414 request line too long": f"GET /{'a' * 9000} HTTP/1.1\r\n{host}\r\n".encode(),
        "501 transfer coding": f"GET / HTTP/1.1\r\n{host}Transfer-Encoding: gzip, chunked\r\n\r\n".encode(),
        "404 internal location": f"GET /_newsreel/media/x HTTP/1.1\r\n{host}\r\n".encode(),
        "404 the app's page": f"GET /articles/no-such-story HTTP/1.1\r\n{host}\r\n".encode(),
        "400 raw UTF-8 in the target": b"GET /search?q=\xc3\xa9 HTTP/1.1\r\n" + host.encode() + b"\r\n",
        "400 control byte in a header": f"GET {fresh}-1 HTTP/1.1\r\n{host}X-A: a\x01b\r\n\r\n".encode(),
        "400 DEL in a header": f"GET {fresh}-2 HTTP/1.1\r\n{host}X-A: a\x7fb\r\n\r\n".encode(),
    }


@pytest.mark.parametrize("case", list(bad_requests("")))
def test_every_error_through_nginx_says_no_store_once(fronted, case):
    raw = exchange(port_of(fronted.nginx), bad_requests(fronted.media)[case])
    status, headers, body = parse_response(raw)
    assert status == int(case.split()[0]), raw[:600]
    assert header_count(raw, "Cache-Control") == 1 and headers["Cache-Control"] == "no-store", raw[:1200]
    for name in SECURITY_HEADERS:
        assert header_count(raw, name) == 1, (name, raw[:1200])
    # nginx's page or the site's, never one that repeats the request line. A
    # control byte in a header value still reaches gunicorn, whose bare page names the header.
    if "header" not in case:
        assert b"Invalid" not in body and b"AB /" not in body and b"\xc3\xa9" not in body
    if status == 405:
        assert b"<main" in body and set(headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_nginx_never_caches_search_results_but_still_caches_pages(fronted):
    url = f"/search?q=ferry&t=8&search-cache-test={fronted.media}"
    for _ in range(3):
        status, headers, body = get(fronted.nginx.url + url)
        assert status == 200 and b"<main" in body
        assert headers.get("X-Cache-Status") != "HIT" and headers["Cache-Control"] == "private, no-cache"
    keys = [path.read_bytes().split(b"\nKEY: ", 1)[1].split(b"\n", 1)[0]
            for path in (fronted.nginx.prefix / "tmp" / "pages").rglob("*") if path.is_file()]
    assert not [key for key in keys if b"/search" in key], keys
    page = ARTICLE + f"?t=8&page-cache-test={fronted.media}"
    assert [get(fronted.nginx.url + page)[1]["X-Cache-Status"] for _ in range(2)] == ["MISS", "HIT"]
