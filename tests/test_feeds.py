"""The RSS 2.0 feed with Media RSS, read back with ElementTree as a feed reader would."""

from __future__ import annotations

import datetime as dt
import email.utils
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from app import create_app
from articles.document import StoredParagraph
from articles.ingest import ingest_bundle
from articles.store import Library
from captions.timecodes import format_timestamp
from tests.test_ingest import replace_in_article
from web.feeds import rfc822, transcript_line

MEDIA = "{http://search.yahoo.com/mrss/}"
ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "http://localhost"


def read_feed(client) -> ET.Element:
    response = client.get("/feed.xml")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    return ET.fromstring(response.data)


def items_by_link(root: ET.Element) -> dict[str, ET.Element]:
    return {item.findtext("link"): item for item in root.iter("item")}


@pytest.fixture
def feed(client) -> ET.Element:
    return read_feed(client)


def top_story(feed: ET.Element) -> ET.Element:
    return items_by_link(feed)[f"{BASE}/articles/night-ferry-returns"]


def clip_of(item: ET.Element) -> ET.Element:
    """Return the clip's own media:content: in a media:group beside its audio-described versions."""
    group = item.find(f"{MEDIA}group")
    return next(c for c in (item if group is None else group).findall(f"{MEDIA}content")
                if c.get("medium") == "video" and c.get("isDefault") == "true")


def test_feed_is_rss_2_with_the_media_rss_namespace(client):
    body = client.get("/feed.xml").get_data(as_text=True)
    assert body.startswith("<?xml version='1.0' encoding='utf-8'?>")
    assert 'xmlns:media="http://search.yahoo.com/mrss/"' in body
    root = ET.fromstring(body.encode("utf-8"))
    assert root.tag == "rss" and root.get("version") == "2.0"


def test_channel_has_title_link_description_and_self_link(feed):
    channel = feed.find("channel")
    assert channel.findtext("title") == "Newsreel"
    assert channel.findtext("link") == f"{BASE}/"
    assert channel.findtext("description")
    assert channel.find(f"{ATOM}link").attrib == {
        "href": f"{BASE}/feed.xml", "rel": "self", "type": "application/rss+xml"}
    assert email.utils.parsedate_to_datetime(channel.findtext("lastBuildDate"))


def test_every_article_is_an_item_newest_first_with_the_rss_basics(feed, demo_library):
    items = list(feed.iter("item"))
    published = [email.utils.parsedate_to_datetime(item.findtext("pubDate")) for item in items]
    assert published == sorted(published, reverse=True)
    assert {item.findtext("link") for item in items} == {
        f"{BASE}/articles/{row.slug}" for row in demo_library.articles()}
    for item in items:
        assert item.findtext("title") and item.findtext("description")
        guid = item.find("guid")
        assert guid.text == item.findtext("link") and guid.get("isPermaLink") == "true"
        row = demo_library.article(urlsplit(guid.text).path.rsplit("/", 1)[1])
        assert email.utils.parsedate_to_datetime(item.findtext("pubDate")) == \
            dt.datetime.fromisoformat(row.published)


def test_clip_is_media_content_with_every_attribute(feed, client):
    item = top_story(feed)
    clip = clip_of(item)
    assert clip.get("type") == "video/mp4"
    assert clip.get("url").startswith(f"{BASE}/media/") and clip.get("url").endswith(".mp4")
    assert (clip.get("width"), clip.get("height"), clip.get("duration")) == ("1280", "720", "32")
    response = client.get(urlsplit(clip.get("url")).path)
    assert int(clip.get("fileSize")) == len(response.data)
    response.close()
    assert clip.findtext(f"{MEDIA}title") == "On board the first night crossing"
    enclosure = item.find("enclosure")
    assert (enclosure.get("url"), enclosure.get("length"), enclosure.get("type")) == (
        clip.get("url"), clip.get("fileSize"), "video/mp4")


def test_clip_has_thumbnail_and_credit(feed):
    clip = clip_of(top_story(feed))
    thumbnail = clip.find(f"{MEDIA}thumbnail")
    assert thumbnail.get("url").startswith(f"{BASE}/media/") and thumbnail.get("url").endswith(".jpg")
    assert (thumbnail.get("width"), thumbnail.get("height")) == ("1280", "720")
    credit = clip.find(f"{MEDIA}credit")
    assert credit.text == "Video: Newsreel demo desk"
    assert (credit.get("role"), credit.get("scheme")) == ("producer", "urn:ebu")


def test_one_media_subtitle_per_caption_track(feed, client):
    clip = clip_of(top_story(feed))
    subtitles = clip.findall(f"{MEDIA}subTitle")
    assert [(s.get("type"), s.get("lang")) for s in subtitles] == [("text/vtt", "en"), ("text/vtt", "de")]
    for subtitle in subtitles:
        response = client.get(urlsplit(subtitle.get("href")).path)
        assert subtitle.get("href").startswith(f"{BASE}/media/")
        assert response.status_code == 200 and response.data.startswith(b"WEBVTT")
        response.close()


