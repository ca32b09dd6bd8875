"""Responsive thumbnails: one decode, a ladder of widths, AVIF, WebP and JPEG, all credited.

Each source is decoded once, a JPEG at the smallest DCT scale that still
leaves LANCZOS REDUCING_GAP to do on the widest output (a plain JPEG resized
while it decodes, ``media.photos.jpeg_bands``); every other width is resized from
that picture, and every format is encoded from the same resized frame.
Outputs carry credit, creator and copyright (XMP everywhere, EXIF
Artist/Copyright everywhere, IPTC in JPEG) and an sRGB profile when the
source had one; location, camera serials and maker notes never leave the
source file.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, features

from media.errors import ImageError
from media.files import atomic_output, output_widths
from media.photos.crops import check_focus, crop_box, parse_aspect, scaled_box
from media.photos.images import (
    SWAPS_AXES,
    alpha_as_channel,
    eight_bit,
    encode_jpeg,
    exif_block,
    exif_orientation,
    flatten,
    open_checked,
    to_srgb,
)
from media.photos.jpeg_bands import can_stream, decode_resizing, needs_no_reduce, scaled_size, shrink_for
from media.photos.metadata import (
    DEFAULT_MAX_PIXELS,
    METADATA_ERRORS,
    PhotoMetadata,
    build_iptc_app13,
    build_xmp,
    one_line,
    photo_metadata_of,
    pillow_guard,
)

DEFAULT_WIDTHS = (320, 640, 960, 1280, 1920)
DEFAULT_FORMATS = ("avif", "webp", "jpeg")
AVIF_QUALITY, AVIF_SPEED = 55, 8
WEBP_QUALITY, WEBP_METHOD = 80, 4
# Shrinking by whole factors first (the JPEG DCT scale on decoding, a box
# reduce after) is cheap, but a block filter aliases fine detail, so LANCZOS
# must be left at least 2x to do. On a grainy 12 MP photo at 640 px, 1.56x
# scores SSIM 0.965 against a full-size LANCZOS, 3.1x scores 0.998.
REDUCING_GAP = 2.0

_FORMATS = {"avif": "AVIF", "webp": "WEBP", "jpeg": "JPEG", "jpg": "JPEG"}
_EXTENSION = {"AVIF": "avif", "WEBP": "webp", "JPEG": "jpg"}
_MEDIA_TYPE = {"AVIF": "image/avif", "WEBP": "image/webp", "JPEG": "image/jpeg"}
_MAX_SIDE = {"WEBP": 16383, "JPEG": 65500, "AVIF": 65536}
_ENCODE_ERRORS = (OSError, ValueError, MemoryError)
# Threads for one image's widths (and libavif's own); make_many's workers
# each get their share of the cores.
_encode_threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
    os.cpu_count() or 1)


@dataclass(frozen=True)
class Thumbnail:
    """One encoded thumbnail written by ``make_thumbnails``."""

    path: Path
    format: str
    width: int
    height: int
    bytes: int
    media_type: str

    def to_json(self) -> dict:
        """Return the thumbnail as a JSON-ready dict."""
        return {"path": str(self.path), "format": self.format, "width": self.width,
                "height": self.height, "bytes": self.bytes}


@dataclass(frozen=True)
class ThumbSet:
    """Every thumbnail of one source, with the credit they all carry."""

    source: Path
    credit: str | None
    creator: str | None
    copyright: str | None
    thumbnails: tuple[Thumbnail, ...]
    crop: str | None
    focus: tuple[float, float]

    def of_format(self, fmt: str) -> tuple[Thumbnail, ...]:
        """Return the thumbnails of one format ("avif", "webp", "jpeg" or "jpg"), by width."""
        wanted = _FORMATS.get(fmt.lower())
        if wanted is None:
            raise ValueError(f"unknown format {fmt!r}; use one of avif, webp, jpeg")
        return tuple(t for t in self.thumbnails if t.format == wanted)

    def to_json(self) -> dict:
        """Return the set as a JSON-ready dict: outputs, credit fields, crop and focus."""
        return {"source": str(self.source), "credit": self.credit, "creator": self.creator,
                "copyright": self.copyright, "crop": self.crop, "focus": list(self.focus),
                "thumbnails": [t.to_json() for t in self.thumbnails]}


_Frames = dict[tuple[int, int], Image.Image]


@dataclass(frozen=True)
class _Plan:
    """A crop box in upright pixels (full or decoded resolution) and the output sizes."""

    box: tuple[float, float, float, float]
    sizes: tuple[tuple[int, int], ...]


def make_thumbnails(source: Path | str, out_dir: Path | str, base_name: str,
                    widths: Iterable[int] = DEFAULT_WIDTHS,
                    formats: Iterable[str] = DEFAULT_FORMATS,
                    credit: str | None = None, creator: str | None = None,
                    copyright: str | None = None, alt_text: str | None = None,
                    crop: str | None = None, focus: tuple[float, float] = (0.5, 0.5),
                    max_pixels: int = DEFAULT_MAX_PIXELS) -> ThumbSet:
    """Write ``{base_name}-{width}.{avif,webp,jpg}`` into ``out_dir``; return them as a ThumbSet.

    Credit fields left as None come from the source's own metadata; pass ""
    to publish a field empty. Widths wider than the (cropped) source are
    skipped; if all are, one set is written at the source width.

    :raises ImageError: if the source is not a usable image or an output cannot be encoded.
    """
    source, out_dir = Path(source), Path(out_dir)
    widths = output_widths(base_name, widths)
    kinds = _check_formats(formats, source)
    aspect = parse_aspect(crop) if crop is not None else None
    focus = check_focus(focus)

    wants_metadata = credit is None or creator is None or copyright is None
    picture, icc, plan, found, ready = decode_once(source, max_pixels, widths, aspect, focus,
                                               wants_metadata)
    if found is not None:
        credit = found.credit if credit is None else credit
        creator = found.creator if creator is None else creator
        copyright = found.copyright if copyright is None else copyright
    credit, creator, copyright = credit or None, creator or None, copyright or None
    try:
        encoded = _encode_all(picture, plan, kinds, icc, source,
                              credit, creator, copyright, alt_text or None, ready)
    except ImageError as err:
        if err.path is not None:
            raise
        raise ImageError(err.message, source) from None  # the metadata builders know no file

    targets = {key: out_dir / f"{base_name}-{key[1]}.{_EXTENSION[key[0]]}" for key in encoded}
    thumbnails = []
    try:
        for (kind, width, height), data in encoded.items():
            target = targets[kind, width, height]
            with atomic_output(target) as tmp:
                tmp.write_bytes(data)
            thumbnails.append(Thumbnail(target, kind, width, height, len(data),
                                        _MEDIA_TYPE[kind]))
    except OSError as err:
        # The ones in place stay: each is whole (written atomically), and under
        # a name another caller may already use for the same picture. Nothing
        # refers to them unless a ThumbSet is returned. Counted on disk: a
        # rename can succeed and the flush after it fail.
        in_place = sum(1 for target in targets.values() if target.is_file())
        left = f"; {in_place} of {len(encoded)} are in place" if in_place else ""
        raise ImageError(f"cannot write thumbnails to {out_dir} "
                         f"({one_line(err.strerror or err)}){left}", source) from None
    thumbnails.sort(key=lambda t: (t.width, t.format))
    return ThumbSet(source, credit, creator, copyright, tuple(thumbnails),
                    None if aspect is None else f"{aspect[0]}:{aspect[1]}", focus)


def set_encode_threads(threads: int) -> None:
    """Give one image's encoders ``threads`` threads: a batch worker's share of the cores."""
    global _encode_threads
    _encode_threads = threads


def _check_formats(formats: Iterable[str], source: Path) -> tuple[str, ...]:
    if isinstance(formats, str):
        formats = (formats,)
    kinds = []
    for fmt in formats:
        kind = _FORMATS.get(str(fmt).lower())
        if kind is None:
            raise ValueError(f"unknown format {fmt!r}; use avif, webp or jpeg")
        if kind not in kinds:
            kinds.append(kind)
    if not kinds:
        raise ValueError("formats must name at least one of avif, webp, jpeg")
    if "AVIF" in kinds and not features.check("avif"):
        raise ImageError("AVIF output needs Pillow built with libavif", source)
    return tuple(kinds)


def _plan(size: tuple[int, int], widths: list[int], aspect: tuple[int, int] | None,
          focus: tuple[float, float]) -> _Plan:
    width, height = size
    box = crop_box(width, height, aspect, focus) if aspect else (0, 0, width, height)
    box_w, box_h = box[2] - box[0], box[3] - box[1]
    used = [w for w in widths if w <= box_w] or [box_w]
    return _Plan(box, tuple((w, max(1, round(box_h * w / box_w))) for w in used))


def decode_once(source: Path, max_pixels: int, widths: list[int], aspect: tuple[int, int] | None,
            focus: tuple[float, float], wants_metadata: bool,
            ) -> tuple[Image.Image, bytes | None, _Plan, PhotoMetadata | None, _Frames]:
    """Decode once; return the upright sRGB picture, its profile, the plan, the metadata
    and the frames already resized while decoding, by size.

    The picture is RGBA only if transparent; the metadata is None unless asked for.
    """
    full, orientation, plan = (0, 0), 1, _Plan((0, 0, 0, 0), ())
    streamed: tuple[Image.Image, _Frames] | None = None

    def load(im: Image.Image) -> None:
        nonlocal full, orientation, plan, streamed
        full, orientation = im.size, exif_orientation(im)
        plan = _plan(full[::-1] if orientation in SWAPS_AXES else full, widths, aspect, focus)
        if im.format in ("JPEG", "MPO"):
            # libjpeg shrinks inside the IDCT, far cheaper than decoding
            # every pixel and resampling them away; it leaves LANCZOS at
            # least REDUCING_GAP to do on the widest output.
            scale = plan.sizes[-1][0] * REDUCING_GAP / (plan.box[2] - plan.box[0])
            needed = tuple(math.ceil(side * scale) for side in full)
            eighths = shrink_for(full, needed)
            if orientation == 1 and can_stream(im):
                box = scaled_box(plan.box, full, scaled_size(full, eighths))
                direct = [size for size in plan.sizes
                          if needs_no_reduce(box, size, REDUCING_GAP)]
                if direct:
                    streamed = decode_resizing(im, eighths, direct, box)
                    return
            im.draft("RGB", needed)
        im.load()

    with pillow_guard(max_pixels), open_checked(source, max_pixels, load) as im:
        icc = im.info.get("icc_profile") or None
        found = photo_metadata_of(im) if wants_metadata else None
        swaps = orientation in SWAPS_AXES
        if streamed is not None:
            upright = streamed[0]  # upright already, and a new image: no copy needed
        else:
            try:
                upright = ImageOps.exif_transpose(im)
            except METADATA_ERRORS:
                upright = im.copy()  # unreadable orientation: keep the pixels as stored
                if swaps:
                    swaps = False
                    plan = _plan(full, widths, aspect, focus)
    colour, alpha = _split_alpha(eight_bit(upright))
    colour.info = {}
    if colour.mode == "RGB" and icc is None:
        picture = colour  # already what to_srgb would return, without its copy
    else:
        picture, icc = to_srgb(colour, icc, source)
    if alpha is not None:
        picture.putalpha(alpha)
    box = scaled_box(plan.box, full[::-1] if swaps else full, picture.size)
    ready = {} if streamed is None else streamed[1]
    return picture, icc, _Plan(box, plan.sizes), found, ready


def _split_alpha(im: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """Return the colour channels and the alpha channel, or None when fully opaque."""
    if im.mode == "1":
        return im, None
    im = alpha_as_channel(im)
    if im.mode not in ("RGBA", "LA"):
        return im, None
    alpha = im.getchannel("A")
    colour = im.convert(im.mode[:-1])
    return colour, (None if alpha.getextrema() == (255, 255) else alpha)


def _encode_all(picture: Image.Image, plan: _Plan, kinds: tuple[str, ...], icc: bytes | None,
                source: Path, credit: str | None, creator: str | None, copyright: str | None,
                alt_text: str | None, ready: _Frames) -> dict[tuple[str, int, int], bytes]:
    """Return the encoded bytes of every (format, width, height), all in memory before any write."""
    for kind in kinds:
        for width, height in plan.sizes:
            if max(width, height) > _MAX_SIDE[kind]:
                raise ImageError(f"{kind} cannot hold {width} x {height} pixels "
                                 f"(limit {_MAX_SIDE[kind]} per side)", source)
    exif = exif_block(creator, copyright)
    xmp = build_xmp(credit, creator, copyright, alt_text) if (
        credit or creator or copyright or alt_text) else None
    app13 = build_iptc_app13(credit, creator, copyright) if (
        credit or creator or copyright) else None
    alpha = picture.mode == "RGBA"
    # Premultiplied alpha keeps the colour of invisible pixels out of the edges.
    working = picture.convert("RGBa") if alpha else picture

    def one_size(size: tuple[int, int]) -> dict[tuple[str, int, int], bytes]:
        width, height = size
        frame = ready.get(size) or working.resize(
            size, Image.Resampling.LANCZOS, box=plan.box, reducing_gap=REDUCING_GAP)
        if alpha:
            frame = frame.convert("RGBA")
        frame.info = {}
        encoded = {}
        for kind in kinds:
            try:
                encoded[kind, width, height] = _encode(kind, frame, exif, xmp, icc, app13,
                                                       avif_threads)
            except _ENCODE_ERRORS as err:
                raise ImageError(f"cannot encode {kind} at {width} x {height} "
                                 f"({one_line(err)})", source) from None
        return encoded

    # Pillow lets go of the GIL while it resizes and encodes, so the widths
    # run side by side; each thread saves only its own frame (Image.save
    # keeps its options on the image), the widest first to finish together.
    sizes = sorted(plan.sizes, reverse=True)
    threads = min(len(sizes), _encode_threads)
    # libavif runs threads of its own: together they stay within the share.
    avif_threads = max(1, _encode_threads // threads)
    if threads == 1:
        parts = [one_size(size) for size in sizes]
    else:
        with ThreadPoolExecutor(threads, thread_name_prefix="thumbs") as pool:
            parts = list(pool.map(one_size, sizes))
    return {key: data for part in parts for key, data in part.items()}


def _encode(kind: str, frame: Image.Image, exif: bytes, xmp: bytes | None, icc: bytes | None,
            app13: bytes | None, avif_threads: int = 1) -> bytes:
    if kind == "JPEG":
        return encode_jpeg(flatten(frame), exif, xmp, icc, app13)
    buffer = io.BytesIO()
    if kind == "WEBP":
        frame.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD,
                   exif=exif, xmp=xmp or b"", icc_profile=icc or b"")
    else:
        frame.save(buffer, "AVIF", quality=AVIF_QUALITY, speed=AVIF_SPEED, max_threads=avif_threads,
                   exif=exif, xmp=xmp or b"", icc_profile=icc or b"")
    return buffer.getvalue()
