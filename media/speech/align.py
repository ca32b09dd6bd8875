"""Forced alignment: when each word of a script is spoken in a clip, with pocketsphinx.

The clip's first audio stream is decoded by ffmpeg to 16 kHz mono samples;
pocketsphinx, told the exact words, finds where each one is said. Words the
dictionary lacks get a pronunciation (media.speech.words), so names and
numbers are aligned, not dropped. Script words said nowhere and sound with
no script are reported in ``unmatched`` instead of being stretched silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from media.ffmpeg import commands, tools
from media.ffmpeg.probe import probe
from media.ffmpeg.run import run_tool, timeout_for
from media.speech.errors import ScriptError, SpeechError
from media.speech.matching import (
    FRAME_SECONDS,
    SAMPLE_RATE,
    TimedWord,
    Unmatched,
    quiet,
    trimmed,
    unsaid,
    unscripted,
    voiced_frames,
)
from media.speech.script import Script, parse_script
from media.speech.words import pronounce, spoken_readings

# the languages with a model in the pocketsphinx wheel
LANGUAGES = ("en",)
# Forced alignment prunes paths like recognition does; with the default
# beams a name pronounced a little differently from its dictionary entry
# loses its only path and the whole alignment fails. Wide beams cost a
# little speed, which alignment (one path per word) has to spare: a minute
# of speech aligns in about 2 s.
_BEAMS = {"beam": 1e-200, "wbeam": 1e-200, "pbeam": 1e-200, "maxhmmpf": -1}
# the second pass, for words said nowhere, keeps every path
_WIDEST_BEAMS = {"beam": 1e-300, "wbeam": 1e-300, "pbeam": 1e-300, "maxhmmpf": -1}
# more than this share of words unknown to the dictionary: another language
_FOREIGN_SHARE = 0.5
# more than this share of the script not said: it is not this clip's script
_MOST = 0.5
# silence added after the clip for words it never says, per word and at most
_PADDING_PER_WORD = 0.6
_MAX_PADDING_SECONDS = 60.0
_FILLERS = re.compile(r"^(?:<.*>|\[.*\]|\+\+.*\+\+)$")
# Finding sentences the clip skips: the grammar's odds of skipping one, weighed
# against the sound at full strength (language weight 1; at the usual 6.5 the
# decoder prefers to skip a said sentence and call its speech silence).
_SKIP_PROBABILITY = 0.01
_SKIP_WEIGHTS = {"lw": 1.0}
_SENTENCE_ENDS = (".", "?", "!", "…")
_ALTERNATE = re.compile(r"\(\d+\)$")


@dataclass(frozen=True)
class Alignment:
    """The script's words with their times, in script order, and what did not match."""

    words: tuple[TimedWord, ...]
    unmatched: tuple[Unmatched, ...]
    duration: float


def align_script(media: Path, script: str, language: str = "en",
                 model: Path | None = None) -> Alignment:
    """Return when each word of script text ``script`` is spoken in ``media``.

    :raises SpeechError: for a language with no model, a clip with no audio,
        a script mostly in another language or one that cannot be aligned
    :raises ScriptError: for a script with no words
    """
    return align(media, parse_script(script), language, model)


def align(media: Path | str, script: Script, language: str = "en",
          model: Path | None = None) -> Alignment:
    """Return the alignment of a parsed ``script`` with ``media`` (see align_script)."""
    media = Path(media)
    config = model_config(language, model)
    info = probe(media)
    if not info.has_audio:
        raise SpeechError("has no audio stream to align the script with", media)
    raw = speech_samples(media, info.duration)
    units, spans, pauses, skipped = _force_align(media, raw, script, language, config)
    duration = len(raw) / 2 / SAMPLE_RATE
    voiced = voiced_frames(raw)
    words: list[TimedWord] = []
    phones: list[int] = []
    at = 0.0
    for word, word_units in zip(script.words, units, strict=True):
        phones.append(0)
        if word_units:
            mine = [spans.pop(0) for _ in word_units]
            start, end = mine[0][0], mine[-1][1]
            phones[-1] = sum(span[2] for span in mine)
            if not pauses:
                start, end = trimmed(start, end, voiced)
        else:
            # punctuation, or a sentence the clip skips: shown with the word before
            start = end = at
        # words said nowhere were placed in silence added after the clip
        words.append(TimedWord(word.text, round(min(start, duration), 3), round(min(end, duration), 3)))
        at = end
    unmatched = unsaid(words, phones, voiced, skipped, round(duration, 3)) + unscripted(words, voiced)
    missing = sum(len(part.text.split()) for part in unmatched if part.kind == "script")
    if missing > _MOST * len(words):
        # the words went somewhere, but not onto speech: another clip, or no speech at all
        raise _no_fit(media, script)
    return Alignment(tuple(words), tuple(sorted(unmatched, key=lambda part: part.start)),
                     round(duration, 3))


