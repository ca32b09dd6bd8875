"""Clock times, WebVTT, SRT and SBV timestamps, ISO 8601 durations and ffmpeg times."""

from __future__ import annotations

import math
import re

from captions.errors import CaptionError

# Two rules round to the millisecond, and each keeps what its callers always
# wrote. Timestamps in caption files round a half millisecond up, as
# webvtt-py does, so a file written here reads back as webvtt-py would have
# written it. The millisecond clock of caption checks and the transcript's
# ISO durations round halves to even, as Python's round() does. The two differ
# only for a time exactly half way between two milliseconds, which no time
# read from a caption file is: those are whole milliseconds.

# "collect a WebVTT timestamp" (https://w3c.github.io/webvtt/#collect-a-webvtt-timestamp)
# as one pattern with four groups: hours of any length, or none (None) when
# the first field is two digits up to 59; then two-digit minutes and seconds
# up to 59 and exactly three fraction digits, the spec reading each run of
# digits whole before checking its length
WEBVTT_TIMESTAMP = r"(?:([0-9]+):)?([0-5][0-9]):([0-5][0-9])\.([0-9]{3})(?![0-9])"
# What webvtt-py reads, which is more than the formats allow: unpadded fields
# such as 0:0:13.540 and, but for SBV, fewer than three fraction digits.
# captions.read checks timing lines against these so that no cue webvtt-py
# would skip goes unreported.
LENIENT_WEBVTT_TIME = r"(?:\d{1,10}:)?\d{1,2}:\d{1,2}\.\d{1,3}"
SRT_TIME = r"\d{1,10}:\d{1,2}:\d{1,2}[,.]\d{1,3}"
SBV_TIME = r"\d{1,10}:\d{1,2}:\d{1,2}\.\d{3}"
_PLAIN_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", re.ASCII)

_WEBVTT_TIMESTAMP = re.compile(WEBVTT_TIMESTAMP)
_SRT_TIME = re.compile(SRT_TIME)
# past this many digits of hours a time is far beyond the largest double
_MAX_HOUR_DIGITS = 400


