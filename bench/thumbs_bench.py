"""Benchmark thumbnails against plain Pillow (and pyvips when installed), in one run.

    .venv/bin/python bench/thumbs_bench.py [--repeat 5] [--copies 4]

Needs the benchmark's extra packages (pyvips with its libvips wheel, numpy
for SSIM): ``.venv/bin/pip install -r bench/requirements.txt``.

Generates a 12 MP (4000 x 3000) and a 24 MP (6000 x 4000) photo-like JPEG
(noise, gradients and shapes, quality 90), then prints, for each:

(a) the best and the median of ``--repeat`` runs of our 640-px JPEG
    thumbnail (progressive, Huffman-optimised, written durably) against
    naive Pillow (open, convert to RGB, LANCZOS resize, save at quality 82)
    and against ``pyvips.Image.thumbnail`` saved both as its default
    baseline JPEG and as the same kind of file as ours, with the ratios;
    the runs take turns;
(b) the SSIM of our thumbnail against the naive one, for the JPEG files and
    for the pixels before encoding, the same for pyvips, and the SSIM of the
    naive JPEG against its own pixels: on a grainy photo, JPEG's own loss at
    quality 82 is far larger than any difference between the resamplers;
(c) for the 12 MP photo, the full default ladder (5 widths x AVIF, WebP and
    JPEG) in images per second: in a process allowed one core, with one
    worker using every core for its widths, and with a worker per core.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFilter, features  # noqa: E402  (path set up above)

from media.photos.batch import make_many  # noqa: E402
from media.photos.metadata import DEFAULT_MAX_PIXELS  # noqa: E402
from media.photos.thumbs import (  # noqa: E402
    REDUCING_GAP,
    decode_once,  # noqa: E402  (pixels before encoding)
    make_thumbnails,
)

WIDTH = 640
SIZES = {"12 MP": (4000, 3000), "24 MP": (6000, 4000)}
PYVIPS_VERSION = "3.2.0"


def photo_like(path: Path, size: tuple[int, int], seed: int) -> Path:
    """Write a JPEG with smooth gradients, soft shapes, sharp edges and sensor-like noise."""
    rng = random.Random(seed)
    width, height = size
    horizontal = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize(size)
    vertical = Image.linear_gradient("L").resize(size)
    radial = Image.radial_gradient("L").resize(size)
    picture = Image.merge("RGB", (horizontal, vertical, radial))
    draw = ImageDraw.Draw(picture)
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(width // 60, width // 8)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.rectangle((x - r, y - r // 2, x + r, y + r // 2), fill=colour,
                           outline=(0, 0, 0), width=max(1, r // 40))
    picture = picture.filter(ImageFilter.GaussianBlur(2))
    draw = ImageDraw.Draw(picture)
    for _ in range(400):  # fine detail, the part a thumbnailer can alias
        x, y = rng.randrange(width), rng.randrange(height)
        draw.line((x, y, x + rng.randrange(-300, 300), y + rng.randrange(-300, 300)),
                  fill=tuple(rng.randrange(256) for _ in range(3)), width=rng.randrange(1, 4))
    # Blotchy texture (foliage, gravel) and grain bring the file to a camera's size.
    texture = Image.merge("RGB", [Image.effect_noise((width // 4, height // 4), 60).resize(
        size, Image.Resampling.BICUBIC) for _ in range(3)])
    grain = Image.merge("RGB", [Image.effect_noise(size, 30) for _ in range(3)])
    Image.blend(Image.blend(picture, texture, 0.3), grain, 0.15).save(path, "JPEG", quality=90)
    return path


def best_of_each(repeat: int, runs: dict) -> tuple[dict[str, float], dict[str, float]]:
    """Return the fastest and the median of ``repeat`` calls of each ``run(out_dir)``, by name.

    The runs take turns, round after round, so that a slow spell on the
    machine falls on all of them alike; each call gets a fresh folder.
    """
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            with tempfile.TemporaryDirectory(prefix="thumbs-bench-") as out:
                start = time.perf_counter()
                run(Path(out))
                times[name].append(time.perf_counter() - start)
    return ({name: min(values) for name, values in times.items()},
            {name: statistics.median(values) for name, values in times.items()})


def ours(source: Path):
    return lambda out: make_thumbnails(source, out, "ours", widths=(WIDTH,), formats=("jpeg",))


def naive(source: Path, target: Path | None = None):
    def run(out: Path) -> None:
        with Image.open(source) as im:
            rgb = im.convert("RGB")
        height = round(rgb.height * WIDTH / rgb.width)
        rgb.resize((WIDTH, height), Image.Resampling.LANCZOS).save(
            target or out / "naive.jpg", "JPEG", quality=82)
    return run


def vips(pyvips, source: Path, progressive: bool = False):
    """pyvips' thumbnail saved as a baseline JPEG (its default), or progressive and
    Huffman-optimised like ours."""
    options = {"interlace": True, "optimize_coding": True} if progressive else {}

    def run(out: Path) -> None:
        pyvips.Image.thumbnail(str(source), WIDTH).write_to_file(str(out / "vips.jpg"), Q=82,
                                                                 **options)
    return run


def ssim(a: Image.Image, b: Image.Image) -> float:
    """Return the mean SSIM of two images' luma (Wang et al. 2004: 11 x 11 Gaussian, sigma 1.5)."""
    import numpy as np

    x = np.asarray(a.convert("L"), dtype=np.float64)
    y = np.asarray(b.convert("L"), dtype=np.float64)
    taps = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5 ** 2))
    taps /= taps.sum()

    def blur(plane):
        plane = np.apply_along_axis(np.convolve, 1, plane, taps, mode="valid")
        return np.apply_along_axis(np.convolve, 0, plane, taps, mode="valid")

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mean_x, mean_y = blur(x), blur(y)
    var_x = blur(x * x) - mean_x ** 2
    var_y = blur(y * y) - mean_y ** 2
    cov = blur(x * y) - mean_x * mean_y
    index = ((2 * mean_x * mean_y + c1) * (2 * cov + c2)
             / ((mean_x ** 2 + mean_y ** 2 + c1) * (var_x + var_y + c2)))
    return float(index.mean())


