"""Nothing lost: an ingest killed at any point leaves the site serving its previous state, and a re-run finishes.

Each ingest here is a real ``python -m media ingest`` process. To stop one at
an exact point inside its database transaction, the process is started through
a small wrapper that traces its SQLite statements and sleeps at a named one,
so that the test can SIGKILL it there; nothing in the ingest code changes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app import create_app
from articles.document import StoredArticle
from articles.ingest import ingest_bundle
from articles.store import Library
from deploy.servers import Gunicorn
from media.demo.bundles import to_vtt
from media.names import SERVED_NAME
from tests.conftest import ROOT, make_clip
from tests.test_ingest import replace_in_article
from tests.test_production import get

# Sleeps at the first SQLite statement that starts with $PAUSE_AT, after touching $PAUSE_MARK.
PAUSING_INGEST = """
import os, sqlite3, sys, time
pause_at, mark = os.environ["PAUSE_AT"], os.environ["PAUSE_MARK"]
connect = sqlite3.connect
def traced(*args, **kwargs):
    connection = connect(*args, **kwargs)
    def trace(statement):
        if statement.lstrip().startswith(pause_at):
            open(mark, "w").close()
            time.sleep(3600)
    connection.set_trace_callback(trace)
    return connection
sqlite3.connect = traced
from cli.main import cli
cli(sys.argv[1:], prog_name="python -m media")
"""

# The statements of Library.save_article, in order.
BEFORE_THE_DATABASE = "PRAGMA journal_mode"             # every media file written, no row yet
INSIDE_THE_TRANSACTION = "INSERT INTO meta (key, value) VALUES ('version'"  # article and search rows written


def ingest_argv(bundle: Path, library: Path) -> list[str]:
    return ["ingest", str(bundle), "--library", str(library), "--quiet"]


def start(argv: list[str], env: dict | None = None, pausing: bool = False) -> subprocess.Popen:
    command = [sys.executable, "-c", PAUSING_INGEST] if pausing else [sys.executable, "-m", "media"]
    return subprocess.Popen([*command, *argv], cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def run_ingest(bundle: Path, library: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "media", *ingest_argv(bundle, library)], cwd=ROOT,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the ingest and everything it started, as when the machine loses power."""
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)


