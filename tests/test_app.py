"""The web pages and media responses, through Flask's test client."""

from __future__ import annotations

import html as html_module
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string
from PIL import Image

from app import CONTENT_SECURITY_POLICY, create_app
from media.photos.metadata import read_photo_metadata
from tests.corpus import CORPUS

ARTICLE = "/articles/night-ferry-returns"


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def first_focusable(page: BeautifulSoup):
    return page.find(lambda tag: (tag.name == "a" and tag.has_attr("href"))
                     or tag.name in ("button", "input", "select", "textarea", "video", "summary"))


@pytest.mark.parametrize("url", ["/", ARTICLE, "/articles/no-such-story"])
def test_every_page_has_the_accessible_skeleton(each_client, url):
    response = each_client.get(url)
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.html["lang"]
    assert page.html["dir"] in ("ltr", "rtl")
    skip = first_focusable(page)
    assert skip.get_text(strip=True) == "Skip to main content"
    target = page.find(id=skip["href"].lstrip("#"))
    assert target is not None and target.name == "main" and target["tabindex"] == "-1"
    assert len(page.find_all("main")) == 1
    assert len(page.find_all("h1")) == 1
    assert len(page.find_all("header", class_="app-header")) == 1
    assert page.find("nav")["aria-label"]
    assert page.title.get_text(strip=True)


def test_article_has_headline_date_teaser_body_and_more_stories(each_client):
    page = soup(each_client.get(ARTICLE))
    assert page.h1.get_text(strip=True) == "The night ferry to Marrow Island sails again"
    published = page.find("p", class_="app-article__meta").time
    assert published["datetime"].startswith("2026-11-20T07:30:00")
    assert published.get_text(strip=True) == "20 November 2026"
    assert "eight months in dry dock" in page.find(class_="app-article__summary").get_text()
    assert page.find(class_="app-article__body").find("h2").get_text() == "Why the ferry stopped"
    related = page.find("aside")
    assert related.h2.get_text(strip=True) == "More stories"
    links = [a["href"] for a in related.select(".app-teaser__title a")]
    assert links == ["/articles/reading-room-stays-open", "/articles/school-roof-garden"]


def test_chapters_are_links_that_start_the_clip_at_each_chapter(each_client):
    page = soup(each_client.get(ARTICLE))
    nav = page.find("nav", class_="app-chapters")
    assert nav["aria-labelledby"] == "chapters-heading"
    links = [(a["href"], " ".join(a.get_text().split())) for a in nav.find_all("a")]
    assert links == [("?t=0#player", "0:00 Leaving Port Elsey"),
                     ("?t=8#player", "0:08 The repaired ferry"),
                     ("?t=19#player", "0:19 Passengers and the arrival")]


def test_transcript_has_chapter_headings_speakers_and_bracketed_descriptions(each_client):
    page = soup(each_client.get(ARTICLE))
    english = page.find(id="transcript").find("details", lang="en")
    assert [h.get_text() for h in english.find_all("h3")] == [
        "Leaving Port Elsey", "The repaired ferry", "Passengers and the arrival"]
    description = english.find("p", class_="app-transcript__description")
    assert "[Night. A ferry with its lights on waits at a quay" in description.get_text()
    assert description.find("a")["href"] == "?t=0#player"
    speakers = [b.get_text() for b in english.find_all("b", class_="app-transcript__speaker")]
    assert speakers[:2] == ["Narrator:", "Captain:"]
    assert "Audio description" in page.find("figure", id="player").get_text()


def test_video_element_has_controls_captions_and_fallback(each_client):
    page = soup(each_client.get(ARTICLE))
    video = page.find("video")
    assert video.has_attr("controls")
    assert not video.has_attr("autoplay")
    assert video["preload"] == "metadata"
    assert video["poster"].startswith("/media/")
    source = video.find("source")
    assert source["type"] == "video/mp4" and source["src"].endswith(".mp4")
    tracks = video.find_all("track")
    # HTML's content model: every <source> before the first <track>.
    children = [child.name for child in video.find_all(["source", "track"])]
    assert children == sorted(children, key=lambda name: name != "source")
    assert [(t["kind"], t["srclang"], t["label"], t.has_attr("default")) for t in tracks] == [
        ("captions", "en", "English", True), ("captions", "de", "Deutsch", False),
        ("descriptions", "en", "English", False), ("chapters", "en", "English", False)]
    fallback = video.find("p")
    hrefs = {a["href"]: a for a in fallback.find_all("a")}
    assert "#transcript" in hrefs
    download = hrefs[source["src"]]
    assert download.has_attr("download")
    assert page.find(id="transcript") is not None


