"""Photos: check uploads, and the decoding, colour and metadata helpers every output shares.

``open_image`` vets an upload. The private helpers turn a source upright and
into sRGB and write only what publishing needs (credit, creator, copyright
and an sRGB profile) for ``media.photos.thumbs`` and ``media.photos.social_image``; the
source file is only ever opened for reading.
"""

from __future__ import annotations

import functools
import io
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from media.errors import ImageError
from media.photos.metadata import (
    DEFAULT_MAX_PIXELS,
    EXIF_ARTIST,
    EXIF_COPYRIGHT,
    METADATA_ERRORS,
    allowed_formats,
    insert_jpeg_app13,
    one_line,
    pillow_guard,
)

JPEG_QUALITY = 82
EXTENSIONS = {
    "JPEG": (".jpg", ".jpeg", ".jpe", ".jfif", ".mpo"),
    "MPO": (".jpg", ".jpeg", ".mpo"),  # a multi-picture JPEG is a valid .jpg
    "PNG": (".png", ".apng"),
    "WEBP": (".webp",),
    "GIF": (".gif",),
    "TIFF": (".tif", ".tiff"),
    "AVIF": (".avif",),
}
ORIENTATION_TAG = 0x0112
SWAPS_AXES = {5, 6, 7, 8}
# What Pillow's decoders raise on damaged pixel data.
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, struct.error)
_BOMB = (Image.DecompressionBombError, Image.DecompressionBombWarning)
_CMS_ERRORS = (ImageCms.PyCMSError, OSError, ValueError, TypeError)


@dataclass(frozen=True)
class ImageInfo:
    """A readable image: its format and its display size after EXIF orientation."""

    path: Path
    format: str
    width: int
    height: int


