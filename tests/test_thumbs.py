"""Thumbnails: crop geometry, the corpus, orientation, credit, privacy, alpha and parallel runs."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageCms, ImageStat, IptcImagePlugin

from media.errors import ImageError
from media.photos.batch import make_many
from media.photos.metadata import PhotoMetadata, build_iptc_app13, build_xmp, insert_jpeg_app13, read_photo_metadata
from media.photos.thumbs import (
    DEFAULT_FORMATS,
    DEFAULT_WIDTHS,
    Thumbnail,
    ThumbSet,
    crop_box,
    make_thumbnails,
    parse_aspect,
)
from tests.corpus import CORPUS, corpus_manifest, corpus_params

IMAGES = CORPUS / "images"
ENTRIES = [entry for entry in corpus_manifest() if entry["category"].startswith("image/")]
MANIFEST = {entry["path"].removeprefix("images/"): entry["properties"] for entry in ENTRIES}

# What make_thumbnails says about the corpus files it cannot use (widths 48 and 96).
UNUSABLE = {
    "pillow/broken.png": "not an image (or an unsupported format)",
    "pillow/zero_width.gif": "not an image (or an unsupported format)",
    "pillow/decompression_bomb.gif": "image too large: 65535 x 66601 pixels (limit 50000000)",
    "pillow/png_decompression_dos.png": "image header is corrupt (Decompressed data too large "
                                        "for PngImagePlugin.MAX_TEXT_CHUNK)",
    "pillow/truncated_image.png": "image is truncated or corrupt",
    "pillow/truncated_jpeg.jpg": "image is truncated or corrupt",
    "pillow/ultrahdr.jpg": "image is truncated or corrupt",
    "firefox/invalid-icc-profile.jpg": "content is PNG but the name says .jpg",
    "firefox/100x32768.jpg": "WEBP cannot hold 96 x 31457 pixels (limit 16383 per side)",
}
CREDIT_KEYS = ("XMP-photoshop:Credit", "IPTC:Credit")
CREDITED = sorted(name for name, props in MANIFEST.items()
                  if name.startswith(("iptc/", "exiftool/", "bep-imagemeta/"))
                  and any(props["credit_metadata"].get(key) for key in CREDIT_KEYS))
EXAMPLES = [f"{kind}_{n}" for kind in ("Landscape", "Portrait") for n in range(9)]
FORMATS = ("AVIF", "WEBP", "JPEG")
EXTENSIONS = {"AVIF": "avif", "WEBP": "webp", "JPEG": "jpg"}
BLUE, RED = (0, 0, 255), (255, 0, 0)


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    return ImageStat.Stat(ImageChops.difference(a.convert("L"), b.convert("L"))).mean[0]


def _near(pixel: tuple, colour: tuple, tolerance: int = 40) -> bool:
    return all(abs(p - c) <= tolerance for p, c in zip(pixel[:3], colour, strict=False))


def _halves(path: Path, size: tuple[int, int] = (1000, 1000)) -> Path:
    """Write a PNG whose left half is blue and right half red."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (size[0] // 2, 0, size[0], size[1]))
    image.save(path)
    return path


@pytest.mark.parametrize("text, expected", [
    ("16:9", (16, 9)), ("1:1", (1, 1)), (" 4:3 ", (4, 3)), ("9:16", (9, 16)), ("21:9", (21, 9)),
])
def test_parse_aspect_reads_width_and_height(text, expected):
    assert parse_aspect(text) == expected


@pytest.mark.parametrize("text", ["16x9", "0:1", "1:0", "a:b", "16:", ":9", "", "16:9:1",
                                  "-16:9", "1.5:1", "16/9"])
def test_parse_aspect_rejects_anything_but_two_positive_whole_numbers(text):
    with pytest.raises(ValueError) as caught:
        parse_aspect(text)
    assert str(caught.value) == ("aspect ratio must be W:H with two positive whole numbers, "
                                 f"such as 16:9; got {text!r}")


