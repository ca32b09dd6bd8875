"""EBU R128 loudness: measure a clip's audio and build the filter that normalises it.

Measuring runs ffmpeg's ebur128 filter (a third of the time of loudnorm's
own first pass, which resamples to 192 kHz). Its summary gives the gain: a
plain volume change where the true peak allows, else loudnorm's second pass
fed with the measured values. A remux measures in the same ffmpeg run that
copies its streams (commands.remux_measuring_command); parse_measurement
reads the summary of either run.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from media.errors import MediaError
from media.ffmpeg import tools
from media.ffmpeg.commands import measure_command
from media.ffmpeg.run import run_tool, stderr_tail

# Below this the gating of BS.1770 leaves next to nothing to measure, and
# lifting it to -16 LUFS would only make noise audible.
SILENT_BELOW = -70.0
OUTPUT_RATE = 48000
MEASURE_TIMEOUT = 600

# ebur128 prints "[Parsed_ebur128_0 @ 0x...] Summary:" and an indented block
# when the filter graph closes, after everything else: the last one is ours.
_SUMMARY = re.compile(
    r"\[Parsed_ebur128_\d+ @ [^\]]*\] Summary:\s*"
    r"Integrated loudness:\s*I:\s*(?P<integrated>\S+) LUFS\s*Threshold:\s*(?P<threshold>\S+) LUFS\s*"
    r"Loudness range:\s*LRA:\s*(?P<lra>\S+) LU\s*.*?"
    r"True peak:\s*Peak:\s*(?P<true_peak>\S+) dBFS", re.DOTALL)


@dataclass(frozen=True)
class LoudnessTarget:
    """Where normalised web audio should land, and how far off is close enough."""

    integrated: float = -16.0  # LUFS
    true_peak: float = -1.5  # dBTP; headroom for the AAC encoder's overshoot
    lra: float = 11.0  # LU
    tolerance: float = 1.0  # LU either side of ``integrated``


@dataclass(frozen=True)
class Loudness:
    """One measurement (EBU R128): integrated LUFS, true peak dBTP, range LU, gate LUFS."""

    integrated: float
    true_peak: float
    lra: float
    threshold: float
    offset: float = 0.0

    @property
    def is_silent(self) -> bool:
        """Return True when there is no programme loudness worth normalising."""
        # ebur128 reports -70 LUFS, its absolute gate, when nothing passes it.
        return math.isnan(self.integrated) or self.integrated <= SILENT_BELOW


def _loudnorm(target: LoudnessTarget) -> str:
    return f"loudnorm=I={target.integrated:g}:TP={target.true_peak:g}:LRA={target.lra:g}"


def parse_measurement(stderr: str, path: Path | str | None = None,
                      argv: list[str] | None = None) -> Loudness:
    """Return the measurement in the last ebur128 summary of ``stderr``.

    :raises MediaError: when there is no complete summary; it carries
        ``argv``, the run that should have printed one.
    """
    matches = list(_SUMMARY.finditer(stderr))
    try:
        # Values are numbers such as "-23.1", or "-inf" for silence; float() reads both.
        values = {name: float(value) for name, value in matches[-1].groupdict().items()}
    except (IndexError, ValueError) as error:
        raise MediaError("could not measure loudness", path, argv,
                         stderr_tail=stderr_tail(stderr)) from error
    return Loudness(**values)


def measure_loudness(path: Path | str, target: LoudnessTarget = LoudnessTarget()) -> Loudness:
    """Return the loudness of the first audio stream of ``path``.

    :raises MediaError: when the file has no audio or ffmpeg cannot read it.
    """
    argv = measure_command(tools.ffmpeg(), path)
    what = "could not measure loudness"
    try:
        result = run_tool(argv, path, what, timeout=MEASURE_TIMEOUT)
    except MediaError as error:
        # ffmpeg's last line here is a hint about "-map 0:a:0?", which would
        # puzzle anyone reading the message.
        if "matches no streams" in error.stderr_tail:
            raise MediaError(f"{what}: no audio stream", path, argv,
                             error.stderr_tail) from error
        raise
    return parse_measurement(result.stderr, path, argv)


def needs_normalising(measured: Loudness, target: LoudnessTarget = LoudnessTarget()) -> bool:
    """Return True when the audio is too far from the target to be copied as it is."""
    if measured.is_silent:
        return False
    return (abs(measured.integrated - target.integrated) > target.tolerance
            or measured.true_peak > target.true_peak)


def normalise_filter(measured: Loudness, target: LoudnessTarget = LoudnessTarget()) -> str:
    """Return the second-pass audio filter that brings ``measured`` audio to ``target``.

    The encoder side must set the channel count (``-ac``), as the clip
    commands do: loudnorm hands on a channel count without a layout, which
    ffmpeg 5.1 and 6.0 cannot match to an encoder's layouts by themselves.

    :raises ValueError: for silent audio, which loudnorm cannot take as a measurement.
    """
    if measured.is_silent:
        raise ValueError(f"cannot normalise silent audio ({measured.integrated:.1f} LUFS)")
    gain = target.integrated - measured.integrated
    if measured.true_peak + gain <= target.true_peak:
        # One gain reaches the target without passing the peak ceiling: what
        # loudnorm's linear mode would do, without its 192 kHz resampling,
        # which costs several times the rest of a remux.
        return f"volume={gain:.2f}dB"
    # Otherwise loudnorm's second pass, with the first pass's measurements;
    # it works at 192 kHz internally and outputs that rate.
    return (f"{_loudnorm(target)}"
            f":measured_I={measured.integrated:.2f}:measured_TP={measured.true_peak:.2f}"
            f":measured_LRA={measured.lra:.2f}:measured_thresh={measured.threshold:.2f}"
            f":offset={measured.offset:.2f}:linear=true:print_format=none"
            f",aresample={OUTPUT_RATE}")


def describe(measured: Loudness) -> str:
    """Return a short human summary such as "-23.1 LUFS, true peak -4.2 dBTP"."""
    if measured.is_silent:
        return f"silent ({measured.integrated:.1f} LUFS)"
    return f"{measured.integrated:.1f} LUFS, true peak {measured.true_peak:.1f} dBTP"
