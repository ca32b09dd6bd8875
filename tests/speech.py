"""Speech with known word times, for testing alignment: espeak-ng speaks a text and reports when each word starts.

The times come from libespeak-ng itself (through ctypes), not from measuring
the audio: each word event says which characters of the text it speaks, and
the phoneme events after it say when its first sound starts. That is the
ground truth the alignment tests and bench/align_bench.py score against.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import difflib
import math
import re
import threading
import wave
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

LIBRARY = "libespeak-ng.so.1"
# espeak_lib.h (1.51): output modes, parameters, flags and event types.
AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_PHONEME_EVENTS = 0x0001
ESPEAK_RATE = 1
POS_CHARACTER = 1
CHARS_UTF8 = 1
EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1
EVENT_END = 5
EVENT_MSG_TERMINATED = 6
EVENT_PHONEME = 7
# Pause "phonemes": silence between clauses and sentences, not the start of a word.
PAUSES = {b"_", b"_:", b"_!", b"_^_"}
# A word is a run of non-space characters without the punctuation around it;
# "1,200", "that's" and "Okonkwo-Baptiste" stay whole.
WORD = re.compile(r"\S+")
AROUND = "\"'()[]{}.,;:!?\u2018\u2019\u201c\u201d-\u2013\u2014"


class SpeechError(RuntimeError):
    """espeak-ng is missing or refused the text or voice."""


@dataclass(frozen=True)
class SpokenWord:
    """A word of the text as written, and when espeak-ng spoke it (seconds).

    ``reported`` is False for the few words espeak-ng speaks inside a
    neighbour ("was a" is one word event); their times are spread between
    the neighbours and are not ground truth. Unpacks as (word, start, end).
    """

    word: str
    start: float
    end: float
    reported: bool = True

    def __iter__(self):
        return iter((self.word, self.start, self.end))


class TimedText(NamedTuple):
    """A word and a start time (seconds), as an alignment gives them."""

    text: str
    start: float


class _Id(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int), ("length", ctypes.c_int),
                ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _Id)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))
# libespeak-ng keeps one global synthesiser per process.
_LOCK = threading.Lock()
_ENGINE: dict = {}


def _engine():
    """Return (library, sample rate, samples, events), loading and initialising espeak-ng once."""
    if _ENGINE:
        return _ENGINE["lib"], _ENGINE["rate"], _ENGINE["samples"], _ENGINE["events"]
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("espeak-ng") or LIBRARY)
    except OSError as error:
        raise SpeechError(f"libespeak-ng is not installed ({error}); "
                          "bin/install-system-packages installs espeak-ng") from error
    samples = bytearray()
    events: list[tuple[int, int, int, bytes]] = []

    def collect(wav, count, event):
        if count > 0 and wav:
            samples.extend(ctypes.string_at(wav, count * 2))
        index = 0
        while event[index].type != EVENT_LIST_TERMINATED:
            item = event[index]
            name = item.id.string if item.type == EVENT_PHONEME else b""
            events.append((item.type, item.text_position, item.audio_position, name))
            index += 1
        return 0

    rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, None, INITIALIZE_PHONEME_EVENTS)
    if rate <= 0:
        raise SpeechError("espeak-ng failed to initialise (is espeak-ng-data installed?)")
    callback = _CALLBACK(collect)  # kept referenced: espeak-ng calls it for the life of the process
    lib.espeak_SetSynthCallback(callback)
    _ENGINE.update(lib=lib, rate=rate, samples=samples, events=events, callback=callback)
    return lib, rate, samples, events


def words_of(text: str) -> list[tuple[str, int, int]]:
    """Return each word of ``text`` as written, with its character span (start, end)."""
    spans = []
    for match in WORD.finditer(text):
        token = match.group()
        word = token.strip(AROUND)
        if word:
            first = match.start() + token.index(word)
            spans.append((word, first, first + len(word)))
    return spans


def speak(text: str, out: Path, voice: str = "en-us", speed: int = 160) -> tuple[SpokenWord, ...]:
    """Write ``text`` spoken by espeak-ng to ``out`` (22,050 Hz mono WAV); return every word with its times.

    :raises SpeechError: libespeak-ng is missing, or the voice is unknown.
    """
    with _LOCK:
        lib, rate, samples, events = _engine()
        samples.clear()
        events.clear()
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise SpeechError(f"espeak-ng has no voice {voice!r} (espeak-ng --voices lists them)")
        lib.espeak_SetParameter(ESPEAK_RATE, speed, 0)
        data = text.encode("utf-8")
        if lib.espeak_Synth(data, ctypes.c_size_t(len(data) + 1), 0, POS_CHARACTER, 0,
                            CHARS_UTF8, None, None) != 0:
            raise SpeechError("espeak-ng refused the text")
        lib.espeak_Synchronize()
        audio, found = bytes(samples), list(events)
    out = Path(out)
    with wave.open(str(out), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(audio)
    return _timed(text, found, len(audio) / 2 / rate)


def _timed(text: str, events: list[tuple[int, int, int, bytes]], duration: float) -> tuple[SpokenWord, ...]:
    """Turn espeak-ng's events into one SpokenWord per word of ``text``."""
    words = words_of(text)
    owner = {}  # character offset -> index of the word that covers it
    for index, (_word, first, last) in enumerate(words):
        for offset in range(first, last):
            owner[offset] = index
    starts: dict[int, float] = {}
    ends: dict[int, float] = {}
    awaited = None  # the word whose first sound is awaited
    sounding = None  # the word whose sounds are being heard, until a pause or the next word
    for kind, position, milliseconds, name in events:
        seconds = milliseconds / 1000
        if kind == EVENT_WORD:
            # A number is several word events ("1,200" is "one thousand two
            # hundred"); only the first one starts the word.
            index = owner.get(position - 1)
            awaited = index if index is not None and index not in starts else None
        elif kind == EVENT_PHONEME and name not in PAUSES:
            if awaited is not None:
                # The word event comes before any pause that precedes the word;
                # its first phoneme is when the word is heard.
                if sounding is not None:
                    ends.setdefault(sounding, seconds)
                starts[awaited] = seconds
                sounding = awaited
                awaited = None
            elif sounding is not None:
                ends.pop(sounding, None)  # more of the same word (a number's later parts)
        elif kind in (EVENT_PHONEME, EVENT_END, EVENT_MSG_TERMINATED) and sounding is not None:
            ends.setdefault(sounding, seconds)
    return tuple(_fill(words, starts, ends, duration))