@pytest.mark.parametrize("size, aspect, focus, expected", [
    ((1000, 1000), (16, 9), (0.5, 0.5), (0, 219, 1000, 781)),
    ((1000, 1000), (16, 9), (0.9, 0.5), (0, 219, 1000, 781)),  # full width: x cannot move
    ((1000, 1000), (16, 9), (0.5, 0.0), (0, 0, 1000, 562)),
    ((1000, 1000), (16, 9), (1.0, 1.0), (0, 438, 1000, 1000)),
    ((1000, 1000), (9, 16), (0.9, 0.5), (438, 0, 1000, 1000)),
    ((1000, 1000), (9, 16), (0.0, 0.0), (0, 0, 562, 1000)),
    ((2000, 1000), (1, 1), (0.9, 0.5), (1000, 0, 2000, 1000)),
    ((2000, 1000), (1, 1), (0.6, 0.5), (700, 0, 1700, 1000)),
    ((2000, 1000), (1, 1), (0.0, 1.0), (0, 0, 1000, 1000)),
    ((2000, 1000), (1, 1), (1.0, 0.0), (1000, 0, 2000, 1000)),
    ((1600, 900), (16, 9), (0.2, 0.8), (0, 0, 1600, 900)),
    ((3000, 2), (1, 1), (0.5, 0.5), (1499, 0, 1501, 2)),
    ((1, 1000), (16, 9), (0.5, 0.5), (0, 500, 1, 501)),
], ids=str)
def test_crop_box_is_the_largest_box_centred_on_focus_and_kept_inside(size, aspect, focus,
                                                                      expected):
    assert crop_box(*size, aspect, focus) == expected


@pytest.mark.parametrize("size, aspect, focus", [
    ((1000, 1000), (16, 9), (1.5, 0.5)),
    ((1000, 1000), (16, 9), (0.5, -0.1)),
    ((1000, 1000), (0, 9), (0.5, 0.5)),
    ((0, 1000), (16, 9), (0.5, 0.5)),
])
def test_crop_box_rejects_impossible_arguments(size, aspect, focus):
    with pytest.raises(ValueError):
        crop_box(*size, aspect, focus)


def test_defaults_are_the_published_ladder():
    assert DEFAULT_WIDTHS == (320, 640, 960, 1280, 1920)
    assert DEFAULT_FORMATS == ("avif", "webp", "jpeg")


@pytest.mark.corpus
@pytest.mark.parametrize("name", corpus_params(sorted(MANIFEST)))
def test_every_corpus_image_yields_thumbnails_or_an_image_error(tmp_path, name):
    path = IMAGES / name
    if name in UNUSABLE:
        with pytest.raises(ImageError) as caught:
            make_thumbnails(path, tmp_path, "photo", widths=(48, 96))
        assert str(caught.value) == f"{path}: {UNUSABLE[name]}"
        assert caught.value.path == path
        assert list(tmp_path.iterdir()) == []
        return
    width, height = MANIFEST[name]["display_size_after_exif_transpose"]
    used = [w for w in (48, 96) if w <= width] or [width]
    expected = [(w, max(1, round(height * w / width)), kind) for w in used for kind in
                sorted(FORMATS)]
    result = make_thumbnails(path, tmp_path, "photo", widths=(48, 96))
    assert [(t.width, t.height, t.format) for t in result.thumbnails] == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"photo-{w}.{EXTENSIONS[kind]}" for w, _, kind in expected)
    for thumbnail in result.thumbnails:
        assert thumbnail.bytes == thumbnail.path.stat().st_size
        with Image.open(thumbnail.path) as im:
            im.load()
            assert (im.format, im.size) == (thumbnail.format, (thumbnail.width, thumbnail.height))
            assert im.mode in (("RGB",) if thumbnail.format == "JPEG" else ("RGB", "RGBA"))
            assert 0x0112 not in im.getexif()


@pytest.mark.corpus
@pytest.mark.parametrize("crop, focus", [(None, (0.5, 0.5)), ("1:1", (0.2, 0.7))])
@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize("example", EXAMPLES)
def test_orientation_examples_match_the_orientation_1_photo(tmp_path, example, kind, crop,
                                                            focus):
    set_name = example.split("_")[0]
    options = {"widths": (120,), "formats": (kind,), "crop": crop, "focus": focus}
    reference = make_thumbnails(IMAGES / f"exif-orientation-examples/{set_name}_1.jpg",
                                tmp_path / "reference", "r", **options)
    result = make_thumbnails(IMAGES / f"exif-orientation-examples/{example}.jpg",
                             tmp_path / "photo", "p", **options)
    [expected], [actual] = reference.thumbnails, result.thumbnails
    with Image.open(expected.path) as a, Image.open(actual.path) as b:
        assert a.size == b.size
        assert _mean_difference(a, b) < 10


