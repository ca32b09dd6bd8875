"""Shared fixtures: the demo library (ingested once), the app, a live server, tools."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from articles.ingest import ingest_bundle
from articles.store import Library
from media.demo.bundles import to_vtt, write_demo, write_photo
from media.demo.pictures import harbour
from media.errors import ToolNotFoundError
from media.ffmpeg import tools
from tests.corpus import CORPUS_MISSING, corpus_present
from tests.services import S3_TEST_CREDENTIALS, S3Server, ServiceError, postgres_server, s3_server

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(name: str) -> str:
    """Return the path of a command-line tool; a missing tool fails in CI and skips elsewhere."""
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (bin/install-system-packages installs it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_module(name: str) -> None:
    """Make sure a Python package is importable; a missing one fails in CI and skips elsewhere."""
    if importlib.util.find_spec(name) is not None:
        return
    message = f"{name} is not installed (pip install -r requirements.txt)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def pocketsphinx_present() -> None:
    """The speech engine (a pip requirement): fails in CI and skips elsewhere when missing."""
    require_module("pocketsphinx")


def pytest_runtest_setup(item):
    """Skip a test marked corpus when the shared corpus is missing, except in CI (see below)."""
    if item.get_closest_marker("corpus") and not corpus_present() and not IN_CI:
        pytest.skip(CORPUS_MISSING)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    """Fail a test marked corpus when the shared corpus is missing: in CI a skip would hide it."""
    if item.get_closest_marker("corpus") and not corpus_present():
        pytest.fail(CORPUS_MISSING)


@pytest.fixture(scope="session", autouse=True)
def _ffmpeg_present():
    """Every media test needs ffmpeg: in CI a missing one fails the run."""
    try:
        tools.find_tool("ffmpeg")
        tools.find_tool("ffprobe")
    except ToolNotFoundError as error:
        if IN_CI:
            pytest.fail(str(error))
        pytest.skip(str(error))


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """Serve ``app`` on a real threaded HTTP server on 127.0.0.1; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def run_media_cli(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``python -m media ARGS`` as a user would and return the finished process."""
    return subprocess.run([sys.executable, "-m", "media", *args], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=600, check=False)


def make_clip(path: Path, seconds: float = 2.0, size: str = "320x240", audio: bool = True,
              video_options: tuple[str, ...] = ("-c:v", "libx264", "-pix_fmt", "yuv420p")) -> Path:
    """Write a small generated clip with ffmpeg (a real file, not a stand-in)."""
    argv = [tools.ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}"]
    if audio:
        argv += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac"]
    argv += [*video_options, "-shortest", str(path)]
    subprocess.run(argv, check=True, timeout=120)
    return path


@pytest.fixture(scope="session")
def small_clip(tmp_path_factory) -> Path:
    """A 2-second 320x240 H.264/AAC clip."""
    return make_clip(tmp_path_factory.mktemp("clip") / "small.mp4")


@pytest.fixture
def small_bundle(tmp_path, small_clip) -> Path:
    """A valid one-clip, one-photo bundle in a temporary folder, ready to be broken by a test."""
    folder = tmp_path / "content" / "small-story"
    folder.mkdir(parents=True)
    shutil.copy(small_clip, folder / "clip.mp4")
    (folder / "clip.en.vtt").write_text(to_vtt([(0.0, 1.5, "A small test clip.")]), encoding="utf-8")
    write_photo(folder / "photo.jpg", harbour(800, 450),
                credit="Test desk")
    (folder / "article.md").write_text("""\
---
title: A small story
published: 2026-11-01T10:00:00Z
language: en
summary: A bundle made for a test.
video:
  source: clip.mp4
  title: The small clip
  captions:
    - file: clip.en.vtt
      language: en
images:
  - source: photo.jpg
    alt: A generated harbour scene.
    caption: Made with Pillow.
---

Body text with *emphasis*.
""", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def demo_content(tmp_path_factory) -> Path:
    """The demo bundles, as ``python -m media demo`` writes them."""
    out = tmp_path_factory.mktemp("demo") / "content"
    write_demo(out)
    return out


@pytest.fixture(scope="session")
def demo_library(tmp_path_factory, demo_content) -> Library:
    """A library with every demo bundle ingested."""
    library = Library(tmp_path_factory.mktemp("library") / "library")
    for folder in sorted(demo_content.iterdir()):
        ingest_bundle(folder, library)
    return library


@pytest.fixture
def app(demo_library):
    """The app serving the demo library."""
    return create_app({"TESTING": True, "LIBRARY": str(demo_library.root),
                       "DATABASE_URL": demo_library.database_url})


# The library's database engines: tests that take each_library run on every one.
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server of the tests' own, for the session; a missing one fails in CI."""
    try:
        with postgres_server() as server:
            yield server
    except ServiceError as error:
        if IN_CI:
            pytest.fail(str(error))
        pytest.skip(str(error))


_databases = iter(range(1, 1_000_000))


@pytest.fixture
def postgres_url(postgres) -> str:
    """The URL of a new, empty database on the session's server (no schema yet)."""
    name = f"test_{next(_databases)}"
    postgres.sql(f"CREATE DATABASE {name}")
    return postgres.url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def postgres_demo_library(tmp_path_factory, demo_library, postgres) -> Library:
    """The demo library with its articles in PostgreSQL: the SQLite demo's rows, saved again.

    Its media folder is the SQLite demo's own: ingest runs once per session.
    """
    postgres.sql("CREATE DATABASE demo")
    root = tmp_path_factory.mktemp("postgres-demo") / "library"
    root.mkdir()
    (root / "media").symlink_to(demo_library.media_dir)
    library = Library(root, database_url=postgres.url.rsplit("/", 1)[0] + "/demo")
    library.upgrade()
    for row in reversed(demo_library.articles()):
        library.save_article(row)
    return library


@pytest.fixture(params=BACKENDS)
def each_library(request) -> Library:
    """The demo library, once in SQLite and once in PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("demo_library")
    return request.getfixturevalue("postgres_demo_library")


@pytest.fixture(params=BACKENDS)
def each_empty_library(request, tmp_path) -> Library:
    """A new library with no articles yet, once in SQLite and once in a new PostgreSQL database."""
    if request.param == "sqlite":
        return Library(tmp_path / "library")
    library = Library(tmp_path / "library", database_url=request.getfixturevalue("postgres_url"))
    library.upgrade()
    return library


@pytest.fixture
def each_app(each_library):
    """The app serving the demo library in each database."""
    return create_app({"TESTING": True, "LIBRARY": str(each_library.root),
                       "DATABASE_URL": each_library.database_url})


@pytest.fixture
def each_client(each_app):
    """A test client of the app, on each database."""
    return each_app.test_client()


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(demo_library):
    """The app on a real threaded HTTP server on 127.0.0.1; yields its base URL."""
    with serving(create_app({"LIBRARY": str(demo_library.root)})) as url:
        yield url


@pytest.fixture(scope="session")
def unspoken_live_server(tmp_path_factory, demo_library):
    """The demo on a live server, without the spoken versions ingest made of its descriptions.

    A clip with no spoken version is where the browser shows, announces and
    may read aloud the text descriptions itself: the player's own feature.
    """
    root = tmp_path_factory.mktemp("unspoken") / "library"
    root.mkdir()
    (root / "media").symlink_to(demo_library.media_dir)
    with sqlite3.connect(demo_library.database) as source, sqlite3.connect(root / "newsreel.sqlite3") as copy:
        source.backup(copy)
    library = Library(root)
    for row in library.articles():
        video = row.document.video
        if video is not None and video.described:
            document = dataclasses.replace(row.document, video=dataclasses.replace(video, described=()))
            library.save_article(dataclasses.replace(row, document=document))
    with serving(create_app({"LIBRARY": str(root)})) as url:
        yield url


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """The live server's URL; replaces pytest-playwright's fallback fixture, which pytest 9 deprecates."""
    return live_server


@pytest.fixture(autouse=True)
def _server_requests_finished(request):
    """After a test that used the live server, wait for its request threads to end inside that test."""
    yield
    if not {"live_server", "unspoken_live_server"} & set(request.fixturenames):
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
            thread.name.endswith("(process_request_thread)") for thread in threading.enumerate()):
        time.sleep(0.02)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium: Playwright's own browser download cannot work here."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        message = "chromium is not installed (bin/install-system-packages installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": chromium,
            "args": ["--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--disable-dev-shm-usage"]}


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """One S3-compatible server for the session; each test makes buckets of its own."""
    with s3_server() as server:
        yield server


@pytest.fixture
def s3_credentials(monkeypatch) -> dict[str, str]:
    """Sign as the test server's user: boto3 reads these from the environment."""
    for variable, value in S3_TEST_CREDENTIALS.items():
        monkeypatch.setenv(variable, value)
    return S3_TEST_CREDENTIALS
