"""Tests for captions.tracks: track kinds, BCP 47 tags, labels and direction."""

from __future__ import annotations

import pytest

from captions import CaptionError
from captions.tracks import (
    TRACK_KINDS,
    check_kind,
    check_language,
    default_label,
    own_name,
    text_direction,
)


def test_track_kinds_are_the_ones_people_read():
    assert TRACK_KINDS == ("captions", "subtitles", "descriptions", "chapters")


@pytest.mark.parametrize(("kind", "normal"), [
    ("captions", "captions"), ("subtitles", "subtitles"), ("descriptions", "descriptions"),
    ("chapters", "chapters"), ("Captions", "captions"), ("CHAPTERS", "chapters"),
])
def test_check_kind_accepts_track_kinds_in_any_case(kind, normal):
    assert check_kind(kind) == normal


@pytest.mark.parametrize("kind", ["metadata", "caption", "", " captions", "subtitles\n", None, 3])
def test_check_kind_names_the_valid_kinds(kind):
    with pytest.raises(CaptionError) as caught:
        check_kind(kind)
    message = str(caught.value)
    assert "\n" not in message
    assert "captions, subtitles, descriptions, chapters" in message


@pytest.mark.parametrize(("tag", "normal"), [
    ("en", "en"), ("en-gb", "en-GB"), ("EN-us", "en-US"), ("de-CH", "de-CH"),
    ("zh-hant", "zh-Hant"), ("zh-Hant-TW", "zh-Hant-TW"), ("pt-br", "pt-BR"),
    ("sr-latn", "sr-Latn"), ("es-419", "es-419"), ("de-CH-1996", "de-CH-1996"),
    ("ar", "ar"), ("fa", "fa"), ("he", "he"),
    # deprecated and redundant forms become the ones registered today
    ("iw", "he"), ("in", "id"), ("eng", "en"), ("en-Latn", "en"), ("art-lojban", "jbo"),
    ("qaa", "qaa"), ("x-house", "x-house"), ("en-US-x-twain", "en-US-x-twain"),
])
def test_check_language_returns_the_standard_form(tag, normal):
    assert check_language(tag) == normal


@pytest.mark.parametrize("tag", [
    "xx-invalid!!", "", "en-", "en--GB", " en", "en\n", "en GB", "english", "e",
    "123", "xx", "jp", "en-GB-!", None,
])
def test_check_language_refuses_invalid_tags(tag):
    with pytest.raises(CaptionError) as caught:
        check_language(tag)
    assert "\n" not in str(caught.value)


def test_check_language_suggests_hyphens_for_a_locale_name():
    with pytest.raises(CaptionError, match="write 'en-GB'"):
        check_language("en_GB")


@pytest.mark.parametrize(("tag", "label"), [
    ("en", "English"),
    ("EN", "English"),
    ("en-GB", "English (United Kingdom)"),
    ("en-US", "English (United States)"),
    ("de", "Deutsch"),
    ("de-AT", "Deutsch (Österreich)"),
    ("ru", "Русский"),
    ("ar", "العربية"),
    ("zh", "中文"),
    ("zh-Hant", "中文（繁體）"),
    ("zh-Hans", "中文（简体）"),
    ("zh-TW", "中文（台灣）"),
    ("pt-BR", "Português (Brasil)"),
    ("fa", "فارسی"),
    ("he", "עברית"),
    ("iw", "עברית"),
    ("es-419", "Español (Latinoamérica)"),
    ("sr-Latn", "Srpski (latinica)"),
    ("id", "Bahasa Indonesia"),
    ("ms-Arab", "Bahasa Malaysia (Perso-Arab)"),
    ("haw", "ʻŌlelo Hawaiʻi"),
])
def test_default_label_is_the_name_in_the_language_itself(tag, label):
    assert default_label(tag) == label


@pytest.mark.parametrize("tag", ["dv", "qaa", "x-house", "und", "zxx"])
def test_default_label_asks_for_a_label_when_no_name_is_known(tag):
    with pytest.raises(CaptionError, match="give the track a label"):
        default_label(tag)


def test_default_label_refuses_an_invalid_tag():
    with pytest.raises(CaptionError, match="not a valid BCP 47"):
        default_label("xx-invalid!!")


@pytest.mark.parametrize("tag", ["xx-invalid!!", "", "x-house"])
def test_own_name_is_none_when_there_is_no_name(tag):
    assert own_name(tag) is None


@pytest.mark.parametrize(("tag", "direction"), [
    ("ar", "rtl"), ("he", "rtl"), ("fa", "rtl"), ("ur", "rtl"), ("yi", "rtl"),
    ("ps", "rtl"), ("ckb", "rtl"), ("dv", "rtl"), ("syr", "rtl"), ("nqo", "rtl"),
    ("ff-Adlm", "rtl"), ("az-Arab", "rtl"), ("pa-Arab", "rtl"), ("ar-EG", "rtl"),
    ("en", "ltr"), ("de-CH", "ltr"), ("zh-Hant", "ltr"), ("ru", "ltr"), ("az", "ltr"),
    ("pa", "ltr"), ("sd-Deva", "ltr"), ("ff", "ltr"), ("ja", "ltr"),
])
def test_text_direction_follows_the_script(tag, direction):
    assert text_direction(tag) == direction


def test_text_direction_refuses_an_invalid_tag():
    with pytest.raises(CaptionError):
        text_direction("xx-invalid!!")