def model_config(language: str, model: Path | None) -> dict:
    """Return the decoder settings for ``language``, or for a user's model directory.

    :raises SpeechError: for a language with no bundled model and no ``model``,
        or a model directory without an acoustic model and one dictionary
    """
    if model is None:
        if language not in LANGUAGES:
            raise SpeechError(f"no speech model for language {language!r} (available: "
                              f"{', '.join(LANGUAGES)}); give a pocketsphinx model with --model DIR")
        return {}
    model = Path(model)
    dictionaries = sorted(model.glob("*.dict"))
    if not (model / "mdef").is_file() or len(dictionaries) != 1:
        raise SpeechError("is not a pocketsphinx model: it needs the acoustic model files "
                          "(mdef, means, variances ...) and one .dict file", model)
    return {"hmm": str(model), "dict": str(dictionaries[0]), "lm": None}


def speech_samples(media: Path, duration: float) -> bytes:
    """Return the first audio stream of ``media`` as 16 kHz mono s16le samples.

    :raises MediaError: when ffmpeg cannot decode it
    """
    argv = commands.speech_audio_command(tools.ffmpeg(), media, SAMPLE_RATE)
    result = run_tool(argv, media, what="cannot decode the audio", timeout=timeout_for(duration),
                      binary_output=True)
    if len(result.stdout) < int(SAMPLE_RATE * FRAME_SECONDS) * 2:
        raise SpeechError("has no sound to align the script with", media)
    return result.stdout


def _dictionary_units(decoder, script: Script, language: str) -> list[list[str]]:
    """Return, per script word, the dictionary words the decoder should hear, adding missing ones.

    A word with several readings (a number) becomes one added word with one
    pronunciation per reading, so the decoder picks the reading it hears.

    :raises SpeechError: when most words are unknown (a script in another language)
    """
    units: list[list[str]] = []
    known = unknown = 0
    for index, word in enumerate(script.words):
        readings = spoken_readings(word.text)
        if not readings:
            # letters with no English reading (another alphabet) count as unknown words
            unknown += any(char.isalpha() for char in word.text)
            units.append([])
            continue
        if len(readings) == 1:
            names = []
            for name in readings[0]:
                if decoder.lookup_word(name) is None:
                    unknown += 1
                    if language != "en":
                        raise ScriptError(f"{name!r} is not in the model's dictionary (add it "
                                          "there, or write it as it is said)", script.path, word.line)
                    decoder.add_word(name, pronounce(name), True)
                else:
                    known += 1
                names.append(name)
            units.append(names)
            continue
        name = f"number-{index}"
        for number, reading in enumerate(readings, 1):
            phones = " ".join(decoder.lookup_word(part) or pronounce(part) for part in reading)
            decoder.add_word(name if number == 1 else f"{name}({number})", phones, True)
        known += 1
        units.append([name])
    if unknown > max(2, _FOREIGN_SHARE * (known + unknown)):
        raise SpeechError(f"{unknown} of {known + unknown} words of the script are not in the "
                          "English dictionary: is the script in another language? (see --language)",
                          script.path)
    return units


def _force_align(media: Path, raw: bytes, script: Script, language: str, config: dict
                 ) -> tuple[list[list[str]], list[tuple[float, float, int]], bool, frozenset[int]]:
    """Return each script word's dictionary words, the (start, end, phones) of each of those, in order,
    whether pauses between words were told apart from the words, and the words of sentences the clip skips.

    :raises SpeechError: when the words cannot be fitted to the audio at all
    """
    units, segments = _pass(raw, script, language, config, fillers=True)
    pauses = segments is not None
    skipped: frozenset[int] = frozenset()
    if segments is None:
        skipped = _skipped_sentences(raw, script, language, config)
        if skipped:
            said = Script(tuple(word for index, word in enumerate(script.words) if index not in skipped),
                          script.path)
            said_units, segments = _pass(raw, said, language, config, fillers=True)
            if segments is not None:
                kept = iter(said_units)
                units = [[] if index in skipped else next(kept) for index in range(len(script.words))]
                pauses = True
            else:
                skipped = frozenset()
    if segments is None:
        # Words the clip never says have no sound to take, and the alignment
        # fails. Silence after the end gives them somewhere to go, where they
        # are then found unsaid (see unsaid) instead of failing the script;
        # optional pauses between words make such a pass fail too, so this
        # one goes without.
        padding = min(_MAX_PADDING_SECONDS, _PADDING_PER_WORD * len(script.words))
        units, segments = _pass(raw + quiet(padding), script, language, config, fillers=False)
    names = [unit for word in units for unit in word]
    if segments is None or [_ALTERNATE.sub("", segment[0]) for segment in segments] != names:
        raise _no_fit(media, script)
    return units, [(first * FRAME_SECONDS, (last + 1) * FRAME_SECONDS, phones)
                   for _, first, last, phones in segments], pauses, skipped


