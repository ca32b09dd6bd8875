"""The embed page and the oEmbed endpoint that describes it."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from app import create_app
from articles.document import StoredVideo
from articles.ingest import ingest_bundle
from articles.store import Library
from tests.test_ingest import replace_in_article
from web.embed import CHROME_HEIGHT, MIN_WIDTH, frame_size

BASE = "http://localhost"
ARTICLE = "/articles/night-ferry-returns"
EMBED = "/embed/night-ferry-returns"


def page_of(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def oembed(client, **params):
    return client.get("/oembed", query_string=params)


def test_embed_page_is_the_player_with_its_caption_tracks(client):
    page = page_of(client.get(EMBED))
    assert (page.html["lang"], page.html["dir"]) == ("en", "ltr")
    assert page.title.get_text() == "On board the first night crossing – Newsreel"
    video = page.find("video")
    assert video.has_attr("controls") and not video.has_attr("autoplay")
    tracks = [(t["kind"], t["srclang"], t.has_attr("default")) for t in video.find_all("track")]
    assert tracks[:2] == [("captions", "en", True), ("captions", "de", False)]
    assert page.find(id="player-title").get_text() == "On board the first night crossing"
    # Nothing of the site's frame: no header, navigation or footer inside someone else's page.
    assert page.find("header") is None and page.find("nav") is None and page.find("footer") is None
    assert page.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    assert page.find("link", rel="canonical")["href"] == BASE + ARTICLE


def test_embed_page_links_to_the_transcript_on_the_article_page(client):
    page = page_of(client.get(EMBED))
    transcript = page.find(id="transcript")
    link = transcript.find("a")
    assert link["href"] == f"{BASE}{ARTICLE}#transcript"
    assert link["target"] == "_top"
    assert link.get_text() == "Read the transcript on Newsreel"
    # The player's own links to #transcript (skip link, fallback) land on it.
    assert {a["href"] for a in page.find(id="player").find_all("a") if a["href"].startswith("#")} == {"#transcript"}
    headline = page.find("h1").find("a")
    assert headline["href"] == BASE + ARTICLE and headline["target"] == "_top"


def test_embed_page_starts_at_the_time_asked_for(client):
    page = page_of(client.get(EMBED + "?t=15"))
    assert page.find("source")["src"].endswith("#t=15.000")
    assert client.get(EMBED + "?t=soon").status_code == 400


def test_embed_of_a_right_to_left_version_says_so(client):
    page = page_of(client.get("/embed/school-roof-garden-ar"))
    assert (page.html["lang"], page.html["dir"]) == ("ar", "rtl")
    assert page.find(id="transcript")["lang"] == "en"
    assert page.find("track", default=True)["srclang"] == "ar"


@pytest.mark.parametrize("path", ["/embed/no-such-story", "/embed/..%2Fapp.py", "/embed/"])
def test_unknown_embed_is_404(client, path):
    assert client.get(path).status_code == 404


def test_oembed_describes_the_clip_as_an_iframe_with_a_title(client):
    response = oembed(client, url=BASE + ARTICLE, format="json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    data = json.loads(response.data)
    assert data["version"] == "1.0" and data["type"] == "video"
    assert data["title"] == "The night ferry to Marrow Island sails again"
    assert data["provider_name"] == "Newsreel" and data["provider_url"] == f"{BASE}/"
    assert (data["width"], data["height"]) == (640, 360 + CHROME_HEIGHT)
    frame = BeautifulSoup(data["html"], "html.parser")
    [iframe] = frame.find_all("iframe")
    assert iframe["src"] == BASE + EMBED
    assert iframe["title"] == "On board the first night crossing"
    assert (int(iframe["width"]), int(iframe["height"])) == (data["width"], data["height"])
    assert iframe.has_attr("allowfullscreen")
    assert data["thumbnail_url"].startswith(f"{BASE}/media/") and data["thumbnail_url"].endswith(".jpg")
    assert (data["thumbnail_width"], data["thumbnail_height"]) == (1280, 720)
    # The embed page it points at is real.
    assert client.get(urlsplit(iframe["src"]).path).status_code == 200


def test_oembed_format_defaults_to_json(client):
    assert oembed(client, url=BASE + ARTICLE).status_code == 200


@pytest.mark.parametrize("limits", [
    {"maxwidth": "400"}, {"maxheight": "500"}, {"maxwidth": "320", "maxheight": "240"},
    {"maxwidth": "5000", "maxheight": "5000"}, {"maxwidth": "100"}, {"maxheight": "50"},
])
def test_oembed_respects_maxwidth_and_maxheight(client, limits):
    data = json.loads(oembed(client, url=BASE + ARTICLE, **limits).data)
    maxwidth, maxheight = int(limits.get("maxwidth", 10**6)), int(limits.get("maxheight", 10**6))
    assert 0 < data["width"] <= maxwidth and 0 < data["height"] <= maxheight
    iframe = BeautifulSoup(data["html"], "html.parser").iframe
    assert (int(iframe["width"]), int(iframe["height"])) == (data["width"], data["height"])
    if "thumbnail_url" in data:
        assert data["thumbnail_width"] <= maxwidth and data["thumbnail_height"] <= maxheight
    else:
        assert "thumbnail_width" not in data and "thumbnail_height" not in data


@pytest.mark.parametrize("url", [
    BASE + "/articles/no-such-story",
    "http://example.com" + ARTICLE,
    "https://localhost.example.com" + ARTICLE,
    "http://user@localhost" + ARTICLE,
    "javascript:alert(1)//localhost" + ARTICLE,
    ARTICLE,
    "//localhost" + ARTICLE,
    BASE + "/",
    BASE + "/search?q=ferry",
    BASE + "/feed.xml",
    BASE + EMBED,
    BASE + ARTICLE + "/extra",
    BASE + "/media/0123456789abcdef.mp4",
    "not a url at all",
])
def test_oembed_for_anything_but_one_of_our_articles_is_404(client, url):
    assert oembed(client, url=url, format="json").status_code == 404


def test_oembed_follows_query_and_fragment_of_an_article_url(client):
    data = json.loads(oembed(client, url=BASE + ARTICLE + "?t=8#player").data)
    assert BeautifulSoup(data["html"], "html.parser").iframe["src"] == BASE + EMBED


def test_oembed_without_url_is_400(client):
    assert oembed(client, format="json").status_code == 400
    assert oembed(client, url="  ").status_code == 400


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1e3", "12.5", "99999", "٣٠٠"])
def test_oembed_with_nonsense_sizes_is_400(client, value):
    assert oembed(client, url=BASE + ARTICLE, maxwidth=value).status_code == 400
    assert oembed(client, url=BASE + ARTICLE, maxheight=value).status_code == 400


@pytest.mark.parametrize("format_", ["xml", "XML", "yaml"])
def test_oembed_in_another_format_is_501(client, format_):
    assert oembed(client, url=BASE + ARTICLE, format=format_).status_code == 501


def test_article_pages_advertise_their_oembed(client):
    page = page_of(client.get(ARTICLE))
    link = page.find("link", type="application/json+oembed")
    assert link["rel"] == ["alternate"] and link["title"] == "The night ferry to Marrow Island sails again"
    parts = urlsplit(link["href"])
    assert parts.path == "/oembed"
    assert parse_qs(parts.query) == {"url": [BASE + ARTICLE], "format": ["json"]}
    assert client.get(f"{parts.path}?{parts.query}").status_code == 200


def test_article_without_a_clip_has_no_embed(tmp_path, small_bundle):
    replace_in_article(small_bundle, "video:\n  source: clip.mp4\n  title: The small clip\n  captions:\n"
                       "    - file: clip.en.vtt\n      language: en\n", "")
    library = Library(tmp_path / "lib")
    ingest_bundle(small_bundle, library)
    client = create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()
    assert client.get("/embed/small-story").status_code == 404
    assert oembed(client, url=BASE + "/articles/small-story").status_code == 404
    page = page_of(client.get("/articles/small-story"))
    assert page.find("link", type="application/json+oembed") is None


def test_markup_in_the_clip_title_stays_inside_the_iframe_title(tmp_path, small_bundle):
    title = '"><script>alert(1)</script>'
    replace_in_article(small_bundle, "  title: The small clip", f"  title: '{title}'")
    library = Library(tmp_path / "lib")
    ingest_bundle(small_bundle, library)
    client = create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()
    data = json.loads(oembed(client, url=BASE + "/articles/small-story").data)
    frame = BeautifulSoup(data["html"], "html.parser")
    assert frame.find("script") is None
    assert frame.iframe["title"] == title


def stored_clip(kind: str, width: int | None, height: int | None) -> StoredVideo:
    """Return a stored clip of that kind and size; frame_size reads nothing else."""
    return StoredVideo(kind=kind, title="A clip", credit=None, src="0123456789abcdef.mp4",
                       media_type="video/mp4" if kind == "video" else "audio/mp4", size=1000,
                       duration=2.0, width=width, height=height, has_audio=True, method="remux",
                       loudness=None, normalised=False, sources=(), poster=None, tracks=(),
                       extra_tracks=())


VIDEO = stored_clip("video", 1280, 720)
AUDIO = stored_clip("audio", None, None)


@pytest.mark.parametrize("video, maxwidth, maxheight, expected", [
    (VIDEO, None, None, (640, 360 + CHROME_HEIGHT)),
    (VIDEO, 320, None, (320, 180 + CHROME_HEIGHT)),
    (VIDEO, None, 180 + CHROME_HEIGHT, (320, 180 + CHROME_HEIGHT)),
    (VIDEO, 1000, 1000, (640, 360 + CHROME_HEIGHT)),
    (VIDEO, None, 100, (MIN_WIDTH, 100)),
    (VIDEO, 120, None, (120, 68 + CHROME_HEIGHT)),
    (stored_clip("video", 320, 240), None, None, (320, 240 + CHROME_HEIGHT)),
    (AUDIO, None, None, (640, 60 + CHROME_HEIGHT)),
    (AUDIO, 300, 100, (300, 100)),
])
def test_frame_size_keeps_the_clip_shape_within_the_limits(video, maxwidth, maxheight, expected):
    assert frame_size(video, maxwidth, maxheight) == expected
