"""Benchmark a full caption pass against a bare webvtt-py read of the same file, in one run.

    .venv/bin/python bench/captions_bench.py [--repeat 7] [--cues 2000]

Generates a two-hour WebVTT file with 2,000 cues (voices, styling, entities,
line breaks, settings, a few notes), then prints the best of ``--repeat``
runs of:

- the baseline: ``webvtt.read(path)``, webvtt-py parsing the file;
- ours: parse + check + transcript, as ingest does them: ``load_captions``
  (decode, our checks, webvtt-py), ``check_track`` with the default profile
  and ``build_full_transcript``; the ratio ours / baseline is the target
  (at most 2x);
- for reference, each part alone, the canonical WebVTT writer, ``cue_html``
  over every cue, and the browser-conformant ``parse_webvtt_file``.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import webvtt  # noqa: E402  (path set up above)

from captions import cue_html, load_captions, timecodes, write  # noqa: E402
from captions.quality import check_track  # noqa: E402
from captions.transcript import build_full_transcript  # noqa: E402
from captions.webvtt_parser import parse_webvtt_file  # noqa: E402

SPEAKERS = ("Ana Ruiz", "Ben Okafor", "Chen Li", "Dara Walsh")
PHRASES = (
    "The water rose faster than anyone expected",
    "we moved the boats to higher ground",
    "by morning the road to the harbour was closed",
    "volunteers filled sandbags &amp; carried them to the school",
    "<i>(sirens in the distance)</i>",
    "nobody here has seen anything like it",
    "the council says repairs will take <b>three months</b>",
    "<c.yellow>Update:</c> the ferry runs again from Friday",
)


def two_hour_file(path: Path, cues: int, seed: int = 7) -> Path:
    """Write a WebVTT file of ``cues`` cues spread over two hours."""
    rng = random.Random(seed)
    step = 7200 / cues
    blocks = ["WEBVTT - generated for the benchmark", "NOTE two hours of news captions"]
    for number in range(cues):
        start = number * step + rng.uniform(0, 0.3)
        end = start + rng.uniform(1.2, step - 0.4)
        first = rng.choice(PHRASES)
        second = rng.choice(PHRASES)
        voice = f"<v {rng.choice(SPEAKERS)}>" if rng.random() < 0.5 else ""
        settings = " line:85% align:center" if number % 10 == 0 else ""
        blocks.append(f"cue-{number}\n{timecodes.format_timestamp(start)} --> "
                      f"{timecodes.format_timestamp(end)}{settings}\n{voice}{first},\n{second}.")
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


def best_of(repeat: int, run) -> float:
    """Return the fastest of ``repeat`` calls of ``run()``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def full_pass(path: Path) -> None:
    """Parse, check and transcribe one caption file, as ingest does."""
    track = load_captions(path)
    check_track(track, "newsreel")
    build_full_transcript(track.cues)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per timing (best is kept)")
    parser.add_argument("--cues", type=int, default=2000, help="cues in the generated file")
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, webvtt-py {webvtt.__version__}")
    with tempfile.TemporaryDirectory(prefix="captions-bench-") as folder:
        path = two_hour_file(Path(folder) / "two-hours.vtt", args.cues)
        kib = path.stat().st_size / 1024
        print(f"{args.cues} cues over 2 hours, {kib:.0f} KiB; best of {args.repeat}:")
        bare = best_of(args.repeat, lambda: webvtt.read(str(path)))
        ours = best_of(args.repeat, lambda: full_pass(path))
        track = load_captions(path)
        parts = {
            "load_captions": lambda: load_captions(path),
            "check_track": lambda: check_track(track, "newsreel"),
            "build_full_transcript": lambda: build_full_transcript(track.cues),
            "to_webvtt": lambda: write.to_webvtt(track),
            "cue_html, every cue": lambda: [cue_html(cue.text) for cue in track.cues],
            "parse_webvtt_file (browser rules)": lambda: parse_webvtt_file(path),
        }
        print(f"  webvtt.read (baseline)             {bare * 1000:7.1f} ms")
        print(f"  ours: parse + check + transcript   {ours * 1000:7.1f} ms"
              f"   ours/baseline = {ours / bare:.2f}x (target <= 2x)")
        for name, run in parts.items():
            alone = best_of(args.repeat, run)
            print(f"    {name:33s}{alone * 1000:7.1f} ms   {alone / bare:.2f}x")


if __name__ == "__main__":
    main()
