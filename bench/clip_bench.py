"""Benchmark clip preparation against bare ffmpeg, in one run, on this machine.

    .venv/bin/python bench/clip_bench.py [--seconds 32] [--repeat 1]

Makes three 1080p test clips of the given length (H.264/AAC with moov at
the end; the same with its audio already normalised to -16 LUFS; the same
picture as MPEG-4 Part 2), then measures and prints ratios:

(a) our ``python -m media clip`` against the equivalent bare ffmpeg command
    lines run directly: loudnorm's measuring pass, the transcode (or remux)
    with the same codecs, settings and second-pass loudnorm, and a poster
    with ffmpeg's ``thumbnail`` filter; and without loudness on both sides;
(b) the remux path against the transcode path for the web-ready clip, and
    the steps of the remux path that cannot overlap, each timed alone;
    then the same for the clip already at the target loudness, whose remux
    copies both streams in the one ffmpeg run that also measures loudness;
(c) the realtime factor of the default 1080p and 720p transcodes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from media.ffmpeg import commands, tools  # noqa: E402  (path set up above)
from media.ffmpeg.probe import probe  # noqa: E402
from media.video.clips import POSTER_WIDTHS  # noqa: E402
from media.video.loudness import LoudnessTarget, describe, measure_loudness, needs_normalising, normalise_filter  # noqa: E402
from media.video.posters import write_posters  # noqa: E402


def run(argvs: list[list[str]]) -> float:
    """Run each argv in turn and return the total wall time in seconds."""
    start = time.perf_counter()
    for argv in argvs:
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, cwd=ROOT)
    return time.perf_counter() - start


def best_of(repeat: int, make_argvs) -> float:
    """Return the fastest of ``repeat`` runs; each run gets a fresh output folder."""
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bench-") as out:
            times.append(run(make_argvs(Path(out))))
    return min(times)


def best_in_process(repeat: int, work) -> float:
    """Return the fastest of ``repeat`` calls of ``work(folder)``, each with a fresh folder."""
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bench-") as out:
            start = time.perf_counter()
            work(Path(out))
            times.append(time.perf_counter() - start)
    return min(times)


def make_sources(folder: Path, seconds: int) -> tuple[Path, Path, Path]:
    """Return (web-ready clip, the same normalised to -16 LUFS, MPEG-4 Part 2 clip)."""
    ffmpeg = tools.ffmpeg()
    lavfi = ["-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=25:duration={seconds}",
             "-f", "lavfi", "-i", f"sine=frequency=330:beep_factor=2:duration={seconds}"]
    web = folder / "web-ready-moov-last.mp4"
    other = folder / "mpeg4.mp4"
    subprocess.run([ffmpeg, "-v", "error", "-y", *lavfi, "-c:v", "libx264", "-preset", "veryfast",
                    "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(web)],
                   check=True)
    subprocess.run([ffmpeg, "-v", "error", "-y", *lavfi, "-c:v", "mpeg4", "-q:v", "5",
                    "-c:a", "aac", "-shortest", str(other)], check=True)
    return web, normalised_copy(web, folder / "web-ready-normalised-moov-last.mp4"), other


def normalised_copy(source: Path, output: Path) -> Path:
    """Write ``source`` with its audio at -16 LUFS (video copied, moov still at the end)."""
    target = LoudnessTarget()
    audio = normalise_filter(measure_loudness(source, target), target)
    channels = str(probe(source).audio_channels)
    subprocess.run([tools.ffmpeg(), "-v", "error", "-y", "-i", str(source), "-c:v", "copy",
                    "-af", audio, "-ac", channels, "-c:a", "aac", "-b:a", "128k", str(output)],
                   check=True)
    measured = measure_loudness(output, target)
    if needs_normalising(measured, target):
        raise SystemExit(f"the normalised bench clip is off target: {describe(measured)}")
    return output


def ours(source: Path, *options: str):
    return lambda out: [[sys.executable, "-m", "media", "clip", str(source), "--out", str(out),
                         "--quiet", *options]]


LOUDNORM = "loudnorm=I=-16:TP=-1.5:LRA=11"


def bare(source: Path, remux: bool = False, height: int = 1080, loudness: bool = True):
    """The same work as bare ffmpeg command lines; the second pass uses fixed measured values."""
    ffmpeg = tools.ffmpeg()

    def argvs(out: Path) -> list[list[str]]:
        lines = []
        if loudness:
            lines.append([ffmpeg, "-nostdin", "-i", str(source), "-vn",
                          "-af", f"{LOUDNORM}:print_format=json", "-f", "null", "-"])
        audio = (["-af", f"{LOUDNORM}:measured_I=-21.2:measured_TP=-8.0:measured_LRA=0.1:"
                  "measured_thresh=-31.4:linear=true,aresample=48000", "-ac", "2",
                  "-c:a", "aac", "-b:a", "128k"] if loudness else ["-c:a", "aac", "-b:a", "128k"])
        if remux:
            video = ["-c:v", "copy"] + (audio if loudness else ["-c:a", "copy"])
        else:
            video = ["-vf", f"scale=-2:{height},format=yuv420p", "-c:v", "libx264", "-crf", "23",
                     "-preset", "veryfast", *audio, "-ar", "48000"]
        lines.append([ffmpeg, "-v", "error", "-nostdin", "-y", "-i", str(source), *video,
                      "-movflags", "+faststart", str(out / "out.mp4")])
        lines.append([ffmpeg, "-v", "error", "-nostdin", "-y", "-i", str(out / "out.mp4"),
                      "-vf", "thumbnail", "-frames:v", "1", str(out / "poster.jpg")])
        return lines
    return argvs


def floor_parts(web: Path, repeat: int) -> dict[str, float]:
    """Time the steps a remux with loudness normalisation cannot skip, each on its own."""
    ffmpeg, ffprobe = tools.ffmpeg(), tools.ffprobe()
    info = probe(web)
    return {
        # The remux path's own argv: both streams copied, the audio measured, one run.
        "part_remux_measure": best_of(repeat, lambda out: [
            commands.remux_measuring_command(ffmpeg, info, out / "out.mp4")]),
        # Made from the source beside the remux, in this process as in ours.
        "part_posters": best_in_process(repeat, lambda out: write_posters(
            web, info.duration, out, "poster", widths=POSTER_WIDTHS)),
        "part_python_start": best_of(repeat, lambda out: [[sys.executable, "-m", "media", "clip",
                                                            "--help"]]),
        "part_ffmpeg_start": best_of(repeat, lambda out: [[ffmpeg, "-hide_banner", "-version"]]),
        "part_probe": best_of(repeat, lambda out: [[ffprobe, "-v", "error", "-show_format",
                                                    "-show_streams", "-of", "json", str(web)]]),
        "part_measure": best_of(repeat, lambda out: [[ffmpeg, "-nostdin", "-nostats", "-i",
                                                      str(web), "-vn", "-af", "ebur128=peak=true",
                                                      "-f", "null", "-"]]),
        "part_aac_encode": best_of(repeat, lambda out: [[ffmpeg, "-v", "error", "-nostdin", "-i",
                                                         str(web), "-vn", "-af", "volume=5dB",
                                                         "-ar", "48000", "-c:a", "aac", "-b:a",
                                                         "128k", str(out / "a.m4a")]]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    tool = tools.find_tool("ffmpeg")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"ffmpeg: {tool.path} ({tool.version})")
    with tempfile.TemporaryDirectory(prefix="bench-src-") as folder:
        web, normalised, other = make_sources(Path(folder), args.seconds)
        results = {
            "ours_remux": best_of(args.repeat, ours(web)),
            "bare_remux": best_of(args.repeat, bare(web, remux=True)),
            "ours_remux_no_loudness": best_of(args.repeat, ours(web, "--no-loudness")),
            "bare_remux_no_loudness": best_of(args.repeat, bare(web, remux=True, loudness=False)),
            "ours_transcode": best_of(args.repeat, ours(other)),
            "bare_transcode": best_of(args.repeat, bare(other)),
            "ours_transcode_no_loudness": best_of(args.repeat, ours(other, "--no-loudness")),
            "bare_transcode_no_loudness": best_of(args.repeat, bare(other, loudness=False)),
            "bare_transcode_of_web_ready": best_of(args.repeat, bare(web)),
            "ours_remux_normalised": best_of(args.repeat, ours(normalised)),
            "bare_transcode_of_normalised": best_of(args.repeat, bare(normalised)),
            "bare_transcode_of_normalised_no_loudness": best_of(
                args.repeat, bare(normalised, loudness=False)),
            "transcode_only_1080": best_of(args.repeat, lambda out: bare(other, loudness=False)(out)[:1]),
            "transcode_only_720": best_of(args.repeat,
                                          lambda out: bare(other, height=720, loudness=False)(out)[:1]),
            **floor_parts(web, args.repeat),
        }
    print(json.dumps({k: round(v, 2) for k, v in results.items()}, indent=1))

    def overhead(ours_key: str, bare_key: str) -> str:
        ratio = results[ours_key] / results[bare_key]
        return (f"ours {results[ours_key]:.2f} s vs bare {results[bare_key]:.2f} s: "
                f"ratio {ratio:.3f} ({(ratio - 1) * 100:+.1f} %)")

    print(f"(a) transcode path:               {overhead('ours_transcode', 'bare_transcode')}")
    print(f"(a) transcode path, no loudness:  "
          f"{overhead('ours_transcode_no_loudness', 'bare_transcode_no_loudness')}")
    print(f"(a) remux path:                   {overhead('ours_remux', 'bare_remux')}")
    print(f"(a) remux path, no loudness:      "
          f"{overhead('ours_remux_no_loudness', 'bare_remux_no_loudness')}")
    print(f"(b) web-ready clip, remux path vs transcode path: "
          f"{results['bare_transcode_of_web_ready'] / results['ours_remux']:.1f}x faster "
          f"({results['ours_remux']:.2f} s vs {results['bare_transcode_of_web_ready']:.2f} s)")
    floor = sum(results[k] for k in ("part_python_start", "part_probe", "part_remux_measure",
                                     "part_aac_encode", "part_probe"))
    print(f"    the remux path's steps that cannot overlap, each alone: python start "
          f"{results['part_python_start']:.2f} s, probe {results['part_probe']:.2f} s, remux and "
          f"loudness in one run {results['part_remux_measure']:.2f} s, audio re-encode "
          f"{results['part_aac_encode']:.2f} s, verifying probe {results['part_probe']:.2f} s: "
          f"{floor:.2f} s, at best {results['bare_transcode_of_web_ready'] / floor:.1f}x "
          f"(each ffmpeg or ffprobe run starts in {results['part_ffmpeg_start']:.2f} s; "
          f"loudness alone {results['part_measure']:.2f} s)")
    ours_normalised = results["ours_remux_normalised"]
    transcode, plain = (results["bare_transcode_of_normalised"],
                        results["bare_transcode_of_normalised_no_loudness"])
    print(f"(b) web-ready clip already at -16 LUFS, remux path vs transcode path: "
          f"{transcode / ours_normalised:.1f}x faster ({ours_normalised:.2f} s vs "
          f"{transcode:.2f} s); against the transcode without any loudness work "
          f"{plain / ours_normalised:.1f}x ({plain:.2f} s)")
    remux = results["part_remux_measure"] + results["part_probe"]
    floor = results["part_python_start"] + results["part_probe"] + max(remux,
                                                                       results["part_posters"])
    print(f"    its steps, each alone: python start {results['part_python_start']:.2f} s, probe "
          f"{results['part_probe']:.2f} s, then remux and loudness in one run "
          f"{results['part_remux_measure']:.2f} s and verifying probe "
          f"{results['part_probe']:.2f} s beside the posters {results['part_posters']:.2f} s: "
          f"{floor:.2f} s, at best {transcode / floor:.1f}x")
    print(f"(c) realtime factor of the transcode alone: "
          f"1080p {args.seconds / results['transcode_only_1080']:.2f}x, "
          f"720p {args.seconds / results['transcode_only_720']:.2f}x (above 1 is faster than real time)")


if __name__ == "__main__":
    main()