def pixels_of_vips(pyvips, source: Path) -> Image.Image:
    """Return pyvips' 640-px thumbnail as Pillow pixels, before any encoding."""
    thumb = pyvips.Image.thumbnail(str(source), WIDTH)
    return Image.frombytes("RGB", (thumb.width, thumb.height), thumb.write_to_memory())


def ladder_rate(source: Path, copies: int, workers: int) -> float:
    """Return images per second for the full default ladder over ``copies`` jobs."""
    with tempfile.TemporaryDirectory(prefix="thumbs-ladder-") as out:
        jobs = [{"source": source, "out_dir": Path(out) / str(n), "base_name": "photo"}
                for n in range(copies)]
        start = time.perf_counter()
        results = make_many(jobs, workers=workers)
        elapsed = time.perf_counter() - start
    failures = [r for r in results if isinstance(r, Exception)]
    if failures:
        raise SystemExit(f"ladder failed: {failures[0]}")
    return copies / elapsed


def single_core_rate(source: Path, copies: int) -> float | None:
    """Return ``ladder_rate`` measured in a child process allowed only one core, or None
    where the system cannot pin a process to a core.

    The thumbnailer sizes its threads from the cores it may use, so the child
    works as it would on a one-core machine.
    """
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = min(os.sched_getaffinity(0))
    child = subprocess.run(
        [sys.executable, __file__, "--ladder-rate", str(source), "--copies", str(copies)],
        capture_output=True, text=True, check=True,
        preexec_fn=lambda: os.sched_setaffinity(0, {core}))
    return float(child.stdout)


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"machine: {model}, {os.cpu_count()} cores, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}\n"
            f"Pillow {Image.__version__}: libjpeg-turbo {features.version('libjpeg_turbo')}, "
            f"libwebp {features.version('webp')}, libavif {features.version('avif')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (best is kept)")
    parser.add_argument("--copies", type=int, default=4, help="images in the ladder runs")
    parser.add_argument("--ladder-rate", type=Path, metavar="JPEG",
                        help=argparse.SUPPRESS)  # the one-core child of single_core_rate
    args = parser.parse_args()
    if args.ladder_rate:
        print(ladder_rate(args.ladder_rate, args.copies, workers=1))
        return
    print(machine())
    try:
        import pyvips
    except ImportError:
        pyvips = None
        print(f"pyvips: not installed (pip install pyvips=={PYVIPS_VERSION} and apt "
              "libvips42 to compare)")
    else:
        print(f"pyvips {pyvips.__version__}, libvips {pyvips.version(0)}.{pyvips.version(1)}")
    try:
        import numpy
    except ImportError:
        raise SystemExit("numpy is needed for SSIM: "
                         "pip install -r bench/requirements.txt") from None
    print(f"SSIM: luma, 11 x 11 Gaussian window (numpy {numpy.__version__})")

    with tempfile.TemporaryDirectory(prefix="thumbs-src-") as folder:
        folder = Path(folder)
        for seed, (label, size) in enumerate(SIZES.items()):
            source = photo_like(folder / f"photo-{size[0]}x{size[1]}.jpg", size, seed)
            megabytes = source.stat().st_size / 1e6
            print(f"\n{label} ({size[0]} x {size[1]}, {megabytes:.1f} MB JPEG q90), "
                  f"{WIDTH}-px JPEG, best of {args.repeat}:")
            runs = {"ours": ours(source), "naive": naive(source)}
            if pyvips is not None:
                runs["pyvips"] = vips(pyvips, source)
                runs["pyvips progressive"] = vips(pyvips, source, progressive=True)
            best, median = best_of_each(args.repeat, runs)
            ours_s = best["ours"]
            print(f"  ours   {ours_s * 1000:8.1f} ms   (progressive, optimised JPEG)"
                  f"   median {median['ours'] * 1000:.1f} ms")
            print(f"  naive  {best['naive'] * 1000:8.1f} ms   naive/ours = "
                  f"{best['naive'] / ours_s:.2f}x   medians: "
                  f"{median['naive'] / median['ours']:.2f}x")
            if pyvips is not None:
                for name, what in (("pyvips", "baseline JPEG, its default"),
                                   ("pyvips progressive", "progressive, optimised: ours")):
                    print(f"  {name:18s} {best[name] * 1000:8.1f} ms   pyvips/ours = "
                          f"{best[name] / ours_s:.2f}x   medians: "
                          f"{median[name] / median['ours']:.2f}x   ({what})")
            else:
                print("  pyvips skipped (not installed)")
            [ours_thumb] = make_thumbnails(source, folder / "ours", "ours", widths=(WIDTH,),
                                           formats=("jpeg",)).thumbnails
            naive(source, folder / "naive.jpg")(folder)
            with Image.open(source) as full:
                naive_pixels = full.convert("RGB").resize(
                    (WIDTH, round(full.height * WIDTH / full.width)), Image.Resampling.LANCZOS)
            picture, _, plan, _, ready = decode_once(source, DEFAULT_MAX_PIXELS, [WIDTH], None,
                                                     (0.5, 0.5), False)
            ours_pixels = ready.get(plan.sizes[0]) or picture.resize(
                plan.sizes[0], Image.Resampling.LANCZOS, box=plan.box, reducing_gap=REDUCING_GAP)
            with Image.open(ours_thumb.path) as a, Image.open(folder / "naive.jpg") as b:
                print(f"  SSIM vs naive   JPEG files {ssim(a, b):.4f}   "
                      f"pixels before encoding {ssim(ours_pixels, naive_pixels):.4f}   (ours)")
                if pyvips is not None:
                    vips(pyvips, source)(folder)
                    with Image.open(folder / "vips.jpg") as v:
                        print(f"  SSIM vs naive   JPEG files {ssim(v, b):.4f}   pixels before "
                              f"encoding {ssim(pixels_of_vips(pyvips, source), naive_pixels):.4f}"
                              "   (pyvips)")
                print(f"  SSIM of naive's own JPEG vs its pixels: {ssim(b, naive_pixels):.4f}")

        source = folder / "photo-4000x3000.jpg"
        cores = os.cpu_count() or 1
        print(f"\nfull default ladder (320-1920 px x AVIF, WebP, JPEG) on 12 MP, "
              f"{args.copies} images:")
        single = single_core_rate(source, args.copies)
        if single is not None:
            print(f"  1 core:    {single:.2f} images/s ({1 / single:.2f} s per image)")
        one = ladder_rate(source, args.copies, workers=1)
        print(f"  1 worker:  {one:.2f} images/s ({1 / one:.2f} s per image), "
              f"its widths on threads across {cores} cores")
        every = ladder_rate(source, args.copies, workers=cores)
        versus = f", {every / single:.2f}x one core" if single is not None else ""
        print(f"  {cores} workers: {every:.2f} images/s ({1 / every:.2f} s per image)"
              f"{versus}")


if __name__ == "__main__":
    main()
