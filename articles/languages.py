"""Language names in their own language, and writing direction, from CLDR data."""

from __future__ import annotations

from captions.errors import CaptionError
from captions.tracks import RTL_SCRIPTS, check_language, own_name, text_direction

__all__ = ["RTL_SCRIPTS", "autonym", "closest", "direction", "is_language_tag", "primary"]


def is_language_tag(tag: str) -> bool:
    """Return True for a valid BCP 47 tag such as ``en``, ``de-CH``, ``zh-Hant``."""
    try:
        check_language(tag)
    except CaptionError:
        return False
    return True


def primary(tag: str) -> str:
    """Return the primary subtag in lower case: ``de-CH`` -> ``de``."""
    return tag.split("-", 1)[0].lower()


def closest(items, language: str, tag_of=lambda item: item):
    """Return the first item whose tag is ``language``, else the first in its primary
    language (``de-AT`` for ``de``), else None."""
    items = list(items)
    for same in (lambda tag: tag == language,
                 lambda tag: primary(tag) == primary(language)):
        for item in items:
            if same(tag_of(item)):
                return item
    return None


def autonym(tag: str) -> str | None:
    """Return the language's name in itself, such as ``Deutsch``, or None when unknown.

    Caption labels are shown in the track's own language, so a German speaker
    looks for "Deutsch", not "German"; a region or script is named too, so
    ``en-GB`` and ``en-US`` tracks get different labels.
    """
    try:
        return own_name(check_language(tag))
    except CaptionError:
        return None


def direction(tag: str) -> str:
    """Return ``rtl`` for right-to-left scripts, else ``ltr`` (also for invalid tags)."""
    try:
        return text_direction(tag)
    except CaptionError:
        return "ltr"
