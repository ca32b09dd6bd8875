"""Media in an S3-compatible bucket: ingest uploads, the site links MEDIA_URL, gc cleans the bucket.

Every test talks over HTTP to a real S3-compatible server started for this module.
"""

from __future__ import annotations

import html
import json
import re
import time
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

import boto3
import pytest

from app import create_app
from articles.collect import collect_orphans, media_names
from articles.ingest import ingest_bundle
from articles.objects import IMMUTABLE
from articles.store import Library
from tests.conftest import run_media_cli
from tests.services import S3_TEST_CREDENTIALS, S3Server

SITE = "https://news.example"
SLUG = "small-story"
ORPHAN = "f" * 32 + ".mp4"


@pytest.fixture(autouse=True)
def _credentials(s3_credentials):
    """Every test here signs as the test server's user."""


_buckets = iter(range(1_000_000))


def public_read(bucket: str) -> str:
    """Return the bucket policy that lets anyone read media/ (docs/several-machines.md)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "PublicReadMedia", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/media/*"}]})


@dataclass
class Site:
    """A library whose media store is a fresh bucket, and the settings that name it."""

    library: Library
    bucket: str
    s3: S3Server

    @property
    def media_url(self) -> str:
        # Path-style, as the server answers anonymous reads; in production, a CDN's address.
        return f"{self.s3.url}/{self.bucket}/media/"

    @property
    def env(self) -> dict[str, str]:
        return {**S3_TEST_CREDENTIALS, "NEWSREEL_MEDIA_STORE": f"s3://{self.bucket}/media",
                "NEWSREEL_S3_ENDPOINT_URL": self.s3.url}

    def client(self):
        return boto3.client("s3", endpoint_url=self.s3.url)

    def keys(self) -> set[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return {item["Key"].removeprefix("media/") for item in listed}

    def get(self, path: str, **kwargs):
        """Return the app's answer to a GET of ``path`` on the site's host."""
        return self.app().test_client().get(path, base_url=SITE, **kwargs)

    def app(self):
        return create_app({"TESTING": True, "LIBRARY": str(self.library.root), "SITE_URL": SITE,
                           "MEDIA_STORE": f"s3://{self.bucket}/media", "S3_ENDPOINT_URL": self.s3.url,
                           "MEDIA_URL": self.media_url})


def new_site(s3: S3Server, tmp_path, create_bucket: bool = True) -> Site:
    bucket = f"newsreel-site-{next(_buckets)}"
    if create_bucket:
        client = boto3.client("s3", endpoint_url=s3.url)
        client.create_bucket(Bucket=bucket)
        client.put_bucket_policy(Bucket=bucket, Policy=public_read(bucket))
    library = Library(tmp_path / "library", media_store=f"s3://{bucket}/media", s3_endpoint_url=s3.url)
    return Site(library, bucket, s3)


@pytest.fixture
def site(s3, tmp_path, small_bundle) -> Site:
    """The small bundle ingested into a library whose media store is a bucket."""
    made = new_site(s3, tmp_path)
    ingest_bundle(small_bundle, made.library)
    return made


def names_of(site: Site) -> list[str]:
    return media_names(site.library.article(SLUG).document)


def test_ingest_uploads_every_file_with_its_type_and_immutable_cache_control(site):
    names = names_of(site)
    assert {name.rsplit(".", 1)[1] for name in names} >= {"mp4", "vtt", "jpg", "webp"}
    assert site.keys() == set(names)
    for name in names:
        head = site.client().head_object(Bucket=site.bucket, Key=f"media/{name}")
        assert head["CacheControl"] == IMMUTABLE
        assert head["ContentType"] == {"mp4": "video/mp4", "vtt": "text/vtt", "jpg": "image/jpeg",
                                       "webp": "image/webp", "avif": "image/avif",
                                       "m4a": "audio/mp4", "webm": "video/webm"}[name.rsplit(".", 1)[1]]
        assert head["ContentLength"] == (site.library.media_dir / name).stat().st_size


def test_a_range_of_the_clip_is_answered_206_by_the_store(site):
    clip = next(name for name in names_of(site) if name.endswith(".mp4"))
    data = (site.library.media_dir / clip).read_bytes()
    request = urllib.request.Request(site.media_url + clip, headers={"Range": "bytes=1000-1999"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 206
        assert response.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
        assert response.read() == data[1000:2000]


def test_an_unchanged_bundle_is_skipped_only_while_the_store_holds_its_files(site, small_bundle):
    assert ingest_bundle(small_bundle, site.library).skipped
    # The folder is only a cache: the store decides.
    for path in site.library.media_dir.iterdir():
        if path.is_file():
            path.unlink()
    assert ingest_bundle(small_bundle, site.library).skipped
    clip = next(name for name in names_of(site) if name.endswith(".mp4"))
    site.client().delete_object(Bucket=site.bucket, Key=f"media/{clip}")
    assert not ingest_bundle(small_bundle, site.library).skipped
    assert clip in site.keys()


def test_pages_feed_oembed_and_json_ld_link_media_url(site):
    names = names_of(site)
    clip = next(name for name in names if name.endswith(".mp4"))
    captions = next(name for name in names if name.endswith(".vtt"))

    page = site.get(f"/articles/{SLUG}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'src="{site.media_url}{clip}' in text
    assert f'src="{site.media_url}{captions}"' in text
    # No media link of any kind (og:image, posters, downloads) is left on the site itself.
    assert "/media/" not in text.replace(site.media_url, "")
    assert re.search(r'<video [^>]*crossorigin="anonymous"', text)
    structured = json.loads(html.unescape(re.search(
        r'<script type="application/ld\+json">(.*?)</script>', text, re.S).group(1)))
    assert structured["video"]["contentUrl"] == site.media_url + clip
    policy = dict(d.split(" ", 1) for d in page.headers["Content-Security-Policy"].split("; "))
    assert policy["media-src"] == f"'self' {site.s3.url}"
    assert policy["img-src"] == f"'self' {site.s3.url}"

    feed = site.get("/feed.xml").get_data(as_text=True)
    assert f'url="{site.media_url}{clip}"' in feed
    assert f"{SITE}/media/" not in feed

    oembed = site.get("/oembed", query_string={"url": f"{SITE}/articles/{SLUG}"}).get_json()
    assert oembed["thumbnail_url"].startswith(site.media_url)

    embed = site.get(f"/embed/{SLUG}")
    assert f'src="{site.media_url}{clip}' in embed.get_data(as_text=True)
    assert f"media-src 'self' {site.s3.url}" in embed.headers["Content-Security-Policy"]


def test_old_media_links_redirect_to_the_store(site):
    clip = next(name for name in names_of(site) if name.endswith(".mp4"))
    response = site.get(f"/media/{clip}")
    assert response.status_code == 301
    assert response.headers["Location"] == site.media_url + clip
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert site.get("/media/not-a-media-name.mp4").status_code == 404


def test_without_a_media_store_pages_link_the_site_and_have_no_crossorigin(tmp_path, small_bundle):
    library = Library(tmp_path / "library")
    ingest_bundle(small_bundle, library)
    app = create_app({"TESTING": True, "LIBRARY": str(library.root)})
    page = app.test_client().get(f"/articles/{SLUG}")
    assert 'src="/media/' in page.get_data(as_text=True)
    assert "crossorigin" not in page.get_data(as_text=True)


BAD_URL = "MEDIA_URL (NEWSREEL_MEDIA_URL) must be an http(s) address ending in /"


@pytest.mark.parametrize(("settings", "message"), [
    ({"MEDIA_STORE": "s3://bucket/media"}, "MEDIA_URL (NEWSREEL_MEDIA_URL) must be set with MEDIA_STORE"),
    ({"MEDIA_URL": "https://cdn.example/media"}, BAD_URL),
    ({"MEDIA_URL": "/media/"}, BAD_URL),
    ({"MEDIA_STORE": "bucket", "MEDIA_URL": "https://cdn.example/"}, "NEWSREEL_MEDIA_STORE must look like"),
])
def test_the_app_refuses_bad_media_settings_in_one_line(tmp_path, settings, message):
    with pytest.raises(ValueError) as raised:
        create_app({"TESTING": True, "LIBRARY": str(tmp_path), **settings})
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_failed_upload_leaves_the_library_without_the_article(s3, tmp_path, small_bundle):
    site = new_site(s3, tmp_path, create_bucket=False)
    result = run_media_cli("ingest", "--quiet", "--library", str(site.library.root), str(small_bundle),
                           env=site.env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: s3://{site.bucket}/media at {s3.url}: the bucket does not exist (NoSuchBucket)"]
    assert site.library.article(SLUG) is None
    as_json = run_media_cli("ingest", "--json", "--library", str(site.library.root), str(small_bundle),
                            env=site.env)
    assert as_json.returncode == 1
    assert "the bucket does not exist" in json.loads(as_json.stdout)[0]["error"]


def test_gc_deletes_an_old_unreferenced_object_and_keeps_referenced_ones(site, tmp_path):
    site.client().put_object(Bucket=site.bucket, Key=f"media/{ORPHAN}", Body=b"left over")
    site.client().put_object(Bucket=site.bucket, Key="media/notes.txt", Body=b"not ours")
    referenced = set(names_of(site))

    young = collect_orphans(site.library, older_than=timedelta(hours=1))
    assert young.orphans == ()
    dry = run_media_cli("gc", "--library", str(site.library.root), "--older-than", "0", "--dry-run",
                        "--json", env=site.env)
    assert dry.returncode == 0, dry.stderr
    listed = json.loads(dry.stdout)
    assert listed["files"] == [{"path": f"s3://{site.bucket}/media/{ORPHAN}", "bytes": 9}]
    assert ORPHAN in site.keys()

    done = run_media_cli("gc", "--library", str(site.library.root), "--older-than", "0", env=site.env)
    assert done.returncode == 0, done.stderr
    assert f"removed s3://{site.bucket}/media/{ORPHAN} (9 bytes)" in done.stdout
    assert site.keys() == referenced | {"notes.txt"}


def test_a_reingest_renews_the_objects_it_stops_using(site, small_bundle):
    old = set(names_of(site))
    before = {item["Key"]: item["LastModified"] for item in
              site.client().list_objects_v2(Bucket=site.bucket)["Contents"]}
    article = small_bundle / "article.md"
    article.write_text(article.read_text(encoding="utf-8").replace(
        "alt: A generated harbour scene.", "alt: A generated harbour, seen from the pier."), encoding="utf-8")
    (small_bundle / "photo.jpg").write_bytes((small_bundle / "photo.jpg").read_bytes() + b"\0")
    time.sleep(1.1)  # LastModified counts whole seconds
    ingest_bundle(small_bundle, site.library)
    released = old - set(names_of(site))
    assert released
    after = {item["Key"]: item["LastModified"] for item in
             site.client().list_objects_v2(Bucket=site.bucket)["Contents"]}
    assert all(after[f"media/{name}"] > before[f"media/{name}"] for name in released)
    # Young again: a gc with the grace period keeps them for pages still cached.
    assert collect_orphans(site.library, older_than=timedelta(hours=1)).orphans == ()