def _fill(words, starts, ends, duration):
    """Yield SpokenWords: reported words as espeak-ng timed them; the others spread between neighbours."""
    known = sorted(starts)
    result = []
    for index, (word, first, _last) in enumerate(words):
        if index in starts:
            result.append(SpokenWord(word, starts[index], min(ends.get(index, duration), duration)))
            continue
        before = max((k for k in known if k < index), default=None)
        after = min((k for k in known if k > index), default=None)
        low = starts[before] if before is not None else 0.0
        high = starts[after] if after is not None else duration
        low_offset = words[before][1] if before is not None else 0
        high_offset = words[after][1] if after is not None else first + 1
        share = (first - low_offset) / max(1, high_offset - low_offset)
        start = low + share * (high - low)
        result.append(SpokenWord(word, start, start, reported=False))
    # An unreported word ends where the next word starts.
    for index, item in enumerate(result):
        if not item.reported:
            end = result[index + 1].start if index + 1 < len(result) else duration
            result[index] = SpokenWord(item.word, item.start, max(item.start, end), reported=False)
    return result


def normalised(word: str) -> str:
    """Return a word as compared between the truth and an alignment: no punctuation around it, lower case."""
    return word.strip(AROUND).lower()


def start_errors(truth: tuple[SpokenWord, ...], timed) -> list[float]:
    """Return, for each word espeak-ng timed, how far the start in ``timed`` is from it (seconds).

    ``timed`` is any sequence of objects with ``text`` and ``start`` (an
    alignment's words), matched to the truth in order by their text; a truth
    word left without a time counts as an infinite error, so that dropping
    words can never look accurate.
    """
    matcher = difflib.SequenceMatcher(a=[normalised(word.word) for word in truth],
                                      b=[normalised(word.text) for word in timed], autojunk=False)
    found: dict[int, float] = {}
    for block in matcher.get_matching_blocks():
        for step in range(block.size):
            found[block.a + step] = timed[block.b + step].start
    return [abs(found[index] - word.start) if index in found else math.inf
            for index, word in enumerate(truth) if word.reported]


def evenly_spread(text: str, duration: float) -> tuple[TimedText, ...]:
    """Return the words of ``text`` with starts proportional to their character offsets: the no-alignment baseline."""
    return tuple(TimedText(word, first / max(1, len(text)) * duration)
                 for word, first, _last in words_of(text))


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile of ``values`` (``share`` from 0 to 1)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def spoken_words(text: str) -> list[str]:
    """Return the words of ``text`` as said, lower case: numbers in their most usual reading."""
    from media.speech.words import spoken_readings
    return [word for token in text.split() for word in (spoken_readings(token) or [[]])[0]]


def word_error_rate(reference: list[str], heard: list[str]) -> float:
    """Return the word error rate of ``heard`` against ``reference``.

    That is (words substituted + deleted + inserted) / words in ``reference``,
    compared as ``normalised`` words.
    """
    reference = [normalised(word) for word in reference]
    heard = [normalised(word) for word in heard]
    previous = list(range(len(heard) + 1))
    for row, expected in enumerate(reference, 1):
        current = [row] + [0] * len(heard)
        for column, word in enumerate(heard, 1):
            current[column] = min(previous[column] + 1, current[column - 1] + 1,
                                  previous[column - 1] + (expected != word))
        previous = current
    return previous[-1] / max(1, len(reference))


def content_word_recall(reference: list[str], heard: list[str], common: set[str]) -> float:
    """Return the share of ``reference``'s content words (those not in ``common``) found in ``heard``.

    Each word heard counts once, wherever it was heard: a draft's reader
    corrects the words around a right one, so what a hint is for is making
    the story's own words appear at all.
    """
    content = [normalised(word) for word in reference if normalised(word) not in common]
    left = Counter(normalised(word) for word in heard)
    found = 0
    for word in content:
        if left[word]:
            left[word] -= 1
            found += 1
    return found / max(1, len(content))
