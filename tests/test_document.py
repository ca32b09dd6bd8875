"""The stored article: its JSON loads as frozen dataclasses and is written back unchanged."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from articles.document import (
    DocumentError,
    Rendition,
    StoredArticle,
    StoredChapter,
    StoredParagraph,
    StoredSection,
    Translation,
)
from articles.errors import ArticleError

# Written by the ingest of the version that introduced these classes, before it
# used them: the demo's top story and its Arabic version, a clip without sound
# described by its transcript, and an audio-only clip with no poster or photo.
STORED = Path(__file__).parent / "data" / "stored-articles"


def stored_text(slug: str) -> str:
    return (STORED / f"{slug}.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", sorted(STORED.glob("*.json")), ids=lambda path: path.stem)
def test_a_document_stored_before_the_dataclasses_is_written_back_byte_for_byte(path):
    text = path.read_text(encoding="utf-8")
    article = StoredArticle.from_text(text)
    assert article.to_text() == text
    assert StoredArticle.from_json(json.loads(text)) == article


def test_every_document_the_demo_ingest_stores_reads_back_to_the_same_text(demo_library):
    with demo_library.connect() as db:
        rows = db.execute("SELECT slug, document FROM articles ORDER BY slug").fetchall()
    assert len(rows) == 4
    for slug, text in rows:
        article = StoredArticle.from_text(text)
        assert article.slug == slug
        assert article.to_text() == text


def test_the_parts_of_a_loaded_document_are_dataclasses_with_tuples():
    article = StoredArticle.from_text(stored_text("night-ferry-returns"))
    assert article.related == ("reading-room-stays-open", "school-roof-garden")
    captions = article.video.tracks[0]
    assert (captions.kind, captions.language, captions.direction, captions.default) == (
        "captions", "en", "ltr", True)
    assert captions.transcript[0] == StoredSection("Leaving Port Elsey", 0.0, (
        StoredParagraph(0.5, 4.0, "Night. A ferry with its lights on waits at a quay; passengers "
                        "walk up the ramp.", None, "description"),
        StoredParagraph(0.5, 7.8, "It is twenty to midnight in Port Elsey. The night ferry is "
                        "about to leave for the first time since March.", "Narrator", "speech")))
    descriptions, chapters = article.video.extra_tracks
    assert descriptions.transcript is None and descriptions.chapters is None
    assert chapters.chapters[0] == StoredChapter(0.0, 8.0, "Leaving Port Elsey")
    assert article.video.poster.images[0] == Rendition("a8e85d0b3ad73311-320.jpg", 320, 180,
                                                       "image/jpeg")
    assert article.images[0].creator == "Ada Lindqvist"
    with pytest.raises(dataclasses.FrozenInstanceError):
        article.video.title = "Another title"


def test_an_audio_clip_has_no_poster_and_a_version_names_its_original():
    tone = StoredArticle.from_text(stored_text("tone-story"))
    assert tone.video.kind == "audio" and tone.video.poster is None
    assert (tone.video.width, tone.video.height, tone.social_image, tone.images) == (
        None, None, None, ())
    arabic = StoredArticle.from_text(stored_text("school-roof-garden-ar"))
    assert arabic.direction == "rtl"
    assert arabic.translations == (Translation("en", "school-roof-garden"),)


def test_a_document_from_before_versions_extra_tracks_and_sharing_cards_has_none_of_them():
    data = json.loads(stored_text("night-ferry-returns"))
    del data["translations"], data["social_image"], data["video"]["extra_tracks"]
    article = StoredArticle.from_json(data)
    assert (article.translations, article.social_image, article.video.extra_tracks) == (
        (), None, ())


def _set(*path_and_value):
    *path, key, value = path_and_value

    def change(data):
        for step in path:
            data = data[step]
        data[key] = value
    return change


def _delete(*path):
    def change(data):
        for step in path[:-1]:
            data = data[step]
        del data[path[-1]]
    return change


@pytest.mark.parametrize("change, problem", [
    (_delete("video", "tracks"), "video.tracks is missing"),
    (_delete("body_html"), "body_html is missing"),
    (_delete("video", "tracks", 1, "transcript", 0, "paragraphs", 0, "text"),
     "video.tracks[1].transcript[0].paragraphs[0].text is missing"),
    (_set("video", "duration", "32 s"), "video.duration is text, not a number"),
    (_set("video", "size", 10.5), "video.size is a number, not a whole number"),
    (_set("images", 0, "renditions", 2, "width", True),
     "images[0].renditions[2].width is true or false, not a whole number"),
    (_set("video", "tracks", 0, "default", "yes"), "video.tracks[0].default is text, not true or false"),
    (_set("related", 1, 7), "related[1] is a number, not text"),
    (_set("video", "poster", []), "video.poster is a list, not an object"),
    (_set("video", "extra_tracks", 0, None), "video.extra_tracks[0] is null, not an object"),
    (_set("video", "sources", {}), "video.sources is an object, not a list"),
    (_set("title", None), "title is null, not text"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_an_odd_document_is_an_error_naming_the_article_and_the_field(change, problem):
    data = json.loads(stored_text("night-ferry-returns"))
    change(data)
    with pytest.raises(DocumentError) as caught:
        StoredArticle.from_json(data)
    assert isinstance(caught.value, ArticleError)
    assert caught.value.slug == "night-ferry-returns"
    assert str(caught.value) == f"stored article 'night-ferry-returns': {problem}"


@pytest.mark.parametrize("text, problem", [
    ('{"slug": "a-story"', "the document is not JSON ("),
    ("[]", "the document is a list, not an object"),
    ("{}", "slug is missing"),
])
def test_a_document_that_cannot_name_itself_is_named_by_its_row(text, problem):
    with pytest.raises(DocumentError) as caught:
        StoredArticle.from_text(text, slug="row-slug")
    assert caught.value.slug == "row-slug"
    assert str(caught.value).startswith(f"stored article 'row-slug': {problem}")
