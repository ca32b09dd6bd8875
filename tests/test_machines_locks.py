"""Locks that hold across machines sharing no folder: each "machine" here is a library folder of its own."""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys
import time
from datetime import timedelta

import psycopg
import pytest

from articles.collect import LibraryBusy, collect_orphans
from articles.ingest import IngestOptions, ingest_bundle
from articles.store import Library
from media.ffmpeg.commands import ClipSettings
from media.video.clips import file_hash, output_key
from tests.conftest import ROOT

HOLD = """
import sys, time
from articles.store import Library
with Library(sys.argv[1], database_url=sys.argv[2]).references_held():
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def machines(tmp_path, postgres_url) -> tuple[Library, Library]:
    """Two libraries on one PostgreSQL database, with separate folders (so separate file locks)."""
    first = Library(tmp_path / "one", database_url=postgres_url)
    first.upgrade()
    second = Library(tmp_path / "two", database_url=postgres_url)
    for library in (first, second):
        library.media_dir.mkdir(parents=True)
    return first, second


def test_an_ingest_on_one_machine_keeps_gc_on_another_off(machines):
    first, second = machines
    with first.references_held():
        with pytest.raises(LibraryBusy, match="an ingest or another gc is running"):
            collect_orphans(second, older_than=timedelta(0))
        # ingests share it
        with second.references_held(wait=False):
            pass
    assert collect_orphans(second, older_than=timedelta(0)).orphans == ()


def test_gc_on_one_machine_keeps_another_gc_off(machines):
    first, second = machines
    with first.references_held(exclusive=True, wait=False):
        with pytest.raises(LibraryBusy):
            collect_orphans(second, older_than=timedelta(0))
        with pytest.raises(BlockingIOError):
            with second.references_held(wait=False):
                pass


def test_a_dead_machines_lock_goes_with_its_connection(machines, postgres_url):
    first, second = machines
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(first.root), postgres_url], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LibraryBusy):
            collect_orphans(second, older_than=timedelta(0))
    finally:
        holder.kill()
        holder.wait(timeout=30)
        holder.stdout.close()
    deadline = time.monotonic() + 10
    while True:
        try:
            collect_orphans(second, older_than=timedelta(0))
            break
        except LibraryBusy:
            assert time.monotonic() < deadline, "the killed process's lock was never released"
            time.sleep(0.1)


def test_two_machines_never_prepare_one_clip_at_once(machines, small_bundle, postgres_url):
    first, second = machines
    key = output_key(file_hash(small_bundle / "clip.mp4"), ClipSettings(), None)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        with first.clip_lock()(key):
            running = pool.submit(ingest_bundle, small_bundle, second, IngestOptions())
            with psycopg.connect(postgres_url, autocommit=True) as watcher:
                deadline = time.monotonic() + 60
                while not watcher.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                                          " AND NOT granted AND database = (SELECT oid FROM pg_database"
                                          " WHERE datname = current_database())").fetchone()[0]:
                    assert not running.done(), running.result()
                    assert time.monotonic() < deadline, "the second machine never waited for the clip's lock"
                    time.sleep(0.05)
            # the second machine waits, having written none of the clip's outputs
            assert not running.done()
            assert not list(second.media_dir.glob(f"{key}*"))
        result = running.result(timeout=300)
    assert result.slug == "small-story"
    assert list(second.media_dir.glob(f"{key}*.mp4"))
