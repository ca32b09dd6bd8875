"""The spoken described version on the page without JavaScript, in the embed, feed and JSON-LD."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup

from app import create_app
from articles import present
from articles.document import StoredDescribed
from tests.conftest import require_tool, serving
from tests.described import DESCRIBED_SLUG, PLAIN_SLUG, make_described_library

ARTICLE = f"/articles/{DESCRIBED_SLUG}"
PLAIN = f"/articles/{PLAIN_SLUG}"
EMBED = f"/embed/{DESCRIBED_SLUG}"
MEDIA = "{http://search.yahoo.com/mrss/}"


@pytest.fixture(scope="module")
def library(tmp_path_factory, demo_content):
    return make_described_library(tmp_path_factory.mktemp("described") / "library", demo_content)


@pytest.fixture
def app(library):
    return create_app({"TESTING": True, "LIBRARY": str(library.root)})


@pytest.fixture
def client(app):
    return app.test_client()


def page(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def versions(library) -> tuple[StoredDescribed, StoredDescribed]:
    found = library.article(DESCRIBED_SLUG).document.video.described
    return (next(v for v in found if not v.extended), next(v for v in found if v.extended))


def sources(soup: BeautifulSoup) -> list[str]:
    return [source["src"] for source in soup.find("video").find_all("source")]


def words(node) -> str:
    return " ".join(node.get_text().split())


@pytest.mark.parametrize("path", [ARTICLE, EMBED])
def test_the_plain_page_links_to_the_described_one_and_plays_the_plain_sources(client, library, path):
    soup = page(client, path)
    video = library.article(DESCRIBED_SLUG).document.video
    assert sources(soup) == [f"/media/{source.src}" for source in video.sources]
    link = soup.find("a", string="Watch with audio description")
    assert link["href"] == f"{path}?described=1" and link["hreflang"] == "en"
    assert soup.find("a", string="Watch without audio description") is None


@pytest.mark.parametrize("path", [ARTICLE, EMBED])
def test_the_described_page_plays_only_the_described_version(client, library, path):
    standard, _ = versions(library)
    soup = page(client, f"{path}?described=1")
    assert sources(soup) == [f"/media/{standard.src}"]
    assert soup.find("a", string="Watch without audio description")["href"] == path
    assert soup.find("a", string="Watch with audio description") is None
    # The script reads what to swap between from the figure.
    player = json.loads(soup.find("figure", id="player")["data-described"])
    assert player["on"] is True and player["language"] == "en"
    assert player["described"] == [{"src": f"/media/{standard.src}", "type": "video/mp4"}]
    assert [s["src"] for s in player["plain"]] == sources(page(client, path))


def test_the_fallback_download_is_the_version_the_page_plays(client, library):
    standard, _ = versions(library)
    video = library.article(DESCRIBED_SLUG).document.video
    plain = page(client, ARTICLE).find("p", class_="app-video__fallback").find("a", download=True)
    assert plain["href"] == f"/media/{video.src}" and "audio description" not in words(plain)
    described = page(client, f"{ARTICLE}?described=1").find("p", class_="app-video__fallback")
    link = described.find("a", download=True)
    assert link["href"] == f"/media/{standard.src}"
    assert words(link) == (f"download the video with audio description (MP4, "
                           f"{present.file_size(standard.size)}, {present.format_clock(standard.duration)})")


def test_the_start_time_stays_on_both_links(client, library):
    standard, _ = versions(library)
    soup = page(client, f"{ARTICLE}?t=5")
    assert soup.find("a", string="Watch with audio description")["href"] == f"{ARTICLE}?described=1&t=5"
    soup = page(client, f"{ARTICLE}?described=1&t=5")
    assert sources(soup) == [f"/media/{standard.src}#t=5.000"]
    assert soup.find("a", string="Watch without audio description")["href"] == f"{ARTICLE}?t=5"


def test_time_links_stay_on_the_page_they_are_on(client):
    for query, prefix in (("", "?t="), ("?described=1", "?described=1&t=")):
        soup = page(client, ARTICLE + query)
        links = soup.select("a.app-transcript__time, a.app-chapters__link")
        assert links and all(link["href"].startswith(prefix) for link in links), query
        assert all(link["href"].endswith("#player") for link in links)


def test_another_spelling_of_the_start_keeps_described(client):
    response = client.get(f"{ARTICLE}?described=1&t=05")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{ARTICLE}?described=1&t=5"


@pytest.mark.parametrize("query", ["", "?described=1"])
def test_the_extended_version_is_listed_as_a_file_with_its_length_and_size(client, library, query):
    _, extended = versions(library)
    soup = page(client, ARTICLE + query)
    link = soup.find("a", href=f"/media/{extended.src}")
    assert link.has_attr("download") and link["type"] == "video/mp4"
    assert words(link) == (f"Extended audio description: MP4, {present.format_clock(extended.duration)},"
                           f" {present.file_size(extended.size)}")
    assert "held while longer descriptions are spoken" in words(link.parent)
    # It is longer than the clip: that is why it is a file and not a source.
    assert extended.duration > library.article(DESCRIBED_SLUG).document.video.duration + 1


def test_the_canonical_address_never_carries_described(client):
    for path in (ARTICLE, f"{ARTICLE}?described=1", f"{EMBED}?described=1"):
        assert page(client, path).find("link", rel="canonical")["href"] == f"http://localhost{ARTICLE}"


@pytest.mark.parametrize("path", [ARTICLE, EMBED])
@pytest.mark.parametrize("query", ["described=0", "described=true", "described=1.0", "described=",
                                   "described", "described=%201", "described=1&described=1",
                                   "described=1&described=0", "described=0&described=1",
                                   "described=%D9%A1"])
def test_any_other_described_value_is_a_400_page(client, path, query):
    for _ in range(2):  # the second answer could come from the page cache: it must not
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (query, response.status_code)
        assert "?described= " in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("query, address", [
    ("described=1", PLAIN), ("described=1&t=3", f"{PLAIN}?t=3"),
    ("utm_source=feed&described=1", f"{PLAIN}?utm_source=feed"),
])
def test_described_on_a_clip_without_a_spoken_version_redirects_without_it(client, query, address):
    response = client.get(f"{PLAIN}?{query}")
    assert response.status_code == 302
    assert response.headers["Location"] == address
    assert response.headers["Cache-Control"] == "no-store"


def test_a_clip_without_a_spoken_version_has_no_link(client):
    soup = page(client, PLAIN)
    assert soup.find("ul", class_="app-video__described") is None
    assert not soup.find("figure", id="player").has_attr("data-described")


def test_the_page_cache_keeps_the_described_page_apart(app):
    client = app.test_client()
    plain, described = client.get(ARTICLE), client.get(f"{ARTICLE}?described=1")
    again_plain, again_described = client.get(ARTICLE), client.get(f"{ARTICLE}?described=1")
    assert plain.get_data() == again_plain.get_data() != described.get_data() == again_described.get_data()
    assert plain.headers["ETag"] != described.headers["ETag"]
    assert {plain.headers["ETag"], described.headers["ETag"]} == {
        again_plain.headers["ETag"], again_described.headers["ETag"]}


def test_a_repeated_start_after_a_cached_one_is_still_redirected(app):
    client = app.test_client()
    assert client.get(f"{ARTICLE}?t=1").status_code == 200
    response = client.get(f"{ARTICLE}?t=1&t=2")
    assert response.status_code == 302 and response.headers["Location"] == f"{ARTICLE}?t=1"


def test_structured_data_names_the_spoken_versions(client, library):
    standard, extended = versions(library)
    soup = page(client, ARTICLE)
    video = json.loads(soup.find("script", type="application/ld+json").string)["video"]
    assert video["accessibilityFeature"] == ["captions", "transcript", "audioDescription"]
    assert [m["contentUrl"] for m in video["associatedMedia"]] == [
        f"http://localhost/media/{standard.src}", f"http://localhost/media/{extended.src}"]
    for media, version in zip(video["associatedMedia"], (standard, extended), strict=True):
        assert media["@type"] == "MediaObject" and media["inLanguage"] == "en"
        assert media["encodingFormat"] == "video/mp4" and media["contentSize"] == str(version.size)
        assert media["accessibilityFeature"] == ["audioDescription"]
        assert "audio description" in media["name"] and media["description"]
    plain = json.loads(page(client, PLAIN).find("script", type="application/ld+json").string)["video"]
    # The library story has captions and a transcript, and no spoken version.
    assert plain["accessibilityFeature"] == ["captions", "transcript"]
    assert "associatedMedia" not in plain


def test_the_feed_groups_the_clip_with_its_described_versions(client, library):
    standard, extended = versions(library)
    video = library.article(DESCRIBED_SLUG).document.video
    feed = ET.fromstring(client.get("/feed.xml").get_data())
    items = {item.findtext("link").rsplit("/", 1)[1]: item for item in feed.iter("item")}
    described = items[DESCRIBED_SLUG]
    assert all(c.get("medium") == "image" for c in described.findall(f"{MEDIA}content"))
    group = described.find(f"{MEDIA}group")
    contents = group.findall(f"{MEDIA}content")
    assert [c.get("url").rsplit("/", 1)[1] for c in contents] == [video.src, standard.src, extended.src]
    assert [c.get("isDefault") for c in contents] == ["true", None, None]
    for content, version in zip(contents[1:], (standard, extended), strict=True):
        assert content.get("lang") == "en" and content.get("fileSize") == str(version.size)
        assert content.get("duration") == str(round(version.duration))
        assert "audio description" in content.findtext(f"{MEDIA}title")
        assert content.findtext(f"{MEDIA}description")
        category = content.find(f"{MEDIA}category")
        assert (category.text, category.get("label")) == ("audioDescription", "Audio description")
    assert int(contents[2].get("duration")) > round(video.duration)
    # The undescribed article is as before: one media:content, no group.
    assert items[PLAIN_SLUG].find(f"{MEDIA}group") is None
    assert items[PLAIN_SLUG].find(f"{MEDIA}content") is not None


def test_versions_in_another_language_are_not_offered(library):
    document = library.article(DESCRIBED_SLUG).document
    german = tuple(dataclasses.replace(version, language="de") for version in document.video.described)
    assert present.described_versions(
        dataclasses.replace(document.video, described=german), "en") == (None, None)
    assert present.described_versions(document.video, "en-GB") == versions(library)
    assert present.described_versions(document.video, None) == (None, None)


@pytest.mark.parametrize("browser, argv", [
    ("lynx", ["-dump", "-display_charset=utf-8", "-width=100"]),
    ("w3m", ["-dump", "-O", "UTF-8", "-cols", "100", "-o", "display_link_number=1"]),
])
def test_text_browsers_show_the_described_links(library, browser, argv):
    program = require_tool(browser)
    standard, extended = versions(library)
    with serving(create_app({"LIBRARY": str(library.root)})) as url:
        plain = subprocess.run([program, *argv, url + ARTICLE], capture_output=True, text=True,
                               timeout=60, check=True).stdout
        described = subprocess.run([program, *argv, f"{url}{ARTICLE}?described=1"],
                                   capture_output=True, text=True, timeout=60, check=True).stdout
    assert "Watch with audio description" in plain and f"{ARTICLE}?described=1" in plain
    assert "Extended audio description: MP4" in plain and extended.src in plain
    assert "Watch without audio description" in described and "Watch with audio" not in described
    # The text browser cannot play it: the file to take to a player is the described one.
    assert "download the video with audio description" in " ".join(described.split())
    assert standard.src in described
