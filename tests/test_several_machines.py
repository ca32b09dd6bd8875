"""Several machines sharing no folder: an editor enqueues, two workers prepare, an app serves.

Real PostgreSQL, Redis and S3-compatible servers; every "machine" is a
library folder of its own, empty at the start, and reaches the others only
through the three services.
"""

from __future__ import annotations

import html
import re
import shutil

import boto3
import pytest

from app import create_app
from articles.collect import media_names
from articles.store import Library
from tests.conftest import make_clip
from tests.queue_workers import media, queue_env, start_worker, stop_worker, wait_for_jobs
from tests.services import S3_TEST_CREDENTIALS, redis_server, s3_server
from tests.test_ingest import replace_in_article

SITE = "https://news.example"
BUCKET = "newsroom"
SLUGS = ["small-story", "tiny-story"]


@pytest.fixture
def two_bundles(small_bundle):
    second = small_bundle.parent / "tiny-story"
    shutil.copytree(small_bundle, second)
    make_clip(second / "clip.mp4", seconds=1.0, size="160x120")
    replace_in_article(second, "A small story", "A tiny harbour report")
    return [small_bundle, second]


def test_an_editor_two_workers_and_an_app_share_only_the_services(two_bundles, tmp_path, postgres_url,
                                                                  monkeypatch):
    for variable, value in S3_TEST_CREDENTIALS.items():
        monkeypatch.setenv(variable, value)
    with redis_server() as redis, s3_server() as s3:
        boto3.client("s3", endpoint_url=s3.url).create_bucket(Bucket=BUCKET)
        settings = {**S3_TEST_CREDENTIALS, "NEWSREEL_DATABASE_URL": postgres_url,
                    "NEWSREEL_MEDIA_STORE": f"s3://{BUCKET}/media", "NEWSREEL_S3_ENDPOINT_URL": s3.url}

        def machine(name: str) -> dict[str, str]:
            (tmp_path / name).mkdir()
            return queue_env(redis.url, tmp_path / name / "library", **settings)

        editor = machine("editor")
        upgraded = media(["db", "upgrade"], editor)
        assert upgraded.returncode == 0, upgraded.stderr
        enqueued = media(["ingest", *map(str, two_bundles), "--queue", "--max-height", "144"], editor)
        assert enqueued.returncode == 0, enqueued.stderr
        assert not (tmp_path / "editor" / "library" / "queue").exists()   # the copies are in the bucket

        workers = [start_worker(machine(name), "--concurrency", "1", log=tmp_path / f"{name}.log")
                   for name in ("worker-1", "worker-2")]
        try:
            done = wait_for_jobs(editor, {"done", "failed"}, 2, workers=tuple(workers))
        finally:
            for worker in workers:
                stop_worker(worker)
        logs = "".join((tmp_path / f"worker-{n}.log").read_text() for n in (1, 2))
        assert sorted((job["state"], job["slug"], job["error"]) for job in done) == [
            ("done", slug, "") for slug in SLUGS], logs
        # each worker's temporary copy of its bundle is gone
        for name in ("worker-1", "worker-2"):
            assert not (tmp_path / name / "library" / "queue").exists()

        listing = boto3.client("s3", endpoint_url=s3.url).list_objects_v2(Bucket=BUCKET)
        keys = {item["Key"] for item in listing["Contents"]}
        library = Library(tmp_path / "editor" / "library", database_url=postgres_url)
        assert sorted(row.slug for row in library.articles()) == SLUGS

        (tmp_path / "app").mkdir()
        media_url = f"{s3.url}/{BUCKET}/media/"
        app = create_app({"TESTING": True, "LIBRARY": str(tmp_path / "app" / "library"), "SITE_URL": SITE,
                          "DATABASE_URL": postgres_url, "MEDIA_STORE": f"s3://{BUCKET}/media",
                          "S3_ENDPOINT_URL": s3.url, "MEDIA_URL": media_url})
        client = app.test_client()
        for slug in SLUGS:
            names = media_names(library.article(slug).document)
            assert names and {f"media/{name}" for name in names} <= keys
            page = client.get(f"/articles/{slug}", base_url=SITE)
            assert page.status_code == 200
            text = page.get_data(as_text=True)
            clip = next(name for name in names if name.endswith(".mp4"))
            assert media_url + clip in html.unescape(text)
            assert not re.search(r"""["']/media/""", text)
        found = client.get("/search?q=harbour+report", base_url=SITE).get_data(as_text=True)
        assert "/articles/tiny-story" in found and "/articles/small-story" not in found
        found = client.get("/search?q=small", base_url=SITE).get_data(as_text=True)
        assert "/articles/small-story" in found