def _sentences(script: Script) -> list[list[int]]:
    """Return the indices of the script's words, sentence by sentence (a paragraph ends one too)."""
    sentences: list[list[int]] = [[]]
    words = script.words
    for index, word in enumerate(words):
        sentences[-1].append(index)
        ends_paragraph = index + 1 < len(words) and words[index + 1].line > word.line + 1
        if word.text.rstrip("\"'”’)»").endswith(_SENTENCE_ENDS) or ends_paragraph:
            sentences.append([])
    return [sentence for sentence in sentences if sentence]


def _skipped_sentences(raw: bytes, script: Script, language: str, config: dict) -> frozenset[int]:
    """Return the indices of the words of whole sentences the clip does not say.

    Forced alignment must place every word, so a sentence missing from the
    middle of the clip is spread over the speech around it and is found only
    in part. A grammar in which each sentence may be skipped lets the
    decoder leave it out where it is not said; the words said are then
    aligned on their own. An empty set when every sentence is said, or when
    the grammar finds no path.
    """
    from pocketsphinx import Decoder
    sentences = _sentences(script)
    if len(sentences) < 2:
        return frozenset()
    decoder = Decoder(samprate=SAMPLE_RATE, bestpath=False, loglevel="FATAL", fsgusefiller=True,
                      **_BEAMS, **_SKIP_WEIGHTS, **config)
    units = _dictionary_units(decoder, script, language)
    transitions: list[tuple] = []
    state = 0
    names_of = []
    for sentence in sentences:
        names = [name for index in sentence for name in units[index]]
        names_of.append(names)
        begin = state
        for number, name in enumerate(names):
            transitions.append((state, state + 1, 1.0 if number else 1 - _SKIP_PROBABILITY, name))
            state += 1
        transitions.append((begin, state, _SKIP_PROBABILITY))
    decoder.add_fsg("sentences", decoder.create_fsg("sentences", 0, state, transitions))
    decoder.activate_search("sentences")
    segments = _segments(decoder, raw)
    if segments is None:
        return frozenset()
    heard = [_ALTERNATE.sub("", segment.word) for segment in segments if segment.word != "(NULL)"]
    skipped: set[int] = set()
    at = 0
    for sentence, names in zip(sentences, names_of, strict=True):
        if names and heard[at:at + len(names)] == names:
            at += len(names)
        elif names:
            skipped.update(sentence)
    if at != len(heard) or len(skipped) == len(script.words):
        return frozenset()
    return frozenset(skipped)


def _no_fit(media: Path, script: Script) -> SpeechError:
    return SpeechError(f"the script could not be aligned with the speech in {media}: is it "
                       "the script of this clip, in its language?", script.path)


def _pass(raw: bytes, script: Script, language: str, config: dict, fillers: bool):
    """Return the dictionary words per script word and the segments of one alignment pass (None if it fails)."""
    try:
        from pocketsphinx import Decoder
    except ImportError:
        raise SpeechError("pocketsphinx is not installed (pip install -r requirements.txt)") from None
    beams = _BEAMS if fillers else _WIDEST_BEAMS
    decoder = Decoder(samprate=SAMPLE_RATE, bestpath=False, loglevel="FATAL", fsgusefiller=fillers,
                      **beams, **config)
    units = _dictionary_units(decoder, script, language)
    decoder.set_align_text(" ".join(unit for word in units for unit in word))
    segments = _segments(decoder, raw)
    if segments is None:
        return units, None
    # (word, start frame, end frame, phones of the pronunciation heard)
    return units, [(segment.word, segment.start_frame, segment.end_frame,
                    len((decoder.lookup_word(segment.word) or "").split()))
                   for segment in segments]


def _segments(decoder, raw: bytes) -> list | None:
    """Return the word segments of one pass over ``raw``, fillers left out; None when it fails."""
    decoder.start_utt()
    decoder.process_raw(raw, full_utt=True)
    decoder.end_utt()
    if decoder.hyp() is None:
        return None
    return [segment for segment in decoder.seg() if not _FILLERS.match(segment.word)]
