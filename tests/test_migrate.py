"""``python -m media migrate``: a library folder copied into real PostgreSQL and a real bucket.

The demo library is only read (each test that needs a changed source copies it).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from app import create_app
from articles.collect import media_names
from articles.migrate import MigrateError, MigrationDiffers, migrate, referenced_names
from articles.store import Library
from tests.conftest import ROOT, run_media_cli
from tests.services import S3_TEST_CREDENTIALS, S3Server, free_port

QUERIES = ("ferry", "harbour", "Fahrgaste", "bakery", "midnight")


@pytest.fixture(autouse=True)
def _credentials(s3_credentials):
    """Every test here signs as the test server's user."""


_buckets = iter(range(1_000_000))


@pytest.fixture
def bucket(s3) -> str:
    """A new, empty bucket."""
    name = f"newsreel-migrate-{next(_buckets)}"
    boto3.client("s3", endpoint_url=s3.url).create_bucket(Bucket=name)
    return name


def keys(s3: S3Server, bucket: str) -> dict[str, dict]:
    listed = boto3.client("s3", endpoint_url=s3.url).list_objects_v2(Bucket=bucket).get("Contents", [])
    return {item["Key"].removeprefix("media/"): item for item in listed}


def snapshot(library: Library) -> dict:
    """The library's database bytes and its media files' names, sizes and times."""
    files = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in library.media_dir.iterdir()}
    return {"database": hashlib.sha256(library.database.read_bytes()).hexdigest(), "files": files}


def copy_library(library: Library, folder: Path) -> Library:
    """Return a copy of ``library`` in ``folder`` that a test may change."""
    copy = Library(folder / "library")
    copy.root.mkdir(parents=True)
    shutil.copytree(library.media_dir, copy.media_dir, symlinks=True)
    with sqlite3.connect(library.database) as source, sqlite3.connect(copy.database) as target:
        source.backup(target)
    return copy


def store_url(bucket: str) -> str:
    return f"s3://{bucket}/media"


def test_the_migrated_demo_serves_the_same_pages_and_search_results(
        tmp_path, demo_library, postgres_url, s3, bucket):
    before = snapshot(demo_library)
    rows = demo_library.articles()
    names = referenced_names(rows)
    report = migrate(demo_library.root, postgres_url, store_url(bucket), s3.url)

    assert (report.articles_copied, report.articles_skipped, report.articles_verified) == (
        len(rows), 0, len(rows))
    assert (report.objects_uploaded, report.objects_skipped, report.objects_verified) == (
        len(names), 0, len(names))
    assert report.bytes_uploaded == sum((demo_library.media_dir / n).stat().st_size for n in names)
    assert report.objects_checked_by_etag == len(names) and report.objects_downloaded == 0
    assert report.version_after > report.version_before
    assert set(keys(s3, bucket)) == set(names)
    assert snapshot(demo_library) == before  # the source is only read

    media_url = f"{s3.url}/{bucket}/media/"
    settings = {"TESTING": True, "MEDIA_STORE": store_url(bucket), "S3_ENDPOINT_URL": s3.url,
                "MEDIA_URL": media_url}
    # An empty folder: everything the migrated app shows comes from PostgreSQL and the bucket.
    migrated = create_app({**settings, "LIBRARY": str(tmp_path / "empty"),
                           "DATABASE_URL": postgres_url}).test_client()
    # The same media settings, so that the pages differ only if the articles do.
    original = create_app({**settings, "LIBRARY": str(demo_library.root)}).test_client()
    linked = set()
    for path in ["/", "/feed.xml", *(f"/articles/{row.slug}" for row in rows)]:
        theirs, ours = original.get(path), migrated.get(path)
        assert (theirs.status_code, ours.status_code) == (200, 200), path
        assert ours.get_data(as_text=True) == theirs.get_data(as_text=True), path
        linked.update(re.findall(re.escape(media_url) + r"([\w.-]+)", ours.get_data(as_text=True)))
    for query in QUERIES:
        # Each engine ranks and cuts snippets its own way: the hits and deep links must agree.
        theirs, ours = (sorted(re.findall(r'href="(/articles/[^"]+)"', client.get(
            f"/search?q={query}").get_data(as_text=True))) for client in (original, migrated))
        assert ours == theirs and ours, query
    assert "?t=8#player" in migrated.get("/search?q=ferry").get_data(as_text=True)  # a moment
    assert '<mark class="app-result__match">ferry</mark>' in migrated.get("/search?q=ferry").get_data(
        as_text=True)
    assert linked and linked <= set(names)
    client = boto3.client("s3", endpoint_url=s3.url)
    for name in linked:  # every linked object holds the library's bytes
        body = client.get_object(Bucket=bucket, Key=f"media/{name}")["Body"].read()
        assert body == (demo_library.media_dir / name).read_bytes(), name