def format_clock(seconds: float) -> str:
    """Return a clock reading such as "0:32", "1:05" or "1:02:03", seconds floored.

    Times below zero read "0:00". Pages, transcripts and the progress bar show this.
    """
    total = max(0, math.floor(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_clock_millis(seconds: float) -> str:
    """Return a clock reading to the millisecond: "0:32.500", or "1:02:03.250" from an hour on."""
    hours, minutes, secs, millis = _fields(_millis_half_even(seconds))
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}.{millis:03d}"
    return f"{minutes}:{secs:02d}.{millis:03d}"


def format_timestamp(seconds: float) -> str:
    """Return seconds as a WebVTT timestamp such as "00:01:02.345"; below zero is zero.

    :raises ValueError: if seconds is not a finite number
    """
    hours, minutes, secs, millis = _fields(_millis_half_up(seconds))
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def format_srt_timestamp(seconds: float) -> str:
    """Return seconds as an SRT timestamp such as "00:01:02,345"; below zero is zero.

    :raises ValueError: if seconds is not a finite number
    """
    hours, minutes, secs, millis = _fields(_millis_half_up(seconds))
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"


def format_sbv_timestamp(seconds: float) -> str:
    """Return seconds as an SBV timestamp such as "0:01:02.345", hours unpadded.

    :raises ValueError: if seconds is not a finite number
    """
    hours, minutes, secs, millis = _fields(_millis_half_up(seconds))
    return f"{hours}:{minutes:02d}:{secs:02d}.{millis:03d}"


def iso_duration(seconds: float) -> str:
    """Return an ISO 8601 duration to the millisecond, such as "PT32S", "PT1H0S" or "PT1H2M3.5S".

    The seconds are always written, as the transcript's <time datetime> always had them.
    """
    hours, minutes, secs, millis = _fields(_millis_half_even(seconds))
    return _hours_minutes(hours, minutes) + f"{secs}.{millis:03d}".rstrip("0").rstrip(".") + "S"


def iso_duration_whole(seconds: float) -> str:
    """Return an ISO 8601 duration in whole seconds, such as "PT32S", "PT1M5S" or "PT1H".

    A clip's length is published as the page shows it, to the second, and
    zero seconds are left out unless nothing else is there ("PT0S").
    """
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    text = _hours_minutes(hours, minutes)
    return text + (f"{secs}S" if secs or text == "PT" else "")


def webvtt_timestamp_seconds(hours: str | None, minutes: str, seconds: str,
                             millis: str) -> float:
    """Return the time in seconds of the four fields WEBVTT_TIMESTAMP matched.

    The sum is exact and rounds once, to the nearest double.

    :raises CaptionError: if the time is past the largest double
    """
    hours = (hours or "").lstrip("0") or "0"
    if len(hours) > _MAX_HOUR_DIGITS:
        raise CaptionError(f"a timestamp with {len(hours)} digits of hours is too large")
    milliseconds = ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000
    try:
        # integer true division rounds once, to the nearest double
        return (milliseconds + int(millis)) / 1000
    except OverflowError:
        raise CaptionError(
            f"a timestamp with {len(hours)} digits of hours is too large") from None


def normalise_webvtt_timestamp(text: str) -> str:
    """Return a WebVTT timestamp such as "1:02.345" as "00:01:02.345", as cue text tags hold it.

    Hours keep their digits however many there are, less leading zeros.

    :raises CaptionError: if the spec would not read all of text as one timestamp
    """
    match = _WEBVTT_TIMESTAMP.fullmatch(text)
    if match is None:
        raise CaptionError(f"not a WebVTT timestamp: {_quote(text)}")
    hours, minutes, seconds, millis = match.groups()
    # kept as digits: int() refuses strings of more than 4,300 digits
    hours = (hours or "").lstrip("0").rjust(2, "0")
    return f"{hours}:{minutes}:{seconds}.{millis}"


def lenient_webvtt_time_in_range(text: str) -> bool:
    """Return whether the minutes and seconds of a LENIENT_WEBVTT_TIME are below 60."""
    *_, minutes, seconds = text.split(":")
    return int(minutes) < 60 and int(seconds.split(".")[0]) < 60


def srt_timestamp_millis(text: str) -> int:
    """Return an SRT or SBV time such as "00:01:02,345" in milliseconds, as webvtt-py reads it.

    :raises CaptionError: if text is not an SRT_TIME (every SBV_TIME is one)
    """
    if _SRT_TIME.fullmatch(text) is None:
        raise CaptionError(f"not an SRT or SBV timestamp: {_quote(text)}")
    # the milliseconds are a number, so "07,5" is 5 milliseconds
    hours, minutes, seconds, millis = (int(part) for part in re.split("[:,.]", text))
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis


def parse_ffmpeg_time(text: str) -> float | None:
    """Return seconds for ffmpeg's ``[-]HH:MM:SS.ffffff``; None for ``N/A`` or anything unreadable.

    ffmpeg writes ``out_time`` so in its ``-progress`` output.
    """
    sign = -1.0 if text.startswith("-") else 1.0
    parts = text.lstrip("-").split(":")
    if len(parts) != 3:
        return None
    try:
        hours, minutes, seconds = int(parts[0]), int(parts[1]), float(parts[2])
    except ValueError:
        return None
    return sign * (hours * 3600 + minutes * 60 + seconds)


def parse_seconds(text: str) -> float:
    """Return a time written as a plain number of seconds, such as "75" or "12.5".

    This is how a ``?t=`` start time is written: ASCII digits with an optional
    fraction. ``float()`` alone would also take "1e3", " 5 ", "1_0" and other
    scripts' digits ("١"), each one more address for the same start.

    :raises ValueError: if text is not such a number, or not a finite one
    """
    if not _PLAIN_SECONDS.fullmatch(text):
        raise ValueError(f"not a plain number of seconds: {text!r}")
    seconds = float(text)
    if not math.isfinite(seconds):
        raise ValueError(f"not a finite number of seconds: {text!r}")
    return seconds


def format_seconds(seconds: float) -> str:
    """Return seconds as ``parse_seconds`` reads them, to the millisecond: "1", "12.5", "32.021"."""
    return f"{_millis_half_up(seconds) / 1000:.3f}".rstrip("0").rstrip(".")


def _millis_half_up(seconds: float) -> int:
    """Return seconds as whole milliseconds, halves up, below zero as zero."""
    if not math.isfinite(seconds):
        raise ValueError(f"cannot write {seconds!r} seconds as a timestamp")
    return max(0, math.floor(seconds * 1000 + 0.5))


def _millis_half_even(seconds: float) -> int:
    """Return seconds as whole milliseconds, halves to even, below zero as zero."""
    return max(0, round(seconds * 1000))


def _fields(millis: int) -> tuple[int, int, int, int]:
    """Return hours, minutes, seconds and milliseconds of a time in milliseconds."""
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return hours, minutes, secs, millis


def _hours_minutes(hours: int, minutes: int) -> str:
    """Return the start of an ISO 8601 duration: "PT", then any hours and minutes."""
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")


def _quote(text: str) -> str:
    """Return a short quotation of text for a message."""
    return repr(text if len(text) <= 60 else text[:57] + "...")
