"""Benchmark caption alignment against evenly spread words, and draft captions, on speech with known words.

    .venv/bin/python bench/align_bench.py [--cores 1]

Needs espeak-ng (bin/install-system-packages installs it). For each text in
tests/data/speech/, espeak-ng speaks it (tests/speech.py), reporting when
each word starts; then ``media.speech.align.align_script`` aligns the text to
the speech. Prints, per text:

- the clip's duration;
- ours: the median and 95th-percentile absolute word-start error of the
  alignment (targets: at most 0.10 s and 0.30 s), and how many words it left
  without a time;
- the baseline: the same errors when each word's start is assumed to be
  proportional to its character offset over the clip's duration, i.e. what
  a caption file gets with no alignment; the ratio baseline / ours shows
  what alignment adds;
- the time align_script took and how many times faster than real time that
  is, in a process allowed ``--cores`` cores (target: at least 4x on one);
- the draft (``media.speech.draft.transcribe``, recognition without the
  script): its word error rate against the words said (numbers in their
  most usual reading), reported without a target, and how many times faster
  than real time it ran (target: at least 4x on one core).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import wave
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.speech import (  # noqa: E402  (path set up above)
    evenly_spread,
    percentile,
    speak,
    spoken_words,
    start_errors,
    word_error_rate,
)

TEXTS = ROOT / "tests" / "data" / "speech"
MEDIAN_TARGET = 0.10
P95_TARGET = 0.30
SPEED_TARGET = 4.0


def load_speech():
    """Return align_script and transcribe; exit 2 with one line when media.speech is not there yet."""
    try:
        from media.speech.align import align_script
        from media.speech.draft import transcribe
    except ModuleNotFoundError as error:
        if error.name not in ("media.speech", "media.speech.align", "media.speech.draft"):
            raise
        print(f"{error.name} is not there yet: nothing to benchmark", file=sys.stderr)
        sys.exit(2)
    return align_script, transcribe


def duration_of(wav: Path) -> float:
    """Return a WAV file's duration in seconds."""
    with wave.open(str(wav)) as file:
        return file.getnframes() / file.getframerate()


def summary(errors: list[float]) -> tuple[float, float]:
    """Return the median and 95th percentile of word-start errors."""
    return statistics.median(errors), percentile(errors, 0.95)


def seconds(value: float) -> str:
    """Format an error for the table; a dropped word makes it infinite."""
    return "    inf" if value == float("inf") else f"{value:6.3f}s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=1, help="cores the process may use (default 1)")
    args = parser.parse_args()
    align_script, transcribe = load_speech()
    # The speed target is for one core: pocketsphinx and the ffmpeg it starts inherit this.
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:args.cores]))
    print(f"Python {platform.python_version()}, pocketsphinx {metadata.version('pocketsphinx')}, "
          f"{len(os.sched_getaffinity(0))} core(s)")
    print(f"{'text':16s} {'length':>7s}  {'ours: median':>12s} {'p95':>7s} {'missed':>6s}   "
          f"{'evenly spread: median':>21s} {'p95':>7s}  {'baseline/ours':>13s}   {'align':>6s} {'x real time':>11s}   "
          f"{'draft WER':>9s} {'draft':>6s} {'x real time':>11s}")
    worst = {"median": 0.0, "p95": 0.0, "speed": float("inf"), "draft speed": float("inf")}
    rates = []
    with tempfile.TemporaryDirectory(prefix="align-bench-") as folder:
        for path in sorted(TEXTS.glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            wav = Path(folder) / f"{path.stem}.wav"
            truth = speak(text, wav)
            length = duration_of(wav)
            start = time.perf_counter()
            alignment = align_script(wav, text)
            took = time.perf_counter() - start
            ours = start_errors(truth, alignment.words)
            baseline = start_errors(truth, evenly_spread(text, length))
            median, p95 = summary(ours)
            base_median, base_p95 = summary(baseline)
            missed = sum(error == float("inf") for error in ours)
            start = time.perf_counter()
            heard = [word.text for word in transcribe(wav).words]
            drafted = time.perf_counter() - start
            rate = word_error_rate(spoken_words(text), heard)
            rates.append(rate)
            ratio = base_median / median if median else float("inf")
            print(f"{path.stem:16s} {length:6.1f}s  {seconds(median):>12s} {seconds(p95)} {missed:6d}   "
                  f"{seconds(base_median):>21s} {seconds(base_p95)}  {ratio:12.1f}x   "
                  f"{took:5.2f}s {length / took:10.1f}x   {rate:9.0%} {drafted:5.2f}s {length / drafted:10.1f}x")
            worst = {"median": max(worst["median"], median), "p95": max(worst["p95"], p95),
                     "speed": min(worst["speed"], length / took),
                     "draft speed": min(worst["draft speed"], length / drafted)}
    print(f"worst: median {worst['median']:.3f} s (target <= {MEDIAN_TARGET}), "
          f"p95 {worst['p95']:.3f} s (target <= {P95_TARGET}), "
          f"{worst['speed']:.1f}x real time (target >= {SPEED_TARGET}x)")
    print(f"draft: word error rate {statistics.mean(rates):.0%} on average (reported, no target), "
          f"{worst['draft speed']:.1f}x real time at worst (target >= {SPEED_TARGET}x)")


if __name__ == "__main__":
    main()