def test_duration_is_shown_as_text_and_machine_readable(each_client):
    page = soup(each_client.get(ARTICLE))
    duration = page.find(class_="app-video__caption").find("time")
    assert duration.get_text() == "0:32"
    assert duration["datetime"] == "PT32S"


def test_transcript_is_server_rendered_with_time_links(each_client):
    page = soup(each_client.get(ARTICLE))
    transcript = page.find(id="transcript")
    english, german = transcript.find_all("details")
    assert english.has_attr("open") and english["lang"] == "en"
    assert german["lang"] == "de"
    assert "twenty to midnight" in english.get_text()
    assert "Fahrgäste" in german.get_text()
    first_link = english.find("a")
    assert first_link["href"] == "?t=0#player"


def test_every_image_has_alt_and_every_photo_figure_a_credit(each_client):
    for url in ("/", ARTICLE):
        page = soup(each_client.get(url))
        images = page.find_all("img")
        assert images
        for image in images:
            assert image.get("alt"), image
        for figure in page.find_all("figure", class_="app-figure"):
            credit = figure.find(class_="app-figure__credit")
            assert credit is not None and credit.get_text().startswith("Image: ")


def test_article_photo_shows_caption_and_credit_from_metadata(each_client):
    page = soup(each_client.get(ARTICLE))
    figure = page.find(class_="app-article").find_all("figure", class_="app-figure")[-1]
    assert figure.img["alt"].startswith("A white ferry")
    assert "first evening run" in figure.figcaption.get_text()
    assert figure.find(class_="app-figure__credit").get_text() == "Image: Newsreel demo desk / Studio Elsey"
    assert figure.img["src"].endswith(".jpg") and figure.img["srcset"].count(".jpg ") == 4
    sources = figure.find("picture").find_all("source")
    assert [s["type"] for s in sources] == ["image/avif", "image/webp"]
    assert sources[0]["srcset"].count(".avif ") == 4


def test_home_lists_the_top_story_first_then_more_stories(each_client):
    page = soup(each_client.get("/"))
    top = page.find("section", class_="app-section--top")
    assert top.find("a", href=ARTICLE) is not None
    more = [a["href"] for a in page.select("#more-stories-heading ~ ul .app-teaser__title a")]
    # The Arabic version of the garden story was published two hours after the English one.
    assert more == ["/articles/reading-room-stays-open", "/articles/school-roof-garden-ar",
                    "/articles/school-roof-garden"]
    for teaser in page.select(".app-teaser"):
        assert teaser.find("time")["datetime"]
        assert teaser.find(class_="app-figure__credit").get_text().startswith("Image: ")
        assert teaser.find(class_="app-teaser__summary").get_text(strip=True)


def test_time_parameter_starts_the_video_there(each_client):
    page = soup(each_client.get(ARTICLE + "?t=15"))
    assert page.find("source")["src"].endswith("#t=15.000")


@pytest.mark.parametrize("value", ["abc", "-3", "nan", "inf"])
def test_malformed_time_parameter_is_a_400_page(each_client, value):
    response = each_client.get(f"{ARTICLE}?t={value}")
    assert response.status_code == 400
    assert "must be a number of seconds" in response.get_data(as_text=True)


def test_unknown_article_is_an_accessible_404(each_client):
    response = each_client.get("/articles/no-such-story")
    assert response.status_code == 404
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.h1.get_text() == "Page not found"
    assert page.find("a", href="/") is not None


def fetch(client, url: str, **options):
    """GET ``url``, read the whole body and close the response (media bodies are open files)."""
    response = client.get(url, **options)
    response.get_data()
    response.close()
    return response


def media_url(client, suffix: str) -> str:
    page = soup(client.get(ARTICLE))
    urls = [page.find("source")["src"], page.find("video")["poster"],
            *(t["src"] for t in page.find_all("track"))]
    return next(u for u in urls if u.endswith(suffix))


