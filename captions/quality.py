"""Check caption files against a quality profile; each finding is a Problem with a code.

Codes are stable, so scripts and the ingest step may filter on them:

========================  ========  ==============================================
code                      severity  meaning
========================  ========  ==============================================
``invalid-syntax``        error     the file cannot be read as captions at all
``encoding``              warning   not UTF-8; read as Windows-1252
``ignored-text``          warning   text before the first WebVTT cue, which
                                    players ignore
``reader-warning``        warning   anything else the reader noticed
``unsorted``              warning   a cue starts before the previous cue starts
``overlap``               warning   a cue starts before an earlier cue ends
``gap-too-small``         warning   a gap between cues shorter than the
                                    profile's ``min_gap_frames``
``past-end``              error     a cue starts at or after the end of the clip,
                                    so it is never shown
                          warning   a cue only ends after the clip does
``empty-cue``             warning   a cue with nothing to show
``line-too-long``         warning   more characters on a line than the profile allows
``too-many-lines``        warning   more lines than the profile allows
``reading-speed``         warning   faster than the profile's characters per
                                    second or words per minute
``too-short``             error     a cue ending at or before its start: never shown
                          warning   shorter than the profile's ``min_duration``
``too-long``              warning   longer than the profile's ``max_duration``
``no-caption``            warning   sound going on with no cue for longer than the
                                    profile's ``max_uncaptioned`` seconds
========================  ========  ==============================================

Errors are captions a viewer never gets to read (WCAG 1.2.2 asks for all of
them). Everything else is a warning: overlapping cues are valid WebVTT,
which browsers stack, and two speakers at once can need them; browsers
sort unsorted cues; sound without captions may be music rather than speech.

Each problem's line is the line of its cue's timings. Characters are
counted on the text a viewer sees: tags removed, entities decoded, line
breaks not counted, as ``len()`` of the NFC-normalised text without
zero-width characters, so an accented letter counts once however it was
typed, and a wide CJK character also counts once.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from captions.errors import CaptionError
from captions.models import CaptionTrack, Cue
from captions.profiles import DEFAULT_PROFILE, QualityProfile, get_profile
from captions.read import load_captions
from captions.timecodes import format_clock_millis
from captions.transcript import cue_plain_text

Severity = Literal["error", "warning"]

# cue times are written to the millisecond: a difference under half of one
# is rounding, not a mistake
_EPSILON = 0.0005
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u200e\u200f\u2060\ufeff]")
_MARKUP = re.compile(r"[<&{]")
_LINE_PREFIX = re.compile(r"(\d+): (.*)", re.DOTALL)
_ENCODING_WARNING = "not UTF-8"
_IGNORED_TEXT_WARNING = "text before the first cue is ignored"
# covered by too-short, which also names the cue's line
_NEVER_SHOWN_WARNING = "ends before it starts"


@dataclass(frozen=True)
class Problem:
    """One finding in a caption file: where, how bad, a stable code and a message."""

    file: str
    line: int | None
    severity: Severity
    code: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.severity} {self.code}: {self.message}"

    def to_json(self) -> dict:
        """Return the problem as a dict with file, line, severity, code and message."""
        return {"file": self.file, "line": self.line, "severity": self.severity,
                "code": self.code, "message": self.message}


@dataclass(frozen=True)
class CheckReport:
    """The result of checking one file: whether it could be read, and what was found.

    ``valid`` is False only when the file cannot be read as captions at
    all (its one problem is then ``invalid-syntax``); a readable file with
    error-level problems is valid but has ``errors``.
    """

    valid: bool
    problems: tuple[Problem, ...]
    track: CaptionTrack | None

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Return the problems of severity "error"."""
        return tuple(problem for problem in self.problems if problem.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Return the problems of severity "warning"."""
        return tuple(problem for problem in self.problems if problem.severity == "warning")

    def to_json(self) -> dict:
        """Return the report as a dict with valid and the list of problems."""
        return {"valid": self.valid, "problems": [problem.to_json() for problem in self.problems]}


def check_file(path: str | os.PathLike[str], profile: str | QualityProfile = DEFAULT_PROFILE,
               *, clip_duration: float | None = None,
               sound: Iterable[tuple[float, float]] | None = None,
               frame_rate: float = 25.0) -> CheckReport:
    """Return a CheckReport for a caption file; unreadable files give valid=False.

    :raises ProfileError: for an unknown profile name
    :raises ValueError: for a frame rate that is not positive or a negative clip duration
    """
    limits = _profile(profile)
    _check_numbers(frame_rate, clip_duration)
    try:
        track = load_captions(path)
    except CaptionError as error:
        problem = Problem(str(error.path if error.path is not None else path), error.line,
                          "error", "invalid-syntax", error.message)
        return CheckReport(valid=False, problems=(problem,), track=None)
    problems = check_track(track, limits, clip_duration=clip_duration, sound=sound,
                           frame_rate=frame_rate)
    return CheckReport(valid=True, problems=tuple(problems), track=track)


def check_track(track: CaptionTrack, profile: str | QualityProfile = DEFAULT_PROFILE,
                *, clip_duration: float | None = None,
                sound: Iterable[tuple[float, float]] | None = None,
                frame_rate: float = 25.0) -> list[Problem]:
    """Return the problems of a loaded track, sorted by line then code.

    ``clip_duration`` (seconds) enables ``past-end``; ``sound``, the
    stretches of the clip with sound as (start, end) seconds, enables
    ``no-caption``; ``frame_rate`` turns the profile's gap in frames into
    seconds.

    :raises ProfileError: for an unknown profile name
    :raises ValueError: for a frame rate that is not positive or a negative clip duration
    """
    limits = _profile(profile)
    _check_numbers(frame_rate, clip_duration)
    file = str(track.path)
    problems = list(_reader_problems(track, file))
    problems += (Problem(file, cue.line, "warning", "empty-cue",
                         f"cue at {_span(cue.start, cue.end)} has no text and is left out")
                 for cue in track.empty_cues)
    problems += _timing_problems(track.cues, file, limits, clip_duration, frame_rate)
    for cue in track.cues:
        problems += _cue_problems(cue, file, limits)
    if sound is not None:
        problems += _no_caption_problems(track.cues, sound, file, limits)
    problems.sort(key=lambda problem: (problem.line is not None, problem.line or 0, problem.code))
    return problems


def _profile(profile: str | QualityProfile) -> QualityProfile:
    return profile if isinstance(profile, QualityProfile) else get_profile(profile)


def _check_numbers(frame_rate: float, clip_duration: float | None) -> None:
    """Refuse a frame rate that is not positive or a clip duration below zero."""
    if not (math.isfinite(frame_rate) and frame_rate > 0):
        raise ValueError(f"frame rate must be a positive number, not {frame_rate!r}")
    if clip_duration is not None and not (math.isfinite(clip_duration) and clip_duration >= 0):
        raise ValueError(f"clip duration must be zero or more seconds, not {clip_duration!r}")


def _reader_problems(track: CaptionTrack, file: str) -> Iterator[Problem]:
    """Yield a problem for each warning the reader gave, with its line if it named one."""
    for warning in track.warnings:
        line, message = _split_location(warning, file)
        if _NEVER_SHOWN_WARNING in message:
            continue
        if _ENCODING_WARNING in message:
            code = "encoding"
        elif _IGNORED_TEXT_WARNING in message:
            code = "ignored-text"
        else:
            code = "reader-warning"
        yield Problem(file, line, "warning", code, message)


def _split_location(warning: str, file: str) -> tuple[int | None, str]:
    """Return the line a reader warning names, if any, and its message without the place."""
    # the reader writes "FILE:LINE: ", "FILE: " or, without a file, "line LINE: "
    for prefix in (f"{file}:", "line "):
        if warning.startswith(prefix):
            rest = warning[len(prefix):]
            match = _LINE_PREFIX.match(rest)
            if match:
                return int(match[1]), " ".join(match[2].split())
            if prefix != "line ":
                return None, " ".join(rest.split())
    return None, " ".join(warning.split())


def _timing_problems(cues: Sequence[Cue], file: str, limits: QualityProfile,
                     clip_duration: float | None, frame_rate: float) -> Iterator[Problem]:
    """Yield the order, overlap, gap, duration and clip-end problems of cues in file order."""
    min_gap = limits.min_gap_frames / frame_rate if limits.min_gap_frames else 0.0
    previous_start: float | None = None
    # the latest end of any earlier cue that is shown: a cue overlaps the
    # one still on screen, not only the one written just before it
    shown_until: float | None = None
    for cue in cues:
        duration = cue.end - cue.start
        if previous_start is not None and cue.start < previous_start - _EPSILON:
            yield Problem(file, cue.line, "warning", "unsorted",
                          f"starts at {format_clock_millis(cue.start)}, before the previous cue "
                          f"(at {format_clock_millis(previous_start)})")
        elif shown_until is not None and cue.start < shown_until - _EPSILON:
            yield Problem(file, cue.line, "warning", "overlap",
                          f"starts at {format_clock_millis(cue.start)}, while an earlier "
                          f"cue is shown until {format_clock_millis(shown_until)}")
        elif shown_until is not None and _EPSILON < cue.start - shown_until < min_gap - _EPSILON:
            gap = cue.start - shown_until
            yield Problem(file, cue.line, "warning", "gap-too-small",
                          f"{gap * 1000:.0f} ms after the previous cue "
                          f"({gap * frame_rate:.1f} frames at {frame_rate:g} fps; "
                          f"at least {limits.min_gap_frames} frames)")
        if clip_duration is not None and cue.end > clip_duration + _EPSILON:
            never = cue.start >= clip_duration - _EPSILON
            yield Problem(file, cue.line, "error" if never else "warning", "past-end",
                          f"{'starts' if never else 'ends'} at "
                          f"{format_clock_millis(cue.start if never else cue.end)}, "
                          f"after the clip ends at {format_clock_millis(clip_duration)}"
                          + (" and is never shown" if never else ""))
        if duration <= _EPSILON:
            yield Problem(file, cue.line, "error", "too-short",
                          f"ends at or before it starts ({_span(cue.start, cue.end)}) "
                          "and is never shown")
        elif duration < limits.min_duration - _EPSILON:
            yield Problem(file, cue.line, "warning", "too-short",
                          f"shown for {duration:.3f} s (at least {limits.min_duration:.3g} s)")
        elif limits.max_duration is not None and duration > limits.max_duration + _EPSILON:
            yield Problem(file, cue.line, "warning", "too-long",
                          f"shown for {duration:.3f} s (at most {limits.max_duration:.3g} s)")
        previous_start = cue.start
        if duration > _EPSILON:
            shown_until = cue.end if shown_until is None else max(shown_until, cue.end)


def _cue_problems(cue: Cue, file: str, limits: QualityProfile) -> Iterator[Problem]:
    """Yield the empty-cue, line, length and reading-speed problems of one cue's text."""
    lines = [line for line in map(_visible, cue.text.split("\n")) if line]
    if not lines:
        yield Problem(file, cue.line, "warning", "empty-cue",
                      f"cue at {_span(cue.start, cue.end)} has no visible text")
        return
    if len(lines) > limits.max_lines:
        yield Problem(file, cue.line, "warning", "too-many-lines",
                      f"{len(lines)} lines (at most {limits.max_lines})")
    longest = max(lines, key=len)
    if len(longest) > limits.max_chars_per_line:
        yield Problem(file, cue.line, "warning", "line-too-long",
                      f"{len(longest)} characters on a line (at most "
                      f"{limits.max_chars_per_line}): {_quote(longest)}")
    duration = cue.end - cue.start
    if duration <= _EPSILON:
        return  # never shown, which too-short reports
    too_fast = []
    if limits.max_cps is not None:
        cps = sum(map(len, lines)) / duration
        if cps > limits.max_cps:
            too_fast.append(f"{cps:.1f} characters per second (at most {limits.max_cps:g})")
    if limits.max_wpm is not None:
        wpm = sum(len(line.split()) for line in lines) * 60 / duration
        if wpm > limits.max_wpm:
            too_fast.append(f"{wpm:.0f} words per minute (at most {limits.max_wpm:g})")
    if too_fast:
        yield Problem(file, cue.line, "warning", "reading-speed", "; ".join(too_fast))


def _no_caption_problems(cues: Sequence[Cue], sound: Iterable[tuple[float, float]],
                         file: str, limits: QualityProfile) -> Iterator[Problem]:
    """Yield a problem for each stretch of sound with no cue longer than allowed."""
    for start, end in _uncovered(sorted(sound), _covered(cues)):
        if end - start > limits.max_uncaptioned + _EPSILON:
            yield Problem(file, None, "warning", "no-caption",
                          f"sound from {format_clock_millis(start)} to {format_clock_millis(end)} "
                          f"({end - start:.1f} s) has no caption")


def _covered(cues: Sequence[Cue]) -> list[tuple[float, float]]:
    """Return the merged time ranges when some cue is shown, in order."""
    merged: list[tuple[float, float]] = []
    # cues are nearly always in order already, which sorted() does in one pass
    for cue in sorted(cues, key=lambda cue: cue.start):
        if cue.end - cue.start <= _EPSILON:
            continue
        if merged and cue.start <= merged[-1][1] + _EPSILON:
            merged[-1] = (merged[-1][0], max(merged[-1][1], cue.end))
        else:
            merged.append((cue.start, cue.end))
    return merged


def _uncovered(stretches: Sequence[tuple[float, float]],
               covered: Sequence[tuple[float, float]]) -> Iterator[tuple[float, float]]:
    """Yield the parts of sorted stretches that no merged covered range reaches."""
    first = 0
    for start, end in stretches:
        # ranges ending before this stretch cannot reach any later one either
        while first < len(covered) and covered[first][1] <= start:
            first += 1
        position = start
        index = first
        while index < len(covered) and covered[index][0] < end and position < end:
            covered_start, covered_end = covered[index]
            if covered_start > position:
                yield position, covered_start
            position = max(position, covered_end)
            index += 1
        if position < end:
            yield position, end


def _visible(line: str) -> str:
    """Return one line of cue text as shown: no tags, entities decoded, NFC, no zero widths."""
    # most lines have no markup; skipping the regexes keeps 2,000 cues fast
    text = cue_plain_text(line) if _MARKUP.search(line) else " ".join(line.split())
    if not text.isascii():
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        if _ZERO_WIDTH.search(text):
            text = _ZERO_WIDTH.sub("", text).strip()
    return text


def _quote(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _span(start: float, end: float) -> str:
    return f"{format_clock_millis(start)} --> {format_clock_millis(end)}"
