"""Benchmark the spoken audio-described version against re-encoding the clip's video.

    .venv/bin/python bench/describe_bench.py [--cores 1]

Needs espeak-ng (bin/install-system-packages installs it). Makes a 60 s
1280x720 H.264/AAC clip whose sound is speech (espeak-ng reading
tests/data/speech/harbour-ferry.txt) and eight descriptions that fit their
cues, then prints, in a process allowed ``--cores`` cores:

- ours: the time ``media.speech.describe.describe_clip`` takes to write the
  standard version (voices spoken, mixed, measured, video copied) and how
  many times faster than real time that is (target: at least 10x on one);
- the baseline: the same clip's video re-encoded as a pipeline that does not
  copy it would have to (libx264 at the clip settings' preset and CRF, the
  sound as AAC), its time, and the ratio baseline / ours;
- the extended version: the same descriptions with the last one too long
  for its cue, so the frame is held and the video encoded; its time (both
  versions) is reported without a target.

Each is timed on the wall clock and in CPU seconds (this process and the
ones it started): on a shared machine the wall clock also counts the time
spent waiting for the core, the CPU time what the work itself costs.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from captions import load_captions  # noqa: E402  (path set up above)
from media.ffmpeg import tools  # noqa: E402
from media.ffmpeg.commands import ClipSettings  # noqa: E402
from media.speech.describe import describe_clip  # noqa: E402
from media.speech.voice import espeak_ng  # noqa: E402

SECONDS = 60
SPEED_TARGET = 10.0
PROGRAMME = ROOT / "tests" / "data" / "speech" / "harbour-ferry.txt"
DESCRIPTIONS = [
    "A ferry waits at the quay.",
    "Pilots walk along the harbour wall.",
    "A crowd gathers at the terminal.",
    "Rain falls on the car park.",
    "A woman reads the timetable.",
    "Two tugs push a ship away from the quay.",
    "Gulls circle over the water.",
    "The ferry leaves the harbour at dusk.",
]
TOO_LONG = ("The ferry turns slowly past the lighthouse while passengers wave from the deck "
            "and the harbour lights come on one by one along the wall.")


def stamp(seconds: float) -> str:
    """Format seconds as a WebVTT timestamp."""
    return f"{int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}:{seconds % 60:06.3f}"


def write_descriptions(path: Path, texts: list[str]) -> Path:
    """Write one cue of 3.5 s every 7.5 s, from 2 s, with each text."""
    blocks = [f"{stamp(2 + 7.5 * i)} --> {stamp(5.5 + 7.5 * i)}\n{text}"
              for i, text in enumerate(texts)]
    path.write_text("WEBVTT\n\n" + "\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


def make_clip(folder: Path, espeak: str) -> Path:
    """Write the 60 s 1280x720 clip whose sound is speech, at about -16 LUFS."""
    speech = folder / "programme.wav"
    subprocess.run([espeak, "-v", "en-us", "-s", "150", "-w", str(speech), "-f", str(PROGRAMME)],
                   check=True, capture_output=True, timeout=120)
    clip = folder / "clip.mp4"
    subprocess.run([tools.ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=25:duration={SECONDS}",
                    "-stream_loop", "-1", "-i", str(speech),
                    "-af", "loudnorm=I=-16:TP=-1.5,aresample=48000", "-ac", "2",
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "128k", "-t", str(SECONDS), str(clip)],
                   check=True, timeout=600)
    return clip


def reencode(clip: Path, output: Path, settings: ClipSettings) -> None:
    """Encode the clip's video and sound again, as a pipeline that does not copy the video must."""
    subprocess.run([tools.ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                    "-i", str(clip), "-c:v", "libx264", "-preset", settings.preset,
                    "-crf", str(settings.crf), "-c:a", "aac", "-b:a", settings.audio_bitrate,
                    str(output)], check=True, timeout=600)


def cpu_seconds() -> float:
    """Return the CPU time used so far by this process and the processes it waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(action) -> tuple[float, float, object]:
    """Return the wall-clock and CPU seconds ``action()`` took, and what it returned.

    On a shared machine the wall clock includes waiting for the core; the
    CPU time is what the work costs on a core of its own.
    """
    start, cpu = time.perf_counter(), cpu_seconds()
    result = action()
    return time.perf_counter() - start, cpu_seconds() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=1, help="cores the process may use (default 1)")
    args = parser.parse_args()
    espeak = espeak_ng()
    if espeak is None:
        print("espeak-ng is not installed: nothing to benchmark", file=sys.stderr)
        sys.exit(2)
    settings = ClipSettings()
    with tempfile.TemporaryDirectory(prefix="describe-bench-") as scratch:
        folder = Path(scratch)
        clip = make_clip(folder, espeak)
        fitting = load_captions(write_descriptions(folder / "fit.vtt", DESCRIPTIONS))
        held = load_captions(write_descriptions(folder / "held.vtt", [*DESCRIPTIONS[:-1], TOO_LONG]))
        # The target is for one core: espeak-ng and ffmpeg, started from here, inherit this.
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:args.cores]))
        print(f"Python {platform.python_version()}, {tools.find_tool('ffmpeg').path}, "
              f"{len(os.sched_getaffinity(0))} core(s); a {SECONDS} s 1280x720 clip, "
              f"{len(DESCRIPTIONS)} descriptions")
        ours, ours_cpu, result = timed(lambda: describe_clip(
            clip, fitting, folder / "out" / "clip.described.mp4",
            folder / "out" / "clip.extended.mp4", settings=settings, threads=args.cores))
        if result.extended is not None:
            print("note: a description did not fit, so the standard run made an extended one too")
        base, base_cpu, _ = timed(lambda: reencode(clip, folder / "reencoded.mp4", settings))
        extended, extended_cpu, both = timed(lambda: describe_clip(
            clip, held, folder / "held" / "clip.described.mp4",
            folder / "held" / "clip.extended.mp4", settings=settings, threads=args.cores))
        holds = sum(p.hold for p in both.placements)
    print(f"{'':34s} {'wall':>7s} {'x real time':>12s} {'CPU':>7s} {'x real time':>12s}")
    rows = [("described, video copied (ours)", ours, ours_cpu, f"target >= {SPEED_TARGET:.0f}x"),
            ("video re-encoded (baseline)", base, base_cpu,
             f"baseline / ours = {base / ours:.1f}x wall, {base_cpu / ours_cpu:.1f}x CPU"),
            ("extended and standard, one held", extended, extended_cpu,
             f"{holds:.2f} s held, no target")]
    for name, wall, cpu, note in rows:
        print(f"{name:34s} {wall:6.2f}s {SECONDS / wall:11.1f}x {cpu:6.2f}s "
              f"{SECONDS / cpu:11.1f}x   {note}")

if __name__ == "__main__":
    main()
