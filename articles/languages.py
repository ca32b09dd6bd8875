"""Language names in their own language, and writing direction."""

from __future__ import annotations

import re

# Labels for caption tracks are shown in the track's own language, so a
# German speaker looks for "Deutsch", not "German".
AUTONYMS = {
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

RTL_LANGUAGES = {"ar", "dv", "fa", "he", "ps", "sd", "ug", "ur", "yi"}

_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def is_language_tag(tag: str) -> bool:
    """Return True for a plausible BCP 47 tag such as ``en``, ``de-CH``, ``zh-Hant``."""
    return bool(_TAG.match(tag))


def primary(tag: str) -> str:
    """Return the primary subtag in lower case: ``de-CH`` -> ``de``."""
    return tag.split("-", 1)[0].lower()


def autonym(tag: str) -> str | None:
    """Return the language's name in itself, or None when we do not know it."""
    return AUTONYMS.get(primary(tag))


def direction(tag: str) -> str:
    """Return ``rtl`` for right-to-left scripts, else ``ltr``."""
    return "rtl" if primary(tag) in RTL_LANGUAGES else "ltr"
