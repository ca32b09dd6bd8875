"""Track kinds, language tags and default track labels, with names from CLDR."""

from __future__ import annotations

from functools import lru_cache

from langcodes import Language, LanguageTagError, standardize_tag, tag_is_valid

from captions.errors import CaptionError

# the <track kind> values Newsreel publishes; "metadata" is for scripts, not people
TRACK_KINDS = ("captions", "subtitles", "descriptions", "chapters")

# ISO 15924 scripts written right to left (Unicode bidi class R or AL);
# deciding by script gets "az-Arab" and "pa-Arab" right, which a list of
# languages cannot
RTL_SCRIPTS = frozenset({
    "Adlm", "Arab", "Aran", "Armi", "Avst", "Chrs", "Cprt", "Elym", "Hatr",
    "Hebr", "Hung", "Khar", "Lydi", "Mand", "Mani", "Mend", "Merc", "Mero",
    "Narb", "Nbat", "Nkoo", "Orkh", "Ougr", "Palm", "Phli", "Phlp", "Phnx",
    "Prti", "Rohg", "Samr", "Sarb", "Sogd", "Sogo", "Syrc", "Thaa", "Yezi",
})


def check_kind(kind: str) -> str:
    """Return a track kind in lower case.

    :raises CaptionError: for a kind not in TRACK_KINDS.
    """
    # HTML matches the kind attribute without regard to case
    normal = kind.lower() if isinstance(kind, str) else ""
    if normal not in TRACK_KINDS:
        raise CaptionError(f"unknown track kind {kind!r}: use one of {', '.join(TRACK_KINDS)}")
    return normal


def check_language(tag: str) -> str:
    """Return a valid BCP 47 tag in its standard form: "en-gb" -> "en-GB", "iw" -> "he".

    :raises CaptionError: for a tag that is malformed or uses unregistered subtags.
    """
    if not isinstance(tag, str):
        raise CaptionError(f"a language tag must be text like 'en' or 'de-CH', not {tag!r}")
    if "_" in tag:
        # a locale name like en_GB; BCP 47 separates subtags with hyphens
        raise CaptionError(f"{tag!r} is not a language tag: write {tag.replace('_', '-')!r}")
    if not tag_is_valid(tag):
        raise CaptionError(f"{tag!r} is not a valid BCP 47 language tag like 'en' or 'de-CH'")
    return standardize_tag(tag)


@lru_cache(maxsize=256)
def own_name(tag: str) -> str | None:
    """Return a language's name in itself, capitalised for a label, or None if CLDR has none.

    Region and script are named too: "en-GB" -> "English (United Kingdom)".
    """
    try:
        language = Language.get(tag).prefer_macrolanguage()
    except LanguageTagError:
        return None
    if not language.has_name_data():
        return None
    english = language.display_name("en")
    name = english
    # naming in the full tag first gets "zh-TW" in traditional characters; a
    # language-only target covers tags such as "ms-Arab" that CLDR has no
    # locale for, where langcodes would otherwise fall back to English
    for target in (language.maximize(), Language.make(language=language.language)):
        name = language.display_name(target, max_distance=9)
        if name != english or language.language == "en":
            break
    # CLDR lower-cases names for use inside sentences ("русский"); menus and
    # lists start with a capital in the languages that have one
    return name[:1].title() + name[1:]


def default_label(tag: str) -> str:
    """Return the label a track in this language gets when none is given: "Deutsch".

    :raises CaptionError: for an invalid tag or a language CLDR cannot name in itself.
    """
    name = own_name(check_language(tag))
    if name is None:
        raise CaptionError(f"no name is known for language {tag!r}: give the track a label")
    return name


def text_direction(tag: str) -> str:
    """Return "rtl" when the language is written right to left, else "ltr".

    :raises CaptionError: for an invalid tag.
    """
    # the likely script of "ar" is Arab and of "sd-Deva" is Deva
    script = Language.get(check_language(tag)).maximize().script
    return "rtl" if script in RTL_SCRIPTS else "ltr"
