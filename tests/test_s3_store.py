"""The media store: a folder, or a bucket of a real S3-compatible server reached over HTTP."""

from __future__ import annotations

import time
import urllib.request

import boto3
import pytest

from articles.objects import (
    IMMUTABLE,
    FolderStore,
    S3Store,
    StoreError,
    StoreSettingError,
    open_store,
    upload_missing,
)
from articles.store import Library
from tests.conftest import run_media_cli
from tests.services import S3_TEST_CREDENTIALS, S3Server, free_port

NAME = "0123456789abcdef0123456789abcdef.mp4"


@pytest.fixture(autouse=True)
def _credentials(s3_credentials):
    """Every test here signs as the test server's user."""


_buckets = iter(range(1_000_000))


def make_bucket(s3: S3Server) -> str:
    """Create a new, empty bucket and return its name."""
    name = f"newsreel-test-{next(_buckets)}"
    boto3.client("s3", endpoint_url=s3.url).create_bucket(Bucket=name)
    return name


@pytest.mark.parametrize(("store", "endpoint", "setting"), [
    ("http://bucket/prefix", None, "NEWSREEL_MEDIA_STORE must look like s3://bucket/prefix"),
    ("s3://", None, "NEWSREEL_MEDIA_STORE must look like s3://bucket/prefix"),
    ("s3://Bad_Bucket/media", None, "NEWSREEL_MEDIA_STORE must look like s3://bucket/prefix"),
    ("s3://bucket/a b", None, "NEWSREEL_MEDIA_STORE must look like s3://bucket/prefix"),
    ("s3://bucket/media", "ftp://host", "NEWSREEL_S3_ENDPOINT_URL must be the service's address"),
    ("s3://bucket/media", "http://host:99999", "NEWSREEL_S3_ENDPOINT_URL must be the service's address"),
    (None, "http://127.0.0.1:9000", "NEWSREEL_S3_ENDPOINT_URL is set but NEWSREEL_MEDIA_STORE is not"),
])
def test_bad_settings_name_the_setting(tmp_path, store, endpoint, setting):
    with pytest.raises(StoreSettingError) as raised:
        open_store(store, endpoint, tmp_path)
    assert setting in str(raised.value)
    assert "\n" not in str(raised.value)


def test_store_url_gives_bucket_and_prefix(tmp_path):
    store = open_store("s3://media-bucket/news/media/", "http://127.0.0.1:9000", tmp_path)
    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix, store.key(NAME)) == ("media-bucket", "news/media", f"news/media/{NAME}")
    assert open_store("s3://media-bucket", None, tmp_path).key(NAME) == NAME
    assert isinstance(Library(tmp_path).objects(), FolderStore)


def test_upload_sets_type_and_immutable_cache_control(s3, tmp_path):
    bucket = make_bucket(s3)
    store = open_store(f"s3://{bucket}/media", s3.url, tmp_path)
    for name, data, media_type in [(NAME, b"\0" * 1000, "video/mp4"),
                                   ("0123456789abcdef-640.webp", b"RIFF", "image/webp"),
                                   ("0123456789abcdef.vtt", b"WEBVTT\n", "text/vtt")]:
        (tmp_path / name).write_bytes(data)
        assert not store.exists(name)
        store.upload(tmp_path / name, name)
        assert store.exists(name)
        head = boto3.client("s3", endpoint_url=s3.url).head_object(Bucket=bucket, Key=f"media/{name}")
        assert head["ContentType"] == media_type
        assert head["CacheControl"] == IMMUTABLE
        assert head["ContentLength"] == len(data)
    listed = {o.name: o for o in store.list()}
    assert set(listed) == {NAME, "0123456789abcdef-640.webp", "0123456789abcdef.vtt"}
    assert listed[NAME].bytes == 1000
    assert abs(listed[NAME].modified - time.time()) < 120


