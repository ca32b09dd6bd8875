"""In Chromium: a page whose media come from an S3-compatible store on another origin.

The clip and its captions load only as CORS requests (``<video crossorigin>``),
so the store must answer them with Access-Control-Allow-Origin. The test
server applies bucket CORS rules to preflight requests only, not to the GETs
a media element sends; ``s3_server(cors=True)`` answers every origin instead,
as a bucket whose rule allows the site does. Without it the captions fail,
which shows the page depends on that rule.
"""

from __future__ import annotations

import contextlib
import json

import boto3
import pytest

from app import create_app
from articles.ingest import ingest_bundle
from articles.store import Library
from tests.conftest import serving
from tests.services import s3_server

pytestmark = [pytest.mark.browser]

SLUG = "small-story"
BUCKET = "newsreel-browser"


@pytest.fixture(autouse=True)
def _credentials(s3_credentials):
    """Every test here signs as the test server's user."""


@contextlib.contextmanager
def serve_from_store(small_bundle, tmp_path, cors: bool):
    """Yield (site URL, media URL) of the small bundle ingested into a bucket of a fresh server."""
    with s3_server(cors=cors) as s3:
        client = boto3.client("s3", endpoint_url=s3.url)
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/media/*"}]}))
        store = f"s3://{BUCKET}/media"
        library = Library(tmp_path / "library", media_store=store, s3_endpoint_url=s3.url)
        ingest_bundle(small_bundle, library)
        media_url = f"{s3.url}/{BUCKET}/media/"
        app = create_app({"LIBRARY": str(library.root), "MEDIA_STORE": store,
                          "S3_ENDPOINT_URL": s3.url, "MEDIA_URL": media_url})
        with serving(app) as site:
            yield site, media_url


def console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


TRACK_STATE = """() => {
  const el = document.querySelector('video track');
  return el.readyState >= 2 ? {state: el.readyState, cues: el.track.cues ? el.track.cues.length : 0,
                               src: el.src} : null;
}"""


def test_captions_load_cross_origin_from_the_store_with_cors(page, small_bundle, tmp_path):
    with serve_from_store(small_bundle, tmp_path, cors=True) as (site, media_url):
        errors = console_errors(page)
        page.goto(f"{site}/articles/{SLUG}")
        assert page.get_attribute("video", "crossorigin") == "anonymous"
        page.wait_for_function("() => document.querySelector('video').readyState >= 1", timeout=15_000)
        track = page.wait_for_function(TRACK_STATE, timeout=15_000).json_value()
        assert track["state"] == 2  # LOADED
        assert track["cues"] == 1
        assert track["src"].startswith(media_url)
        assert page.evaluate("document.querySelector('video').currentSrc").startswith(media_url)
        page.wait_for_load_state("networkidle")
        assert errors == []


def test_without_cors_from_the_store_the_captions_fail(page, small_bundle, tmp_path):
    with serve_from_store(small_bundle, tmp_path, cors=False) as (site, _media_url):
        page.goto(f"{site}/articles/{SLUG}")
        track = page.wait_for_function(TRACK_STATE, timeout=15_000).json_value()
        assert track["state"] == 3  # ERROR: the store's answer carries no Access-Control-Allow-Origin
