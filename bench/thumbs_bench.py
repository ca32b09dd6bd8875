"""Benchmark thumbnails against plain Pillow (and pyvips when installed), in one run.

    .venv/bin/python bench/thumbs_bench.py [--repeat 5] [--copies 4]

Generates a 12 MP (4000 x 3000) and a 24 MP (6000 x 4000) photo-like JPEG
(noise, gradients and shapes, quality 90), then prints, for each:

(a) the best of ``--repeat`` runs of our 640-px JPEG thumbnail against naive
    Pillow (open, convert to RGB, LANCZOS resize, save at quality 82) and
    against ``pyvips.Image.thumbnail``, with the ratios;
(b) the SSIM of our thumbnail against the naive one (8 x 8 blocks, greyscale), and
    of the naive JPEG against its own unencoded pixels, the floor JPEG loss sets;
(c) for the 12 MP photo, the full default ladder (5 widths x AVIF, WebP and
    JPEG) in images per second, with one worker and with every core.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFilter, features  # noqa: E402  (path set up above)

from media.thumbs import make_many, make_thumbnails  # noqa: E402

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


def best_of(repeat: int, run) -> float:
    """Return the fastest of ``repeat`` calls of ``run(out_dir)``, each into a fresh folder."""
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="thumbs-bench-") as out:
            start = time.perf_counter()
            run(Path(out))
            times.append(time.perf_counter() - start)
    return min(times)


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


def vips(pyvips, source: Path):
    def run(out: Path) -> None:
        pyvips.Image.thumbnail(str(source), WIDTH).write_to_file(str(out / "vips.jpg"), Q=82)
    return run


def ssim(a: Image.Image, b: Image.Image, block: int = 8) -> tuple[float, float]:
    """Return (mean SSIM over block x block windows, global SSIM) of two greyscale images."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    width, height = a.size
    x, y = a.convert("L").tobytes(), b.convert("L").tobytes()

    def index(pixels_x, pixels_y) -> float:
        n = len(pixels_x)
        mean_x, mean_y = sum(pixels_x) / n, sum(pixels_y) / n
        var_x = sum(v * v for v in pixels_x) / n - mean_x * mean_x
        var_y = sum(v * v for v in pixels_y) / n - mean_y * mean_y
        cov = sum(p * q for p, q in zip(pixels_x, pixels_y)) / n - mean_x * mean_y
        return ((2 * mean_x * mean_y + c1) * (2 * cov + c2)
                / ((mean_x ** 2 + mean_y ** 2 + c1) * (var_x + var_y + c2)))

    scores = []
    for top in range(0, height - block + 1, block):
        for left in range(0, width - block + 1, block):
            rows = [slice((top + r) * width + left, (top + r) * width + left + block)
                    for r in range(block)]
            scores.append(index([v for s in rows for v in x[s]], [v for s in rows for v in y[s]]))
    return sum(scores) / len(scores), index(x, y)


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
    args = parser.parse_args()
    print(machine())
    try:
        import pyvips
    except ImportError:
        pyvips = None
        print(f"pyvips: not installed (pip install pyvips=={PYVIPS_VERSION} and apt "
              "libvips42 to compare)")
    else:
        print(f"pyvips {pyvips.__version__}, libvips {pyvips.version(0)}.{pyvips.version(1)}")
    print("SSIM: pure Python over 8 x 8 greyscale blocks (numpy is not needed)")

    with tempfile.TemporaryDirectory(prefix="thumbs-src-") as folder:
        folder = Path(folder)
        for seed, (label, size) in enumerate(SIZES.items()):
            source = photo_like(folder / f"photo-{size[0]}x{size[1]}.jpg", size, seed)
            megabytes = source.stat().st_size / 1e6
            print(f"\n{label} ({size[0]} x {size[1]}, {megabytes:.1f} MB JPEG q90), "
                  f"{WIDTH}-px JPEG, best of {args.repeat}:")
            ours_s = best_of(args.repeat, ours(source))
            naive_s = best_of(args.repeat, naive(source))
            print(f"  ours   {ours_s * 1000:8.1f} ms")
            print(f"  naive  {naive_s * 1000:8.1f} ms   naive/ours = {naive_s / ours_s:.2f}x")
            if pyvips is not None:
                vips_s = best_of(args.repeat, vips(pyvips, source))
                print(f"  pyvips {vips_s * 1000:8.1f} ms   pyvips/ours = {vips_s / ours_s:.2f}x")
            else:
                print("  pyvips skipped (not installed)")
            [ours_thumb] = make_thumbnails(source, folder / "ours", "ours", widths=(WIDTH,),
                                           formats=("jpeg",)).thumbnails
            naive(source, folder / "naive.jpg")(folder)
            with Image.open(ours_thumb.path) as a, Image.open(folder / "naive.jpg") as b:
                blocks, whole = ssim(a, b)
                with Image.open(source) as full:
                    unencoded = full.convert("RGB").resize(b.size, Image.Resampling.LANCZOS)
                floor, _ = ssim(b, unencoded)
            print(f"  SSIM ours vs naive: {blocks:.2f} (8x8 blocks {blocks:.4f}, "
                  f"global {whole:.4f}); naive's JPEG vs its own pixels: {floor:.2f}")

        source = folder / "photo-4000x3000.jpg"
        cores = os.cpu_count() or 1
        print(f"\nfull default ladder (320-1920 px x AVIF, WebP, JPEG) on 12 MP, "
              f"{args.copies} images:")
        one = ladder_rate(source, args.copies, workers=1)
        print(f"  1 worker:  {one:.2f} images/s ({1 / one:.2f} s per image)")
        every = ladder_rate(source, args.copies, workers=cores)
        print(f"  {cores} workers: {every:.2f} images/s ({1 / every:.2f} s per image), "
              f"{every / one:.2f}x")


if __name__ == "__main__":
    main()