def test_a_second_run_copies_nothing_and_still_raises_the_version(
        demo_library, postgres_url, s3, bucket):
    migrate(demo_library.root, postgres_url, store_url(bucket), s3.url)
    again = migrate(demo_library.root, postgres_url, store_url(bucket), s3.url)
    assert again.articles_copied == 0 and again.objects_uploaded == 0
    assert again.articles_skipped == again.articles_verified == len(demo_library.articles())
    assert again.objects_skipped == again.objects_verified > 0
    assert again.version_after > again.version_before


def test_a_run_over_part_of_the_work_copies_only_the_rest(tmp_path, demo_library, postgres_url,
                                                          s3, bucket):
    rows = demo_library.articles()
    names = referenced_names(rows)
    target = Library(tmp_path / "target", database_url=postgres_url)
    target.upgrade()
    target.save_article(rows[0])  # already there
    stale = rows[1].__class__(**{**rows[1].__dict__, "source_hash": "0" * 64})
    target.save_article(stale)  # an older version: replaced
    client = boto3.client("s3", endpoint_url=s3.url)
    half = names[: len(names) // 2]
    for name in half:
        client.upload_file(str(demo_library.media_dir / name), bucket, f"media/{name}")

    report = migrate(demo_library.root, postgres_url, store_url(bucket), s3.url)
    assert (report.objects_uploaded, report.objects_skipped) == (len(names) - len(half), len(half))
    assert (report.articles_copied, report.articles_skipped) == (len(rows) - 1, 1)
    assert target.source_hash(rows[1].slug) == rows[1].source_hash


def test_a_killed_run_started_again_finishes_and_uploads_nothing_twice(
        demo_library, postgres_url, s3, bucket):
    names = referenced_names(demo_library.articles())
    # The environment names other targets: the source must still be the folder.
    env = {**S3_TEST_CREDENTIALS, "NEWSREEL_DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/x",
           "NEWSREEL_MEDIA_STORE": "s3://elsewhere/media"}
    argv = [sys.executable, "-m", "media", "migrate", "--library", str(demo_library.root),
            "--to-database", postgres_url, "--to-media-store", store_url(bucket),
            "--s3-endpoint-url", s3.url, "--json"]
    process = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = boto3.client("s3", endpoint_url=s3.url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) >= 2:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    present = set(keys(s3, bucket))
    assert 0 < len(present) < len(names)
    assert Library("unused", database_url=postgres_url).articles() == []  # media go first

    finished = run_media_cli(*argv[3:], env=env)
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    assert report["objects_skipped"] == len(present)
    assert report["objects_uploaded"] == len(names) - len(present)
    assert report["articles_copied"] == report["articles_verified"] == len(demo_library.articles())
    assert set(keys(s3, bucket)) == set(names)


@pytest.mark.parametrize("same_size", [True, False])
def test_a_tampered_object_is_one_line_and_no_article_is_copied(
        demo_library, postgres_url, s3, bucket, same_size):
    migrate(demo_library.root, None, store_url(bucket), s3.url)
    name = next(n for n in referenced_names(demo_library.articles()) if n.endswith(".mp4"))
    size = (demo_library.media_dir / name).stat().st_size
    tampered = b"x" * (size if same_size else size - 1)
    boto3.client("s3", endpoint_url=s3.url).put_object(Bucket=bucket, Key=f"media/{name}",
                                                       Body=tampered)

    result = run_media_cli("migrate", "--library", str(demo_library.root), "--to-database",
                           postgres_url, "--to-media-store", store_url(bucket),
                           "--s3-endpoint-url", s3.url)
    assert result.returncode == 1
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in result.stderr
    assert f"s3://{bucket}/media/{name}" in line
    assert ("bytes differ" in line) if same_size else (f"{size - 1:,} bytes in the bucket" in line)
    # Objects are checked before any row is copied: no article refers to the wrong bytes.
    assert Library("unused", database_url=postgres_url).articles() == []
    with pytest.raises(MigrationDiffers):
        migrate(demo_library.root, None, store_url(bucket), s3.url)


def test_a_changed_document_in_the_database_is_named(tmp_path, demo_library, postgres_url):
    migrate(demo_library.root, postgres_url)
    row = demo_library.articles()[0]
    Library(tmp_path, database_url=postgres_url).save_article(
        row.__class__(**{**row.__dict__, "title": "Something else"}))
    # Same source hash: skipped, so verification finds the difference.
    with pytest.raises(MigrationDiffers, match=f"article '{row.slug}' has title 'Something else'"):
        migrate(demo_library.root, postgres_url)


def test_only_referenced_files_are_uploaded_and_large_ones_verify_by_etag(
        tmp_path, demo_library, s3, bucket):
    library = copy_library(demo_library, tmp_path)
    orphan = "f" * 32 + ".mp4"
    (library.media_dir / orphan).write_bytes(b"not referenced")
    # Bigger than boto3's 8 MiB multipart threshold: its ETag is no plain MD5.
    large = next(n for n in media_names(library.articles()[0].document) if n.endswith(".mp4"))
    (library.media_dir / large).write_bytes(os.urandom(9 * 1024 * 1024))

    report = migrate(library.root, None, store_url(bucket), s3.url)
    listed = keys(s3, bucket)
    assert orphan not in listed and report.objects_unreferenced == 1
    assert "-" in listed[large]["ETag"]
    assert report.objects_downloaded == 0 and report.objects_checked_by_etag == len(listed)


def run_migrate(*args: str) -> subprocess.CompletedProcess:
    return run_media_cli("migrate", *args)


def test_errors_are_one_line(tmp_path, demo_library, s3, bucket, postgres_url):
    closed = f"postgresql://nobody@127.0.0.1:{free_port()}/newsreel"
    cases = [
        (("--library", str(tmp_path / "none"), "--to-database", postgres_url),
         "no library here (newsreel.sqlite3 is missing)"),
        (("--library", str(demo_library.root), "--to-database", closed),
         "cannot reach the database"),
        (("--library", str(demo_library.root), "--to-database", "mysql://db/x"),
         "the database URL must look like postgresql://"),
        (("--library", str(demo_library.root), "--to-media-store", "http://bucket"),
         "--to-media-store 'http://bucket': give a bucket and prefix"),
        (("--library", str(demo_library.root), "--to-media-store", "s3://missing-bucket/media",
          "--s3-endpoint-url", s3.url), "the bucket does not exist"),
        (("--library", str(demo_library.root), "--to-media-store", store_url(bucket),
          "--s3-endpoint-url", "ftp://host"), "--s3-endpoint-url 'ftp://host'"),
        (("--library", str(demo_library.root),), "give --to-database URL, --to-media-store URL"),
    ]
    for args, message in cases:
        result = run_migrate(*args)
        assert result.returncode == 1, args
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert message in result.stderr, result.stderr


def test_nothing_to_migrate_to_is_refused(demo_library):
    with pytest.raises(MigrateError, match="give a database, a media store, or both"):
        migrate(demo_library.root)


def test_the_summary_names_both_sides(demo_library, postgres_url, s3, bucket):
    result = run_migrate("--library", str(demo_library.root), "--to-database", postgres_url,
                         "--to-media-store", store_url(bucket), "--s3-endpoint-url", s3.url)
    assert result.returncode == 0, result.stderr
    objects, articles = result.stdout.strip().splitlines()
    count = len(demo_library.articles())
    assert objects.startswith("objects: ") and f"-> s3://{bucket}/media at {s3.url}" in objects
    assert articles.startswith(f"articles: {count} copied, 0 already there, {count} verified")
    quiet = run_migrate("--library", str(demo_library.root), "--to-database", postgres_url, "-q")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
