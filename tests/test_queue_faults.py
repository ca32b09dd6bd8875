"""The queue under faults, with real servers: a worker killed mid-transcode, Redis restarted, ffmpeg stalled.

Workers are real ``python -m media worker`` processes in sessions of their
own, so that a test can SIGKILL one with everything it started, as when its
machine loses power.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from articles.store import Library
from media.names import SERVED_NAME
from tests.conftest import make_clip
from tests.queue_workers import (
    jobs,
    kill_worker,
    media,
    queue_env,
    start_worker,
    stop_worker,
    wait_for_jobs,
)
from tests.services import redis_server

# Short, so that a killed worker's job is handed on within seconds.
VISIBILITY_SECONDS = "8"


@pytest.fixture
def redis():
    with redis_server() as server:
        yield server


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    """A 30-second MPEG-4 Part 2 clip: ingest must transcode it to H.264, which takes a while."""
    return make_clip(tmp_path_factory.mktemp("long") / "clip.mp4", seconds=30, size="640x360",
                     video_options=("-c:v", "mpeg4", "-q:v", "4"))


@pytest.fixture
def long_bundle(small_bundle, long_clip) -> Path:
    shutil.copy(long_clip, small_bundle / "clip.mp4")
    return small_bundle


def descendants(pid: int) -> list[int]:
    """Return the ids of every process below ``pid``."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def transcodes(pid: int) -> list[int]:
    """Return the ffmpeg runs below ``pid`` that report progress (the transcodes)."""
    found = []
    for child in descendants(pid):
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"ffmpeg") and b"-progress" in argv:
            found.append(child)
    return found


def wait_until(condition, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.1)
    return found


def visible_media(library: Path) -> set[str]:
    media_dir = library / "media"
    return {p.name for p in media_dir.iterdir() if p.is_file() and SERVED_NAME.fullmatch(p.name)} \
        if media_dir.is_dir() else set()


def test_a_worker_killed_mid_transcode_leaves_the_job_to_another_which_publishes_once(
        redis, long_bundle, tmp_path):
    library = tmp_path / "library"
    env = queue_env(redis.url, library, NEWSREEL_QUEUE_VISIBILITY_TIMEOUT=VISIBILITY_SECONDS)
    first = start_worker(env, "-c", "1", log=tmp_path / "first.log")
    second = start_worker(env, "-c", "1", log=tmp_path / "second.log")
    workers = {first.pid: first, second.pid: second}
    try:
        result = media(["ingest", str(long_bundle), "--queue"], env)
        assert result.returncode == 0, result.stderr
        # The job is in its transcode: kill the worker doing it, and its ffmpeg.
        victim = wait_until(lambda: next((p for p in workers if transcodes(p)), None),
                            "saw a transcode")
        before = visible_media(library)
        kill_worker(workers.pop(victim))
        # Nothing half-written is visible: no article, and the transcode's
        # partial output only under a hidden temporary name.
        assert Library(library).articles() == []
        assert visible_media(library) == before
        assert any(p.name.startswith(".") and p.suffix == ".mp4" for p in (library / "media").iterdir())

        [survivor] = workers.values()
        [job] = wait_for_jobs(env, {"done", "failed"}, 1, timeout=300, workers=(survivor,))
        assert job["state"] == "done", job
        assert job["attempts"] >= 2 and f"newsreel-{survivor.pid}@" in job["worker"]
    finally:
        for worker in workers.values():
            stop_worker(worker)
    stored = Library(library)
    assert [row.slug for row in stored.articles()] == ["small-story"]
    assert stored.version() == 1   # saved once: a second run found it up to date
    # The killed run's temporaries were cleared by the run that finished.
    assert not [p for p in (library / "media").iterdir() if p.name.startswith(".") and p.is_file()]
    page_media = {s.src for s in stored.article("small-story").document.video.sources}
    assert page_media <= visible_media(library)


def test_jobs_queued_while_redis_restarts_are_all_run(redis, small_bundle, tmp_path):
    library = tmp_path / "library"
    env = queue_env(redis.url, library)
    folders = []
    for index in range(3):
        folder = small_bundle.parent / f"story-{index}"
        shutil.copytree(small_bundle, folder)
        folders.append(folder)
    assert media(["ingest", *map(str, folders[:2]), "--queue"], env).returncode == 0
    redis.restart()
    worker = start_worker(env, "-c", "1", log=tmp_path / "worker.log")
    try:
        wait_for_jobs(env, {"done"}, 2, workers=(worker,))
        # Again with the worker connected: it waits for Redis and goes on.
        redis.restart()
        result = media(["ingest", str(folders[2]), "--queue"], env)
        assert result.returncode == 0, result.stderr
        done = wait_for_jobs(env, {"done", "failed"}, 3, workers=(worker,))
    finally:
        stop_worker(worker)
    assert [job["state"] for job in done] == ["done"] * 3, done
    assert sorted(row.slug for row in Library(library).articles()) == [
        "story-0", "story-1", "story-2"]


def test_a_job_running_while_redis_restarts_finishes_and_publishes_once(redis, long_bundle, tmp_path):
    library = tmp_path / "library"
    env = queue_env(redis.url, library, NEWSREEL_QUEUE_VISIBILITY_TIMEOUT=VISIBILITY_SECONDS)
    worker = start_worker(env, "-c", "1", log=tmp_path / "worker.log")
    try:
        assert media(["ingest", str(long_bundle), "--queue"], env).returncode == 0
        wait_until(lambda: transcodes(worker.pid), "saw a transcode")
        redis.restart()
        [job] = wait_for_jobs(env, {"done", "failed"}, 1, workers=(worker,))
        time.sleep(float(VISIBILITY_SECONDS) + 3)  # a message left unacknowledged would be run again by now
        [job] = wait_for_jobs(env, {"done", "failed"}, 1, workers=(worker,))
    finally:
        stop_worker(worker)
    assert job["state"] == "done", job
    assert Library(library).version() == 1


def test_a_stalled_transcode_is_stopped_retried_and_failed_after_three_tries(
        redis, long_bundle, tmp_path):
    library = tmp_path / "library"
    env = queue_env(redis.url, library)
    worker = start_worker(env, "-c", "1", "--stall-seconds", "2", log=tmp_path / "worker.log")
    stopped: set[int] = set()
    try:
        assert media(["ingest", str(long_bundle), "--queue"], env).returncode == 0
        deadline = time.monotonic() + 300
        # Freeze every transcode the worker starts, as a hung disk or decoder would.
        while not any(job["state"] == "failed" for job in jobs(env)):
            assert time.monotonic() < deadline, jobs(env)
            for pid in set(transcodes(worker.pid)) - stopped:
                os.kill(pid, signal.SIGSTOP)
                stopped.add(pid)
            time.sleep(0.1)
        [job] = jobs(env)
        leftover = [pid for pid in stopped if Path(f"/proc/{pid}").exists()]
    finally:
        stop_worker(worker)
    assert len(stopped) == 3
    assert job["attempts"] == 3
    assert job["error"] == (f"{long_bundle}/clip.mp4: transcode failed: no progress for 2 s, stopped "
                            "(gave up after 3 tries)"), job
    assert Library(library).articles() == []
    # each frozen ffmpeg was killed by its watchdog while the worker ran on
    assert leftover == []
