"""Language names in their own language, and writing direction, from CLDR data."""

from __future__ import annotations

from captions.errors import CaptionError
from captions.tracks import RTL_SCRIPTS, check_language, own_name, text_direction

__all__ = ["RTL_SCRIPTS", "autonym", "direction", "is_language_tag", "primary"]


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
