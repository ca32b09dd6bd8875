"""App servers on one PostgreSQL library: they agree with each other, and outlive a database restart."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup

from app import RETRY_AFTER_SECONDS, create_app
from articles.ingest import ingest_bundle
from articles.store import Library
from tests.conftest import ROOT
from tests.services import free_port, postgres_server
from tests.test_ingest import replace_in_article
from web.caching import LibraryVersion

START_SECONDS = 30


def get(url: str) -> tuple[int, str]:
    """Return the status and body of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@contextlib.contextmanager
def app_server(library: Library) -> Iterator[str]:
    """Run the app as its own process (``flask run``) on a free port; yield its base URL."""
    port = free_port()
    env = {**os.environ, "NEWSREEL_LIBRARY": str(library.root),
           "NEWSREEL_DATABASE_URL": library.database_url}
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                get(url + "/")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the app did not start: {process.stderr.read().decode()}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stderr.close()


def titles(url: str) -> list[str]:
    status, html = get(url)
    assert status == 200, status
    return [a.get_text(" ", strip=True) for a in
            BeautifulSoup(html, "html.parser").select(".app-result__title a")]


def test_two_app_servers_show_a_changed_article_and_the_same_search_results(
        tmp_path, small_bundle, postgres_url):
    library = Library(tmp_path / "library", database_url=postgres_url)
    library.upgrade()
    ingest_bundle(small_bundle, library)
    with app_server(library) as first, app_server(library) as second:
        for url in (first, second):   # each renders and caches the page as it is
            status, html = get(url + "/articles/small-story")
            assert status == 200 and "A small story" in html
            assert titles(url + "/search?q=small+clip") == ["A small story"]
        replace_in_article(small_bundle, "title: A small story", "title: A lighthouse story")
        ingest_bundle(small_bundle, library)
        time.sleep(LibraryVersion.POSTGRES_RECHECK_SECONDS)  # how long a page cache may lag
        for url in (first, second):
            status, html = get(url + "/articles/small-story")
            assert status == 200 and "A lighthouse story" in html and "A small story" not in html
            assert titles(url + "/search?q=lighthouse") == ["A lighthouse story"]
        for query in ("small", "test+clip", "emphasis", "zeppelin"):
            assert titles(f"{first}/search?q={query}") == titles(f"{second}/search?q={query}")


@pytest.fixture
def own_postgres():
    """A PostgreSQL server for one test, which may stop it."""
    with postgres_server() as server:
        yield server


def test_requests_during_a_database_restart_get_the_503_page_and_the_app_recovers(
        tmp_path, demo_library, own_postgres):
    root = tmp_path / "library"
    root.mkdir()
    (root / "media").symlink_to(demo_library.media_dir)
    library = Library(root, database_url=own_postgres.url)
    library.upgrade()
    for row in demo_library.articles():
        library.save_article(row)
    client = create_app({"TESTING": True, "LIBRARY": str(root),
                         "DATABASE_URL": own_postgres.url}).test_client()
    pages = ["/", "/articles/night-ferry-returns", "/search?q=ferry", "/feed.xml"]
    for page in pages:
        assert client.get(page).status_code == 200, page
    own_postgres.stop()
    time.sleep(LibraryVersion.POSTGRES_RECHECK_SECONDS)  # until then cached pages are still served
    try:
        for page in pages:
            response = client.get(page)
            assert response.status_code == 503, page
            assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
            assert response.headers["Cache-Control"] == "no-store"
            html = response.get_data(as_text=True)
            assert "Sorry, this part of the site is not available" in html
            assert "Try again in a minute" in html and "Traceback" not in html
    finally:
        own_postgres.start()
    # The same app, not restarted: its broken connections are replaced on first use.
    for page in pages:
        assert client.get(page).status_code == 200, page
