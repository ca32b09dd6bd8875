"""Speak a clip's descriptions into it: its audio-described versions (WCAG 1.2.5 and 1.2.7).

Each description is spoken by espeak-ng in the track's language, as fast as
it must be to fit the pause it has (media.speech.schedule) and no slower
than espeak-ng's usual pace. The voices, each at its place, make one track;
ffmpeg ducks the programme under it, measures the mix and writes it beside
the clip's own video, copied. Where a description needs more time than the
pause allows, an extended version holds the frame while it is said; its
times differ from the clip's, so its captions, re-timed, go inside it.
"""

from __future__ import annotations

import logging
import math
import tempfile
import wave
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from captions.models import CaptionTrack, Cue
from captions.transcript import cue_plain_text
from captions.write import to_srt
from media.errors import MediaError
from media.ffmpeg import tools
from media.ffmpeg.commands import ClipSettings
from media.ffmpeg.info import VideoInfo
from media.ffmpeg.mixing import (
    described_mix_command,
    described_mux_command,
    extended_mix_command,
    extended_video_command,
)
from media.ffmpeg.probe import probe
from media.ffmpeg.run import run_tool, timeout_for
from media.files import atomic_output
from media.speech import schedule
from media.speech.errors import DescriptionsError, SpeechError
from media.speech.schedule import Description, Placement
from media.speech.voice import USUAL, espeak_ng, installed_voice, speak_fitted, spoken_text
from media.video.loudness import (
    LoudnessTarget,
    describe,
    measure_loudness,
    needs_normalising,
    normalise_filter,
    parse_measurement,
)

logger = logging.getLogger(__name__)

# Words a minute: faster than espeak-ng's usual 175 only to fit a pause, and
# at most this fast, which stays easy to follow; what still does not fit
# goes into the extended version.
DESCRIPTION_FASTEST = 220
DURATION_TOLERANCE = 0.1  # seconds the standard version may differ from the clip
SPEAKERS = 2              # espeak-ng runs at once
# ISO 639-2 codes for the subtitle streams of the extended version; MP4 has no BCP 47.
ISO_639_2 = {"en": "eng", "de": "ger", "ar": "ara", "fr": "fre", "es": "spa", "it": "ita",
             "nl": "dut", "pl": "pol", "pt": "por", "tr": "tur", "uk": "ukr", "ru": "rus"}


@dataclass(frozen=True)
class DescribedFile:
    """One audio-described MP4 written for a clip."""

    path: Path
    duration: float
    bytes: int
    extended: bool

    def to_json(self) -> dict:
        """Return the fields ``python -m media describe --json`` prints."""
        return {"path": str(self.path), "duration": round(self.duration, 3),
                "bytes": self.bytes, "extended": self.extended}


@dataclass(frozen=True)
class Described:
    """The audio-described versions of a clip, and where each description went."""

    language: str
    voice: str
    placements: tuple[Placement, ...]
    standard: DescribedFile
    extended: DescribedFile | None
    loudness: str          # the standard version's mix, as measured before normalising
    normalised: bool       # whether it needed a gain to reach the target

    def to_json(self) -> dict:
        """Return what ``python -m media describe --json`` prints."""
        return {"language": self.language, "voice": self.voice, "loudness": self.loudness,
                "normalised": self.normalised,
                "standard": self.standard.to_json(),
                "extended": None if self.extended is None else self.extended.to_json(),
                "descriptions": [p.to_json() for p in self.placements]}


@dataclass(frozen=True)
class CaptionsInside:
    """A caption track to carry inside the extended version: its cues, language and title."""

    track: CaptionTrack
    language: str
    title: str


def descriptions_of(track: CaptionTrack, duration: float) -> list[Description]:
    """Return the track's descriptions as they will be said; [] when none has words.

    :raises DescriptionsError: for overlapping cues, or a cue that starts
        after the clip's end.
    """
    schedule.check_descriptions(track.cues, track.path)
    found = []
    for cue in sorted(track.cues, key=lambda cue: (cue.start, cue.end)):
        if cue.start >= duration:
            raise DescriptionsError(f"description cue starts at {cue.start:.3f} s, after the "
                                    f"end of the clip ({duration:.3f} s)", track.path, cue.line)
        text = spoken_text(cue_plain_text(cue.text))
        if text:
            found.append(Description(text, cue.start, cue.end, cue.line))
    return found


