"""Bundle copies for the queue kept in the media store's bucket, beside the media and never among them."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from articles.collect import collect_orphans
from articles.queue.connection import QueueError
from articles.queue.shelf import COMPLETE, BundleRef, bundle_path, store_bundle
from articles.store import Library
from tests.services import S3Server

MEDIA_NAME = "0123456789abcdef0123456789abcdef.mp4"
_buckets = itertools.count()


@pytest.fixture(autouse=True)
def _credentials(s3_credentials):
    """Every test here signs as the test server's user."""


def bucket_library(s3: S3Server, root: Path, prefix: str) -> tuple[Library, str]:
    bucket = f"bundles-{next(_buckets)}"
    boto3.client("s3", endpoint_url=s3.url).create_bucket(Bucket=bucket)
    store = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
    return Library(root, media_store=store, s3_endpoint_url=s3.url), bucket


def keys(s3: S3Server, bucket: str) -> list[str]:
    listing = boto3.client("s3", endpoint_url=s3.url).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", ()))


@pytest.mark.parametrize(("prefix", "shelf"), [("media", "queue/bundles"), ("news/media", "news/queue/bundles"),
                                                ("", "queue/bundles")])
def test_a_bundle_is_kept_in_the_bucket_beside_the_media_and_fetched_into_a_local_folder(
        s3, small_bundle, tmp_path, prefix, shelf):
    library, bucket = bucket_library(s3, tmp_path / "editor", prefix)
    ref = store_bundle(library, small_bundle)
    start = f"{shelf}/{ref.hash}/"
    files = sorted(p.relative_to(small_bundle).as_posix() for p in small_bundle.rglob("*") if p.is_file())
    assert keys(s3, bucket) == sorted([start + COMPLETE] + [f"{start}small-story/{f}" for f in files])
    assert not (tmp_path / "editor").exists()   # nothing on the editor's machine
    assert store_bundle(library, small_bundle) == ref   # the same content: the same copy, renewed

    # A worker with its own, empty folder.
    worker = Library(tmp_path / "worker", media_store=library.media_store, s3_endpoint_url=s3.url)
    with bundle_path(worker, ref) as folder:
        assert folder.name == "small-story"
        assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == files
        assert (folder / "clip.mp4").read_bytes() == (small_bundle / "clip.mp4").read_bytes()
    assert not folder.parent.exists()   # removed afterwards
    assert not (tmp_path / "worker").exists()


def test_a_copy_without_its_completion_mark_is_missing(s3, small_bundle, tmp_path):
    library, bucket = bucket_library(s3, tmp_path / "library", "media")
    ref = store_bundle(library, small_bundle)
    boto3.client("s3", endpoint_url=s3.url).delete_object(
        Bucket=bucket, Key=f"queue/bundles/{ref.hash}/{COMPLETE}")
    with pytest.raises(QueueError, match=rf"s3://{bucket}/queue/bundles/{ref.hash}/: .* is missing"):
        with bundle_path(library, ref):
            pass
    with pytest.raises(QueueError, match="is missing"):
        with bundle_path(library, BundleRef("0" * 64, "small-story")):
            pass


def test_gc_lists_only_media_names_and_leaves_bundle_copies_alone(s3, small_bundle, tmp_path):
    # An empty prefix: the copies lie under the same prefix as the media, one level down.
    library, bucket = bucket_library(s3, tmp_path / "library", "")
    library.upgrade()
    ref = store_bundle(library, small_bundle)
    client = boto3.client("s3", endpoint_url=s3.url)
    client.put_object(Bucket=bucket, Key=MEDIA_NAME, Body=b"an orphan")
    assert [found.name for found in library.objects().list()] == [MEDIA_NAME]

    collection = collect_orphans(library, older_than=timedelta(0))
    assert [orphan.path for orphan in collection.orphans] == [f"s3://{bucket}/{MEDIA_NAME}"]
    remaining = keys(s3, bucket)
    assert MEDIA_NAME not in remaining
    assert f"queue/bundles/{ref.hash}/{COMPLETE}" in remaining and len(remaining) > 1
