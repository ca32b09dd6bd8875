"""Tests for articles.languages: tags, names in their own language and direction."""

from __future__ import annotations

import pytest

from articles import languages

# the names this module gave before it read them from CLDR; they must not change
FORMER_AUTONYMS = {
    "ar": "العربية", "bg": "Български", "ca": "Català", "cs": "Čeština", "cy": "Cymraeg",
    "da": "Dansk", "de": "Deutsch", "el": "Ελληνικά", "en": "English", "es": "Español",
    "et": "Eesti", "fa": "فارسی", "fi": "Suomi", "fr": "Français", "ga": "Gaeilge",
    "he": "עברית", "hi": "हिन्दी", "hr": "Hrvatski", "hu": "Magyar", "id": "Bahasa Indonesia",
    "it": "Italiano", "ja": "日本語", "ko": "한국어", "lt": "Lietuvių", "lv": "Latviešu",
    "nb": "Norsk bokmål", "nl": "Nederlands", "nn": "Norsk nynorsk", "no": "Norsk",
    "pl": "Polski", "pt": "Português", "ro": "Română", "ru": "Русский", "sk": "Slovenčina",
    "sl": "Slovenščina", "sq": "Shqip", "sr": "Српски", "sv": "Svenska", "sw": "Kiswahili",
    "tr": "Türkçe", "uk": "Українська", "ur": "اردو", "vi": "Tiếng Việt", "zh": "中文",
}


@pytest.mark.parametrize(("tag", "name"), sorted(FORMER_AUTONYMS.items()))
def test_autonym_keeps_the_names_it_gave_before(tag, name):
    assert languages.autonym(tag) == name


@pytest.mark.parametrize(("tag", "name"), [
    ("de-CH", "Deutsch (Schweiz)"), ("en-GB", "English (United Kingdom)"),
    ("pt-BR", "Português (Brasil)"), ("zh-Hant", "中文（繁體）"), ("fr-ca", "Français (Canada)"),
    ("yue", "粵語"), ("mi", "Māori"),
])
def test_autonym_names_regions_scripts_and_more_languages(tag, name):
    assert languages.autonym(tag) == name


@pytest.mark.parametrize("tag", ["xx-invalid!!", "zz", "", "dv", "qaa", "en_GB"])
def test_autonym_is_none_when_unknown(tag):
    assert languages.autonym(tag) is None


@pytest.mark.parametrize(("tag", "valid"), [
    ("en", True), ("de-CH", True), ("zh-Hant", True), ("pt-BR", True), ("EN-gb", True),
    ("es-419", True), ("sr-Latn-RS", True), ("de-CH-1996", True),
    ("xx-invalid!!", False), ("", False), ("zz", False), ("en_GB", False), ("english", False),
    ("en-", False), ("en GB", False), ("e", False),
])
def test_is_language_tag(tag, valid):
    assert languages.is_language_tag(tag) is valid


@pytest.mark.parametrize(("tag", "first"), [("de-CH", "de"), ("EN", "en"), ("zh-Hant-TW", "zh")])
def test_primary(tag, first):
    assert languages.primary(tag) == first


@pytest.mark.parametrize("tag", ["ar", "dv", "fa", "he", "ps", "sd", "ug", "ur", "yi",
                                 "ar-SA", "he-IL", "az-Arab", "ckb"])
def test_right_to_left_languages(tag):
    assert languages.direction(tag) == "rtl"


@pytest.mark.parametrize("tag", ["en", "de-CH", "zh", "ru", "hi", "sd-Deva", "xx-invalid!!", ""])
def test_left_to_right_and_invalid_tags(tag):
    assert languages.direction(tag) == "ltr"