def check_describable(info: VideoInfo, language: str,
                      descriptions: Path | str | None = None) -> tuple[str, str]:
    """Return (espeak-ng, voice) when ``info``'s clip can be described in ``language``.

    :raises SpeechError: without espeak-ng, without a voice for the language
        (naming the ``descriptions`` file that cannot be spoken), or for a
        clip without pictures to describe.
    """
    espeak = espeak_ng()
    if espeak is None:
        raise SpeechError("espeak-ng is not installed, so descriptions cannot be spoken "
                          "(install the Debian package espeak-ng)", descriptions)
    voice = installed_voice(espeak, language)
    if voice is None:
        raise SpeechError(f"espeak-ng has no voice for language {language!r}, so its "
                          "descriptions cannot be spoken", descriptions)
    if not info.has_video:
        raise SpeechError("has no video stream: descriptions say what the pictures show",
                          info.path)
    return espeak, voice


def describe_clip(clip: Path | str, descriptions: CaptionTrack, standard_path: Path | str,
                  extended_path: Path | str, language: str = "en",
                  captions: Sequence[CaptionsInside] = (),
                  settings: ClipSettings = ClipSettings(),
                  threads: int | None = None) -> Described:
    """Write the audio-described version of ``clip`` to ``standard_path``, and the extended one.

    The extended version goes to ``extended_path`` only when some
    description does not fit before the next speech. ``captions`` tell
    where speech is (without them, each description's cue end bounds its
    time) and go, re-timed, into the extended version. Everything is
    checked before anything is written.

    :raises DescriptionsError: for descriptions that cannot be spoken.
    :raises SpeechError: see ``check_describable``.
    :raises MediaError: when ffmpeg cannot read the clip or write the versions.
    """
    info = probe(clip)
    espeak, voice = check_describable(info, language, descriptions.path)
    duration = info.duration
    wanted = descriptions_of(descriptions, duration)
    if not wanted:
        raise DescriptionsError("has no description text to speak", descriptions.path)
    speech = ([(cue.start, cue.end) for inside in captions for cue in inside.track.cues]
              if captions else None)
    windows = schedule.windows(wanted, sorted(speech) if speech is not None else None, duration)
    with tempfile.TemporaryDirectory(prefix="newsreel-describe-") as scratch:
        work = Path(scratch)
        voices = [work / f"description-{index}.wav" for index in range(len(wanted))]
        with ThreadPoolExecutor(SPEAKERS) as pool:
            spoken = list(pool.map(
                lambda job: speak_fitted(espeak, job[0].text, language, job[1], job[2],
                                         slowest=USUAL, fastest=DESCRIPTION_FASTEST),
                zip(wanted, windows, voices, strict=True)))
        placements = schedule.place(wanted, windows, spoken)
        standard, audio_filter, loudness = _standard(info, placements, voices, work,
                                                     Path(standard_path), settings)
        extended = None
        if any(not p.fits for p in placements):
            extended = _extended(info, placements, voices, work, Path(extended_path), captions,
                                 settings, threads)
    return Described(language, voice, tuple(placements), standard, extended, loudness,
                     audio_filter is not None)


def _standard(info: VideoInfo, placements: list[Placement], voices: list[Path], work: Path,
              output: Path, settings: ClipSettings) -> tuple[DescribedFile, str | None, str]:
    spans = schedule.voice_spans(placements, extended=False)
    voice_track = work / "voices.wav"
    _place_voices(voice_track, voices, [start for start, _ in spans], info.duration)
    mix = work / "mix.wav"
    argv = described_mix_command(tools.ffmpeg(), info.path, voice_track, mix,
                                 schedule.duck_expression(schedule.duck_spans(spans)),
                                 _voice_gain(voice_track), info.has_audio)
    audio_filter, loudness = _mixed(argv, info, mix)
    with atomic_output(output) as tmp:
        argv = described_mux_command(tools.ffmpeg(), info.path, mix, tmp, audio_filter, settings)
        run_tool(argv, info.path, "could not write the audio-described version",
                 timeout=timeout_for(info.duration))
        written = _checked(tmp, info.duration, output)
    return replace(written, path=output), audio_filter, loudness