@pytest.mark.corpus
@pytest.mark.parametrize("name", corpus_params(CREDITED))
def test_credit_survives_into_every_format(tmp_path, name):
    props = MANIFEST[name]["credit_metadata"]
    credit = next(props[key] for key in CREDIT_KEYS if props.get(key))
    source = read_photo_metadata(IMAGES / name)
    result = make_thumbnails(IMAGES / name, tmp_path, "photo", widths=(32,))
    assert result.credit == credit
    assert sorted(t.format for t in result.thumbnails) == sorted(FORMATS)
    for thumbnail in result.thumbnails:
        meta = read_photo_metadata(thumbnail.path)
        assert (meta.credit, meta.creator, meta.copyright) == (
            credit, source.creator, source.copyright), thumbnail.format
        assert meta.sources["credit"] == "xmp"


def _private_source(path: Path) -> Path:
    """Write a JPEG with GPS, a camera serial, a maker note, a comment and credit fields."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif[0x013B] = "Source Artist"
    exif[0x8298] = "© Source Rights".encode()  # Pillow writes str as ASCII
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 15.0), 3: "W", 4: (0.0, 7.0, 39.0)})
    exif.get_ifd(0x8769).update({0xA431: "SERIAL-0042", 0x927C: b"MAKERNOTE-SECRET"})
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 120, 150)).save(
        buffer, "JPEG", exif=exif, xmp=build_xmp("Source Agency", None, None),
        comment=b"Source note")
    path.write_bytes(insert_jpeg_app13(buffer.getvalue(),
                                       build_iptc_app13("Source Agency", None, None)))
    return path


def test_outputs_keep_credit_and_drop_location_serial_and_maker_note(tmp_path):
    source = _private_source(tmp_path / "source.jpg")
    with Image.open(source) as im:  # the test proves nothing unless the source has them all
        exif = im.getexif()
        assert exif.get_ifd(0x8825)[1] == "N"
        assert exif.get_ifd(0x8769)[0xA431] == "SERIAL-0042"
        assert 0x927C in exif.get_ifd(0x8769)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()

    result = make_thumbnails(source, tmp_path / "out", "boat", widths=(160, 320))

    assert hashlib.sha256(source.read_bytes()).hexdigest() == digest
    assert (result.credit, result.creator, result.copyright) == (
        "Source Agency", "Source Artist", "© Source Rights")
    assert len(result.thumbnails) == 6
    for thumbnail in result.thumbnails:
        data = thumbnail.path.read_bytes()
        for secret in (b"SecretCam", b"SERIAL-0042", b"MAKERNOTE-SECRET", b"Source note"):
            assert secret not in data, (thumbnail.format, secret)
        with Image.open(thumbnail.path) as im:
            written = im.getexif()
            assert set(written) == {0x013B, 0x8298}, thumbnail.format
            assert written.get_ifd(0x8825) == {}
            assert written.get_ifd(0x8769) == {}
            assert not im.info.get("icc_profile")
            iptc = IptcImagePlugin.getiptcinfo(im) if thumbnail.format == "JPEG" else None
            assert iptc is None or iptc[(2, 110)] == b"Source Agency"
        meta = read_photo_metadata(thumbnail.path)
        assert (meta.credit, meta.creator, meta.copyright) == (
            "Source Agency", "Source Artist", "© Source Rights"), thumbnail.format
        assert meta.warnings == ()


def test_jpeg_carries_only_the_given_credit_in_exif_xmp_and_iptc(tmp_path):
    source = _private_source(tmp_path / "source.jpg")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    credit, creator, copyright = "Agence Newsreel", "Zoë Åberg", "© 2025 Newsreel"
    out = tmp_path / "out"

    result = make_thumbnails(source, out, "boat", widths=(160, 320), formats=("jpeg",),
                             credit=credit, creator=creator, copyright=copyright)

    assert sorted(p.name for p in out.iterdir()) == ["boat-160.jpg", "boat-320.jpg"]
    assert hashlib.sha256(source.read_bytes()).hexdigest() == digest
    for thumbnail in result.thumbnails:
        assert b"Source" not in thumbnail.path.read_bytes()
        with Image.open(thumbnail.path) as im:
            # Every APP and COM segment, in order: nothing else rides along.
            assert [(name, data[:6]) for name, data in im.applist] == [
                ("APP0", b"JFIF\x00\x01"), ("APP1", b"Exif\x00\x00"), ("APP1", b"http:/"),
                ("APP13", b"Photos")]
            written = im.getexif()
            assert set(written) == {0x013B, 0x8298}
            assert written[0x013B].encode("latin-1").decode("utf-8") == creator
            assert IptcImagePlugin.getiptcinfo(im)[(2, 110)] == credit.encode("utf-8")
            assert im.info.get("progressive")
        assert read_photo_metadata(thumbnail.path) == PhotoMetadata(
            credit, creator, copyright, None, None,
            {"credit": "xmp", "creator": "xmp", "copyright": "xmp"})


def test_explicit_credit_wins_and_empty_means_none(tmp_path):
    source = _private_source(tmp_path / "source.jpg")
    result = make_thumbnails(source, tmp_path / "out", "boat", widths=(64,),
                             credit="Agence Newsreel", creator="", alt_text="A boat at dawn")
    assert (result.credit, result.creator, result.copyright) == (
        "Agence Newsreel", None, "© Source Rights")
    for thumbnail in result.thumbnails:
        meta = read_photo_metadata(thumbnail.path)
        assert (meta.credit, meta.creator, meta.copyright, meta.alt_text) == (
            "Agence Newsreel", None, "© Source Rights", "A boat at dawn"), thumbnail.format


@pytest.mark.corpus
@pytest.mark.parametrize("name, tagged", [
    ("pillow/icc_profile_big.jpg", True),
    ("pillow/icc_profile.png", True),
    ("wpt/F-exif-early.png", True),
    ("pillow/hopper.tif", False),
    ("pillow/icc-after-SOF.jpg", False),  # its profile cannot be parsed: dropped
])
def test_only_sources_with_a_profile_get_srgb_in_every_format(tmp_path, name, tagged):
    result = make_thumbnails(IMAGES / name, tmp_path, "p", widths=(32,))
    for thumbnail in result.thumbnails:
        with Image.open(thumbnail.path) as im:
            icc = im.info.get("icc_profile")
        assert bool(icc) == tagged, thumbnail.format
        if tagged:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            assert "sRGB" in ImageCms.getProfileDescription(profile)


@pytest.mark.corpus
def test_invalid_profile_is_dropped_in_every_format(tmp_path):
    source = tmp_path / "invalid-icc-profile.png"
    source.write_bytes((IMAGES / "firefox/invalid-icc-profile.jpg").read_bytes())
    with Image.open(source) as im:  # the test proves nothing unless the source has one
        assert im.info["icc_profile"]
    result = make_thumbnails(source, tmp_path / "out", "p")
    assert len(result.thumbnails) == len(FORMATS)
    for thumbnail in result.thumbnails:
        with Image.open(thumbnail.path) as im:
            assert (im.size, im.info.get("icc_profile")) == ((2, 2), None), thumbnail.format


@pytest.mark.parametrize("mode, value, options, expected", [
    ("RGBA", (255, 0, 0, 0), {}, (255, 255, 255)),
    ("LA", (0, 0), {}, (255, 255, 255)),
    ("P", 1, {"transparency": 1}, (255, 255, 255)),
    ("L", 10, {"transparency": 10}, (255, 255, 255)),
    ("I;16", 32768, {}, (128, 128, 128)),  # scaled to 8 bits, not clipped to white
])
def test_jpeg_of_transparent_or_sixteen_bit_sources(tmp_path, mode, value, options, expected):
    source = tmp_path / "odd.png"
    image = Image.new(mode, (20, 20), value)
    if mode == "P":
        image.putpalette([0, 0, 0, 200, 0, 0])
    image.save(source, **options)
    [thumbnail] = make_thumbnails(source, tmp_path / "out", "p", formats=("jpeg",)).thumbnails
    with Image.open(thumbnail.path) as im:
        assert im.mode == "RGB"
        assert _near(im.getpixel((10, 10)), expected, tolerance=3)


@pytest.mark.corpus
def test_cmyk_without_profile_is_converted_to_rgb(tmp_path):
    path = IMAGES / "pillow/pil_sample_cmyk.jpg"
    result = make_thumbnails(path, tmp_path, "p", formats=("jpeg",))
    with Image.open(path) as source, Image.open(result.thumbnails[0].path) as im:
        assert (source.mode, im.mode, im.size) == ("CMYK", "RGB", source.size)
        expected = source.convert("RGB")
        # Mean over R, G, B; JPEG loss alone is about 6, an inverted CMYK about 100.
        assert sum(ImageStat.Stat(ImageChops.difference(im, expected)).mean) / 3 < 10


@pytest.mark.corpus
@pytest.mark.parametrize("max_pixels", [1_000_000, 2_000_000])  # Pillow errors past 2x, warns 1x
def test_pixel_limit_applies_per_call_and_is_restored(tmp_path, max_pixels):
    before = Image.MAX_IMAGE_PIXELS
    path = IMAGES / "firefox/100x32768.jpg"
    with pytest.raises(ImageError) as caught:
        make_thumbnails(path, tmp_path, "tall", formats=("jpeg",), max_pixels=max_pixels)
    assert str(caught.value) == (f"{path}: image too large: 100 x 32768 pixels "
                                 f"(limit {max_pixels})")
    assert Image.MAX_IMAGE_PIXELS == before
    assert list(tmp_path.iterdir()) == []
    result = make_thumbnails(path, tmp_path, "tall", widths=(10,), formats=("jpeg",))
    assert [(t.width, t.height) for t in result.thumbnails] == [(10, 3277)]


def _write_bomb(path: Path) -> int:
    Image.new("RGB", (400, 300), "navy").save(path)
    return 100_000


def _write_truncated(path: Path) -> int:
    buffer = io.BytesIO()
    Image.effect_mandelbrot((1600, 1200), (-2, -1.5, 1, 1.5), 100).convert("RGB").save(
        buffer, "JPEG")
    path.write_bytes(buffer.getvalue()[:len(buffer.getvalue()) // 2])
    return 50_000_000


def _write_text(path: Path) -> int:
    path.write_text("not a photo, just words\n", "utf-8")
    return 50_000_000


def _write_nothing(path: Path) -> int:
    path.write_bytes(b"")
    return 50_000_000


def _write_png(path: Path) -> int:
    Image.new("RGB", (8, 8)).save(path, "PNG")
    return 50_000_000


@pytest.mark.parametrize("name, write, message", [
    ("bomb.png", _write_bomb, "image too large: 400 x 300 pixels (limit 100000)"),
    ("truncated.jpg", _write_truncated, "image is truncated or corrupt"),
    ("words.jpg", _write_text, "not an image (or an unsupported format)"),
    ("empty.jpg", _write_nothing, "not an image (or an unsupported format)"),
    ("png.jpg", _write_png, "content is PNG but the name says .jpg"),
], ids=["bomb", "truncated-jpeg", "text-named-jpg", "zero-bytes", "wrong-extension"])
def test_bad_inputs_raise_one_line_image_errors_and_write_nothing(tmp_path, name, write,
                                                                  message):
    path = tmp_path / name
    max_pixels = write(path)
    before = Image.MAX_IMAGE_PIXELS
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ImageError) as caught:
        make_thumbnails(path, out, "photo", widths=(200, 640), max_pixels=max_pixels)
    assert str(caught.value) == f"{path}: {message}"
    assert "\n" not in str(caught.value)
    assert caught.value.path == path
    assert list(out.iterdir()) == []
    assert Image.MAX_IMAGE_PIXELS == before


def test_credit_too_long_for_iptc_names_the_file_and_writes_nothing(tmp_path):
    source = _halves(tmp_path / "halves.png", size=(64, 64))
    with pytest.raises(ImageError) as caught:
        make_thumbnails(source, tmp_path / "out", "long", widths=(32,), credit="x" * 40_000)
    assert str(caught.value) == f"{source}: IPTC 2:110 value is too long (40000 bytes)"
    assert not (tmp_path / "out").exists()


def test_a_failed_write_says_so_and_leaves_the_whole_files_it_wrote(tmp_path):
    # Names are shared (ingest names them by content), so a file this call
    # wrote may already be another page's: it stays, whole, and the error says so.
    source = _halves(tmp_path / "halves.png", size=(400, 200))
    out = tmp_path / "out"
    (out / "p-100.jpg").mkdir(parents=True)  # in the way of one target
    with pytest.raises(ImageError) as caught:
        make_thumbnails(source, out, "p", widths=(100, 200), formats=("webp", "jpeg"))
    message = str(caught.value)
    assert message.startswith(f"{source}: cannot write thumbnails to {out} (")
    assert "\n" not in message
    left = sorted(p.name for p in out.iterdir() if p.is_file())
    assert not [name for name in left if name.startswith(".")]  # no temporary files
    suffix = f"; {len(left)} of 4 are in place" if left else ""
    assert message.endswith(f"){suffix}")
    for name in left:
        with Image.open(out / name) as im:
            im.load()
            assert im.width in (100, 200)


def test_missing_source_is_an_image_error(tmp_path):
    with pytest.raises(ImageError, match="file not found$"):
        make_thumbnails(tmp_path / "gone.jpg", tmp_path, "photo")


@pytest.mark.parametrize("crop, focus, size, probes", [
    ("16:9", (0.9, 0.5), (1000, 562), {(100, 281): BLUE, (480, 281): BLUE, (520, 281): RED,
                                       (900, 281): RED}),
    ("9:16", (0.9, 0.5), (562, 1000), {(20, 500): BLUE, (100, 500): RED, (540, 500): RED}),
    ("9:16", (0.1, 0.5), (562, 1000), {(20, 500): BLUE, (470, 500): BLUE, (540, 500): RED}),
    ("1:1", (0.9, 0.5), (1000, 1000), {(100, 500): BLUE, (900, 500): RED}),
], ids=str)
def test_crop_follows_the_focus_point(tmp_path, crop, focus, size, probes):
    source = _halves(tmp_path / "halves.png")
    result = make_thumbnails(source, tmp_path / "out", "c", widths=(1000, 1280), crop=crop,
                             focus=focus)
    assert (result.crop, result.focus) == (crop, focus)
    assert [(t.format, t.width, t.height) for t in result.thumbnails] == [
        (kind, *size) for kind in sorted(FORMATS)]
    for thumbnail in result.thumbnails:
        with Image.open(thumbnail.path) as im:
            rgb = im.convert("RGB")
            for point, colour in probes.items():
                assert _near(rgb.getpixel(point), colour), (thumbnail.format, point)


def test_crop_narrower_than_every_width_gives_one_set_at_the_crop_width(tmp_path):
    source = _halves(tmp_path / "halves.png", size=(1200, 800))
    result = make_thumbnails(source, tmp_path / "out", "c", widths=(960, 1280), crop="1:1",
                             focus=(1.0, 0.5), formats=("jpeg",))
    [thumbnail] = result.thumbnails
    assert (thumbnail.width, thumbnail.height) == (800, 800)
    with Image.open(thumbnail.path) as im:
        # The box is x 400..1200 of the source, whose blue half ends at 600.
        assert [_near(im.getpixel((x, 400)), colour) for x, colour in
                [(100, BLUE), (180, BLUE), (220, RED), (700, RED)]] == [True] * 4


@pytest.mark.parametrize("size, widths, expected", [
    ((800, 600), (640, 1280), [(640, 480)]),
    ((500, 300), (640, 1280), [(500, 300)]),
    ((1280, 720), (1280, 640, 640), [(640, 360), (1280, 720)]),
    ((3000, 2), (640,), [(640, 1)]),
])
def test_never_upscale_and_come_sorted_by_width_then_format(tmp_path, size, widths, expected):
    source = tmp_path / "source.png"
    Image.new("RGB", size, "teal").save(source)
    out = tmp_path / "out"
    result = make_thumbnails(source, out, "pic", widths=widths)
    assert list(result.thumbnails) == [
        Thumbnail(out / f"pic-{w}.{EXTENSIONS[kind]}", kind, w, h,
                  (out / f"pic-{w}.{EXTENSIONS[kind]}").stat().st_size,
                  f"image/{kind.lower()}")
        for w, h in expected for kind in sorted(FORMATS)]


def _transparent(path: Path, mode: str) -> Path:
    """Write a 64 x 64 PNG: left half fully transparent, right half opaque red."""
    image = Image.new("RGBA", (64, 64), (0, 0, 255, 0))
    image.paste((255, 0, 0, 255), (32, 0, 64, 64))
    if mode == "P":
        image = image.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
        image.save(path, transparency=image.getpixel((0, 0)))
    else:
        image.save(path)
    return path


@pytest.mark.parametrize("mode", ["RGBA", "P"])
def test_alpha_is_kept_in_webp_and_avif_and_flattened_on_white_in_jpeg(tmp_path, mode):
    source = _transparent(tmp_path / "clear.png", mode)
    result = make_thumbnails(source, tmp_path / "out", "a", widths=(64,))
    for thumbnail in result.thumbnails:
        with Image.open(thumbnail.path) as im:
            if thumbnail.format == "JPEG":
                assert im.mode == "RGB"
                assert min(im.getpixel((8, 32))) >= 245
            else:
                assert im.mode == "RGBA", thumbnail.format
                assert im.getpixel((8, 32))[3] <= 10 and im.getpixel((56, 32))[3] >= 245
            assert _near(im.getpixel((56, 32)), RED)


def test_opaque_alpha_is_dropped(tmp_path):
    source = tmp_path / "opaque.png"
    Image.new("RGBA", (40, 40), (10, 200, 30, 255)).save(source)
    for thumbnail in make_thumbnails(source, tmp_path / "out", "o", widths=(40,)).thumbnails:
        with Image.open(thumbnail.path) as im:
            assert im.mode == "RGB", thumbnail.format


def test_scaled_decode_matches_a_full_decode(tmp_path):
    source = tmp_path / "big.jpg"
    Image.effect_mandelbrot((2400, 1600), (-2, -1.2, 1, 1.2), 200).convert("RGB").save(
        source, quality=92)
    result = make_thumbnails(source, tmp_path / "out", "m", widths=(200,), formats=("jpeg",))
    with Image.open(source) as full, Image.open(result.thumbnails[0].path) as ours:
        naive = full.convert("RGB").resize(ours.size, Image.Resampling.LANCZOS)
        assert _mean_difference(naive, ours) < 3


def test_thumb_set_serialises_and_filters_by_format(tmp_path):
    source = _private_source(tmp_path / "source.jpg")
    result = make_thumbnails(source, tmp_path / "out", "s", widths=(100, 200), crop="4:3")
    data = json.loads(json.dumps(result.to_json()))
    assert (data["credit"], data["creator"], data["copyright"]) == (
        "Source Agency", "Source Artist", "© Source Rights")
    assert data["thumbnails"][0] == {"path": str(tmp_path / "out" / "s-100.avif"),
                                     "format": "AVIF", "width": 100, "height": 75,
                                     "bytes": (tmp_path / "out" / "s-100.avif").stat().st_size}
    assert [t.width for t in result.of_format("jpg")] == [100, 200]
    assert {t.media_type for t in result.of_format("WEBP")} == {"image/webp"}
    with pytest.raises(ValueError, match="unknown format"):
        result.of_format("gif")


@pytest.mark.parametrize("workers", [1, 2])
def test_make_many_keeps_order_and_reports_a_broken_image_in_place(tmp_path, workers):
    good = [_halves(tmp_path / f"good{n}.png", size=(200 + 40 * n, 100)) for n in range(3)]
    broken = tmp_path / "broken.jpg"
    broken.write_text("not a photo", "utf-8")
    sources = [good[0], broken, good[1], good[2]]
    jobs = [{"source": path, "out_dir": tmp_path / "out", "base_name": path.stem,
             "widths": (64,), "credit": "Agence"} for path in sources]

    results = make_many(jobs, workers=workers)

    assert [type(r) for r in results] == [ThumbSet, ImageError, ThumbSet, ThumbSet]
    assert str(results[1]) == f"{broken}: not an image (or an unsupported format)"
    assert results[1].path == broken
    for result, path in zip([results[0], *results[2:]], good, strict=True):
        assert result.source == path and result.credit == "Agence"
        assert all(t.path.exists() and t.width == 64 for t in result.thumbnails)
    assert not list((tmp_path / "out").glob("broken-*"))