def wait_for(condition, process: subprocess.Popen, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"ingest ended before {what}: {process.communicate()}"
        assert time.monotonic() < deadline, f"never reached {what}"
        time.sleep(0.02)


def referenced_media(article: StoredArticle) -> dict[str, int | None]:
    """Return every media name an article refers to, with the byte size its document states (or None)."""
    names: dict[str, int | None] = {}
    for image in article.images:
        names.update((r.src, None) for r in image.renditions)
    if article.social_image:
        names[article.social_image.src] = None
    video = article.video
    if video:
        names.update((s.src, s.size) for s in video.sources)
        names.update((t.src, None) for t in [*video.tracks, *video.extra_tracks])
        if video.poster:
            names.update((p.src, None) for p in video.poster.images)
    return names


def assert_consistent(library: Library) -> dict[str, str]:
    """Check the database and every file it refers to; return each article's title by slug."""
    with library.connect() as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    client = create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()
    titles = {}
    for row in library.articles():
        titles[row.slug] = row.title
        for name, size in referenced_media(row.document).items():
            assert SERVED_NAME.match(name), name  # never a temporary name
            path = library.media_dir / name
            assert path.is_file() and path.stat().st_size > 0, name
            if size is not None:
                assert path.stat().st_size == size, f"{name} is not the file ingest finished"
            response = client.get(f"/media/{name}")
            assert response.status_code == 200 and len(response.get_data()) == path.stat().st_size
            response.close()
        page = client.get(f"/articles/{row.slug}")
        assert page.status_code == 200
    assert client.get("/").status_code == 200
    return titles


def temporaries(library: Library) -> list[str]:
    return [p.name for p in library.media_dir.iterdir() if p.name.startswith(".") and p.is_file()]


@pytest.fixture
def published(tmp_path, small_bundle) -> tuple[Library, Path]:
    """A library with the small story published, and its bundle changed for a second version."""
    library = Library(tmp_path / "library")
    ingest_bundle(small_bundle, library)
    replace_in_article(small_bundle, "title: A small story", "title: A changed story")
    (small_bundle / "clip.en.vtt").write_text(to_vtt([(0.0, 1.5, "New words for the clip.")]),
                                               encoding="utf-8")
    return library, small_bundle


@pytest.fixture(scope="module")
def slow_clip(tmp_path_factory) -> Path:
    """A clip that takes ingest several seconds to transcode."""
    return make_clip(tmp_path_factory.mktemp("slow") / "clip.mp4", seconds=20, size="1280x720",
                     video_options=("-c:v", "mpeg4", "-q:v", "8"))


@pytest.mark.parametrize("pause_at", [BEFORE_THE_DATABASE, INSIDE_THE_TRANSACTION],
                         ids=["between-media-and-database", "during-database-write"])
def test_sigkill_at_the_database_leaves_the_previous_state(tmp_path, published, pause_at):
    library, bundle = published
    mark = tmp_path / "paused"
    before = {p.name for p in library.media_dir.iterdir()}
    process = start(ingest_argv(bundle, library.root), pausing=True,
                    env={"PAUSE_AT": pause_at, "PAUSE_MARK": str(mark)})
    wait_for(mark.exists, process, f"'{pause_at}'")
    # The new caption file is on disk, not yet referenced.
    assert {p.name for p in library.media_dir.iterdir()} - before
    kill(process)
    assert assert_consistent(library) == {"small-story": "A small story"}

    run_ingest(bundle, library.root)
    assert assert_consistent(library) == {"small-story": "A changed story"}
    assert temporaries(library) == []


def test_sigkill_during_the_transcode_leaves_the_previous_state(tmp_path, published, slow_clip):
    library, bundle = published
    (bundle / "clip.mp4").unlink()
    os.link(slow_clip, bundle / "clip.mp4")
    process = start(ingest_argv(bundle, library.root))
    wait_for(lambda: any(p.suffix == ".mp4" and p.stat().st_size > 0 for p in
                         library.media_dir.glob(".*") if p.is_file()), process, "the transcode")
    kill(process)
    assert temporaries(library)  # the killed ffmpeg's half file, which nothing refers to
    assert assert_consistent(library) == {"small-story": "A small story"}

    run_ingest(bundle, library.root)
    assert assert_consistent(library) == {"small-story": "A changed story"}
    assert temporaries(library) == []


def second_bundle(bundle: Path, slug: str) -> Path:
    other = bundle.parent / slug
    shutil.copytree(bundle, other)
    replace_in_article(other, "title: A small story", f"title: Story {slug}\nslug: {slug}")
    return other


def test_two_ingests_at_once_both_finish_and_corrupt_nothing(tmp_path, small_bundle):
    library = Library(tmp_path / "library")
    # Two different articles sharing one clip (one output lock), and the same bundle twice.
    bundles = [small_bundle, second_bundle(small_bundle, "twin-story"), small_bundle]
    processes = [start(ingest_argv(bundle, library.root)) for bundle in bundles]
    for process in processes:
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr
    assert assert_consistent(library) == {"small-story": "A small story", "twin-story": "Story twin-story"}
    assert temporaries(library) == []


def test_the_site_keeps_serving_the_published_state_during_an_ingest(tmp_path, published, slow_clip):
    library, bundle = published
    (bundle / "clip.mp4").unlink()
    os.link(slow_clip, bundle / "clip.mp4")
    with Gunicorn(library.root, tmp_path / "gunicorn",
                  env={"WEB_CONCURRENCY": "2", "NEWSREEL_SITE_URL": "http://news.example"}) as server:
        server.wait_until_serving()
        process = start(ingest_argv(bundle, library.root))
        served = 0
        while process.poll() is None:
            for path in ("/", "/articles/small-story"):
                status, _, body = get(server.url + path, Host="news.example")
                assert status == 200
                assert (b"A small story" in body) != (b"A changed story" in body)
            served += 1
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
        assert served > 0
        status, _, body = get(server.url + "/articles/small-story", Host="news.example")
        assert status == 200 and b"A changed story" in body
