"""Social cards: the 1200 x 630 Open Graph / Twitter image of an article, credit drawn in.

Sites that unfurl a shared link show the picture without the caption, and
many strip metadata, so the photo credit is drawn on the pixels as well as
written to EXIF, XMP and IPTC. The credit is drawn in Pillow's bundled font so
cards are identical on every machine; that font covers ASCII only, so accented
letters are drawn without their accents (the metadata keeps them).
"""

from __future__ import annotations

import functools
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from media.errors import CreditNotDrawable, ImageError
from media.files import atomic_output
from media.photos.images import encode_jpeg, exif_block, load_upright, to_srgb
from media.photos.metadata import DEFAULT_MAX_PIXELS, build_iptc_app13, build_xmp, one_line

OG_SIZE = (1200, 630)
JPEG_QUALITY = 85
FONT_SIZE = 22
PADDING = 12  # between the band's edge and the text
MARGIN = 24  # the band never reaches closer than this to the card's left edge
BAND_COLOUR = (0, 0, 0)
TEXT_COLOUR = (255, 255, 255)
MIN_CONTRAST = 4.5  # WCAG 2.x AA for text under 18 pt
ELLIPSIS = "\u2026"
# Letters NFKD does not split into a base letter and an accent.
_FOLDS = str.maketrans({"ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Ø": "O",
                        "ø": "o", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d",
                        "Þ": "Th", "þ": "th", "ı": "i", "\u00a0": " "})
_ABSENT = "\U0010fffd"  # a code point no font maps, to render the missing-glyph box


@dataclass(frozen=True)
class SocialImage:
    """One card written by ``make_social_image``; colours and contrast are None without a band."""

    path: Path
    width: int
    height: int
    bytes: int
    credit: str | None
    band_colour: tuple[int, int, int] | None
    text_colour: tuple[int, int, int] | None
    contrast: float | None


def contrast_ratio(rgb1: tuple[int, int, int], rgb2: tuple[int, int, int]) -> float:
    """Return the WCAG 2.x contrast ratio (1 to 21) between two sRGB colours."""
    lighter, darker = sorted((_luminance(rgb1), _luminance(rgb2)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def credit_line(credit: str, max_width: int) -> str:
    """Return "Image: {credit}" as the card font can draw it, cut short with "…" to fit.

    :raises ValueError: if the credit has letters the font cannot draw even
        without their accents (CJK, control characters ...).
    """
    font = _font()
    text = f"Image: {_drawable(' '.join(credit.split()))}"
    if font.getlength(text) <= max_width:
        return text
    # Longest prefix that still fits with the ellipsis; getlength grows with length.
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle].rstrip() + ELLIPSIS) <= max_width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


