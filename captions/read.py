"""Read WebVTT, SRT and SBV caption files into a CaptionTrack.

Decoding, the check for binary junk and the checks on cue timings are ours;
webvtt-py does the parsing. webvtt-py skips cues it cannot read without
saying so, so the timing lines are checked here first: a caption that would
silently vanish is an accessibility bug, so we refuse the file and name the
line instead.
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from captions.errors import CaptionError, location
from captions.models import CaptionTrack, Cue
from captions.timecodes import (
    LENIENT_WEBVTT_TIME,
    SBV_TIME,
    SRT_TIME,
    lenient_webvtt_time_in_range,
    srt_timestamp_millis,
)

MAX_CAPTION_BYTES = 5 * 1024 * 1024
FORMATS = {".vtt": "vtt", ".srt": "srt", ".sbv": "sbv"}
_FORMAT_NAMES = {"vtt": "WebVTT", "srt": "SRT", "sbv": "SBV"}

# the UTF-32 LE mark starts with the UTF-16 LE one, so UTF-32 is tried first
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# C0 controls other than tab, LF, FF and CR never occur in caption text
_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_ESCAPED_BYTE = re.compile(r"[\udc80-\udcff]")

_VTT_SIGNATURE = re.compile(r"WEBVTT(?:[ \t].*)?")
_VTT_TIMING = re.compile(rf"\s*({LENIENT_WEBVTT_TIME})\s*-->\s*({LENIENT_WEBVTT_TIME})")
_VTT_BLOCK_KEYWORD = re.compile(r"(?:NOTE|STYLE|REGION)(?:[ \t]|$)")
_SRT_TIMING = re.compile(rf"\s*({SRT_TIME})\s*-->\s*({SRT_TIME})(?:\s|$)")
_SRT_INDEX = re.compile(r"\s*[0-9]+\s*")
_SBV_TIMING = re.compile(rf"\s*({SBV_TIME}),({SBV_TIME})")
_LOOKS_LIKE_TIME = re.compile(r"\s*\d+:\d")


def caption_format(path: str | os.PathLike[str]) -> str:
    """Return 'vtt', 'srt' or 'sbv' from a file name's extension.

    :raises CaptionError: for any other extension
    """
    suffix = Path(path).suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    found = f"'{suffix}'" if suffix else "without an extension"
    raise CaptionError(
        f"unsupported caption format {found} (use .vtt, .srt or .sbv)", path)


def load_captions(path: str | os.PathLike[str]) -> CaptionTrack:
    """Read a .vtt, .srt or .sbv file into a CaptionTrack with at least one cue.

    :raises CaptionError: if the file cannot be read, is not captions or has no cues
    """
    path = Path(path)
    fmt = caption_format(path)
    text, encoding, warnings = _decode(_read_bytes(path), path)
    track = parse_captions(text, fmt, path)
    return replace(track, encoding=encoding, warnings=warnings + track.warnings)


def read_caption_text(path: str | os.PathLike[str]) -> tuple[str, str, tuple[str, ...]]:
    """Return a caption file's decoded text, the encoding used and any warning.

    Honours a UTF-8/16/32 byte order mark, else reads UTF-8, else falls back
    to Windows-1252 with a warning naming the file.

    :raises CaptionError: if the file cannot be read or is too large
    """
    path = Path(path)
    return _decode(_read_bytes(path), path)


def parse_captions(text: str, fmt: str, path: Path | None = None) -> CaptionTrack:
    """Parse decoded caption text in format 'vtt', 'srt' or 'sbv'.

    :raises CaptionError: if the text is not captions in that format or has no cues
    """
    if fmt not in _FORMAT_NAMES:
        raise CaptionError(
            f"unsupported caption format {fmt!r} (use vtt, srt or sbv)", path)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if _BINARY.search(text):
        raise CaptionError("not a caption file: binary content", path)
    if not text.strip():
        raise CaptionError("no cues found: the file is empty", path)
    lines = text.split("\n")
    # the SRT preparation rewrites ``lines``; timing line numbers refer to these
    source = lines
    warnings: tuple[str, ...] = ()
    if fmt == "vtt":
        warnings = _check_vtt(lines, path)
        timing_lines = [n for n, line in enumerate(lines, 1) if "-->" in line]
    elif fmt == "srt":
        lines, timing_lines = _prepare_srt(lines, path)
    else:
        _check_sbv(lines, path)
        timing_lines = [n for n, block in _blocks(lines)]
    try:
        parsed = webvtt.WebVTT.from_buffer(io.StringIO("\n".join(lines)),
                                           format=fmt)
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise _from_webvtt_error(exc, fmt, path) from None
    except (UnicodeError, ValueError, IndexError) as exc:
        # IndexError too: the format sniffers index lines directly
        raise CaptionError(f"cannot read captions: {exc}", path) from None
    # every timing line was checked above, so webvtt-py reads one cue per
    # line, except that it drops SRT and SBV cues without text
    dropped: list[Cue] = []
    if len(timing_lines) != len(parsed.captions) and fmt != "vtt":
        timing_lines, dropped = _align_dropped(parsed.captions, timing_lines, source, fmt)
    # should it skip any other, line numbers are left out rather than wrong
    if len(timing_lines) != len(parsed.captions):
        timing_lines, dropped = [None] * len(parsed.captions), []
    all_cues = list(_to_cues(parsed.captions, timing_lines))
    # a cue without text shows nothing, whatever its format allows
    cues = tuple(cue for cue in all_cues if cue.text.strip())
    if not cues:
        raise CaptionError("no cues found", path)
    empty = sorted([*dropped, *(cue for cue in all_cues if not cue.text.strip())],
                   key=lambda cue: cue.line or 0)
    return CaptionTrack(path=path if path is not None else Path("<string>"),
                        format=fmt, cues=cues, encoding="utf-8",
                        warnings=warnings + _order_warnings(cues, path),
                        empty_cues=tuple(empty))


def _read_bytes(path: Path) -> bytes:
    """Return the bytes of a caption file no larger than MAX_CAPTION_BYTES."""
    try:
        with path.open("rb") as file:
            # a bounded read also stops at the limit for pipes and devices
            data = file.read(MAX_CAPTION_BYTES + 1)
    except OSError as exc:
        raise CaptionError(f"cannot read file: {exc.strerror or exc}", path) from None
    if len(data) > MAX_CAPTION_BYTES:
        raise CaptionError(
            f"caption file too large (the limit is "
            f"{MAX_CAPTION_BYTES // (1024 * 1024)} MB)", path)
    return data


def _decode(data: bytes, path: Path) -> tuple[str, str, tuple[str, ...]]:
    """Return the text, the encoding used and any warning about the guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), encoding, ()
            except UnicodeDecodeError as exc:
                raise CaptionError(
                    f"not valid {encoding.upper()} text after its byte order mark "
                    f"(byte {exc.start + len(bom)})", path) from None
    try:
        return data.decode("utf-8"), "utf-8", ()
    except UnicodeDecodeError:
        pass
    # bytes Windows-1252 leaves undefined become C1 controls, as in browsers
    text = data.decode("cp1252", errors="surrogateescape")
    text = _ESCAPED_BYTE.sub(lambda m: chr(ord(m[0]) - 0xDC00), text)
    return text, "windows-1252", (f"{path}: not UTF-8, read as Windows-1252",)