def _extended(info: VideoInfo, placements: list[Placement], voices: list[Path], work: Path,
              output: Path, captions: Sequence[CaptionsInside], settings: ClipSettings,
              threads: int | None) -> DescribedFile:
    spans = schedule.voice_spans(placements, extended=True)
    length = schedule.extended_duration(placements, info.duration)
    voice_track = work / "voices-extended.wav"
    _place_voices(voice_track, voices, [start for start, _ in spans], length)
    lead = sum(p.hold for p in placements if p.hold and p.hold_at == 0)
    holds: dict[float, float] = {}
    for p in placements:
        if p.hold and p.hold_at > 0:
            holds[p.hold_at] = holds.get(p.hold_at, 0.0) + p.hold
    held = sorted(holds.items())
    mix = work / "mix-extended.wav"
    argv = extended_mix_command(tools.ffmpeg(), info.path, voice_track, mix,
                                schedule.duck_expression(schedule.duck_spans(spans)),
                                _voice_gain(voice_track), info.has_audio, lead, held,
                                info.duration)
    audio_filter, _loudness = _mixed(argv, info, mix)
    subtitles = []
    for index, inside in enumerate(captions):
        srt = work / f"captions-{index}.srt"
        srt.write_text(to_srt(_retimed(inside.track, placements)), encoding="utf-8")
        code = ISO_639_2.get(inside.language.split("-")[0].lower(), "und")
        subtitles.append((srt, code, inside.title))
    with atomic_output(output) as tmp:
        argv = extended_video_command(tools.ffmpeg(), info.path, mix, subtitles, tmp,
                                      audio_filter, lead, held, info.duration, settings, threads)
        run_tool(argv, info.path, "could not write the extended audio-described version",
                 timeout=timeout_for(length))
        written = _checked(tmp, length, output)
    return replace(written, path=output, extended=True)


def _retimed(track: CaptionTrack, placements: list[Placement]) -> CaptionTrack:
    """Return the track with its cues moved to the extended version's timeline."""
    cues = tuple(Cue(schedule.extended_time(placements, cue.start),
                     schedule.extended_time(placements, cue.end, after_hold=False), cue.text)
                 for cue in track.cues)
    return replace(track, cues=cues)


def _place_voices(output: Path, voices: list[Path], starts: list[float], duration: float) -> None:
    """Write one mono track ``duration`` long with each voice file at its start."""
    rate = 22050  # espeak-ng's own rate; a voice in another one is resampled when read
    track = bytearray(2 * math.ceil(duration * rate))
    for path, start in zip(voices, starts, strict=True):
        with wave.open(str(path)) as speech:
            if speech.getframerate() != rate or speech.getsampwidth() != 2:
                raise MediaError("espeak-ng wrote speech in an unexpected format", path)
            frames = speech.readframes(speech.getnframes())
        at = 2 * round(start * rate)
        # A voice that runs past the end of the clip is cut there.
        piece = frames[:max(0, len(track) - at)]
        track[at:at + len(piece)] = piece
    with wave.open(str(output), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(track))


def _voice_gain(voice_track: Path) -> float:
    """Return the gain in dB that brings the voices to the loudness of a normalised programme."""
    measured = measure_loudness(voice_track)
    return 0.0 if measured.is_silent else LoudnessTarget().integrated - measured.integrated


def _mixed(argv: list[str], info: VideoInfo, mix: Path) -> tuple[str | None, str]:
    """Run a mix command; return the filter that normalises the mix, and its measured level."""
    result = run_tool(argv, info.path, "could not mix the descriptions with the clip's sound",
                      timeout=timeout_for(info.duration))
    measured = parse_measurement(result.stderr, info.path, argv)
    audio_filter = normalise_filter(measured) if needs_normalising(measured) else None
    return audio_filter, describe(measured)


def _checked(written: Path, duration: float, named: Path) -> DescribedFile:
    """Return the file ffmpeg wrote, after checking it plays as long as it should."""
    info = probe(written)
    if not (info.has_video and info.has_audio) or abs(info.duration - duration) > DURATION_TOLERANCE:
        raise MediaError(f"the audio-described version lasts {info.duration:.3f} s, not "
                         f"{duration:.3f} s", named)
    return DescribedFile(written, info.duration, written.stat().st_size, extended=False)
