"""Teaser badges, language versions, structured data and error pages."""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup

from app import create_app
from articles import present
from articles.bundle import BundleError, load_bundle
from articles.document import Translation
from articles.ingest import ingest_bundle
from articles.store import Library
from tests.corpus import CORPUS
from tests.test_ingest import replace_in_article

BASE = "http://localhost"
ARTICLE = "/articles/night-ferry-returns"
GARDEN = "/articles/school-roof-garden"
GARDEN_AR = "/articles/school-roof-garden-ar"


def page_of(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def teaser_for(page: BeautifulSoup, path: str):
    return page.find("a", href=path).find_parent("article", class_="app-teaser")


def badge_texts(teaser) -> list[str]:
    badges = teaser.find("ul", class_="app-badges")
    return [" ".join(li.get_text().split()) for li in badges.find_all("li")]


# --- accessibility badges -------------------------------------------------------------------

def test_teasers_say_in_words_what_each_clip_offers(each_client):
    page = page_of(each_client.get("/"))
    top = teaser_for(page, ARTICLE)
    assert top.find("ul", class_="app-badges")["aria-label"] == "Accessibility"
    assert badge_texts(top) == ["Captions: English, Deutsch", "Audio description", "Transcript",
                                "Chapters"]
    assert [s["lang"] for s in top.find("ul", class_="app-badges").find_all("span")] == ["en", "de"]
    assert badge_texts(teaser_for(page, "/articles/reading-room-stays-open")) == [
        "Captions: English", "Transcript"]
    assert badge_texts(teaser_for(page, GARDEN_AR)) == [
        "Captions: English", "Subtitles: العربية", "Transcript"]


@pytest.mark.parametrize("video, expected", [
    (None, []),
    ({"kind": "video", "tracks": [], "transcripts": [], "has_descriptions": False,
      "chapters": []}, []),
    ({"kind": "audio", "tracks": [{"kind": "captions", "label": "English", "language": "en"}],
      "transcripts": [{"kind": "captions"}], "has_descriptions": False, "chapters": []},
     ["Transcript"]),
    ({"kind": "video", "tracks": [{"kind": "subtitles", "label": "Deutsch", "language": "de"}],
      "transcripts": [{"kind": "subtitles"}], "has_descriptions": True,
      "chapters": [{"title": "One"}]},
     ["Subtitles", "Audio description", "Transcript", "Chapters"]),
])
def test_badges_follow_the_clip(video, expected):
    assert [badge["text"] for badge in present.badges(video)] == expected


# --- language versions ----------------------------------------------------------------------

def test_article_links_its_versions_in_the_head_and_in_the_text(each_client):
    page = page_of(each_client.get(GARDEN))
    alternates = {link["hreflang"]: link["href"] for link in page.find_all("link", hreflang=True)}
    assert alternates == {"en": BASE + GARDEN, "ar": BASE + GARDEN_AR}
    versions = page.find("p", class_="app-article__versions")
    assert " ".join(versions.get_text().split()) == "Also in: العربية"
    link = versions.find("a")
    assert (link["href"], link["hreflang"], link["lang"], link["dir"]) == (GARDEN_AR, "ar", "ar", "rtl")


def test_right_to_left_version_has_lang_and_dir_and_marks_the_site_words(each_client):
    page = page_of(each_client.get(GARDEN_AR))
    assert (page.html["lang"], page.html["dir"]) == ("ar", "rtl")
    assert page.h1.get_text() == "حديقة على سطح المدرسة تُبقي الفصول أكثر برودة"
    alternates = {link["hreflang"]: link["href"] for link in page.find_all("link", hreflang=True)}
    assert alternates == {"ar": BASE + GARDEN_AR, "en": BASE + GARDEN}
    link = page.find("p", class_="app-article__versions").find("a")
    assert (link.get_text(), link["lang"], link["dir"]) == ("English", "en", "ltr")
    # The site's own English words say they are English inside an Arabic page.
    for found in (page.find("a", class_="app-skip-link"), page.find("header", class_="app-header"),
                  page.find("footer"), page.find("p", class_="app-article__meta").span,
                  page.find("p", class_="app-article__versions").span, page.find(id="related-heading")):
        assert found["lang"] == "en", found
    # Inline English is isolated, so "12 November 2026" and "Also in:" keep their order.
    assert page.find("p", class_="app-article__meta").span["dir"] == "ltr"
    assert page.find("p", class_="app-article__versions").span["dir"] == "ltr"
    # Teasers of English stories under it carry their own language.
    assert {t["lang"] for t in page.find("aside").find_all("article")} == {"en"}
    details = page.find(id="transcript").find("details", open=True)
    assert (details["lang"], details["dir"]) == ("ar", "rtl")


def test_english_pages_carry_no_extra_lang_attributes(each_client):
    page = page_of(each_client.get(ARTICLE))
    assert not page.find("header", class_="app-header").has_attr("lang")
    assert page.find("p", class_="app-article__versions") is None
    assert page.find_all("link", hreflang=True) == []


def bundle_with(small_bundle, front_matter: str):
    replace_in_article(small_bundle, "language: en\n", f"language: en\n{front_matter}")
    return small_bundle


@pytest.mark.parametrize("front_matter, problem", [
    ("translations: [de, fr]\n", "'translations' must map language tags to article slugs"),
    ("translations:\n  english!: other-story\n", "is not a language tag"),
    ("translations:\n  de: Not A Slug\n", "'translations.de' must be an article slug"),
    ("translations:\n  de: small-story\n", "names this article itself"),
    ("translations:\n  en: other-story\n", "names the language 'en' twice"),
    ("translations:\n  de: one-story\n  DE: two-story\n", "names the language 'de' twice"),
])
def test_bad_translations_are_refused_with_the_line(small_bundle, front_matter, problem):
    bundle_with(small_bundle, front_matter)
    with pytest.raises(BundleError, match=re.escape(problem)) as caught:
        load_bundle(small_bundle)
    assert caught.value.line is not None and caught.value.line >= 4


def test_translations_are_stored_and_shown_by_their_own_name(tmp_path, small_bundle):
    bundle_with(small_bundle, "translations:\n  de-CH: kleine-geschichte\n  fa: dastan\n")
    assert load_bundle(small_bundle).translations == (("de-CH", "kleine-geschichte"), ("fa", "dastan"))
    library = Library(tmp_path / "lib")
    ingest_bundle(small_bundle, library)
    document = library.article("small-story").document
    assert document.translations == (Translation("de-CH", "kleine-geschichte"),
                                      Translation("fa", "dastan"))
    assert [(v["name"], v["dir"]) for v in present.language_versions(document)] == [
        ("Deutsch (Schweiz)", "ltr"), ("فارسی", "rtl")]


# --- structured data ------------------------------------------------------------------------

def structured(page: BeautifulSoup) -> dict:
    [block] = page.find_all("script", type="application/ld+json")
    return json.loads(block.string)


def test_video_object_has_the_fields_search_engines_require(each_client):
    video = structured(page_of(each_client.get(ARTICLE)))["video"]
    assert video["@type"] == "VideoObject"
    assert re.fullmatch(r"P(?:\d+D)?T(?:\d+H)?(?:\d+M)?(?:\d+S)?", video["duration"])
    assert video["duration"] == "PT32S"
    assert video["uploadDate"] == "2026-11-20T07:30:00+01:00"
    assert video["thumbnailUrl"] and all(u.startswith(f"{BASE}/media/") for u in video["thumbnailUrl"])


def test_chapters_become_clips_that_start_the_page_at_their_second(each_client):
    video = structured(page_of(each_client.get(ARTICLE)))["video"]
    assert video["hasPart"] == [
        {"@type": "Clip", "name": "Leaving Port Elsey", "startOffset": 0, "endOffset": 8,
         "url": f"{BASE}{ARTICLE}?t=0"},
        {"@type": "Clip", "name": "The repaired ferry", "startOffset": 8, "endOffset": 19,
         "url": f"{BASE}{ARTICLE}?t=8"},
        {"@type": "Clip", "name": "Passengers and the arrival", "startOffset": 19, "endOffset": 32,
         "url": f"{BASE}{ARTICLE}?t=19"},
    ]


def test_clip_without_chapters_has_no_parts(each_client):
    assert "hasPart" not in structured(page_of(each_client.get(GARDEN)))["video"]


def test_embed_url_is_the_embed_page(demo_library):
    document = demo_library.article("night-ferry-returns").document
    data = present.structured_data(document, lambda name: f"{BASE}/media/{name}", BASE + ARTICLE,
                                   embed_url=f"{BASE}/embed/night-ferry-returns")
    assert data["video"]["embedUrl"] == f"{BASE}/embed/night-ferry-returns"
    without = present.structured_data(document, lambda name: f"{BASE}/media/{name}", BASE + ARTICLE)
    assert "embedUrl" not in without["video"]


@pytest.mark.corpus
def test_audio_clip_without_poster_takes_the_photo_as_thumbnail(tmp_path, small_bundle):
    (small_bundle / "clip.mp4").unlink()
    (small_bundle / "clip.webm").write_bytes((CORPUS / "audio" / "detodos.webm").read_bytes())
    replace_in_article(small_bundle, "source: clip.mp4", "source: clip.webm")
    library = Library(tmp_path / "lib")
    ingest_bundle(small_bundle, library)
    document = library.article("small-story").document
    data = present.structured_data(document, lambda name: f"{BASE}/media/{name}", BASE + "/x")
    assert data["audio"]["@type"] == "AudioObject"
    assert data["audio"]["thumbnailUrl"] == [data["image"][0]["contentUrl"]]


# --- error pages ----------------------------------------------------------------------------

def error_page(response, status: int) -> BeautifulSoup:
    assert response.status_code == status
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.html["lang"] == "en"
    assert page.find("a", class_="app-skip-link")["href"] == "#main-content"
    assert len(page.find_all("h1")) == 1 and len(page.find_all("main")) == 1
    assert page.title.get_text() == f"{page.h1.get_text()} – Newsreel"
    assert page.find("main").find("a", href="/") is not None
    return page


def test_404_page_offers_search_and_the_home_page(each_client):
    page = error_page(each_client.get("/articles/no-such-story"), 404)
    assert page.h1.get_text() == "Page not found"
    assert page.find("main").find("a", href="/search") is not None
    assert page.find("form", role="search") is not None


def test_400_page_says_what_was_wrong(each_client):
    page = error_page(each_client.get(ARTICLE + "?t=soon"), 400)
    assert page.h1.get_text() == "There is a problem with the address"
    assert "must be a number of seconds" in page.find("main").get_text()


def test_500_page_is_accessible_and_hides_the_error(demo_library):
    app = create_app({"LIBRARY": str(demo_library.root)})

    def broken():
        raise RuntimeError("database password is hunter2")

    app.add_url_rule("/broken", "broken", broken)
    page = error_page(app.test_client().get("/broken"), 500)
    assert page.h1.get_text() == "Sorry, there is a problem with the service"
    assert "hunter2" not in str(page) and "RuntimeError" not in str(page)


@pytest.mark.parametrize("path", ["/", "/articles/nonexistent", "/search?q=garden"])
def test_every_page_names_its_icon_so_browsers_never_ask_for_favicon_ico(each_client, path):
    page = BeautifulSoup(each_client.get(path).get_data(as_text=True), "html.parser")
    icon = page.find("link", rel="icon")
    with each_client.get(icon["href"]) as response:
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert b"<svg" in response.data
