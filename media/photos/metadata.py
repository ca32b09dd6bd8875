"""Photo credit metadata: read it from XMP, IPTC IIM and EXIF; write XMP and IPTC.

Precedence per field is XMP, then IPTC, then EXIF; disagreements between
families are reported as warnings, never fatal. This module
also holds the Pillow guard that ``media.photos.images`` shares, because it is the
lower of the two modules.
"""

from __future__ import annotations

import contextlib
import functools
import re
import struct
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from PIL import Image, ImageFile, IptcImagePlugin, UnidentifiedImageError, features

from media.errors import ImageError

DEFAULT_MAX_PIXELS = 50_000_000

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC = "http://purl.org/dc/elements/1.1/"
PHOTOSHOP = "http://ns.adobe.com/photoshop/1.0/"
IPTC_CORE = "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XPACKET_ID = "W5M0MpCehiHzreSzNTczkc9d"

# IIM datasets (record, number) and EXIF tags behind each field.
IPTC_CREDIT, IPTC_BYLINE, IPTC_COPYRIGHT, IPTC_CAPTION = (2, 110), (2, 80), (2, 116), (2, 120)
EXIF_ARTIST, EXIF_COPYRIGHT, EXIF_DESCRIPTION = 0x013B, 0x8298, 0x010E

FIELDS = ("credit", "creator", "copyright", "caption", "alt_text")
_FAMILY_LABEL = {"xmp": "XMP", "iptc": "IPTC", "exif": "EXIF"}

# What Pillow raises on odd metadata; none of it may stop a photo from being read.
METADATA_ERRORS = (OSError, ValueError, SyntaxError, EOFError, KeyError, IndexError,
                   TypeError, struct.error, UnicodeError)

# Characters XML 1.0 forbids even when escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_XML_DECLARATION = re.compile(r"^<\?xml\s[^>]*\?>")
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"),
         (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
         (b"\xfe\xff", "utf-16-be"))

_PILLOW_LOCK = threading.RLock()


@dataclass(frozen=True)
class PhotoMetadata:
    """Credit and description fields of a photo, with the family each came from."""

    credit: str | None
    creator: str | None
    copyright: str | None
    caption: str | None
    alt_text: str | None
    sources: dict[str, str]
    warnings: tuple[str, ...] = field(default=())
    # Every value found, per family; kept out of == so results compare on what was chosen.
    families: dict[str, dict[str, str]] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict:
        """Return what ``python -m media inspect --json`` prints."""
        return {"families": self.families,
                "chosen": {name: getattr(self, name) for name in FIELDS},
                "sources": self.sources, "warnings": list(self.warnings)}


@functools.cache
def allowed_formats() -> tuple[str, ...]:
    """Return the Pillow plugins allowed to open photos (MPO arrives through JPEG)."""
    formats = ("JPEG", "PNG", "WEBP", "GIF", "TIFF")
    return formats + ("AVIF",) if features.check("avif") else formats


@contextlib.contextmanager
def pillow_guard(max_pixels: int | None) -> Iterator[list[warnings.WarningMessage]]:
    """Run Pillow with a pixel limit and truncation checks; yield the warnings it emits.

    Pillow keeps both settings in module globals, so calls are serialised. A
    DecompressionBombWarning is raised as an exception; other Pillow warnings
    (corrupt EXIF and the like) are collected instead of printed.
    """
    with _PILLOW_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        saved_limit, saved_truncated = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
        Image.MAX_IMAGE_PIXELS = max_pixels
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield caught
        finally:
            Image.MAX_IMAGE_PIXELS = saved_limit
            ImageFile.LOAD_TRUNCATED_IMAGES = saved_truncated


def one_line(text: object) -> str:
    """Collapse whitespace so a message prints on one line."""
    return " ".join(str(text).split())


def read_photo_metadata(path: Path | str) -> PhotoMetadata:
    """Return the credit, creator, copyright, caption and alt text stored in a photo.

    :raises ImageError: if the file cannot be opened as an image at all.
    """
    path = Path(path)
    notes: list[str] = []
    with pillow_guard(None) as caught:
        try:
            im = Image.open(path, formats=allowed_formats())
        except UnidentifiedImageError:
            raise ImageError("not an image (or an unsupported format)", path) from None
        except FileNotFoundError:
            raise ImageError("file not found", path) from None
        except OSError as err:
            raise ImageError(f"cannot read the file ({one_line(err.strerror or err)})",
                             path) from None
        except (ValueError, SyntaxError, struct.error) as err:
            raise ImageError(f"image header is corrupt ({one_line(err)})", path) from None
        with im:
            families = _read_families(im, notes)
        notes.extend(f"metadata: {one_line(w.message)}" for w in caught)
    return _merge(families, notes)


def photo_metadata_of(im: Image.Image) -> PhotoMetadata:
    """Return the credit fields of an image already open, without reading its file again.

    Call it inside ``pillow_guard``; the warnings Pillow emits on the way are
    the caller's, so unlike ``read_photo_metadata`` they are not listed here.
    """
    notes: list[str] = []
    return _merge(_read_families(im, notes), notes)


