"""Photos: reading and writing credit metadata, and checking uploads."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from PIL import Image, IptcImagePlugin

from media.errors import ImageError
from media.photos.images import open_image
from media.photos.metadata import (
    PhotoMetadata,
    build_iptc_app13,
    build_xmp,
    insert_jpeg_app13,
    photo_metadata_of,
    pillow_guard,
    read_photo_metadata,
)
from tests.corpus import CORPUS, corpus_manifest, corpus_params

IMAGES = CORPUS / "images"
MANIFEST = {entry["path"].removeprefix("images/"): entry["properties"]
            for entry in corpus_manifest() if entry["path"].startswith("images/")}

# exiftool tag names behind each field, in our precedence order (XMP, IPTC, EXIF).
EXIFTOOL_KEYS = {
    "credit": ("XMP-photoshop:Credit", "IPTC:Credit"),
    "creator": ("XMP-dc:Creator", "IPTC:By-line", "IFD0:Artist"),
    "copyright": ("XMP-dc:Rights", "IPTC:CopyrightNotice", "IFD0:Copyright"),
}
FAMILY = {"XMP": "xmp", "IPTC": "iptc", "IFD0": "exif"}
CREDITED = sorted(name for name in MANIFEST if name.startswith(("exiftool/", "iptc/")))

BROKEN = [
    ("pillow/broken.png", "not an image (or an unsupported format)"),
    ("pillow/zero_width.gif", "not an image (or an unsupported format)"),
    ("pillow/decompression_bomb.gif", "image too large: 65535 x 66601 pixels (limit 50000000)"),
    ("pillow/png_decompression_dos.png", "image header is corrupt (Decompressed data too large "
                                         "for PngImagePlugin.MAX_TEXT_CHUNK)"),
    ("pillow/truncated_image.png", "image is truncated or corrupt"),
    ("pillow/truncated_jpeg.jpg", "image is truncated or corrupt"),
    ("pillow/ultrahdr.jpg", "image is truncated or corrupt"),
    ("firefox/invalid-icc-profile.jpg", "content is PNG but the name says .jpg"),
]
BROKEN_NAMES = {name for name, _ in BROKEN}
READABLE = sorted(name for name, props in MANIFEST.items()
                  if props.get("pillow_decode") == "ok" and name not in BROKEN_NAMES)

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NAMESPACES = (f'xmlns:rdf="{RDF}" xmlns:dc="http://purl.org/dc/elements/1.1/" '
              'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
              'xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/" '
              'xmlns:pdf="http://ns.adobe.com/pdf/1.3/"')


def _packet(body: str = "", attributes: str = "") -> str:
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {NAMESPACES}>'
            f'<rdf:Description rdf:about="" {attributes}>{body}</rdf:Description>'
            '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


def _jpeg(path: Path, xmp: bytes | None = None, iptc: tuple | None = None,
          size: tuple[int, int] = (48, 32), **options) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 120, 150)).save(buffer, "JPEG", xmp=xmp, **options)
    data = buffer.getvalue()
    if iptc:
        data = insert_jpeg_app13(data, build_iptc_app13(*iptc))
    path.write_bytes(data)
    return path


def _segments(data: bytes) -> list[tuple[int, bytes]]:
    """Return (marker, payload) for each JPEG segment before the first scan."""
    position, found = 2, []
    while data[position + 1] != 0xDA:
        (length,) = struct.unpack(">H", data[position + 2:position + 4])
        found.append((data[position + 1], data[position + 4:position + 2 + length]))
        position += 2 + length
    return found


def _expected(credit_metadata: dict, keys: tuple[str, ...]) -> tuple[str | None, str | None]:
    for key in keys:
        value = credit_metadata.get(key)
        if value:
            return ("; ".join(value) if isinstance(value, list) else value,
                    FAMILY[key.split(":")[0].split("-")[0]])
    return None, None


@pytest.mark.corpus
@pytest.mark.parametrize("name", corpus_params(CREDITED))
def test_credit_fields_match_exiftool_in_xmp_iptc_exif_order(name):
    meta = read_photo_metadata(IMAGES / name)
    for field, keys in EXIFTOOL_KEYS.items():
        value, family = _expected(MANIFEST[name]["credit_metadata"], keys)
        assert (getattr(meta, field), meta.sources.get(field)) == (value, family), field
    assert not [w for w in meta.warnings if "malformed" in w]


@pytest.mark.corpus
def test_conflicting_families_are_reported_and_xmp_wins():
    meta = read_photo_metadata(IMAGES / "exiftool/MWG.jpg")
    assert meta.copyright == "RIGHT-XMP-Copyright"
    assert meta.creator == "WRONG1of2-XMP-Creator; WRONG2of2-XMP-Creator"
    assert "copyright differs: XMP 'RIGHT-XMP-Copyright', IPTC 'WRONG-IPTC-Copyright'" \
        in meta.warnings
    assert ("creator differs: XMP 'WRONG1of2-XMP-Creator; WRONG2of2-XMP-Creator', "
            "IPTC 'WRONG1of2-IPTC-Creator; WRONG2of2-IPTC-Creator', "
            "EXIF 'RIGHT1of2-EXIF-Creator; RIGHT2of2-EXIF-Creator'") in meta.warnings


@pytest.mark.corpus
@pytest.mark.parametrize("name", CREDITED + ["exiftool/MWG.jpg"])
def test_metadata_of_an_open_image_matches_reading_the_file(name):
    expected = read_photo_metadata(IMAGES / name)
    with pillow_guard(None), Image.open(IMAGES / name) as im:
        found = photo_metadata_of(im)
    assert found == PhotoMetadata(
        expected.credit, expected.creator, expected.copyright, expected.caption,
        expected.alt_text, expected.sources,
        tuple(w for w in expected.warnings if not w.startswith("metadata: ")))
    assert found.families == expected.families


@pytest.mark.corpus
def test_alt_text_and_caption_come_from_the_iptc_reference_image():
    meta = read_photo_metadata(IMAGES / "iptc/IPTC-PhotometadataRef-Std2021.1.jpg")
    assert meta.alt_text == "This is the Alt Text description to support accessibility in 2021.1"
    assert meta.caption == "The description aka caption (ref2021.1)"
    assert meta.sources["alt_text"] == "xmp"
    assert meta.warnings == ()


@pytest.mark.corpus
@pytest.mark.parametrize("name", corpus_params(sorted(n for n, p in MANIFEST.items()
                                                      if "pillow_open_error" not in p)))
def test_odd_metadata_never_raises(name):
    assert isinstance(read_photo_metadata(IMAGES / name), PhotoMetadata)


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["pillow/broken.png", "pillow/zero_width.gif"])
def test_metadata_of_a_non_image_is_an_image_error(name):
    with pytest.raises(ImageError, match="not an image"):
        read_photo_metadata(IMAGES / name)


@pytest.mark.parametrize("body, attributes, expected", [
    ("", 'photoshop:Credit="  Agence A  "', {"credit": "Agence A"}),
    ("<dc:creator><rdf:Seq><rdf:li>Ann</rdf:li><rdf:li> </rdf:li><rdf:li>Bo</rdf:li></rdf:Seq>"
     "</dc:creator>", "", {"creator": "Ann; Bo"}),
    ('<dc:rights><rdf:Alt><rdf:li xml:lang="fr">© Fr</rdf:li><rdf:li xml:lang="x-default">'
     "© Default</rdf:li></rdf:Alt></dc:rights>", "", {"copyright": "© Default"}),
    ('<dc:rights><rdf:Alt><rdf:li xml:lang="fr">© Fr</rdf:li></rdf:Alt></dc:rights>', "",
     {"copyright": "© Fr"}),
    ('<Iptc4xmpCore:AltTextAccessibility><rdf:Alt><rdf:li xml:lang="x-default">A boat</rdf:li>'
     "</rdf:Alt></Iptc4xmpCore:AltTextAccessibility>", "", {"alt_text": "A boat"}),
    ('<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Dawn</rdf:li></rdf:Alt>'
     "</dc:description>", "", {"caption": "Dawn"}),
    ("<pdf:Author>Not a photographer</pdf:Author><photoshop:Credit>  </photoshop:Credit>", "", {}),
], ids=["attribute", "seq", "alt-x-default", "alt-first", "alt-text", "caption", "ignored"])
def test_xmp_property_forms(tmp_path, body, attributes, expected):
    photo = _jpeg(tmp_path / "photo.jpg", xmp=_packet(body, attributes).encode("utf-8"))
    meta = read_photo_metadata(photo)
    fields = ("credit", "creator", "copyright", "caption", "alt_text")
    assert {f: getattr(meta, f) for f in fields} == {f: expected.get(f) for f in fields}
    assert meta.sources == {field: "xmp" for field in expected}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-be", "utf-16-le", "utf-32",
                                      "utf-32-be"])
def test_xmp_in_any_unicode_encoding_is_read(tmp_path, encoding):
    packet = _packet("<photoshop:Credit>Zoë Agency</photoshop:Credit>").encode(encoding)
    assert read_photo_metadata(_jpeg(tmp_path / "p.jpg", xmp=packet)).credit == "Zoë Agency"


@pytest.mark.parametrize("xmp", [
    b"<x:xmpmeta><rdf:RDF",
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    b"<x>&b;</x>",
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
], ids=["truncated", "entity-expansion", "external-entity"])
def test_malformed_or_hostile_xmp_is_ignored_with_a_warning(tmp_path, xmp):
    photo = _jpeg(tmp_path / "p.jpg", xmp=xmp, iptc=("IIM Credit", None, None))
    meta = read_photo_metadata(photo)
    assert (meta.credit, meta.sources) == ("IIM Credit", {"credit": "iptc"})
    assert [w for w in meta.warnings if w.startswith("XMP is malformed and was ignored")]


def test_build_xmp_escapes_values_and_reads_back(tmp_path):
    values = ("A & B <Photo> \"Agency\"", "Zoë 'Z' Åberg", "© 2025 <Newsreel>\x07", "Alt & text")
    packet = build_xmp(*values)
    assert packet.startswith('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
                             .encode("utf-8"))
    meta = read_photo_metadata(_jpeg(tmp_path / "p.jpg", xmp=packet))
    assert (meta.credit, meta.creator, meta.copyright, meta.alt_text) == (
        values[0], values[1], "© 2025 <Newsreel>", values[3])


@pytest.mark.parametrize("credit, creator, copyright", [
    ("Agence Fraîche", "Zoë Åberg", "© 2025 Newsreel"),
    ("Odd", None, None),
    ("Even", None, "x"),
])
def test_iptc_app13_reads_back_with_pillow_and_our_reader(tmp_path, credit, creator, copyright):
    photo = _jpeg(tmp_path / "p.jpg", iptc=(credit, creator, copyright))
    with Image.open(photo) as im:
        iptc = IptcImagePlugin.getiptcinfo(im)
    assert iptc[(1, 90)] == b"\x1b%G"
    assert iptc[(2, 110)] == credit.encode("utf-8")
    assert iptc.get((2, 80)) == (creator.encode("utf-8") if creator else None)
    meta = read_photo_metadata(photo)
    assert (meta.credit, meta.creator, meta.copyright) == (credit, creator, copyright)
    assert set(meta.sources.values()) == {"iptc"}


def test_app13_goes_after_app0_and_app1_of_jpeg_streams_only():
    exif = Image.Exif()
    exif[0x013B] = "Someone"
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buffer, "JPEG", exif=exif, xmp=build_xmp("C", None, None))
    data = insert_jpeg_app13(buffer.getvalue(), build_iptc_app13("C", None, None))
    markers = [marker for marker, _ in _segments(data)]
    assert markers[:4] == [0xE0, 0xE1, 0xE1, 0xED]
    with Image.open(io.BytesIO(data)) as im:
        im.load()
    with pytest.raises(ImageError, match="not a JPEG stream"):
        insert_jpeg_app13(b"\x89PNG\r\n\x1a\n", build_iptc_app13("C", None, None))


@pytest.mark.corpus
@pytest.mark.parametrize("name", corpus_params(READABLE))
def test_open_image_reports_format_and_upright_size(name):
    info = open_image(IMAGES / name)
    props = MANIFEST[name]
    assert (info.format, info.width, info.height) == (
        props["format"], *props["display_size_after_exif_transpose"])


@pytest.mark.corpus
@pytest.mark.parametrize("name, message", BROKEN)
def test_broken_images_raise_one_line_image_errors(name, message):
    path = IMAGES / name
    with pytest.raises(ImageError) as caught:
        open_image(path)
    assert str(caught.value) == f"{path}: {message}"
    assert caught.value.path == path


@pytest.mark.corpus
@pytest.mark.parametrize("max_pixels", [1_000_000, 2_000_000])  # Pillow errors past 2x, warns 1x
def test_pixel_limit_applies_per_call_and_is_restored(max_pixels):
    before = Image.MAX_IMAGE_PIXELS
    path = IMAGES / "firefox/100x32768.jpg"
    message = f"{path}: image too large: 100 x 32768 pixels (limit {max_pixels})"
    with pytest.raises(ImageError) as caught:
        open_image(path, max_pixels=max_pixels)
    assert str(caught.value) == message
    assert Image.MAX_IMAGE_PIXELS == before
    assert open_image(path).height == 32768


def test_generated_png_over_the_limit_is_too_large(tmp_path):
    path = tmp_path / "big.png"
    Image.new("RGB", (400, 300), "navy").save(path)
    with pytest.raises(ImageError, match=r"image too large: 400 x 300 pixels \(limit 100000\)$"):
        open_image(path, max_pixels=100_000)


@pytest.mark.parametrize("content, name, message", [
    ("PNG", "photo.jpg", "content is PNG but the name says .jpg"),
    ("JPEG", "photo.PNG", "content is JPEG but the name says .PNG"),
    ("GIF", "photo", "content is GIF but the name has no extension"),
])
def test_extension_must_match_content(tmp_path, content, name, message):
    path = tmp_path / name
    Image.new("RGB", (8, 8)).save(path, content)
    with pytest.raises(ImageError) as caught:
        open_image(path)
    assert caught.value.message == message
