"""Clips without sound: their descriptions are the text alternative (WCAG 1.2.1)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from app import create_app
from articles.bundle import BundleError
from articles.ingest import ingest_bundle
from articles.store import Library
from media.demo.bundles import to_vtt
from tests.conftest import make_clip, run_media_cli, serving
from tests.test_feeds import read_feed
from tests.test_ingest import replace_in_article, tree_state

SLUG = "quiet-square"
ARTICLE = f"/articles/{SLUG}"
NO_SOUND = "This clip has no sound. The transcript describes what it shows."
DESCRIPTIONS = [(0.0, 1.5, "A red tram crosses an empty square."),
                (2.5, 3.8, "Pigeons lift off the cobbles at once.")]
CHAPTERS = [(0.0, 2.5, "The tram"), (2.5, 4.0, "The pigeons")]


@pytest.fixture(scope="session")
def silent_clip(tmp_path_factory) -> Path:
    """A 4-second 320x240 H.264 clip with no audio stream."""
    return make_clip(tmp_path_factory.mktemp("silent") / "silent.mp4", seconds=4.0, audio=False)


def write_silent_bundle(folder: Path, clip: Path, tracks: str = "", strict: bool = False,
                        language: str = "en") -> Path:
    """Write a bundle around the silent clip; ``tracks`` is the YAML list under video.captions."""
    folder.mkdir(parents=True)
    shutil.copy(clip, folder / "clip.mp4")
    (folder / "clip.en.descriptions.vtt").write_text(to_vtt(DESCRIPTIONS), encoding="utf-8")
    (folder / "clip.en.chapters.vtt").write_text(to_vtt(CHAPTERS), encoding="utf-8")
    (folder / "article.md").write_text(f"""\
---
title: A quiet square at dawn
published: 2026-11-02T07:00:00Z
language: {language}
{"strict: true" + chr(10) if strict else ""}summary: The old square before the first market stall opens.
video:
  source: clip.mp4
  title: The square without a sound
  credit: Test desk
  captions:{tracks or " []"}
---