def test_media_answers_a_range_with_206_and_content_range(each_client):
    url = media_url(each_client, ".mp4")
    full = fetch(each_client, url)
    total = len(full.data)
    response = fetch(each_client, url, headers={"Range": "bytes=0-99"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 0-99/{total}"
    assert response.data == full.data[:100]
    assert response.headers["Accept-Ranges"] == "bytes"


def test_media_range_past_the_end_is_416(each_client):
    url = media_url(each_client, ".mp4")
    total = len(fetch(each_client, url).data)
    response = fetch(each_client, url, headers={"Range": f"bytes={total + 10}-"})
    assert response.status_code == 416


@pytest.mark.parametrize("suffix, media_type", [
    (".mp4", "video/mp4"), (".vtt", "text/vtt; charset=utf-8"), (".jpg", "image/jpeg")])
def test_media_types_and_immutable_caching(each_client, suffix, media_type):
    response = fetch(each_client, media_url(each_client, suffix))
    assert response.headers["Content-Type"] == media_type
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]


@pytest.mark.parametrize("name", ["../newsreel.sqlite3", "..%2fnewsreel.sqlite3", "newsreel.sqlite3",
                                  "%2e%2e%2f%2e%2e%2fapp.py", "0123456789abcdef.exe", "x.mp4"])
def test_media_names_outside_the_pattern_are_404(each_client, name):
    assert each_client.get(f"/media/{name}").status_code == 404


def test_security_headers_on_pages_and_errors(each_client):
    for url in ("/", ARTICLE, "/articles/nope"):
        response = each_client.get(url)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY


def test_no_inline_script_or_style_in_pages(each_client):
    for url in ("/", ARTICLE):
        page = soup(each_client.get(url))
        # JSON-LD is a data block that browsers never run; any other inline script is a fault.
        inline = [tag for tag in page.find_all("script", src=False)
                  if tag.get("type") != "application/ld+json"]
        assert inline == []
        assert page.find("style") is None
        assert not page.find_all(style=True)


def test_markup_in_content_is_escaped(tmp_path, small_bundle):
    from articles.ingest import ingest_bundle
    from articles.store import Library
    from tests.test_ingest import replace_in_article
    replace_in_article(small_bundle, "title: A small story", "title: <script>alert(1)</script>")
    (small_bundle / "article.md").write_text(
        (small_bundle / "article.md").read_text(encoding="utf-8") + "\n<img src=x onerror=alert(1)>\n",
        encoding="utf-8")
    library = Library(tmp_path / "lib")
    ingest_bundle(small_bundle, library)
    client = create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()
    html = client.get("/articles/small-story").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_empty_library_shows_a_home_page_that_says_so(tmp_path):
    client = create_app({"TESTING": True, "LIBRARY": str(tmp_path / "none")}).test_client()
    response = client.get("/")
    assert response.status_code == 200
    assert "No articles yet" in response.get_data(as_text=True)
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize("image", [
    {"url": "/x.jpg", "srcset": "", "width": 1, "height": 1, "credit": "C"},
    {"url": "/x.jpg", "srcset": "", "width": 1, "height": 1, "alt": "A", "credit": None},
])
def test_photo_macro_refuses_to_render_without_alt_or_credit(app, image):
    with app.test_request_context():
        with pytest.raises(Exception, match="alt|credit"):
            render_template_string('{% from "macros/figure.html" import photo %}{{ photo(image) }}',
                                   image=image)


def ingest_variant(tmp_path, bundle, clip_source, captions=True):
    """Ingest ``bundle`` with its clip replaced, and return a client serving it."""
    from articles.ingest import ingest_bundle
    from articles.store import Library
    from tests.test_ingest import replace_in_article
    (bundle / "clip.mp4").unlink()
    target = bundle / f"clip{clip_source.suffix}"
    target.write_bytes(clip_source.read_bytes())
    replace_in_article(bundle, "source: clip.mp4", f"source: {target.name}")
    if not captions:
        replace_in_article(bundle, "  captions:\n    - file: clip.en.vtt\n      language: en\n", "")
    library = Library(tmp_path / "lib")
    ingest_bundle(bundle, library)
    return create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()


def test_a_webm_source_is_served_and_an_unchanged_reingest_skips(tmp_path, small_bundle):
    from urllib.parse import urlsplit

    from articles.ingest import IngestOptions, ingest_bundle
    from articles.store import Library
    from media.ffmpeg.commands import ClipSettings
    library = Library(tmp_path / "lib")
    options = IngestOptions(settings=ClipSettings(preset="ultrafast", webm=True))
    ingest_bundle(small_bundle, library, options)
    client = create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()
    webm = soup(client.get("/articles/small-story")).find("source", type="video/webm")
    assert webm is not None
    response = client.get(urlsplit(webm["src"]).path)
    assert response.status_code == 200
    assert response.mimetype == "video/webm"
    assert response.data[:4] == b"\x1a\x45\xdf\xa3"  # the EBML header of a WebM file
    response.close()
    assert ingest_bundle(small_bundle, library, options).skipped


@pytest.mark.corpus
def test_audio_only_clip_is_an_audio_player_with_its_transcript(tmp_path, small_bundle):
    client = ingest_variant(tmp_path, small_bundle, CORPUS / "audio" / "detodos.webm")
    page = soup(client.get("/articles/small-story"))
    assert page.find("video") is None
    audio = page.find("audio")
    assert audio.has_attr("controls") and not audio.has_attr("autoplay")
    assert audio.find("source")["type"] == "audio/mp4"
    assert audio.find("source")["src"].endswith(".m4a")
    assert audio.find("a", href="#transcript") is not None
    assert "A small test clip." in page.find(id="transcript").get_text()
    assert page.find("a", class_="app-video__skip").get_text() == "Skip the audio player"


@pytest.mark.corpus
def test_clip_without_sound_says_so(tmp_path, small_bundle):
    client = ingest_variant(tmp_path, small_bundle, CORPUS / "video" / "gizmo-noaudio.mp4",
                            captions=False)
    page = soup(client.get("/articles/small-story"))
    assert "This clip has no sound." in page.find(class_="app-video__caption").get_text()
    assert page.find("video").find("track") is None


def test_article_has_sharing_tags_with_a_credited_1200x630_image(each_client, tmp_path):
    page = soup(each_client.get(ARTICLE))
    tags = {m.get("property") or m.get("name"): m["content"] for m in page.find_all("meta")
            if m.get("property", "").startswith("og:") or m.get("name", "").startswith("twitter:")}
    assert tags["og:title"] == "The night ferry to Marrow Island sails again"
    assert tags["og:type"] == "article" and tags["twitter:card"] == "summary_large_image"
    assert tags["og:image:alt"].startswith("A white ferry")
    assert tags["og:url"].endswith(ARTICLE)
    card = tmp_path / "card.jpg"
    card.write_bytes(fetch(each_client, urlsplit(tags["og:image"]).path).data)
    with Image.open(card) as image:
        assert image.size == (1200, 630)
    assert read_photo_metadata(card).credit == "Newsreel demo desk / Studio Elsey"


def structured(page: BeautifulSoup) -> dict:
    import json
    [block] = page.find_all("script", type="application/ld+json")
    return json.loads(block.string)


def test_structured_data_credits_the_photo_and_describes_the_clip(each_client):
    data = structured(soup(each_client.get(ARTICLE)))
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "The night ferry to Marrow Island sails again"
    [image] = data["image"]
    assert image["@type"] == "ImageObject"
    assert image["creditText"] == "Newsreel demo desk / Studio Elsey"
    assert image["creator"]["name"] == "Ada Lindqvist"
    assert image["copyrightNotice"] == "© 2026 Newsreel demo desk"
    video = data["video"]
    assert video["@type"] == "VideoObject"
    assert {"name", "thumbnailUrl", "uploadDate", "contentUrl", "description"} <= set(video)
    assert video["duration"] == "PT32S"
    assert video["contentUrl"].startswith("http") and video["contentUrl"].endswith(".mp4")
    assert "twenty to midnight" in video["transcript"]


def test_markup_in_a_title_cannot_leave_the_structured_data(tmp_path, small_bundle):
    from articles.ingest import ingest_bundle
    from articles.store import Library
    from tests.test_ingest import replace_in_article
    title = "</script><script>alert(1)</script> & more"
    replace_in_article(small_bundle, "title: A small story", f"title: '{title}'")
    library = Library(tmp_path / "lib")
    ingest_bundle(small_bundle, library)
    client = create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()
    html = client.get("/articles/small-story").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    page = BeautifulSoup(html, "html.parser")
    assert structured(page)["headline"] == title
    assert len(page.find_all("script", src=False)) == 1


@pytest.mark.parametrize("credit, poster_alt", [(None, None), ("Video: Test desk", "A test pattern.")])
def test_article_without_photos_uses_its_credited_poster_on_the_home_page(tmp_path, small_bundle,
                                                                          credit, poster_alt):
    from articles.ingest import ingest_bundle
    from articles.store import Library
    from tests.test_ingest import replace_in_article
    replace_in_article(small_bundle, "images:\n  - source: photo.jpg\n    alt: A generated harbour scene.\n"
                       "    caption: Made with Pillow.\n", "")
    extra = "".join(f"  {key}: '{value}'\n" for key, value in
                    (("credit", credit), ("poster_alt", poster_alt)) if value)
    replace_in_article(small_bundle, "  title: The small clip\n", f"  title: The small clip\n{extra}")
    library = Library(tmp_path / "lib")
    ingest_bundle(small_bundle, library)
    client = create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()
    page = soup(client.get("/"))
    teaser = page.find("article", class_="app-teaser")
    if credit is None:
        assert teaser.find("img") is None  # no credit, no picture: never an uncredited image
    else:
        assert teaser.find("img")["alt"] == poster_alt
        assert teaser.find(class_="app-figure__credit").get_text() == f"Image: {credit}"
        assert teaser.find("source")["type"] == "image/webp"


HOSTILE = ['"><img src=x onerror=alert(1)>', "<script>alert(1)</script>",
           "javascript:alert(1)", "' onmouseover='alert(1)"]


def test_markup_in_captions_voices_descriptions_and_chapters_stays_text(tmp_path, small_bundle):
    from articles.ingest import ingest_bundle
    from articles.store import Library
    from tests.test_ingest import replace_in_article
    escaped = [html_module.escape(payload, quote=False) for payload in HOSTILE]
    (small_bundle / "clip.en.vtt").write_text(
        f"WEBVTT\n\n00:00:00.000 --> 00:00:00.900\n<v {escaped[3]}>{escaped[0]}\n\n"
        f"00:00:01.000 --> 00:00:01.900\n<c.x\"onclick=alert(1)>{escaped[1]}</c>\n", encoding="utf-8")
    (small_bundle / "clip.en.descriptions.vtt").write_text(
        f"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n{escaped[2]}\n", encoding="utf-8")
    (small_bundle / "clip.en.chapters.vtt").write_text(
        f"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n{escaped[1]}\n", encoding="utf-8")
    replace_in_article(small_bundle, "      language: en\n",
                       "      language: en\n    - file: clip.en.descriptions.vtt\n"
                       "      language: en\n      kind: descriptions\n"
                       "    - file: clip.en.chapters.vtt\n      language: en\n      kind: chapters\n")
    library = Library(tmp_path / "lib")
    ingest_bundle(small_bundle, library)
    client = create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()
    html = client.get("/articles/small-story").get_data(as_text=True)
    page = BeautifulSoup(html, "html.parser")
    assert page.find("img", src="x") is None
    assert not page.find_all(attrs={"onerror": True}) and not page.find_all(attrs={"onmouseover": True})
    assert len(page.find_all("script", src=False)) == 1
    assert page.find("script", src=False)["type"] == "application/ld+json"
    text = page.get_text()
    for payload in HOSTILE:
        assert payload in text


def test_english_player_words_are_marked_english_on_a_right_to_left_article(each_client):
    page = soup(each_client.get("/articles/school-roof-garden-ar"))
    assert page.html["lang"] == "ar" and page.html["dir"] == "rtl"
    figure = page.find("figure", id="player")
    metas = {" ".join(span.get_text().split()): span for span in
             figure.find_all("span", class_="app-video__meta")}
    tracks = next(span for text, span in metas.items() if text.startswith("Captions and subtitles:"))
    assert tracks["lang"] == "en" and tracks["dir"] == "ltr"
    assert tracks.find("span", lang="ar") is not None
    assert figure.find("a", class_="app-video__skip")["lang"] == "en"
    assert page.find(id="transcript-heading")["lang"] == "en"