def open_image(path: Path | str, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageInfo:
    """Decode an image fully and return its format and upright size.

    :raises ImageError: if it is not a supported image, is too large, is
        truncated, or its extension does not match its content.
    """
    path = Path(path)
    with pillow_guard(max_pixels), open_checked(path, max_pixels) as im:
        width, height = im.size
        if exif_orientation(im) in SWAPS_AXES:
            width, height = height, width
        return ImageInfo(path, im.format, width, height)


def open_checked(path: Path, max_pixels: int,
                  load: Callable[[Image.Image], None] | None = None) -> Image.Image:
    """Open ``path`` and decode its first frame; call inside ``pillow_guard(max_pixels)``.

    ``load``, when given, decodes the checked image instead of ``Image.load``,
    so it can still choose a cheaper JPEG scale first (``Image.draft``); its
    errors are reported as a failed decode.
    """
    try:
        im = Image.open(path, formats=allowed_formats())
    except UnidentifiedImageError:
        raise ImageError("not an image (or an unsupported format)", path) from None
    except _BOMB:
        raise _too_large(path, max_pixels) from None
    except FileNotFoundError:
        raise ImageError("file not found", path) from None
    except OSError as err:
        raise ImageError(f"cannot read the file ({one_line(err.strerror or err)})",
                         path) from None
    except (ValueError, SyntaxError, EOFError, struct.error) as err:
        raise ImageError(f"image header is corrupt ({one_line(err)})", path) from None
    try:
        _check_name(path, im.format)
        if im.width < 1 or im.height < 1:
            raise ImageError("image has no pixels", path)
        size = im.size  # before load, which may draft a smaller one
        try:
            if load is None:
                im.load()
            else:
                load(im)
        except _BOMB:
            raise _too_large(path, max_pixels, size) from None
        except _DECODE_ERRORS:
            raise ImageError("image is truncated or corrupt", path) from None
    except Exception:
        im.close()
        raise
    return im


def _too_large(path: Path, max_pixels: int, size: tuple[int, int] | None = None) -> ImageError:
    if size is None:
        # Reading the header again without a limit only parses dimensions;
        # pillow_guard puts the limit back afterwards.
        Image.MAX_IMAGE_PIXELS = None
        try:
            with Image.open(path, formats=allowed_formats()) as im:
                size = im.size
        except (*_DECODE_ERRORS, UnidentifiedImageError):
            return ImageError(f"image too large (limit {max_pixels} pixels)", path)
    width, height = size
    return ImageError(f"image too large: {width} x {height} pixels (limit {max_pixels})", path)


def _check_name(path: Path, image_format: str) -> None:
    if path.suffix.lower() not in EXTENSIONS.get(image_format, ()):
        said = f"says {path.suffix}" if path.suffix else "has no extension"
        raise ImageError(f"content is {image_format} but the name {said}", path)


def exif_orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(ORIENTATION_TAG)
    except METADATA_ERRORS:
        return 1
    return value if isinstance(value, int) else 1


def load_upright(source: Path, max_pixels: int) -> tuple[Image.Image, bytes | None]:
    """Return the first frame, turned upright, in memory, and the source ICC profile."""
    with pillow_guard(max_pixels), open_checked(source, max_pixels) as im:
        icc = im.info.get("icc_profile") or None
        try:
            upright = ImageOps.exif_transpose(im)
        except METADATA_ERRORS:
            upright = im.copy()  # unreadable orientation: keep the pixels as stored
    return upright, icc


def to_srgb(im: Image.Image, icc: bytes | None,
             source: Path) -> tuple[Image.Image, bytes | None]:
    """Return an RGB image without alpha and the profile to embed (sRGB or none)."""
    im = flatten(eight_bit(im))
    if icc:
        try:
            converted = ImageCms.profileToProfile(
                im, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _srgb_profile(),
                outputMode="RGB")
        except _CMS_ERRORS:
            converted = None  # damaged or mismatched profile: publish untagged
        if converted is not None:
            converted.info = {}
            return converted, _srgb_profile().tobytes()
    try:
        rgb = im.convert("RGB")
    except ValueError:
        raise ImageError(f"cannot convert colour mode {im.mode} to RGB", source) from None
    rgb.info = {}  # nothing from the source may reach the encoder
    return rgb, None


def eight_bit(im: Image.Image) -> Image.Image:
    """Scale 16-bit, 32-bit and float greyscale to 8-bit "L" (or "LA" with transparency)."""
    if not (im.mode.startswith("I") or im.mode == "F"):
        return im
    alpha = None
    if im.info.get("transparency") is not None:
        try:
            alpha = im.convert("RGBA").getchannel("A")
        except ValueError:
            alpha = None
    if im.mode == "F":
        high = im.getextrema()[1]
        scale = 255.0 if high <= 1.0 else 255.0 / high
        grey = im.point(lambda v: v * scale).convert("L")
    else:
        wide = im.convert("I")
        high = wide.getextrema()[1]
        # 16-bit samples span 0..65535 whatever the content; Pillow's own
        # conversion clips them, turning most photos white.
        scale = 1 / 257 if im.mode.startswith("I;16") else (1.0 if high <= 255 else 255 / high)
        grey = wide.point(lambda v: v * scale).convert("L")
    if alpha is None:
        return grey
    grey.putalpha(alpha)
    return grey


def alpha_as_channel(im: Image.Image) -> Image.Image:
    """Return ``im`` with any transparency as a straight "A" channel (RGBA or LA), else as it is."""
    if im.mode in ("P", "L", "RGB") and im.info.get("transparency") is not None:
        im = im.convert("LA" if im.mode == "L" else "RGBA")
    if im.mode in ("PA", "RGBa"):
        im = im.convert("RGBA")
    elif im.mode == "La":
        im = im.convert("LA")
    return im


def flatten(im: Image.Image) -> Image.Image:
    """Composite any transparency onto white; keep greyscale as "L" for its ICC profile."""
    if im.mode == "1":
        im = im.convert("L")
    im = alpha_as_channel(im)
    if im.mode in ("RGBA", "LA"):
        base = Image.new(im.mode[:-1], im.size, "white")
        base.paste(im.convert(base.mode), mask=im.getchannel("A"))
        return base
    if im.mode in ("P", "YCbCr", "HSV"):
        return im.convert("RGB")
    return im


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def exif_block(creator: str | None, copyright: str | None) -> bytes:
    exif = Image.Exif()
    # UTF-8 bytes: Pillow would turn str into ASCII with "?" for every accent,
    # and exiftool and our reader both accept UTF-8 in these fields.
    if creator:
        exif[EXIF_ARTIST] = creator.encode("utf-8")
    if copyright:
        exif[EXIF_COPYRIGHT] = copyright.encode("utf-8")
    return exif.tobytes() if len(exif) else b""


def encode_jpeg(frame: Image.Image, exif: bytes, xmp: bytes | None, icc: bytes | None,
                app13: bytes | None, quality: int = JPEG_QUALITY) -> bytes:
    """Return ``frame`` as a progressive JPEG carrying the given EXIF, XMP, colour profile and IPTC."""
    buffer = io.BytesIO()
    frame.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True,
               exif=exif, xmp=xmp, icc_profile=icc)
    data = buffer.getvalue()
    return insert_jpeg_app13(data, app13) if app13 else data
