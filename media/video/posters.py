"""Poster frames for prepared clips: pick a representative frame, write JPEG and WebP sizes.

The frame is chosen deterministically from candidates scored on detail;
dark, blown-out and flat frames (fades, slates, black leaders) are passed
over. Candidates are the clip's keyframes when it has enough of them (our
own transcodes have one every 2 s, most cameras one a second): one ffmpeg
run decodes only those, a fraction of the cost of decoding the clip, and
streams each whole; each is scored as it arrives and only the best so far
is kept, so the chosen frame needs no second run. Otherwise
``count`` evenly spaced frames are decoded in one ffmpeg run and the chosen
one is extracted in another.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

# Registered here, the poster formats are found at once when saving; unknown
# to Pillow, the first save would import every image plugin it has.
from PIL import Image, ImageFilter, ImageStat, JpegImagePlugin, UnidentifiedImageError, WebPImagePlugin  # noqa: F401

from media.errors import MediaError
from media.ffmpeg import commands, tools
from media.ffmpeg.frames import PpmFrames, showinfo_times, split_pngs
from media.ffmpeg.run import run_tool
from media.files import atomic_output, output_widths

EDGE_SKIP = 0.03        # fraction of the clip skipped at each end: fades in and out
DARK, BRIGHT, FLAT = 20, 235, 12   # luma mean/stddev limits of an unusable frame
JPEG_QUALITY = 82
WEBP_QUALITY = 80
TIMEOUT = 600           # seconds for one ffmpeg run, at least
MIN_KEYFRAMES = 3       # fewer keyframes than this: sample frames instead
_POSTER_FORMATS = {
    "JPEG": ("jpg", {"quality": JPEG_QUALITY, "optimize": True, "progressive": True}),
    "WEBP": ("webp", {"quality": WEBP_QUALITY, "method": 4}),
}
SCORE_WIDTH = 160       # frames are scored at this width, in grey
# ffmpeg's PPM encoder: "P6\n<width> <height>\n255\n", then the RGB bytes.
# showinfo's line for each frame: "[Parsed_showinfo_1 @ 0x...] n:   0 pts: 128000 pts_time:10 ..."
_MEDIA_TYPES = {"JPEG": "image/jpeg", "WEBP": "image/webp"}


@dataclass(frozen=True)
class PosterImage:
    """One written poster file."""

    path: Path
    width: int
    height: int
    format: str      # "JPEG" or "WEBP"
    media_type: str


@dataclass(frozen=True)
class Poster:
    """The poster of a clip: the frame time, how it was chosen, and its files."""

    time: float
    chosen: str      # "scored" or "given"
    images: tuple[PosterImage, ...]

    @property
    def jpeg(self) -> PosterImage:
        """Return the largest JPEG."""
        return max((i for i in self.images if i.format == "JPEG"), key=lambda i: i.width)


def sample_plan(duration: float, count: int) -> tuple[int, int]:
    """Return (first, step) in milliseconds: candidate ``i`` is taken at ``first + i * step``.

    The first and last 3 % of the clip are skipped; each candidate sits in
    the middle of its slot of the remaining span. Whole milliseconds keep the
    ffmpeg rate an exact rational, so these times are the ones it samples.
    """
    if not duration > 0 or count < 1:
        raise ValueError(f"need a positive duration and count, not {duration!r}, {count!r}")
    start, span = duration * EDGE_SKIP, duration * (1 - 2 * EDGE_SKIP)
    step = max(1, round(span * 1000 / count))
    return round(start * 1000 + step / 2), step


def candidate_times(duration: float, count: int = 24) -> list[float]:
    """Return the time in seconds of each candidate frame, by index."""
    first, step = sample_plan(duration, count)
    return [(first + i * step) / 1000 for i in range(count)]


def candidates_command(ffmpeg_bin: str, clip: Path | str, duration: float,
                       count: int = 24, width: int = 160) -> list[str]:
    """Return the argv that writes ``count`` small grey PNG candidate frames to stdout.

    Output frame ``i`` is the frame ``frame_command`` extracts at
    ``candidate_times(duration, count)[i]``: the first frame starting at or
    after that time.
    """
    first, step = sample_plan(duration, count)
    return commands.poster_candidates_command(ffmpeg_bin, clip, first, step, count, width)


def frame_command(ffmpeg_bin: str, clip: Path | str, at: float,
                  output_png: Path | str) -> list[str]:
    """Return the argv that writes the full-size frame at ``at`` seconds as one PNG."""
    return commands.poster_frame_command(ffmpeg_bin, clip, at, output_png)


def keyframes_command(ffmpeg_bin: str, clip: Path | str, duration: float) -> list[str]:
    """Return the argv that writes the keyframes inside the clip's middle to stdout.

    Each is one binary PPM, full size RGB, converted as ``frame_command``
    converts; showinfo logs its time on stderr (level info): frame ``n`` of
    the log is the ``n``-th image on stdout.
    """
    return commands.poster_keyframes_command(ffmpeg_bin, clip, *keyframe_window(duration))


def keyframe_window(duration: float) -> tuple[float, float]:
    """Return the first and last time in seconds a keyframe candidate may have."""
    return duration * EDGE_SKIP, duration * (1 - EDGE_SKIP)


def score_frame(image: Image.Image) -> float | None:
    """Return a detail score for a frame, or None when it is near-black, near-white or flat."""
    grey = image.convert("L")
    stat = ImageStat.Stat(grey)
    mean, stddev = stat.mean[0], stat.stddev[0]
    if mean < DARK or mean > BRIGHT or stddev < FLAT:
        return None
    return stddev + ImageStat.Stat(grey.filter(ImageFilter.FIND_EDGES)).mean[0]


def _candidate_frames(clip: Path | str, duration: float, count: int) -> list[Image.Image]:
    return _pipe_frames(candidates_command(tools.ffmpeg(), clip, duration, count), clip, duration)


def _pipe_frames(argv: list[str], clip: Path | str, duration: float) -> list[Image.Image]:
    """Run ``argv``, which writes PNGs to stdout, and return them as grey images."""
    # The whole span is decoded, so a long clip gets longer.
    timeout = max(TIMEOUT, duration * 4)
    result = run_tool(argv, clip, what="poster candidates failed", timeout=timeout,
                      binary_output=True)
    frames = []
    for png in split_pngs(result.stdout):
        try:
            with Image.open(io.BytesIO(png), formats=["PNG"]) as im:
                frames.append(im.convert("L"))
        except (UnidentifiedImageError, OSError, SyntaxError) as error:
            raise MediaError(f"poster candidates failed: unreadable frame ({error})",
                             clip, argv) from None
    return frames


def choose_poster_time(clip: Path | str, duration: float, count: int = 24) -> float:
    """Return the time in seconds of the most detailed candidate frame; ties go to the earliest.

    When every candidate is dark, bright or flat, the one with the most
    contrast wins; with no frames at all, a fifth into the clip.

    :raises MediaError: when ffmpeg fails.
    """
    return _choose(clip, duration, count)[0]


class _Best:
    """The best frame seen so far: the most detailed, else the one with the most contrast."""

    def __init__(self) -> None:
        self.index: int | None = None
        self.frame: Image.Image | None = None
        self._score: float | None = None
        self._contrast: float | None = None
        self._seen = 0

    def add(self, frame: Image.Image | None, grey: Image.Image) -> None:
        """Consider the next frame, scored on ``grey``, its small grey copy."""
        index, self._seen = self._seen, self._seen + 1
        score = score_frame(grey)
        # Strictly greater: an equal score later in the clip never wins.
        if score is not None:
            if self._score is None or score > self._score:
                self.index, self.frame, self._score = index, frame, score
        elif self._score is None:
            contrast = ImageStat.Stat(grey).stddev[0]
            if self._contrast is None or contrast > self._contrast:
                self.index, self.frame, self._contrast = index, frame, contrast


def _choose(clip: Path | str, duration: float, count: int) -> tuple[float, Image.Image | None]:
    """Return (time, full-size RGB frame) of the poster frame.

    The frame is None when it is still to be extracted: candidates sampled
    from a clip with few keyframes are small and grey.
    """
    best = _best_keyframe(clip, duration)
    if best is not None:
        return best
    frames = _candidate_frames(clip, duration, count)
    if not frames:
        return duration * 0.2, None
    chooser = _Best()
    for frame in frames:
        chooser.add(None, frame)
    return candidate_times(duration, count)[chooser.index], None


def _best_keyframe(clip: Path | str, duration: float) -> tuple[float, Image.Image] | None:
    """Return (time, frame) of the best keyframe inside the clip's middle, or None.

    None when the clip has fewer than MIN_KEYFRAMES there. Frames are scored
    as ffmpeg streams them and only the best so far is kept, so a long clip
    takes no more memory than a short one.

    :raises MediaError: when ffmpeg fails or writes something unreadable.
    """
    argv = keyframes_command(tools.ffmpeg(), clip, duration)
    chooser = _Best()

    def consider(frame: Image.Image) -> None:
        grey = frame.convert("L")
        height = max(1, round(SCORE_WIDTH * grey.height / grey.width))
        # reducing_gap: a box filter first takes most of the way down, cheaply.
        chooser.add(frame, grey.resize((SCORE_WIDTH, height), Image.Resampling.BICUBIC,
                                       reducing_gap=2.0))

    frames = PpmFrames(consider)

    def feed(chunk: bytes) -> None:
        try:
            frames.feed(chunk)
        except ValueError as error:
            raise MediaError(f"reading keyframes failed: unreadable frame ({error})",
                             clip, argv) from None

    # Every keyframe is decoded, so a long clip gets longer.
    result = run_tool(argv, clip, what="reading keyframes failed",
                      timeout=max(TIMEOUT, duration * 4), on_stdout=feed)
    try:
        frames.finish()
        times = showinfo_times(result.stderr)
    except ValueError as error:
        raise MediaError(f"reading keyframes failed: {error}", clip, argv) from None
    if frames.count < MIN_KEYFRAMES or len(times) != frames.count:
        return None
    # Floored to the millisecond: seeking to a time just before a keyframe
    # still lands on it, just after it would land on the next frame.
    return math.floor(times[chooser.index] * 1000) / 1000, chooser.frame


def write_posters(clip: Path | str, duration: float, out_dir: Path | str, base_name: str,
                  at: float | None = None,
                  widths: Iterable[int] = (320, 640, 1280)) -> Poster:
    """Write ``{base_name}-{width}.jpg`` and ``.webp`` posters of a clip; return them.

    Widths above the frame width are skipped (never upscale); if all are, the
    frame's own width is written.

    :raises MediaError: when ``at`` is outside the clip or ffmpeg fails.
    """
    clip, out_dir = Path(clip), Path(out_dir)
    widths = output_widths(base_name, widths)
    if at is not None:
        if not 0 <= at < duration:  # also rejects NaN
            raise MediaError(f"poster time {at:g} s is outside the clip "
                             f"(0 to {duration:.1f} s)", clip)
        time, chosen, frame = float(at), "given", None
    else:
        # The best keyframe comes with its frame, ready to encode.
        (time, frame), chosen = _choose(clip, duration, 24), "scored"

    if frame is None:
        try:
            frame = _extract_frame(clip, time)
        except MediaError:
            if chosen == "given" or time == 0:
                raise
            # In a clip of a frame or two a sampled time can fall after the last
            # frame starts; its first frame is then the only choice.
            time = 0.0
            frame = _extract_frame(clip, time)
    sizes = [(width, max(1, round(frame.height * width / frame.width)))
             for width in [w for w in widths if w <= frame.width] or [frame.width]]

    def encode(size: tuple[int, int]) -> list[PosterImage]:
        # One resize per width serves every format: it costs more than an encode.
        width, height = size
        sized = frame if width == frame.width else frame.resize(size, Image.Resampling.LANCZOS)
        written = []
        for fmt, (suffix, options) in _POSTER_FORMATS.items():
            target = out_dir / f"{base_name}-{width}.{suffix}"
            with atomic_output(target) as tmp:
                # A copy for each save: Image.save keeps its options on the
                # image object, and the next format must not inherit them.
                sized.copy().save(tmp, fmt, **options)
            written.append(PosterImage(target, width, height, fmt, _MEDIA_TYPES[fmt]))
        return written

    # Pillow releases the GIL while it resizes and encodes: one thread per core.
    with ThreadPoolExecutor(max_workers=min(len(sizes), os.cpu_count() or 1),
                            thread_name_prefix="poster") as pool:
        # Widest first: it takes longest, so it must not wait for a free thread.
        images = [image for written in pool.map(encode, sizes[::-1]) for image in written]
    images.sort(key=lambda i: (i.width, i.format))
    return Poster(time, chosen, tuple(images))


def _extract_frame(clip: Path, at: float) -> Image.Image:
    """Return the full-size frame at ``at`` seconds as an RGB image with no metadata."""
    with tempfile.TemporaryDirectory(prefix="poster-") as folder:
        png = Path(folder) / "frame.png"
        argv = frame_command(tools.ffmpeg(), clip, at, png)
        run_tool(argv, clip, what="poster frame failed", timeout=TIMEOUT)
        if not png.is_file() or png.stat().st_size == 0:
            # Seeking past the last frame makes ffmpeg succeed with no output.
            raise MediaError(f"poster frame failed: no frame at {at:g} s", clip, argv)
        with Image.open(png, formats=["PNG"]) as im:
            frame = im.convert("RGB")
    # Nothing from ffmpeg's PNG (gamma, pixel density, text) may reach the posters.
    frame.info = {}
    return frame
