"""Automatic draft captions: refused unless marked ``automatic: true``, then labelled so everywhere."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from app import create_app
from articles.bundle import BundleError, load_bundle
from articles.document import StoredArticle
from articles.ingest import ingest_bundle
from articles.present import track_label
from articles.store import Library
from captions.drafts import draft_note
from tests.test_ingest import replace_in_article

MEDIA = "{http://search.yahoo.com/mrss/}"
STORED = Path(__file__).parent / "data" / "stored-articles"
CAPTION_ENTRY = "    - file: clip.en.vtt\n      language: en\n"


def make_draft(bundle: Path) -> None:
    """Put the draft NOTE at the top of the bundle's captions, as the draft command writes it."""
    vtt = bundle / "clip.en.vtt"
    body = vtt.read_text(encoding="utf-8").removeprefix("WEBVTT").lstrip("\n")
    vtt.write_text(f"WEBVTT\n\n{draft_note('Engine: pocketsphinx')}\n\n{body}", encoding="utf-8")


def mark_automatic(bundle: Path, value: str = "true") -> None:
    replace_in_article(bundle, CAPTION_ENTRY, f"{CAPTION_ENTRY}      automatic: {value}\n")


def test_an_unmarked_draft_is_refused_in_one_line_naming_the_file(tmp_path, small_bundle):
    make_draft(small_bundle)
    library = Library(tmp_path / "lib")
    with pytest.raises(BundleError) as caught:
        ingest_bundle(small_bundle, library)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{small_bundle / 'clip.en.vtt'}: ")
    assert "review it and remove the NOTE" in message
    assert "automatic: true" in message
    assert not library.exists() or library.article("small-story") is None


def test_reviewed_captions_without_the_note_are_published_unlabelled(tmp_path, small_bundle):
    library = Library(tmp_path / "lib")
    ingest_bundle(small_bundle, library)
    [track] = library.article("small-story").document.video.tracks
    assert not track.automatic
    assert track_label(track) == "English"
    assert "automatic" not in json.dumps(library.article("small-story").document.to_json())


@pytest.mark.parametrize("value", ["sometimes", "1", "'true'", "[true]"])
def test_an_automatic_value_that_is_not_a_boolean_names_article_md_and_its_line(
        small_bundle, value):
    mark_automatic(small_bundle, value)
    with pytest.raises(BundleError) as caught:
        load_bundle(small_bundle)
    message = str(caught.value)
    assert "\n" not in message
    # The caption entry starts on line 10 of article.md; "automatic" is on line 12.
    assert message.startswith(f"{small_bundle / 'article.md'}:12: ")
    assert "'automatic' must be true or false" in message


@pytest.fixture
def published(tmp_path, small_bundle):
    """The small bundle's captions as a draft marked automatic, ingested; a test client on it."""
    make_draft(small_bundle)
    mark_automatic(small_bundle)
    library = Library(tmp_path / "lib")
    ingest_bundle(small_bundle, library)
    client = create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()
    return library, client


def test_a_marked_draft_is_stored_as_automatic(published):
    library, _ = published
    article = library.article("small-story").document
    [track] = article.video.tracks
    assert track.automatic
    assert track.label == "English"
    assert track.to_json()["automatic"] is True
    assert StoredArticle.from_text(article.to_text()) == article


def test_the_track_menu_and_transcript_heading_say_automatic(published):
    _, client = published
    response = client.get("/articles/small-story")
    assert response.status_code == 200
    page = BeautifulSoup(response.data, "html.parser")
    [track] = page.select("video track[kind=captions]")
    assert track["label"] == "English (automatic)"
    [summary] = page.select(".app-transcript__summary")
    assert summary.get_text(strip=True) == "English (automatic)"


def test_the_teaser_badge_says_automatic(published):
    _, client = published
    page = BeautifulSoup(client.get("/").data, "html.parser")
    badges = " ".join(b.get_text(" ", strip=True) for b in page.select(".app-badges li"))
    assert "English (automatic)" in badges


def test_the_feed_labels_the_track_automatic(published):
    _, client = published
    root = ET.fromstring(client.get("/feed.xml").data)
    [subtitle] = root.iter(f"{MEDIA}subTitle")
    assert subtitle.text == "English (automatic)"
    assert subtitle.get("lang") == "en"


def test_the_word_automatic_is_in_the_tracks_language(published):
    library, _ = published
    [track] = library.article("small-story").document.video.tracks
    german = type(track)(**{**track.__dict__, "language": "de", "label": "Deutsch"})
    assert track_label(german) == "Deutsch (automatisch)"
    unknown = type(track)(**{**track.__dict__, "language": "fi", "label": "suomi"})
    assert track_label(unknown) == "suomi (automatic)"


@pytest.mark.parametrize("path", sorted(STORED.glob("*.json")), ids=lambda path: path.stem)
def test_a_document_stored_before_automatic_tracks_reads_as_not_automatic(path):
    article = StoredArticle.from_text(path.read_text(encoding="utf-8"))
    tracks = [*article.video.tracks, *article.video.extra_tracks] if article.video else []
    assert tracks
    assert not any(track.automatic for track in tracks)