The square is silent until seven.
""", encoding="utf-8")
    return folder


DESCRIBED = """
    - file: clip.en.descriptions.vtt
      language: en
      kind: descriptions
    - file: clip.en.chapters.vtt
      language: en
      kind: chapters"""


@pytest.fixture
def described_library(tmp_path, silent_clip) -> Library:
    """A library holding one silent clip with English descriptions and chapters."""
    library = Library(tmp_path / "lib")
    result = ingest_bundle(write_silent_bundle(tmp_path / "content" / SLUG, silent_clip, DESCRIBED),
                           library)
    assert result.notes == ()
    return library


@pytest.fixture
def described_client(described_library):
    return create_app({"TESTING": True, "LIBRARY": str(described_library.root)}).test_client()


def page_of(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def words(node) -> str:
    return " ".join(node.get_text().split())


# --- ingest ---------------------------------------------------------------------------------

def test_descriptions_of_a_silent_clip_are_stored_with_a_transcript(described_library):
    video = described_library.article(SLUG).document.video
    assert video.has_audio is False
    assert video.tracks == ()
    described = next(t for t in video.extra_tracks if t.kind == "descriptions")
    # One section per chapter of the same language, each with its description.
    assert [(s.title, [(p.kind, p.text) for p in s.paragraphs])
            for s in described.transcript] == [
        ("The tram", [("description", "A red tram crosses an empty square.")]),
        ("The pigeons", [("description", "Pigeons lift off the cobbles at once.")])]
    chapters = next(t for t in video.extra_tracks if t.kind == "chapters")
    assert chapters.transcript is None


def test_silent_clip_without_descriptions_is_ingested_with_a_wcag_note(tmp_path, silent_clip):
    bundle = write_silent_bundle(tmp_path / "content" / SLUG, silent_clip)
    library = Library(tmp_path / "lib")
    result = ingest_bundle(bundle, library)
    [note] = result.notes
    assert "\n" not in note
    assert note.startswith(f"{bundle / 'article.md'}: the clip has no sound and no descriptions track")
    assert "no text alternative (WCAG 1.2.1)" in note
    assert "add a caption file with 'kind: descriptions'" in note
    page = page_of(create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()
                   .get(ARTICLE))
    assert words(page.find(id="transcript").p) == "This clip has no sound, so there is nothing to transcribe."


def test_chapters_alone_do_not_describe_a_silent_clip(tmp_path, silent_clip):
    bundle = write_silent_bundle(tmp_path / "content" / SLUG, silent_clip, """
    - file: clip.en.chapters.vtt
      language: en
      kind: chapters""")
    [note] = ingest_bundle(bundle, Library(tmp_path / "lib")).notes
    assert "WCAG 1.2.1" in note


def test_strict_bundle_refuses_a_silent_clip_without_descriptions(tmp_path, silent_clip):
    bundle = write_silent_bundle(tmp_path / "content" / SLUG, silent_clip, strict=True)
    library = Library(tmp_path / "lib")
    before = tree_state(library.root)
    with pytest.raises(BundleError) as caught:
        ingest_bundle(bundle, library)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{bundle / 'article.md'}: the clip has no sound")
    assert "WCAG 1.2.1" in message and "'strict: true'" in message
    assert tree_state(library.root) == before


def test_strict_refusal_is_one_line_from_the_cli(tmp_path, silent_clip):
    bundle = write_silent_bundle(tmp_path / "content" / SLUG, silent_clip, strict=True)
    result = run_media_cli("ingest", str(bundle), "--library", str(tmp_path / "lib"))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {bundle / 'article.md'}: ") and "WCAG 1.2.1" in lines[0]


def test_strict_bundle_with_descriptions_is_accepted(tmp_path, silent_clip):
    bundle = write_silent_bundle(tmp_path / "content" / SLUG, silent_clip, DESCRIBED, strict=True)
    assert ingest_bundle(bundle, Library(tmp_path / "lib")).notes == ()


def test_clip_with_sound_is_unchanged(tmp_path, small_bundle):
    (small_bundle / "clip.en.descriptions.vtt").write_text(to_vtt(DESCRIPTIONS[:1]), encoding="utf-8")
    replace_in_article(small_bundle, "      language: en\n", "      language: en\n"
                       "    - file: clip.en.descriptions.vtt\n      language: en\n"
                       "      kind: descriptions\n")
    library = Library(tmp_path / "lib")
    result = ingest_bundle(small_bundle, library)
    assert not [note for note in result.notes if "WCAG 1.2.1" in note or "no sound" in note]
    video = library.article("small-story").document.video
    # The descriptions are read into the caption transcript, not given one of their own.
    assert [t.kind for t in video.extra_tracks] == ["descriptions"]
    assert video.extra_tracks[0].transcript is None
    client = create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()
    page = page_of(client.get("/articles/small-story"))
    transcript = page.find(id="transcript")
    assert NO_SOUND not in words(transcript)
    assert [d["data-kind"] for d in transcript.find_all("details")] == ["captions"]
    assert "Audio description: in the transcript" in words(page.find("figcaption"))


# --- the article page -----------------------------------------------------------------------

def test_silent_clip_page_shows_the_descriptions_as_its_transcript(described_client):
    page = page_of(described_client.get(ARTICLE))
    transcript = page.find(id="transcript")
    notice = transcript.find("p", recursive=False)
    assert (words(notice), notice["lang"]) == (NO_SOUND, "en")
    assert "nothing to transcribe" not in words(transcript)
    [details] = transcript.find_all("details")
    # The only transcript of the clip is open: nothing else on the page says what it shows.
    assert (details["lang"], details["dir"], details["data-kind"]) == ("en", "ltr", "descriptions")
    assert details.has_attr("open")
    assert [words(h3) for h3 in details.find_all("h3")] == ["The tram", "The pigeons"]
    paragraphs = details.find_all("p", class_="app-transcript__cue")
    assert all("app-transcript__description" in p["class"] for p in paragraphs)
    assert [(p.a["href"], words(p)) for p in paragraphs] == [
        ("?t=0#player", "Play the video from 0:00 [A red tram crosses an empty square.]"),
        ("?t=2#player", "Play the video from 0:02 [Pigeons lift off the cobbles at once.]")]
    # Still a descriptions <track> for the player, never a caption track.
    tracks = page.find("video").find_all("track")
    assert [t["kind"] for t in tracks] == ["descriptions", "chapters"]
    caption = words(page.find("figcaption"))
    assert "This clip has no sound." in caption and "Captions:" not in caption
    assert "Description: in the transcript" in caption and "Audio description" not in caption


def test_silent_clip_teaser_and_structured_data_name_the_transcript(described_client):
    home = page_of(described_client.get("/"))
    teaser = home.find("a", href=ARTICLE).find_parent("article", class_="app-teaser")
    # The descriptions are text here, with no sound to voice them over.
    assert [words(li) for li in teaser.find("ul", class_="app-badges").find_all("li")] == [
        "Description", "Transcript", "Chapters"]
    page = page_of(described_client.get(ARTICLE))
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert data["video"]["transcript"] == ("A red tram crosses an empty square. "
                                           "Pigeons lift off the cobbles at once.")


# --- search ---------------------------------------------------------------------------------

def test_descriptions_of_a_silent_clip_are_searchable(described_client):
    page = page_of(described_client.get("/search?q=pigeons+cobbles"))
    [result] = page.select(".app-result")
    assert result.select_one(".app-result__title a")["href"] == ARTICLE
    [moment] = result.select(".app-result__moment")
    assert moment.a["href"] == f"{ARTICLE}?t=2#player"
    assert words(moment.select_one(".app-result__quote")) == "[Pigeons lift off the cobbles at once.]"


# --- feed -----------------------------------------------------------------------------------

def test_feed_carries_the_descriptions_of_a_silent_clip_as_its_text(described_client):
    root = read_feed(described_client)
    texts = [(t.get("lang"), t.get("start"), t.text)
             for t in root.iter("{http://search.yahoo.com/mrss/}text")]
    assert texts == [("en", "00:00:00.000", "[A red tram crosses an empty square.]"),
                     ("en", "00:00:02.500", "[Pigeons lift off the cobbles at once.]")]


def test_descriptions_of_a_silent_clip_with_captions_stay_in_the_caption_transcript(
        tmp_path, silent_clip):
    # On-screen words can be captioned in a clip without sound; the descriptions are
    # then merged into that transcript, not repeated in one of their own.
    folder = write_silent_bundle(tmp_path / "content" / SLUG, silent_clip, DESCRIBED + """
    - file: clip.en.vtt
      language: en""")
    (folder / "clip.en.vtt").write_text(to_vtt([(1.6, 2.4, "MARKET OPENS AT SEVEN")]),
                                        encoding="utf-8")
    library = Library(tmp_path / "lib")
    ingest_bundle(folder, library)
    video = library.article(SLUG).document.video
    assert [t.kind for t in video.tracks] == ["captions"]
    assert not any(t.transcript is not None for t in video.extra_tracks)
    kinds = [p.kind for section in video.tracks[0].transcript
             for p in section.paragraphs]
    assert kinds.count("description") == 2 and kinds.count("speech") == 1


# --- several languages ---------------------------------------------------------------------

GERMAN_DESCRIPTIONS = [(0.0, 1.5, "Eine rote Straßenbahn überquert den leeren Platz."),
                       (2.5, 3.8, "Tauben fliegen vom Pflaster auf.")]
GERMAN_CHAPTERS = [(0.0, 2.5, "Die Straßenbahn"), (2.5, 4.0, "Die Tauben")]
# English first, as an editor might list them in a German article.
ENGLISH_AND_GERMAN = DESCRIBED + """
    - file: clip.de.descriptions.vtt
      language: de
      kind: descriptions
    - file: clip.de.chapters.vtt
      language: de
      kind: chapters"""


def write_german_tracks(folder: Path) -> None:
    (folder / "clip.de.descriptions.vtt").write_text(to_vtt(GERMAN_DESCRIPTIONS), encoding="utf-8")
    (folder / "clip.de.chapters.vtt").write_text(to_vtt(GERMAN_CHAPTERS), encoding="utf-8")


def client_for(library: Library):
    return create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()


@pytest.mark.parametrize("article_language, first, second, described, chapters", [
    ("de", "de", "en", GERMAN_DESCRIPTIONS, GERMAN_CHAPTERS),
    ("de-AT", "de", "en", GERMAN_DESCRIPTIONS, GERMAN_CHAPTERS),
    ("en", "en", "de", DESCRIPTIONS, CHAPTERS),
], ids=["de", "de-AT", "en"])
def test_descriptions_in_the_article_language_come_first_and_open(
        tmp_path, silent_clip, article_language, first, second, described, chapters):
    folder = write_silent_bundle(tmp_path / "content" / SLUG, silent_clip, ENGLISH_AND_GERMAN,
                                 language=article_language)
    write_german_tracks(folder)
    library = Library(tmp_path / "lib")
    assert ingest_bundle(folder, library).notes == ()
    page = page_of(client_for(library).get(ARTICLE))
    panels = page.find(id="transcript").find_all("details")
    assert [(d["lang"], d["data-kind"], d.has_attr("open")) for d in panels] == [
        (first, "descriptions", True), (second, "descriptions", False)]
    # The chapter list and the search engines' transcript follow the panel that is open.
    nav = page.find("nav", class_="app-chapters")
    assert nav["lang"] == first
    assert [words(a).split(" ", 1)[1] for a in nav.find_all("a")] == [t for _, _, t in chapters]
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert data["video"]["transcript"] == " ".join(text for _, _, text in described)


TEXT_OVER_THE_PICTURE = [(1.6, 2.4, "MARKET OPENS AT SEVEN")]


def test_silent_clip_keeps_descriptions_in_a_language_without_captions(tmp_path, silent_clip):
    # English on-screen text is captioned; the German descriptions have no captions of
    # their language to join, so they are the German text alternative on their own.
    folder = write_silent_bundle(tmp_path / "content" / SLUG, silent_clip, ENGLISH_AND_GERMAN + """
    - file: clip.en.vtt
      language: en""", language="de")
    write_german_tracks(folder)
    (folder / "clip.en.vtt").write_text(to_vtt(TEXT_OVER_THE_PICTURE), encoding="utf-8")
    library = Library(tmp_path / "lib")
    assert not [note for note in ingest_bundle(folder, library).notes if "WCAG" in note]
    video = library.article(SLUG).document.video
    assert [(t.kind, t.language) for t in video.tracks] == [("captions", "en")]
    by_language = {t.language: t for t in video.extra_tracks if t.kind == "descriptions"}
    # English descriptions are read into the English captions' transcript, and only there.
    assert by_language["en"].transcript is None
    assert [p.text for section in by_language["de"].transcript
            for p in section.paragraphs] == [text for _, _, text in GERMAN_DESCRIPTIONS]

    client = client_for(library)
    page = page_of(client.get(ARTICLE))
    transcript = page.find(id="transcript")
    assert words(transcript.find("p", recursive=False)) == NO_SOUND
    assert [(d["lang"], d["data-kind"], d.has_attr("open"))
            for d in transcript.find_all("details")] == [
        ("en", "captions", True), ("de", "descriptions", False)]
    text = words(transcript)
    assert all(text.count(line) == 1 for _, _, line in DESCRIPTIONS + GERMAN_DESCRIPTIONS)
    assert "Description: in the transcript" in words(page.find("figcaption"))

    [result] = page_of(client.get("/search?q=Pflaster")).select(".app-result")
    [moment] = result.select(".app-result__moment")
    assert moment.a["href"] == f"{ARTICLE}?t=2#player"
    assert words(moment.select_one(".app-result__quote")) == "[Tauben fliegen vom Pflaster auf.]"
    texts = [(t.get("lang"), t.text)
             for t in read_feed(client).iter("{http://search.yahoo.com/mrss/}text")]
    assert [t for lang, t in texts if lang == "de"] == [
        f"[{text}]" for _, _, text in GERMAN_DESCRIPTIONS]


# --- descriptions with nothing to read ------------------------------------------------------

ONLY_DESCRIPTIONS = """
    - file: clip.en.descriptions.vtt
      language: en
      kind: descriptions"""


@pytest.mark.parametrize("invisible", ["&lrm;", "<i>&rlm;</i> &lrm;"])
def test_descriptions_without_visible_text_are_no_text_alternative(tmp_path, silent_clip,
                                                                   invisible):
    folder = write_silent_bundle(tmp_path / "content" / SLUG, silent_clip, ONLY_DESCRIPTIONS)
    (folder / "clip.en.descriptions.vtt").write_text(to_vtt([(0.0, 1.5, invisible)]),
                                                     encoding="utf-8")
    library = Library(tmp_path / "lib")
    [note] = [note for note in ingest_bundle(folder, library).notes if "WCAG 1.2.1" in note]
    assert "no descriptions track with text" in note
    video = library.article(SLUG).document.video
    assert [t.kind for t in video.extra_tracks] == ["descriptions"]
    assert video.extra_tracks[0].transcript is None

    client = client_for(library)
    page = page_of(client.get(ARTICLE))
    transcript = page.find(id="transcript")
    assert transcript.find("details") is None
    assert words(transcript.p) == "This clip has no sound, so there is nothing to transcribe."
    assert "in the transcript" not in words(page.find("figcaption"))
    teaser = page_of(client.get("/")).find("a", href=ARTICLE).find_parent("article")
    assert teaser.find("ul", class_="app-badges") is None

    replace_in_article(folder, "\nsummary:", "\nstrict: true\nsummary:")
    before = tree_state(library.root)
    with pytest.raises(BundleError, match="WCAG 1.2.1"):
        ingest_bundle(folder, library)
    assert tree_state(library.root) == before


# --- dense descriptions ---------------------------------------------------------------------

DENSE = [(0.0, 0.9, "A tram bell swings."), (1.0, 1.9, "A door opens."),
         (2.0, 2.9, "A child waves."), (3.0, 3.9, "The tram leaves.")]


def test_each_description_of_a_silent_clip_keeps_its_own_time_link(tmp_path, silent_clip):
    folder = write_silent_bundle(tmp_path / "content" / SLUG, silent_clip, ONLY_DESCRIPTIONS)
    (folder / "clip.en.descriptions.vtt").write_text(to_vtt(DENSE), encoding="utf-8")
    library = Library(tmp_path / "lib")
    ingest_bundle(folder, library)
    page = page_of(client_for(library).get(ARTICLE))
    paragraphs = page.find(id="transcript").find_all("p", class_="app-transcript__cue")
    assert [(p.a["href"], words(p)) for p in paragraphs] == [
        (f"?t={int(start)}#player", f"Play the video from 0:0{int(start)} [{text}]")
        for start, _, text in DENSE]


def test_descriptions_read_into_captions_still_join_in_paragraphs(tmp_path, silent_clip):
    # Only a transcript of descriptions alone gives each its own paragraph.
    folder = write_silent_bundle(tmp_path / "content" / SLUG, silent_clip, ONLY_DESCRIPTIONS + """
    - file: clip.en.vtt
      language: en""")
    (folder / "clip.en.descriptions.vtt").write_text(to_vtt(DENSE), encoding="utf-8")
    (folder / "clip.en.vtt").write_text(to_vtt([(3.95, 4.0, "END")]), encoding="utf-8")
    library = Library(tmp_path / "lib")
    ingest_bundle(folder, library)
    [track] = library.article(SLUG).document.video.tracks
    assert [(p.kind, p.text) for section in track.transcript
            for p in section.paragraphs] == [
        ("description", " ".join(text for _, _, text in DENSE)), ("speech", "END")]


# --- right-to-left articles -----------------------------------------------------------------

@pytest.mark.parametrize("tracks, sentence", [
    ("""
    - file: clip.ar.descriptions.vtt
      language: ar
      kind: descriptions""", NO_SOUND),
    ("", "This clip has no sound, so there is nothing to transcribe."),
], ids=["described", "not-described"])
def test_no_sound_sentence_reads_left_to_right_in_a_right_to_left_article(
        tmp_path, silent_clip, tracks, sentence):
    folder = write_silent_bundle(tmp_path / "content" / SLUG, silent_clip, tracks, language="ar")
    (folder / "clip.ar.descriptions.vtt").write_text(
        to_vtt([(0.0, 1.5, "ترام أحمر يعبر ساحة فارغة.")]), encoding="utf-8")
    library = Library(tmp_path / "lib")
    ingest_bundle(folder, library)
    page = page_of(client_for(library).get(ARTICLE))
    assert page.html["dir"] == "rtl"
    notice = page.find(id="transcript").find("p", recursive=False)
    assert (words(notice), notice["lang"], notice["dir"]) == (sentence, "en", "ltr")
    for details in page.find(id="transcript").find_all("details"):
        assert (details["lang"], details["dir"], details.has_attr("open")) == ("ar", "rtl", True)


# --- the player script ----------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.filterwarnings(
    r"ignore:unclosed file <_io\.BufferedReader name='[^']*/media/[0-9a-f]+\.\w+'>:ResourceWarning")
def test_transcript_script_works_with_a_descriptions_panel(page, described_library):
    uncaught: list[str] = []
    page.on("pageerror", lambda error: uncaught.append(str(error)))
    with serving(create_app({"LIBRARY": str(described_library.root)})) as url:
        page.goto(url + ARTICLE, wait_until="load")
        page.wait_for_selector(".app-transcript--enhanced")
        page.wait_for_function("() => document.querySelector('video').readyState >= 1",
                               timeout=15_000)
        page.evaluate("window.notReloaded = true")
        page.locator('#transcript .app-transcript__cue[data-start="2.5"]').click(
            position={"x": 200, "y": 5})
        page.wait_for_function(
            "() => document.querySelector('video').currentTime === 2.5", timeout=5_000)
        page.fill('#transcript input[type="search"]', "tram")
        hidden = page.eval_on_selector_all("#transcript .app-transcript__cue",
                                           "nodes => nodes.map((node) => node.hidden)")
        assert hidden == [False, True]
        assert page.evaluate("window.notReloaded === true")
    assert uncaught == []