def test_transcript_is_timed_media_text_in_each_language(feed):
    clip = clip_of(top_story(feed))
    texts = clip.findall(f"{MEDIA}text")
    assert {t.get("type") for t in texts} == {"plain"}
    english = [t for t in texts if t.get("lang") == "en"]
    first_words = next(t for t in english if t.text.startswith("Narrator: It is twenty to midnight"))
    assert (first_words.get("start"), first_words.get("end")) == ("00:00:00.500", "00:00:07.800")
    assert any(t.text == "[In the wheelhouse, the captain checks the instruments.]" for t in english)
    assert any("Fahrgäste" in t.text for t in texts if t.get("lang") == "de")


def test_photo_is_credited_media_content_with_copyright(feed):
    photo = next(c for c in top_story(feed).findall(f"{MEDIA}content") if c.get("medium") == "image")
    assert photo.get("url").startswith(f"{BASE}/media/") and photo.get("type") == "image/jpeg"
    credits = {c.get("role"): c.text for c in photo.findall(f"{MEDIA}credit")}
    assert credits == {"photographer": "Ada Lindqvist",
                       "distribution company": "Newsreel demo desk / Studio Elsey"}
    assert photo.findtext(f"{MEDIA}copyright") == "© 2026 Newsreel demo desk"
    assert photo.findtext(f"{MEDIA}description") == "The ferry leaves Port Elsey on its first evening run."
    assert photo.find(f"{MEDIA}thumbnail").get("width") == "320"


def test_every_url_in_the_feed_is_absolute(feed):
    for element in feed.iter():
        for name in ("url", "href"):
            if element.get(name):
                assert element.get(name).startswith(f"{BASE}/"), (element.tag, element.get(name))
    for link in feed.iter("link"):
        assert link.text.startswith(f"{BASE}/")


def test_an_unchanged_library_answers_304(client):
    first = client.get("/feed.xml")
    etag = first.headers["ETag"]
    again = client.get("/feed.xml", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_pages_link_to_the_feed(client):
    page = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    link = page.find("link", rel="alternate", type="application/rss+xml")
    assert link["href"] == f"{BASE}/feed.xml" and link["title"]


def test_markup_and_cdata_endings_in_fields_stay_text(tmp_path, small_bundle):
    title = "<script>alert(1)</script> ]]> & <![CDATA[ x"
    replace_in_article(small_bundle, "title: A small story", f"title: '{title}'")
    (small_bundle / "clip.en.vtt").write_text(
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\n&lt;b&gt;bold&lt;/b&gt; ]]&gt;\n", encoding="utf-8")
    library = Library(tmp_path / "lib")
    ingest_bundle(small_bundle, library)
    client = create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()
    root = read_feed(client)
    [item] = root.iter("item")
    assert item.findtext("title") == title
    assert item.find(f"{MEDIA}content").findtext(f"{MEDIA}text") == "<b>bold</b> ]]>"
    assert root.find(f"channel/item/{MEDIA}content/{MEDIA}subTitle") is not None


def test_empty_library_is_an_empty_but_valid_feed(tmp_path):
    client = create_app({"TESTING": True, "LIBRARY": str(tmp_path / "none")}).test_client()
    root = read_feed(client)
    assert root.find("channel/title").text == "Newsreel"
    assert root.find("channel/item") is None


@pytest.mark.parametrize("iso, expected", [
    ("2026-11-20T07:30:00+01:00", "Fri, 20 Nov 2026 07:30:00 +0100"),
    ("2026-01-02T03:04:05+00:00", "Fri, 02 Jan 2026 03:04:05 +0000"),
])
def test_dates_are_rfc_822(iso, expected):
    assert rfc822(iso) == expected


@pytest.mark.parametrize("seconds, expected", [
    (0, "00:00:00.000"), (0.5, "00:00:00.500"), (61.25, "00:01:01.250"), (3725.0, "01:02:05.000")])
def test_media_text_times_are_clock_times(seconds, expected):
    assert format_timestamp(seconds) == expected


@pytest.mark.parametrize("paragraph, expected", [
    (StoredParagraph(0.5, 2.0, "Hello.", "Captain", "speech"), "Captain: Hello."),
    (StoredParagraph(0.5, 2.0, "A quay at night.", None, "description"), "[A quay at night.]"),
    (StoredParagraph(0.5, 2.0, "[Ship's horn]", None, "speech"), "[Ship's horn]"),
])
def test_transcript_lines_read_as_on_the_page(paragraph, expected):
    assert transcript_line(paragraph) == expected
