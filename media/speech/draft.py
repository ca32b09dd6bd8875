"""Draft captions: what pocketsphinx hears in a clip, as cues marked as an unreviewed draft.

The clip's first audio stream is read as alignment reads it (16 kHz mono,
media.speech.align.speech_samples) and recognised with the US English
model bundled in the pocketsphinx wheel, so nothing is downloaded. The words
heard, with their times, become cues within a caption profile
(media.speech.cues); the file written starts with the draft NOTE of
captions.drafts, so that nobody mistakes it for reviewed captions.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from captions.drafts import draft_note
from captions.models import CaptionTrack, Cue
from captions.profiles import QualityProfile
from captions.write import to_webvtt
from media.ffmpeg.probe import probe
from media.files import write_text_atomic
from media.speech.align import Alignment, speech_samples
from media.speech.cues import build_cues
from media.speech.errors import SpeechError
from media.speech.hints import Hint, check_language, general_model, read_hint, write_hint_model
from media.speech.matching import FRAME_SECONDS, PHRASE_PAUSE_SECONDS, SAMPLE_RATE, TimedWord, voiced_frames
from media.speech.script import Script, ScriptWord

# The model each language is recognised with, as the NOTE names it.
MODELS = {"en": "en-us"}
# Without the second (flat) pass and with at most this many active HMMs per
# frame, recognition runs about 7x faster than real time on one core instead
# of 4x, and its word error rate on the test speech is no worse.
_DECODER = {"fwdflat": False, "maxhmmpf": 3000}
# silence, breath and noise "words", and the sentence start and end
_FILLERS = re.compile(r"^(?:<.*>|\[.*\]|\+\+.*\+\+)$")
# "the(2)": the second pronunciation of a dictionary word
_ALTERNATE = re.compile(r"\(\d+\)$")
# the dictionary is lower case; "i", "i'm", "i'll" are written with a capital
_PRONOUN_I = re.compile(r"^i(?='|$)")


@dataclass(frozen=True)
class Transcript:
    """The words recognised in a clip, in time order, and the duration of its sound (seconds)."""

    words: tuple[TimedWord, ...]
    duration: float
    engine: str

    @property
    def note(self) -> str:
        """Return the NOTE block that starts a draft of this transcript."""
        return draft_note(self.engine)


def transcribe(media: Path | str, language: str = "en", hints: tuple[Path | str, ...] = ()) -> Transcript:
    """Return the words pocketsphinx recognises in the speech of ``media``, with their times.

    Each of ``hints`` (plain text or an article bundle's article.md) adds its
    words to a language model made for this run (media.speech.hints).

    :raises SpeechError: for a language with no bundled model, a clip with no
        audio, or one in which no word is recognised
    :raises HintError: for a hint that is missing, binary, empty or in another language
    :raises MediaError: for a file that is missing or not a clip
    """
    media = Path(media)
    if language not in MODELS:
        raise SpeechError(f"no speech model for drafts in language {language!r} (available: "
                          f"{', '.join(sorted(MODELS))}); --model is not offered for drafts yet")
    read = [read_hint(path) for path in hints]
    if read:
        general = general_model(_model_folder(language))
        for hint in read:
            check_language(hint, general, language)
    info = probe(media)
    if not info.has_audio:
        raise SpeechError("has no audio stream to transcribe", media)
    raw = speech_samples(media, info.duration)
    words = _pauses_only(list(_recognise(raw, read, language)), voiced_frames(raw))
    if not words:
        raise SpeechError("no speech was recognised in it: nothing to draft captions from", media)
    return Transcript(words, round(len(raw) / 2 / SAMPLE_RATE, 3), _engine(language, read))


def draft_cues(transcript: Transcript, profile: QualityProfile, frame_rate: float = 25.0) -> tuple[Cue, ...]:
    """Return the cues of ``transcript`` within ``profile``'s limits."""
    script = Script(tuple(ScriptWord(word.text, 1) for word in transcript.words))
    alignment = Alignment(transcript.words, (), transcript.duration)
    return build_cues(script, alignment, profile, frame_rate)


def draft_webvtt(cues: tuple[Cue, ...], note: str) -> str:
    """Return ``cues`` as WebVTT with the draft ``note`` right after the header."""
    text = to_webvtt(CaptionTrack(Path("draft.vtt"), "vtt", tuple(cues), "utf-8"))
    header, _, cues_text = text.rstrip("\n").partition("\n\n")
    return "\n\n".join(block for block in (header, note, cues_text) if block) + "\n"


def write_draft(path: Path | str, cues: tuple[Cue, ...], note: str) -> None:
    """Write the draft to ``path`` as WebVTT, whole or not at all."""
    write_text_atomic(path, draft_webvtt(cues, note))


def _pauses_only(words: list[TimedWord], voiced: list[bool]) -> tuple[TimedWord, ...]:
    """Return ``words`` with each gap between two closed unless the speaker pauses there.

    A draft has no punctuation: its pauses are where cues and lines break
    best (media.speech.cues). The recogniser leaves gaps where it heard
    breath or noise, or misheard speech, as well as silence; only a gap
    holding at least PHRASE_PAUSE_SECONDS of quiet is kept as a pause.
    """
    needed = round(PHRASE_PAUSE_SECONDS / FRAME_SECONDS)
    result = []
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else None
        if following is not None and following.start > word.end:
            frames = voiced[round(word.end / FRAME_SECONDS):round(following.start / FRAME_SECONDS)]
            quiet = longest = 0
            for sound in frames:
                quiet = 0 if sound else quiet + 1
                longest = max(longest, quiet)
            if longest < needed:
                word = TimedWord(word.text, word.start, following.start)
        result.append(word)
    return tuple(result)


def _engine(language: str, hints: list[Hint]) -> str:
    """Return the engine and model line of the NOTE, and the line naming the hints."""
    try:
        version = metadata.version("pocketsphinx")
    except metadata.PackageNotFoundError:
        version = "(version unknown)"
    engine = f"Engine: pocketsphinx {version}, model {MODELS[language]}"
    if not hints:
        return engine
    return f"{engine}\nHints: {', '.join(hint_name(hint.path) for hint in hints)}"


def hint_name(path: Path) -> str:
    """Return how the NOTE names a hint: its file name, with its folder for a bundle's article.md."""
    return f"{path.parent.name}/{path.name}" if path.name == "article.md" and path.parent.name else path.name


def _model_folder(language: str) -> str:
    """Return the folder of the bundled model of ``language``."""
    try:
        from pocketsphinx import get_model_path
    except ImportError:
        raise SpeechError("pocketsphinx is not installed (pip install -r requirements.txt)") from None
    return str(Path(get_model_path()) / MODELS[language])


def _recognise(raw: bytes, hints: list[Hint], language: str):
    """Yield the words recognised in 16 kHz mono samples ``raw``, fillers left out."""
    try:
        from pocketsphinx import Decoder
    except ImportError:
        raise SpeechError("pocketsphinx is not installed (pip install -r requirements.txt)") from None
    if hints:
        # the hints' model lives only as long as the decoder reads it
        with tempfile.TemporaryDirectory(prefix="newsreel-hint-") as folder:
            model, dictionary = write_hint_model(hints, general_model(_model_folder(language)), Path(folder))
            decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL", lm=str(model), dict=str(dictionary),
                              **_DECODER)
    else:
        decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL", **_DECODER)
    decoder.start_utt()
    decoder.process_raw(raw, full_utt=True)
    decoder.end_utt()
    if decoder.hyp() is None:
        return
    for segment in decoder.seg():
        if _FILLERS.match(segment.word):
            continue
        text = _PRONOUN_I.sub("I", _ALTERNATE.sub("", segment.word))
        yield TimedWord(text, round(segment.start_frame * FRAME_SECONDS, 3),
                        round((segment.end_frame + 1) * FRAME_SECONDS, 3))