def _read_families(im: Image.Image, notes: list[str]) -> dict[str, dict[str, str]]:
    if im.format == "PNG":
        # PNG may store XMP and EXIF after the pixel data; only a load reaches them.
        if im.width * im.height > DEFAULT_MAX_PIXELS:
            notes.append("image too large to scan for metadata after the pixel data")
        else:
            try:
                im.load()
            except METADATA_ERRORS as err:
                notes.append(f"image data unreadable, later metadata skipped ({one_line(err)})")
    xmp_raw = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
    families = {"xmp": _read_xmp(xmp_raw, notes) if xmp_raw else {}}
    try:
        families["iptc"] = _read_iptc(IptcImagePlugin.getiptcinfo(im) or {})
    except METADATA_ERRORS as err:
        notes.append(f"IPTC ignored ({one_line(err)})")
        families["iptc"] = {}
    try:
        families["exif"] = _read_exif(im.getexif())
    except METADATA_ERRORS as err:
        notes.append(f"EXIF ignored ({one_line(err)})")
        families["exif"] = {}
    return families


def _merge(families: dict[str, dict[str, str]], notes: list[str]) -> PhotoMetadata:
    chosen: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    for name in FIELDS:
        found = [(family, values[name]) for family, values in families.items()
                 if values.get(name)]
        chosen[name] = found[0][1] if found else None
        if found:
            sources[name] = found[0][0]
        if len({_comparable(value) for _, value in found}) > 1:
            listed = ", ".join(f"{_FAMILY_LABEL[family]} '{value}'" for family, value in found)
            notes.append(f"{name.replace('_', ' ')} differs: {listed}")
    return PhotoMetadata(sources=sources, warnings=tuple(notes), families=families, **chosen)


def _comparable(value: str) -> str:
    return " ".join(value.split()).casefold()


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _read_xmp(raw: bytes | str | tuple, notes: list[str]) -> dict[str, str]:
    try:
        text = raw if isinstance(raw, str) else _xmp_text(bytes(raw))
        # Packets are often padded with NULs or whitespace for in-place editing.
        text = _XML_DECLARATION.sub("", text.strip("\x00 \t\r\n\ufeff"))
        root = SafeET.fromstring(text.encode("utf-8", "replace"))
    except (SafeET.ParseError, DefusedXmlException, ValueError, UnicodeError) as err:
        notes.append(f"XMP is malformed and was ignored ({one_line(err)})")
        return {}
    descriptions = list(root.iter(f"{{{RDF}}}Description"))
    properties = {"credit": (PHOTOSHOP, "Credit"), "creator": (DC, "creator"),
                  "copyright": (DC, "rights"), "caption": (DC, "description"),
                  "alt_text": (IPTC_CORE, "AltTextAccessibility")}
    values = {}
    for name, (namespace, local) in properties.items():
        value = _xmp_property(descriptions, f"{{{namespace}}}{local}")
        if value:
            values[name] = value
    return values