def _quote(line: str) -> str:
    """Return a short one-line quotation of file content for a message."""
    line = line.strip(" \t")
    return repr(line if len(line) <= 60 else line[:57] + "...")


def _blocks(lines: list[str], vtt: bool = False) -> Iterator[tuple[int, list[str]]]:
    """Yield each block of lines between blank lines with its first line number."""
    block: list[str] = []
    first = 0
    for number, line in enumerate(lines, 1):
        # WebVTT ends a block only at an empty line; SRT and SBV at a blank one
        if line if vtt else line.strip():
            if not block:
                first = number
            block.append(line)
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def _check_vtt(lines: list[str], path: Path | None) -> tuple[str, ...]:
    """Refuse WebVTT text without the signature, with bad timings or lost text.

    Stray text before the first cue is only a warning: it is usually a note
    written without NOTE. After a cue it is caption text that would vanish.
    """
    if not _VTT_SIGNATURE.fullmatch(lines[0]):
        raise CaptionError(
            f"not a WebVTT file: the first line must be 'WEBVTT', found "
            f"{_quote(lines[0])}", path, 1)
    for number, line in enumerate(lines, 1):
        if "-->" in line:
            match = _VTT_TIMING.match(line)
            if not match or not all(lenient_webvtt_time_in_range(t) for t in match.groups()):
                raise CaptionError(f"invalid cue timings {_quote(line)}", path, number)
    warnings = []
    seen_cue = False
    for index, (number, block) in enumerate(_blocks(lines, vtt=True)):
        if any("-->" in line for line in block):
            seen_cue = True
        elif (index == 0 or _VTT_BLOCK_KEYWORD.match(block[0])
              or not "".join(block).strip()):
            continue
        elif seen_cue:
            raise CaptionError(
                f"text outside any cue (missing cue timings?): {_quote(block[0])}",
                path, number)
        else:
            warnings.append(f"{location(path, number)}: text before the first cue "
                            f"is ignored: {_quote(block[0])}")
    return tuple(warnings)


