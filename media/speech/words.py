"""Script words as a speech dictionary knows them: spoken numbers, plain words, pronunciations.

The bundled US English dictionary (CMUdict) has lower-case words without
punctuation and no numbers or rare names. A number becomes every way it is
commonly read ("2026": "twenty twenty-six" and "two thousand twenty-six"),
and a word the dictionary lacks gets its phones from espeak-ng, which
pronounces any spelling, mapped to the dictionary's ARPAbet phone set.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from num2words import num2words

_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$", re.IGNORECASE)
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+$")
_DECIMAL = re.compile(r"^\d*\.\d+$")
_INTEGER = re.compile(r"^\d+$")
# what may surround a number and how it is read: "$5", "5%", "£2.50"
_CURRENCY = {"$": "dollars", "£": "pounds", "€": "euros"}
_PERCENT = ("%", "percent")
# apostrophes inside words stay ("don't"); every other non-letter splits
_NOT_WORD = re.compile(r"[^a-z0-9']+")
_PIECE = re.compile(r"\d+(?:st|nd|rd|th)(?![a-z])|\d+|[a-z']+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
# the largest number read out; beyond it the digits are read one by one
_MAX_NUMBER = 10**15
ESPEAK_SECONDS = 10


def spoken_readings(token: str) -> list[list[str]]:
    """Return the ways a written token is read aloud: each a list of lower-case words.

    Most words have one reading; numbers have one per common way of saying
    them. A token with nothing to say (a dash) has none.
    """
    text = _fold(token.translate(_APOSTROPHES).lower())
    # sentence punctuation around the token; a number's own "," and "." stay inside
    core = text.strip(".,;:!?\"'()«»“”…")
    prefix = ""
    if core[:1] in _CURRENCY:
        prefix, core = core[0], core[1:]
    suffix = ""
    if core.endswith(_PERCENT[0]):
        suffix, core = _PERCENT[1], core[:-1]
    numbers = _number_readings(core)
    if numbers:
        after = [word for word in (_CURRENCY.get(prefix, ""), suffix) if word]
        return [reading + after for reading in numbers]
    words = []
    for piece in _PIECE.findall(text):
        piece = piece.strip("'")
        if not piece:
            continue
        if piece.isdigit() or _ORDINAL.match(piece):
            # "A4", "M25": letters and digits in one token, each read
            words.extend(_number_readings(piece)[0])
        else:
            words.append(piece)
    return [words] if words else []


def _fold(text: str) -> str:
    """Return text without accents ("café" -> "cafe"): the dictionary is plain ASCII."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _number_readings(core: str) -> list[list[str]]:
    """Return the readings of a written number, most usual first; none for a non-number."""
    readings: list[str] = []
    ordinal = _ORDINAL.match(core)
    if ordinal:
        readings.append(num2words(int(ordinal[1]), to="ordinal"))
    elif _GROUPED.match(core) or _INTEGER.match(core):
        value = int(core.replace(",", ""))
        if value >= _MAX_NUMBER:
            return [[num2words(int(digit)) for digit in core if digit.isdigit()]]
        if _INTEGER.match(core) and 1100 <= value <= 2099 and value % 100 >= 10:
            readings.append(num2words(value, to="year"))   # "twenty twenty-six"
        cardinal = num2words(value)
        readings += [cardinal, cardinal.replace(" and ", " ")]  # "one hundred (and) five"
        if 1000 < value < 10000 and value % 100 == 0 and value % 1000:
            readings.append(f"{num2words(value // 100)} hundred")   # "twelve hundred"
    elif _DECIMAL.match(core):
        try:
            readings.append(num2words(Decimal(core)))
        except InvalidOperation:
            return []
    result: list[list[str]] = []
    for reading in readings:
        words = _NOT_WORD.split(reading.lower())
        words = [word for word in words if word]
        if words and words not in result:
            result.append(words)
    return result


# espeak-ng's American English IPA, longest symbols first, to ARPAbet
# (the phone set of CMUdict and the bundled acoustic model).
_IPA_TO_ARPABET = sorted({
    "aɪ": "AY", "aʊ": "AW", "eɪ": "EY", "oʊ": "OW", "ɔɪ": "OY", "tʃ": "CH", "dʒ": "JH",
    "ɑ": "AA", "ɒ": "AA", "a": "AA", "æ": "AE", "ʌ": "AH", "ə": "AH", "ɐ": "AH",
    "ɚ": "ER", "ɜ": "ER", "ɝ": "ER", "ɛ": "EH", "e": "EH", "ɪ": "IH", "ᵻ": "IH",
    "i": "IY", "ɔ": "AO", "o": "OW", "ʊ": "UH", "u": "UW",
    "b": "B", "d": "D", "f": "F", "ɡ": "G", "g": "G", "h": "HH", "j": "Y", "k": "K",
    "l": "L", "m": "M", "n": "N", "ŋ": "NG", "p": "P", "ɹ": "R", "r": "R", "s": "S",
    "ʃ": "SH", "t": "T", "θ": "TH", "ð": "DH", "v": "V", "w": "W", "z": "Z", "ʒ": "ZH",
    "ɾ": "T", "x": "K", "ç": "HH", "ʍ": "W", "ɫ": "L", "ʔ": "",
}.items(), key=lambda pair: -len(pair[0]))

# last resort without espeak-ng: one phone per letter, enough to align a name
_LETTER_TO_ARPABET = {
    "a": "AE", "b": "B", "c": "K", "d": "D", "e": "EH", "f": "F", "g": "G", "h": "HH",
    "i": "IH", "j": "JH", "k": "K", "l": "L", "m": "M", "n": "N", "o": "AA", "p": "P",
    "q": "K", "r": "R", "s": "S", "t": "T", "u": "AH", "v": "V", "w": "W", "x": "K S",
    "y": "Y", "z": "Z",
}


def ipa_to_arpabet(ipa: str) -> str:
    """Return the ARPAbet phones, space-separated, of an espeak-ng IPA transcription."""
    # stress, length, syllable and tie marks carry no phone of their own
    ipa = re.sub(r"[ˈˌː.\u0361\u035c\u0329\u032f\s_-]", "", ipa)
    phones: list[str] = []
    position = 0
    while position < len(ipa):
        for symbol, phone in _IPA_TO_ARPABET:
            if ipa.startswith(symbol, position):
                position += len(symbol)
                if phone and not (phone == "R" and phones[-1:] == ["ER"]):
                    phones.append(phone)
                break
        else:
            position += 1   # a symbol English has no phone for
    return " ".join(phones)


def letter_phones(word: str) -> str:
    """Return rough ARPAbet phones spelled letter by letter (when espeak-ng is missing)."""
    phones = [_LETTER_TO_ARPABET[char] for char in _fold(word.lower()) if char in _LETTER_TO_ARPABET]
    return " ".join(phones) or "AH"


@lru_cache(maxsize=4096)
def pronounce(word: str, voice: str = "en-us") -> str:
    """Return ARPAbet phones for a word no dictionary has: from espeak-ng, else from its letters."""
    espeak = shutil.which("espeak-ng")
    if espeak is not None and re.fullmatch(r"[a-z']+", word):
        try:
            result = subprocess.run([espeak, "-q", "--ipa", "-v", voice, word], capture_output=True,
                                    text=True, timeout=ESPEAK_SECONDS, check=True)
        except (OSError, subprocess.SubprocessError):
            result = None
        phones = ipa_to_arpabet(result.stdout) if result is not None else ""
        if phones:
            return phones
    return letter_phones(word)