def _xmp_text(data: bytes) -> str:
    """Decode an XMP packet, which may be UTF-8, UTF-16 or UTF-32 (BOM or not)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec)
    first = data.find(b"<")
    if first < 0:
        return data.decode("utf-8")
    # Without a BOM the NUL bytes around the first "<" give the encoding away.
    # Big-endian first: "\0<\0?" also looks like little-endian from the "<" on.
    if first >= 3 and data[first - 3:first] == b"\0\0\0":
        codec, start, unit = "utf-32-be", first - 3, 4
    elif data[first + 1:first + 4] == b"\0\0\0":
        codec, start, unit = "utf-32-le", first, 4
    elif first >= 1 and data[first - 1] == 0:
        codec, start, unit = "utf-16-be", first - 1, 2
    elif data[first + 1:first + 2] == b"\0":
        codec, start, unit = "utf-16-le", first, 2
    else:
        codec, start, unit = "utf-8", first, 1
    end = len(data) - (len(data) - start) % unit
    return data[start:end].decode(codec)


def _xmp_property(descriptions: list, tag: str) -> str | None:
    for description in descriptions:
        value = _clean(description.get(tag))
        if value:
            return value
        for element in description.findall(tag):
            items = [item for item in map(_clean, _rdf_items(element)) if item]
            if items:
                return "; ".join(items)
    return None


def _rdf_items(element) -> list[str]:
    """Return the text of a simple XMP property, or the items of its rdf:Seq/Bag/Alt."""
    for kind in ("Seq", "Bag", "Alt"):
        container = element.find(f"{{{RDF}}}{kind}")
        if container is None:
            continue
        items = container.findall(f"{{{RDF}}}li")
        if kind == "Alt":
            default = [li for li in items if li.get(XML_LANG, "").lower() == "x-default"]
            items = (default or items)[:1]
        return ["".join(li.itertext()) for li in items]
    return ["".join(element.itertext())]


def _decode(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _read_iptc(info: dict) -> dict[str, str]:
    datasets = {"credit": IPTC_CREDIT, "creator": IPTC_BYLINE,
                "copyright": IPTC_COPYRIGHT, "caption": IPTC_CAPTION}
    values = {}
    for name, key in datasets.items():
        raw = info.get(key)
        parts = raw if isinstance(raw, list) else [raw] if raw else []
        items = [item for item in (_clean(_decode(bytes(part))) for part in parts) if item]
        if items:
            values[name] = "; ".join(items)
    return values


def _exif_text(value: object) -> str | None:
    if isinstance(value, bytes):
        text = _decode(value)
    elif isinstance(value, str):
        # Pillow decodes EXIF ASCII as Latin-1; many tools store UTF-8 there.
        try:
            text = value.encode("latin-1").decode("utf-8")
        except UnicodeError:
            text = value
    else:
        return None
    # EXIF Copyright separates photographer and editor notices with NUL.
    items = [item for item in map(_clean, text.split("\x00")) if item]
    return "; ".join(items) or None


def _read_exif(exif: Image.Exif) -> dict[str, str]:
    tags = {"creator": EXIF_ARTIST, "copyright": EXIF_COPYRIGHT, "caption": EXIF_DESCRIPTION}
    values = {}
    for name, tag in tags.items():
        text = _exif_text(exif.get(tag))
        if text:
            values[name] = text
    return values


def _xml_text(value: str) -> str:
    return escape(_XML_INVALID.sub("", value))


def _xmp_alt(tag: str, value: str) -> str:
    return (f"   <{tag}><rdf:Alt><rdf:li xml:lang=\"x-default\">{_xml_text(value)}"
            f"</rdf:li></rdf:Alt></{tag}>\n")


def build_xmp(credit: str | None, creator: str | None, copyright: str | None,
              alt_text: str | None = None) -> bytes:
    """Return a minimal UTF-8 XMP packet carrying the given credit fields."""
    body = ""
    if credit:
        body += f"   <photoshop:Credit>{_xml_text(credit)}</photoshop:Credit>\n"
    if creator:
        body += (f"   <dc:creator><rdf:Seq><rdf:li>{_xml_text(creator)}</rdf:li></rdf:Seq>"
                 "</dc:creator>\n")
    if copyright:
        body += _xmp_alt("dc:rights", copyright)
    if alt_text:
        body += _xmp_alt("Iptc4xmpCore:AltTextAccessibility", alt_text)
    packet = (
        f"<?xpacket begin=\"\ufeff\" id=\"{XPACKET_ID}\"?>\n"
        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
        f" <rdf:RDF xmlns:rdf=\"{RDF}\">\n"
        "  <rdf:Description rdf:about=\"\"\n"
        f"    xmlns:dc=\"{DC}\"\n"
        f"    xmlns:photoshop=\"{PHOTOSHOP}\"\n"
        f"    xmlns:Iptc4xmpCore=\"{IPTC_CORE}\">\n"
        f"{body}"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        "<?xpacket end=\"w\"?>")
    return packet.encode("utf-8")


def _iim_dataset(record: int, number: int, value: bytes) -> bytes:
    if len(value) > 0x7FFF:
        raise ImageError(f"IPTC {record}:{number} value is too long ({len(value)} bytes)")
    return struct.pack(">BBBH", 0x1C, record, number, len(value)) + value


def build_iptc_app13(credit: str | None, creator: str | None,
                     copyright: str | None) -> bytes:
    """Return a JPEG APP13 payload (Photoshop 3.0, 8BIM 0x0404) with IIM credit fields.

    :raises ImageError: if a value does not fit in an IIM dataset.
    """
    # 1:90 ESC % G declares UTF-8; 2:00 is the record version (4) readers expect first.
    records = _iim_dataset(1, 90, b"\x1b%G") + _iim_dataset(2, 0, b"\x00\x04")
    for (record, number), value in sorted({IPTC_BYLINE: creator, IPTC_CREDIT: credit,
                                           IPTC_COPYRIGHT: copyright}.items()):
        if value:
            records += _iim_dataset(record, number, value.encode("utf-8"))
    resource = (b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00"  # empty, padded name
                + struct.pack(">I", len(records)) + records)
    if len(records) % 2:
        resource += b"\x00"
    return b"Photoshop 3.0\x00" + resource


def insert_jpeg_app13(jpeg_bytes: bytes, payload: bytes) -> bytes:
    """Return the JPEG with an APP13 segment holding ``payload`` after SOI and APP0/APP1.

    :raises ImageError: if the data is not a JPEG stream or the payload is too long.
    """
    if len(payload) > 0xFFFF - 2:
        raise ImageError(f"APP13 payload is too long ({len(payload)} bytes)")
    if not jpeg_bytes.startswith(b"\xff\xd8"):
        raise ImageError("not a JPEG stream (no SOI marker)")
    position = 2
    while (position + 4 <= len(jpeg_bytes) and jpeg_bytes[position] == 0xFF
           and jpeg_bytes[position + 1] in (0xE0, 0xE1)):
        (length,) = struct.unpack(">H", jpeg_bytes[position + 2:position + 4])
        if length < 2 or position + 2 + length > len(jpeg_bytes):
            raise ImageError("JPEG stream is corrupt (segment runs past the end)")
        position += 2 + length
    segment = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg_bytes[:position] + segment + jpeg_bytes[position:]