def make_social_image(source: Path | str, output: Path | str, credit: str | None,
                      creator: str | None = None, copyright: str | None = None,
                      focus: tuple[float, float] = (0.5, 0.5), overlay: bool = True,
                      max_pixels: int = DEFAULT_MAX_PIXELS) -> SocialImage:
    """Write a 1200 x 630 credited JPEG card cropped around ``focus``; return what was written.

    ``focus`` is the point (x, y, each 0..1, clamped) kept nearest the centre
    of the crop. Small sources are upscaled: the card size is fixed by the
    sites that show it.

    :raises ImageError: if the source is not a usable image, or the credit
        is too long to store; CreditNotDrawable (an ImageError) if the
        credit cannot be drawn in the card font.
    :raises ValueError: if ``focus`` is not two finite numbers.
    """
    source, output = Path(source), Path(output)
    if len(focus) != 2 or not all(math.isfinite(value) for value in focus):
        raise ValueError(f"focus must be two finite numbers in 0..1, not {focus!r}")
    credit = " ".join((credit or "").split()) or None
    line = None
    if overlay and credit:
        try:
            line = credit_line(credit, OG_SIZE[0] - MARGIN - 2 * PADDING)
        except ValueError as err:
            raise CreditNotDrawable(f"{err}; make the card with overlay=False", source) from None

    upright, icc = load_upright(source, max_pixels)
    picture, icc = to_srgb(upright, icc, source)
    card = picture.resize(OG_SIZE, Image.Resampling.LANCZOS,
                          box=_cover_box(picture.size, focus))

    band = text = contrast = None
    if line:
        band, text = BAND_COLOUR, TEXT_COLOUR
        contrast = contrast_ratio(band, text)
        if contrast < MIN_CONTRAST:
            raise ValueError(f"credit contrast {contrast:.2f}:1 is below {MIN_CONTRAST}:1")
        _draw_credit(card, line, band, text)

    try:
        data = _encode(card, icc, credit, creator, copyright)
    except ImageError as err:
        raise ImageError(err.message, source) from None
    except ValueError as err:  # Pillow refuses XMP over one JPEG segment
        raise ImageError(f"credit metadata is too long ({one_line(err)})", source) from None
    with atomic_output(output) as tmp:
        tmp.write_bytes(data)
    return SocialImage(output, *OG_SIZE, len(data), credit, band, text, contrast)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in rgb[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _cover_box(size: tuple[int, int], focus: tuple[float, float]
               ) -> tuple[float, float, float, float]:
    """Return the largest OG-shaped box inside ``size`` centred on ``focus`` as far as it can be."""
    width, height = size
    target = OG_SIZE[0] / OG_SIZE[1]
    crop_w, crop_h = (height * target, height) if width / height > target else (
        width, width / target)
    x, y = (min(1.0, max(0.0, float(value))) for value in focus)
    left = min(max(x * width - crop_w / 2, 0.0), width - crop_w)
    top = min(max(y * height - crop_h / 2, 0.0), height - crop_h)
    return left, top, left + crop_w, top + crop_h


def _drawable(text: str) -> str:
    """Return ``text`` with letters the font lacks replaced by their unaccented forms."""
    folded, missing = [], []
    for char in text:
        if not _has_glyph(char):
            char = "".join(part for part in unicodedata.normalize("NFKD", char.translate(_FOLDS))
                           if not unicodedata.combining(part))
            if not all(_has_glyph(part) for part in char):
                missing.append(char)
        folded.append(char)
    if missing:
        raise ValueError("the card font cannot draw " + ", ".join(
            f"{char!r}" for char in dict.fromkeys(missing)) + " in the credit")
    return "".join(folded)


@functools.cache
def _has_glyph(char: str) -> bool:
    # Pillow has no glyph lookup; a missing glyph renders as the font's box.
    def render(text: str) -> bytes:
        canvas = Image.new("L", (FONT_SIZE * 3, FONT_SIZE * 2))
        ImageDraw.Draw(canvas).text((0, 0), text, font=_font(), fill=255)
        return canvas.tobytes()

    return render(char) != render(_ABSENT)


FONT_FILE = Path(__file__).parent / "fonts" / "DejaVuSans.ttf"


@functools.cache
def _font() -> ImageFont.FreeTypeFont:
    # The font ships with the project (Bitstream Vera licence, fonts/), so
    # cards are the same on every machine; it covers Latin, Greek and Cyrillic.
    return ImageFont.truetype(str(FONT_FILE), size=FONT_SIZE)


def _draw_credit(card: Image.Image, line: str, band: tuple[int, int, int],
                 text: tuple[int, int, int]) -> None:
    """Draw ``line`` on a solid band in the bottom-right corner of ``card``."""
    font = _font()
    ascent, descent = font.getmetrics()
    band_w = math.ceil(font.getlength(line)) + 2 * PADDING
    band_h = ascent + descent + 2 * PADDING
    left, top = card.width - band_w, card.height - band_h
    draw = ImageDraw.Draw(card)
    draw.rectangle((left, top, card.width - 1, card.height - 1), fill=band)
    draw.text((left + PADDING, top + PADDING), line, font=font, fill=text)


def _encode(frame: Image.Image, icc: bytes | None, credit: str | None, creator: str | None,
            copyright: str | None) -> bytes:
    """Return the card as a progressive JPEG carrying the credit in EXIF, XMP and IPTC."""
    credited = bool(credit or creator or copyright)
    xmp = build_xmp(credit, creator, copyright) if credited else None
    app13 = build_iptc_app13(credit, creator, copyright) if credited else None
    # Thumbnails use quality 82; a card is recompressed by every site that
    # shows it, so it starts from a higher quality.
    return encode_jpeg(frame, exif_block(creator, copyright), xmp, icc, app13, quality=JPEG_QUALITY)