def test_range_request_is_answered_by_the_store(s3, tmp_path):
    bucket = make_bucket(s3)
    store = open_store(f"s3://{bucket}/media", s3.url, tmp_path)
    data = bytes(range(256)) * 40
    (tmp_path / NAME).write_bytes(data)
    store.upload(tmp_path / NAME, NAME)
    # A public-read object, as a CDN's origin or a public bucket serves it.
    boto3.client("s3", endpoint_url=s3.url).put_object_acl(Bucket=bucket, Key=f"media/{NAME}",
                                                           ACL="public-read")
    request = urllib.request.Request(f"{s3.url}/{bucket}/media/{NAME}", headers={"Range": "bytes=100-199"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 206
        assert response.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
        assert response.headers["Content-Type"] == "video/mp4"
        assert response.read() == data[100:200]


def test_touch_renews_last_modified_and_delete_removes(s3, tmp_path):
    bucket = make_bucket(s3)
    store = open_store(f"s3://{bucket}/media", s3.url, tmp_path)
    (tmp_path / NAME).write_bytes(b"clip")
    store.upload(tmp_path / NAME, NAME)
    before = next(iter(store.list())).modified
    time.sleep(1.1)  # LastModified has a resolution of one second
    assert store.touch(NAME)
    assert next(iter(store.list())).modified > before
    head = boto3.client("s3", endpoint_url=s3.url).head_object(Bucket=bucket, Key=f"media/{NAME}")
    assert (head["ContentType"], head["CacheControl"]) == ("video/mp4", IMMUTABLE)
    store.delete(NAME)
    assert not store.exists(NAME)
    assert not store.touch(NAME)
    store.delete(NAME)  # already gone: no error


def test_upload_missing_uploads_only_what_the_store_lacks(s3, tmp_path):
    bucket = make_bucket(s3)
    store = open_store(f"s3://{bucket}", s3.url, tmp_path)
    names = [NAME, "0123456789abcdef.vtt"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    assert upload_missing(store, tmp_path, [NAME]) == [NAME]
    assert upload_missing(store, tmp_path, names) == ["0123456789abcdef.vtt"]
    assert upload_missing(store, tmp_path, names) == []


def test_missing_bucket_is_one_line_naming_the_store(s3, tmp_path):
    store = open_store("s3://no-such-bucket/media", s3.url, tmp_path)
    (tmp_path / NAME).write_bytes(b"x")
    with pytest.raises(StoreError) as raised:
        store.upload(tmp_path / NAME, NAME)
    assert str(raised.value) == f"s3://no-such-bucket/media at {s3.url}: the bucket does not exist (NoSuchBucket)"
    with pytest.raises(StoreError, match="the bucket does not exist"):
        list(store.list())


def test_unreachable_endpoint_is_one_line(tmp_path):
    endpoint = f"http://127.0.0.1:{free_port()}"
    store = open_store("s3://media/news", endpoint, tmp_path)
    started = time.monotonic()
    with pytest.raises(StoreError) as raised:
        store.exists(NAME)
    assert str(raised.value).startswith(f"s3://media/news at {endpoint}: cannot reach the service")
    assert raised.value.url == f"s3://media/news at {endpoint}"
    assert time.monotonic() - started < 30


def test_folder_store_lists_uploads_and_deletes(tmp_path):
    store = FolderStore(tmp_path / "media")
    source = tmp_path / "outside.mp4"
    source.write_bytes(b"clip")
    store.upload(source, NAME)
    assert store.exists(NAME) and (tmp_path / "media" / NAME).read_bytes() == b"clip"
    store.upload(tmp_path / "media" / NAME, NAME)  # already in place: nothing to do
    (tmp_path / "media" / "notes.txt").write_text("not ours")
    assert [o.name for o in store.list()] == [NAME]
    store.delete(NAME)
    assert not store.exists(NAME) and not store.touch(NAME)


def test_cli_gc_with_a_missing_bucket_is_one_line(s3, tmp_path):
    library = tmp_path / "library"
    (library / "media" / ".locks").mkdir(parents=True)  # a library whose first ingest failed
    result = run_media_cli("gc", "--library", str(library), env={
        **S3_TEST_CREDENTIALS, "NEWSREEL_MEDIA_STORE": "s3://no-such-bucket/media",
        "NEWSREEL_S3_ENDPOINT_URL": s3.url})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: s3://no-such-bucket/media at {s3.url}: the bucket does not exist (NoSuchBucket)"]


def test_cli_with_a_bad_store_setting_is_one_line(tmp_path):
    result = run_media_cli("gc", "--library", str(tmp_path / "library"),
                           env={"NEWSREEL_MEDIA_STORE": "bucket/media"})
    assert result.returncode == 1
    assert result.stderr.strip() == ("Error: bucket/media: NEWSREEL_MEDIA_STORE must look like "
                                     "s3://bucket/prefix")

