"""Speak caption text with espeak-ng, fitted to the time its cue is on screen.

Used to give the demo clips real speech under their captions. espeak-ng is an
optional system program: callers check ``espeak_ng()`` and keep another sound
when it is missing.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import wave
from pathlib import Path

# espeak-ng voice for each caption language; a language not listed speaks English.
VOICES = {"en": "en-us", "de": "de", "ar": "ar"}
SLOWEST = 120  # words a minute: slower sounds unnatural
FASTEST = 260  # faster is no longer understood
USUAL = 175  # espeak-ng's own default
SPEAK_SECONDS = 30

_VOICE_TAG = re.compile(r"<[^>]*>")
_SOUND = re.compile(r"\[[^\]]*\]")  # "[Ship's horn]" describes a sound: not read out


def espeak_ng() -> str | None:
    """Return the path of espeak-ng, or None when it is not installed."""
    return shutil.which("espeak-ng")


def installed_voice(espeak_bin: str, language: str) -> str | None:
    """Return the espeak-ng voice for ``language`` if espeak-ng has one, else None.

    Unlike ``voice_for`` this never falls back to English: a description in
    a language espeak-ng cannot speak must not be read out in another one.
    """
    primary = language.split("-")[0].lower()
    if primary in VOICES:
        return VOICES[primary]
    return primary if primary in _languages(espeak_bin) else None


@functools.cache
def _languages(espeak_bin: str) -> frozenset[str]:
    """Return the language codes of the voices espeak-ng lists, such as "fr" and "pt-br"."""
    listing = subprocess.run([espeak_bin, "--voices"], check=True, capture_output=True,
                             text=True, timeout=SPEAK_SECONDS).stdout
    # "Pty Language Age/Gender VoiceName File Other": the second column
    return frozenset(line.split()[1].lower() for line in listing.splitlines()[1:]
                     if len(line.split()) > 1)


def voice_for(language: str) -> str:
    """Return the espeak-ng voice that speaks ``language`` (a BCP 47 tag such as "de")."""
    return VOICES.get(language.split("-")[0].lower(), VOICES["en"])


def spoken_text(cue_text: str) -> str:
    """Return the words of a cue as said aloud: no voice tags, sound labels or line breaks."""
    text = _SOUND.sub(" ", _VOICE_TAG.sub("", cue_text))
    return " ".join(text.split())


def words_per_minute(text: str, seconds: float, measured: float | None = None,
                     speed: int = USUAL, slowest: int = SLOWEST, fastest: int = FASTEST) -> int:
    """Return the speed that fits ``text`` into ``seconds``, within ``slowest``..``fastest``.

    Without ``measured`` it estimates from the word count; with the ``measured``
    length of speech made at ``speed``, it scales that speed to fit.
    """
    if measured is None:
        wanted = len(text.split()) * 60 / max(seconds, 0.1)
    else:
        wanted = speed * measured / max(seconds, 0.1)
    return round(min(max(wanted, slowest), fastest))


def speak_command(espeak_bin: str, text: str, language: str, speed: int,
                  output: Path | str) -> list[str]:
    """Return the argv that speaks ``text`` into the WAV file ``output``."""
    # "--" keeps a text that starts with "-" from being read as an option.
    return [espeak_bin, "-v", voice_for(language), "-s", str(speed), "-w", str(output),
            "--", text]


def wav_seconds(path: Path | str) -> float:
    """Return the length of a WAV file in seconds."""
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


def speak_fitted(espeak_bin: str, text: str, language: str, seconds: float,
                 output: Path | str, slowest: int = SLOWEST,
                 fastest: int = FASTEST) -> tuple[float, int]:
    """Speak ``text`` into ``output`` so it lasts ``seconds`` or less where the speed allows.

    Returns the length of the speech written and its speed in words a minute.
    A text too long even at ``fastest`` is left longer; the caller trims it
    or makes room for it.
    """
    speed = words_per_minute(text, seconds, slowest=slowest, fastest=fastest)
    for _attempt in range(2):
        subprocess.run(speak_command(espeak_bin, text, language, speed, output),
                       check=True, capture_output=True, timeout=SPEAK_SECONDS)
        length = wav_seconds(output)
        # The estimate ignores pauses at commas; one measured retry fixes that.
        if length <= seconds or speed >= fastest:
            break
        speed = words_per_minute(text, seconds, measured=length * 1.05, speed=speed,
                                 slowest=slowest, fastest=fastest)
    return length, speed
