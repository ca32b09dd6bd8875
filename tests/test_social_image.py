"""Social cards: crop, credit band, contrast, metadata and failure modes."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from media.errors import ImageError
from media.photos import social_image
from media.photos.metadata import read_photo_metadata
from media.photos.social_image import (
    ELLIPSIS,
    MARGIN,
    MIN_CONTRAST,
    OG_SIZE,
    SocialImage,
    contrast_ratio,
    credit_line,
    make_social_image,
)

BLUE, RED = (0, 0, 255), (255, 0, 0)
ORIENTATION_TAG = 0x0112


def _photo(path: Path, size: tuple[int, int] = (1600, 1000), mode: str = "RGB") -> Path:
    """Write a smooth mid-tone picture, so a black band stands out everywhere."""
    ramp = Image.linear_gradient("L")
    channels = [band.point(lambda v: 80 + v // 2).resize(size)
                for band in (ramp, ramp.rotate(90), Image.radial_gradient("L"))]
    picture = Image.merge("RGB", channels)
    if mode == "RGBA":
        picture.putalpha(Image.linear_gradient("L").resize(size))
    elif mode != "RGB":
        picture = picture.convert(mode)
    picture.save(path)
    return path


def _halves(path: Path, size: tuple[int, int], first: tuple, second: tuple,
            vertical: bool = False, **options) -> Path:
    """Write a picture whose left (or top) half is ``first`` and the rest ``second``."""
    picture = Image.new("RGB", size, second)
    half = (0, 0, size[0], size[1] // 2) if vertical else (0, 0, size[0] // 2, size[1])
    picture.paste(first, half)
    picture.save(path, **options)
    return path


def _pixels(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("RGB")


def _band_box(with_band: Path, without_band: Path) -> tuple[int, int, int, int]:
    """Return the box where the credit band changed the card."""
    diff = ImageChops.difference(_pixels(with_band), _pixels(without_band)).convert("L")
    box = diff.point(lambda v: 255 if v > 40 else 0).getbbox()
    assert box is not None, "no credit band was drawn"
    return box


def _near(actual: tuple, expected: tuple, tolerance: int = 30) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=False))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("first, second, expected", [
    ((0, 0, 0), (255, 255, 255), 21.0),
    ((255, 255, 255), (0, 0, 0), 21.0),
    ((118, 118, 118), (118, 118, 118), 1.0),
    ((118, 118, 118), (255, 255, 255), 4.54),  # #767676, the lightest grey passing AA on white
    ((255, 0, 0), (255, 255, 255), 4.0),
    ((0, 0, 255), (0, 0, 0), 2.44),
])
def test_contrast_ratio_follows_wcag(first, second, expected):
    assert contrast_ratio(first, second) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("credit, expected", [
    ("Ana Ruiz", "Image: Ana Ruiz"),
    ("  Ana\n Ruiz\t/ Agency ", "Image: Ana Ruiz / Agency"),
    ("© 2024 “Zoe” O’Brien", "Image: © 2024 “Zoe” O’Brien"),
    # The shipped font draws Latin, Greek and Cyrillic letters as they are.
    ("José Ñúñez / Agência", "Image: José Ñúñez / Agência"),
    ("Łukasz Straße, Æsa Øre", "Image: Łukasz Straße, Æsa Øre"),
    ("Иван Петров", "Image: Иван Петров"),
])
def test_credit_line_keeps_a_credit_that_fits(credit, expected):
    assert credit_line(credit, 1000) == expected


@pytest.mark.parametrize("credit, named", [
    ("東京 Photo", "'東', '京'"),
    ("Ana\x00Ruiz", "'\\x00'"),
])
def test_credit_line_refuses_letters_the_font_cannot_draw(credit, named):
    with pytest.raises(ValueError, match="cannot draw") as caught:
        credit_line(credit, 1000)
    assert named in str(caught.value)


@pytest.mark.parametrize("credit, max_width", [
    ("Ana Ruiz for the Northern Valley Regional Photographic Agency " * 4, 1000),
    ("x" * 500, 1000),
    ("Ana Ruiz / Agency", 160),
])
def test_credit_line_ellipsises_a_long_credit_to_fit(credit, max_width):
    line = credit_line(credit, max_width)
    font = social_image._font()
    assert line.startswith("Image: ") and line.endswith(ELLIPSIS)
    assert not line[:-1].endswith(" ")
    assert font.getlength(line) <= max_width
    # One more character would not have fitted.
    longer = f"Image: {' '.join(credit.split())}"[:len(line)].rstrip() + ELLIPSIS
    assert font.getlength(longer) > max_width or longer == line


def test_card_is_a_1200_by_630_progressive_jpeg(tmp_path):
    source = _photo(tmp_path / "photo.png")
    card = make_social_image(source, tmp_path / "out" / "card.jpg", "Ana Ruiz",
                             creator="Ana Ruiz", copyright="© 2024 Ana Ruiz")
    assert card == SocialImage(tmp_path / "out" / "card.jpg", 1200, 630,
                               card.path.stat().st_size, "Ana Ruiz", (0, 0, 0),
                               (255, 255, 255), 21.0)
    with Image.open(card.path) as im:
        assert (im.format, im.size, im.mode) == ("JPEG", OG_SIZE, "RGB")
        assert im.info.get("progressive")
        quantization = im.quantization
    reference = io.BytesIO()
    Image.new("RGB", (16, 16)).save(reference, "JPEG", quality=85)
    with Image.open(reference) as im:
        assert quantization == im.quantization


def test_card_output_is_identical_on_every_run(tmp_path):
    source = _photo(tmp_path / "photo.png")
    first = make_social_image(source, tmp_path / "a.jpg", "Ana Ruiz")
    second = make_social_image(source, tmp_path / "b.jpg", "Ana Ruiz")
    assert first.path.read_bytes() == second.path.read_bytes()


def test_credit_band_sits_bottom_right_and_changes_nothing_else(tmp_path):
    source = _photo(tmp_path / "photo.png")
    with_band = make_social_image(source, tmp_path / "band.jpg", "Ana Ruiz").path
    without = make_social_image(source, tmp_path / "plain.jpg", "Ana Ruiz", overlay=False).path
    left, top, right, bottom = _band_box(with_band, without)
    assert (right, bottom) == OG_SIZE
    assert left > OG_SIZE[0] // 2 and top > OG_SIZE[1] - 80

    # JPEG blocks touching the band (16 px with chroma subsampling, plus the
    # decoder's chroma smoothing) may change; every other pixel may not.
    outside = Image.new("L", OG_SIZE, 255)
    outside.paste(0, (left - 32, top - 32, right, bottom))
    diff = ImageChops.difference(_pixels(with_band), _pixels(without)).convert("L")
    assert ImageChops.multiply(diff, outside).getextrema()[1] <= 2


def test_credit_band_contrast_holds_in_the_saved_file(tmp_path):
    source = _photo(tmp_path / "photo.png")
    card = make_social_image(source, tmp_path / "band.jpg", "Ana Ruiz / Agency")
    assert card.contrast >= MIN_CONTRAST
    left, top, right, bottom = _band_box(card.path, make_social_image(
        source, tmp_path / "plain.jpg", None, overlay=False).path)
    band = _pixels(card.path).crop((left, top, right, bottom))
    background = band.getpixel((band.width - 3, band.height - 3))
    colours = [colour for _, colour in band.getcolors(band.width * band.height)]
    lightest = max(colours, key=lambda colour: contrast_ratio(colour, (0, 0, 0)))
    darkest = min(colours, key=lambda colour: contrast_ratio(colour, (0, 0, 0)))
    assert contrast_ratio(background, card.band_colour) < 1.1
    text = max((lightest, darkest), key=lambda colour: contrast_ratio(colour, background))
    assert contrast_ratio(background, text) >= MIN_CONTRAST


def test_long_credit_is_ellipsised_and_band_stays_inside_the_margin(tmp_path):
    source = _photo(tmp_path / "photo.png")
    credit = "Ana Ruiz for the Northern Valley Regional Photographic Agency and Partners " * 3
    with_band = make_social_image(source, tmp_path / "band.jpg", credit, creator="Ana Ruiz")
    without = make_social_image(source, tmp_path / "plain.jpg", credit, overlay=False)
    left, _, right, _ = _band_box(with_band.path, without.path)
    assert MARGIN <= left < MARGIN + 40 and right == OG_SIZE[0]
    # The pixels carry the shortened line; the metadata keeps the whole credit.
    assert read_photo_metadata(with_band.path).credit == " ".join(credit.split())


def test_accented_credit_is_drawn_with_its_accents(tmp_path):
    source = _photo(tmp_path / "photo.png")
    accented = make_social_image(source, tmp_path / "accented.jpg", "José Ñúñez / Agência")
    plain = make_social_image(source, tmp_path / "plain.jpg", "Jose Nunez / Agencia")
    # The accents are drawn: the bands differ, and only in the band.
    difference = ImageChops.difference(_pixels(accented.path), _pixels(plain.path)).getbbox()
    assert difference is not None and difference[1] > 630 - 80
    assert read_photo_metadata(accented.path).credit == "José Ñúñez / Agência"


def test_undrawable_credit_fails_unless_the_overlay_is_off(tmp_path):
    source = _photo(tmp_path / "photo.png")
    target = tmp_path / "card.jpg"
    with pytest.raises(ImageError) as caught:
        make_social_image(source, target, "東京 Photo")
    assert str(caught.value).startswith(f"{source}: the card font cannot draw '東'")
    assert "\n" not in str(caught.value) and not target.exists()
    card = make_social_image(source, target, "東京 Photo", overlay=False)
    assert read_photo_metadata(card.path).credit == "東京 Photo"


def test_metadata_carries_credit_creator_and_copyright(tmp_path):
    source = _photo(tmp_path / "photo.png")
    card = make_social_image(source, tmp_path / "card.jpg", "Agência Foto",
                             creator="José Ñúñez", copyright="© 2024 José Ñúñez")
    metadata = read_photo_metadata(card.path)
    assert (metadata.credit, metadata.creator, metadata.copyright) == (
        "Agência Foto", "José Ñúñez", "© 2024 José Ñúñez")
    assert metadata.warnings == ()


@pytest.mark.parametrize("size, vertical, focus, start, end", [
    ((2400, 600), False, (0.0, 0.5), BLUE, BLUE),
    ((2400, 600), False, (1.0, 0.5), RED, RED),
    ((2400, 600), False, (0.5, 0.5), BLUE, RED),
    ((2400, 600), False, (-3.0, 0.5), BLUE, BLUE),   # clamped to 0
    ((2400, 600), False, (7.0, 9.0), RED, RED),      # clamped to 1
    ((600, 2400), True, (0.5, 0.0), BLUE, BLUE),
    ((600, 2400), True, (0.5, 1.0), RED, RED),
])
def test_focus_chooses_which_part_of_the_picture_is_kept(tmp_path, size, vertical, focus,
                                                         start, end):
    source = _halves(tmp_path / "halves.png", size, BLUE, RED, vertical=vertical)
    card = make_social_image(source, tmp_path / "card.jpg", None, focus=focus, overlay=False)
    pixels = _pixels(card.path)
    points = ((600, 10), (600, 620)) if vertical else ((10, 315), (1190, 315))
    assert _near(pixels.getpixel(points[0]), start)
    assert _near(pixels.getpixel(points[1]), end)


def test_focus_applies_to_the_upright_picture(tmp_path):
    # Stored landscape with the blue half on the left; orientation 6 turns the
    # stored left side into the displayed top.
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 6
    source = _halves(tmp_path / "turned.jpg", (2400, 600), BLUE, RED, exif=exif.tobytes())
    card = make_social_image(source, tmp_path / "card.jpg", None, focus=(0.5, 0.0),
                             overlay=False)
    pixels = _pixels(card.path)
    assert _near(pixels.getpixel((600, 10)), BLUE) and _near(pixels.getpixel((600, 620)), BLUE)


@pytest.mark.parametrize("name, size, mode", [
    ("portrait.png", (400, 800), "RGB"),
    ("tiny.png", (100, 50), "RGB"),         # upscaled about 12 times
    ("panorama.png", (5000, 300), "RGB"),
    ("square.png", (700, 700), "RGB"),
    ("transparent.png", (640, 480), "RGBA"),
    ("grey.png", (640, 480), "L"),
    ("palette.gif", (640, 480), "P"),
])
def test_any_source_shape_and_mode_makes_a_credited_card(tmp_path, name, size, mode):
    source = _photo(tmp_path / name, size, mode)
    with_band = make_social_image(source, tmp_path / "band.jpg", "Ana Ruiz")
    without = make_social_image(source, tmp_path / "plain.jpg", "Ana Ruiz", overlay=False)
    for card in (with_band, without):
        assert (card.width, card.height) == OG_SIZE
        with Image.open(card.path) as im:
            assert (im.format, im.size, im.mode) == ("JPEG", OG_SIZE, "RGB")
    assert _band_box(with_band.path, without.path)[2:] == OG_SIZE


@pytest.mark.parametrize("credit, overlay", [
    (None, False),
    (None, True),
    ("   ", True),
    ("Ana Ruiz", False),
])
def test_no_band_without_overlay_or_credit(tmp_path, credit, overlay):
    source = _photo(tmp_path / "photo.png")
    card = make_social_image(source, tmp_path / "card.jpg", credit, overlay=overlay)
    plain = make_social_image(source, tmp_path / "plain.jpg", None, overlay=False)
    assert (card.band_colour, card.text_colour, card.contrast) == (None, None, None)
    assert card.credit == (credit.strip() or None if credit else None)
    assert ImageChops.difference(_pixels(card.path), _pixels(plain.path)).getbbox() is None
    assert read_photo_metadata(card.path).credit == card.credit


def _truncated_png(path: Path) -> None:
    buffer = io.BytesIO()
    Image.radial_gradient("L").resize((600, 400)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue()[:len(buffer.getvalue()) // 2])


BROKEN = [
    ("garbage.jpg", lambda p: p.write_bytes(b"this is not a picture"), {},
     "not an image (or an unsupported format)"),
    ("missing.png", lambda p: None, {}, "file not found"),
    ("truncated.png", _truncated_png, {}, "image is truncated or corrupt"),
    ("renamed.gif", lambda p: _halves(p, (40, 20), BLUE, RED, format="PNG"), {},
     "content is PNG but the name says .gif"),
    ("huge.png", lambda p: _halves(p, (100, 50), BLUE, RED), {"max_pixels": 1000},
     "image too large: 100 x 50 pixels (limit 1000)"),
]


@pytest.mark.parametrize("name, make, options, message", BROKEN)
def test_broken_source_raises_one_line_error_and_writes_nothing(tmp_path, name, make,
                                                                 options, message):
    source = tmp_path / name
    make(source)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    existing = out_dir / "card.jpg"
    existing.write_bytes(b"previous card")
    with pytest.raises(ImageError) as caught:
        make_social_image(source, existing, "Ana Ruiz", **options)
    assert str(caught.value) == f"{source}: {message}"
    assert caught.value.path == source
    assert existing.read_bytes() == b"previous card"
    assert sorted(p.name for p in out_dir.iterdir()) == ["card.jpg"]


@pytest.mark.parametrize("fields, message", [
    ({"credit": "a" * 40000}, "IPTC 2:110 value is too long (40000 bytes)"),
    ({"credit": "a" * 32000, "creator": "b" * 32000, "copyright": "c" * 32000},
     "credit metadata is too long (XMP data is too long)"),
])
def test_metadata_too_long_to_store_is_a_one_line_error(tmp_path, fields, message):
    source = _photo(tmp_path / "photo.png")
    with pytest.raises(ImageError) as caught:
        make_social_image(source, tmp_path / "card.jpg", overlay=False, **fields)
    assert str(caught.value) == f"{source}: {message}"
    assert not (tmp_path / "card.jpg").exists()


@pytest.mark.parametrize("focus", [(float("nan"), 0.5), (0.5, float("inf")), (0.5,)])
def test_focus_must_be_two_finite_numbers(tmp_path, focus):
    source = _photo(tmp_path / "photo.png")
    with pytest.raises(ValueError, match="focus"):
        make_social_image(source, tmp_path / "card.jpg", "Ana Ruiz", focus=focus)
    assert not (tmp_path / "card.jpg").exists()


def test_source_file_is_left_unchanged(tmp_path):
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 6
    exif[0x013B] = "Ana Ruiz"
    source = _halves(tmp_path / "source.jpg", (900, 600), BLUE, RED, exif=exif.tobytes())
    before = _sha256(source)
    make_social_image(source, tmp_path / "card.jpg", "Ana Ruiz", creator="Ana Ruiz",
                      copyright="© Ana Ruiz")
    assert _sha256(source) == before
