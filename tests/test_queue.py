"""Ingest jobs on a queue: ``ingest --queue`` enqueues, ``worker`` runs them, ``jobs`` lists them (real Redis)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from articles.queue.connection import QueueError, QueueSettings, queue_settings
from articles.queue.shelf import SHELF, bundle_hash, store_bundle
from articles.store import Library
from tests.queue_workers import media, queue_env, start_worker, stop_worker, wait_for_jobs
from tests.services import free_port, redis_server
from tests.test_ingest import replace_in_article


@pytest.fixture(scope="module")
def redis():
    with redis_server() as server:
        yield server


@pytest.fixture
def fresh_redis(redis):
    redis.command("FLUSHALL")
    return redis


@pytest.mark.parametrize("argv", [["jobs"], ["worker"], ["ingest", "--queue", "."]])
def test_without_a_queue_url_each_command_says_so_in_one_line(argv, tmp_path):
    env = {k: v for k, v in queue_env("", tmp_path).items() if k != "NEWSREEL_QUEUE_URL"}
    result = media(argv, env, timeout=60)
    assert result.returncode == 1
    assert result.stderr == ("Error: NEWSREEL_QUEUE_URL is not set: set it to the Redis broker, "
                             "such as redis://localhost:6379/0\n")


@pytest.mark.parametrize("argv", [["jobs"], ["worker"], ["ingest", "--queue", "."]])
def test_an_unreachable_redis_is_one_line_never_a_traceback(argv, tmp_path):
    url = f"redis://:secret@127.0.0.1:{free_port()}/0"
    result = media(argv, queue_env(url, tmp_path), timeout=60)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: NEWSREEL_QUEUE_URL redis://:***@127.0.0.1:")
    assert "cannot reach Redis" in result.stderr and "secret" not in result.stderr


@pytest.mark.parametrize("value", ["0", "-5", "soon", "inf"])
def test_a_bad_visibility_timeout_is_refused(value):
    with pytest.raises(QueueError, match="NEWSREEL_QUEUE_VISIBILITY_TIMEOUT"):
        queue_settings({"NEWSREEL_QUEUE_URL": "redis://localhost/0",
                        "NEWSREEL_QUEUE_VISIBILITY_TIMEOUT": value})


def test_a_queue_url_must_be_redis():
    with pytest.raises(QueueError, match="give a redis://"):
        queue_settings({"NEWSREEL_QUEUE_URL": "http://localhost:6379/0"})
    assert queue_settings({"NEWSREEL_QUEUE_URL": "redis://h/0"}) == QueueSettings("redis://h/0")


def test_a_bundle_is_shelved_whole_once_by_its_content(small_bundle, tmp_path):
    library = Library(tmp_path / "library")
    ref = store_bundle(library, small_bundle)
    assert ref.name == "small-story" and ref.hash == bundle_hash(small_bundle)
    copy = library.root / SHELF / ref.hash / ref.name
    assert sorted(p.name for p in copy.iterdir()) == sorted(p.name for p in small_bundle.iterdir())
    assert store_bundle(library, small_bundle) == ref
    # no temporary folder is left beside the copies
    assert [p.name for p in (library.root / SHELF).iterdir()] == [ref.hash]
    replace_in_article(small_bundle, "A small story", "A changed story")
    assert store_bundle(library, small_bundle).hash != ref.hash


def test_enqueued_bundles_are_ingested_by_a_worker_and_listed(fresh_redis, small_bundle, tmp_path):
    library = tmp_path / "library"
    env = queue_env(fresh_redis.url, library)
    second = small_bundle.parent / "second-story"
    shutil.copytree(small_bundle, second)
    bad = small_bundle.parent / "bad-story"
    shutil.copytree(small_bundle, bad)
    (bad / "clip.mp4").write_bytes(b"not a clip")

    result = media(["ingest", str(small_bundle), str(bad), str(second), "--queue", "--json",
                    "--max-height", "144"], env)
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 2, result.stderr   # the bad bundle, then the count
    assert "clip.mp4" in result.stderr.splitlines()[0]
    enqueued = json.loads(result.stdout)
    assert [e["ok"] for e in enqueued] == [True, False, True]
    assert [e.get("slug") for e in enqueued] == ["small-story", None, "second-story"]
    # nothing of the bad bundle is enqueued or shelved
    assert len(list((library / SHELF).iterdir())) == 2
    assert Library(library).articles() == []

    worker = start_worker(env, "--concurrency", "2", log=tmp_path / "worker.log")
    try:
        done = wait_for_jobs(env, {"done", "failed"}, 2, workers=(worker,))
    finally:
        stop_worker(worker)
    assert [(j["state"], j["slug"], j["error"]) for j in done] == [
        ("done", "small-story", ""), ("done", "second-story", "")], (tmp_path / "worker.log").read_text()
    assert {j["id"] for j in done} == {enqueued[0]["job"], enqueued[2]["job"]}
    assert sorted(row.slug for row in Library(library).articles()) == ["second-story", "small-story"]

    listing = media(["jobs"], env)
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert lines[-1] == "0 queued, 0 running, 2 done, 0 failed"
    assert enqueued[0]["job"] in lines[0] and "done" in lines[0] and str(small_bundle) in lines[0]


def test_a_job_enqueued_again_while_queued_is_the_same_job(fresh_redis, small_bundle, tmp_path):
    env = queue_env(fresh_redis.url, tmp_path / "library")
    first = media(["ingest", str(small_bundle), "--queue"], env)
    again = media(["ingest", str(small_bundle), "--queue"], env)
    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    job = first.stdout.split()[0]
    assert first.stdout.split()[1] == "queued"
    assert again.stdout.split()[:3] == [job, "already", "queued"]
    assert fresh_redis.command("LLEN", "newsreel-ingest") == "1"


def test_a_job_that_fails_in_the_worker_shows_its_one_line_reason(fresh_redis, small_bundle, tmp_path):
    env = queue_env(fresh_redis.url, tmp_path / "library")
    # passes the checks made at enqueue time; ingest refuses it
    replace_in_article(small_bundle, "title: A small story", "title: A small story\nstrict: true")
    (small_bundle / "clip.en.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:00.100\n" + "x" * 300 + "\n",
                                              encoding="utf-8")
    assert media(["ingest", str(small_bundle), "--queue"], env).returncode == 0
    worker = start_worker(env, "--concurrency", "1", log=tmp_path / "worker.log")
    try:
        [job] = wait_for_jobs(env, {"done", "failed"}, 1, workers=(worker,))
    finally:
        stop_worker(worker)
    assert job["state"] == "failed" and "strict: true" in job["error"], job
    assert "\n" not in job["error"]
    assert media(["jobs"], env).stdout.splitlines()[0].endswith(job["error"])
    assert Library(Path(env["NEWSREEL_LIBRARY"])).articles() == []