def _prepare_srt(lines: list[str], path: Path | None) -> tuple[list[str], list[int]]:
    """Refuse SRT text with bad or missing timings; number unnumbered cues.

    Returns the lines for webvtt-py and the source line of each cue's timings.
    """
    if not any("-->" in line for line in lines):
        raise CaptionError("not a caption file: no cue timings found", path)
    first_line = next(line for line in lines if line.strip())
    if "-->" not in first_line and not _SRT_INDEX.fullmatch(first_line):
        raise CaptionError(
            f"expected a cue number or cue timings, found {_quote(first_line)}",
            path, lines.index(first_line) + 1)
    last_index: int | None = None
    for number, block in _blocks(lines):
        if (_SRT_INDEX.fullmatch(block[0]) and len(block) > 1
                and "-->" not in block[1]
                and (last_index is None or int(block[0]) == last_index + 1)):
            raise CaptionError(
                f"cue {block[0].strip()} has no timings, found {_quote(block[1])}",
                path, number + 1)
        for line, following in zip(block, block[1:], strict=False):
            if _SRT_INDEX.fullmatch(line) and "-->" in following:
                last_index = int(line)
    prepared: list[str] = []
    timing_lines: list[int] = []
    for number, line in enumerate(lines, 1):
        if "-->" in line:
            if not _SRT_TIMING.match(line):
                raise CaptionError(f"invalid cue timings {_quote(line)}", path, number)
            timing_lines.append(number)
            # webvtt-py only reads numbered cues, and many files leave the numbers out
            if prepared and _SRT_INDEX.fullmatch(prepared[-1]):
                prepared[-1] = prepared[-1].strip()
            else:
                if prepared and prepared[-1].strip():
                    prepared.append("")
                prepared.append(str(number))
        prepared.append(line)
    # webvtt-py expects the first cue number on the very first line
    while not prepared[0].strip():
        prepared.pop(0)
    return prepared, timing_lines


def _check_sbv(lines: list[str], path: Path | None) -> None:
    """Refuse SBV text whose blocks do not start with readable timings."""
    if not any(_SBV_TIMING.match(line) for line in lines):
        raise CaptionError("not a caption file: no cue timings found", path)
    for number, block in _blocks(lines):
        if _SBV_TIMING.match(block[0]):
            continue
        if _LOOKS_LIKE_TIME.match(block[0]):
            raise CaptionError(f"invalid cue timings {_quote(block[0])}", path, number)
        raise CaptionError(f"expected cue timings, found {_quote(block[0])}",
                           path, number)


def _from_webvtt_error(exc: Exception, fmt: str, path: Path | None) -> CaptionError:
    """Return a CaptionError for a webvtt-py error, keeping any line number."""
    detail = str(exc)
    match = re.search(r"\bline (\d+)", detail)
    line = int(match[1]) if match else None
    if detail == "Invalid format":
        detail = f"its first lines are not a {_FORMAT_NAMES[fmt]} cue"
    return CaptionError(f"not a valid {_FORMAT_NAMES[fmt]} file: {detail}", path, line)


def _to_cues(captions: list[webvtt.Caption],
             timing_lines: list[int] | list[None]) -> Iterator[Cue]:
    """Yield a Cue for each webvtt-py caption, in file order, empty ones included."""
    for caption, line in zip(captions, timing_lines, strict=False):
        yield Cue(start=caption.start_time.in_milliseconds() / 1000,
                  end=caption.end_time.in_milliseconds() / 1000,
                  text=caption.raw_text,
                  identifier=caption.identifier or None,
                  line=line,
                  settings=str(caption.settings) if caption.settings else "")


def _align_dropped(captions: list[webvtt.Caption], timing_lines: list[int],
                   source: list[str], fmt: str) -> tuple[list[int], list[Cue]]:
    """Return the timing line of each parsed caption and the cues webvtt-py dropped.

    webvtt-py keeps the order of the cues it reads, so walking the timing
    lines alongside them pairs each caption with the first line carrying its
    timings; a line without a partner is a cue dropped for having no text.
    Returns no lines at all if the two cannot be paired.
    """
    pattern = _SRT_TIMING if fmt == "srt" else _SBV_TIMING
    kept: list[int] = []
    dropped: list[Cue] = []
    position = 0
    for number in timing_lines:
        match = pattern.match(source[number - 1])
        if match is None:
            return [], []
        start, end = (srt_timestamp_millis(time) for time in match.groups())
        if (position < len(captions)
                and captions[position].start_time.in_milliseconds() == start
                and captions[position].end_time.in_milliseconds() == end):
            kept.append(number)
            position += 1
        else:
            dropped.append(Cue(start=start / 1000, end=end / 1000, text="", line=number))
    return (kept, dropped) if position == len(captions) else ([], [])


def _order_warnings(cues: tuple[Cue, ...], path: Path | None) -> tuple[str, ...]:
    """Return a warning for each cue that ends before it starts."""
    where = location(path, None)
    prefix = f"{where}: " if where else ""
    return tuple(
        f"{prefix}cue {number} ends before it starts "
        f"({cue.start:.3f}s --> {cue.end:.3f}s) and will never be shown"
        for number, cue in enumerate(cues, 1) if cue.end < cue.start)
