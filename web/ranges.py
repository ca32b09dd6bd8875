"""Files over HTTP: conditional requests and byte ranges (RFC 9110), sent with seek + wsgi.file_wrapper.

Range choices: a malformed ``Range`` or ``If-Range`` is ignored (full ``200``);
ranges that overlap are ignored too, as RFC 9110 allows for a header that looks
like an attack; several ranges become a ``multipart/byteranges`` response;
more than ``MAX_RANGES`` ranges is a ``400``.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import BinaryIO

from flask import Response, request
from werkzeug.datastructures import EnvironHeaders, ETags
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    PreconditionFailed,
    RequestedRangeNotSatisfiable,
)
from werkzeug.http import http_date, parse_date, parse_etags
from werkzeug.utils import get_content_type
from werkzeug.wsgi import wrap_file

from web import compression
from web.errors import WebError

BUFFER_SIZE = 256 * 1024
DEFAULT_MAX_RANGES = 8
_RANGE_SPEC = re.compile(r"([0-9]*)-([0-9]*)")


class RangeRequestError(WebError, ValueError):
    """A Range header asking for more ranges than a client ever needs: refused with 400."""


@dataclass(frozen=True)
class ByteRange:
    """An inclusive byte range of a representation."""

    start: int
    end: int

    @property
    def length(self) -> int:
        """Return the number of bytes in the range."""
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        """Return the Content-Range value of this range of a ``size``-byte representation."""
        return f"bytes {self.start}-{self.end}/{size}"


# Ours rather than werkzeug.http.parse_range_header, which refuses a header
# with empty list elements ("bytes=0-1,,5-9", valid per RFC 9110 5.6.1) and
# reads "bytes=-0" as no range (200) instead of an unsatisfiable one (416);
# Response.make_conditional also serves one range only, where we send several.
def parse_range(header: str | None, size: int, max_ranges: int = DEFAULT_MAX_RANGES
                ) -> list[ByteRange] | None:
    """Return the satisfiable ranges of a Range header: None to ignore it, [] for a 416.

    :raises RangeRequestError: the header lists more than ``max_ranges`` ranges.
    """
    if not header or size == 0:
        return None
    unit, sep, spec_list = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    # RFC 9110 5.6.1: empty list elements are allowed and not counted.
    specs = [spec.strip(" \t") for spec in spec_list.split(",")]
    specs = [spec for spec in specs if spec]
    if not specs:
        return None
    if len(specs) > max_ranges:
        raise RangeRequestError(f"{len(specs)} ranges requested, at most {max_ranges} are served")
    ranges = []
    for spec in specs:
        found = _RANGE_SPEC.fullmatch(spec)
        if not found or found.group(1) == found.group(2) == "":
            return None
        first, last = found.groups()
        if first == "":
            suffix = int(last)
            if suffix > 0:
                ranges.append(ByteRange(max(0, size - suffix), size - 1))
            continue
        start = int(first)
        if last != "" and int(last) < start:
            return None
        if start < size:
            ranges.append(ByteRange(start, size - 1 if last == "" else min(int(last), size - 1)))
    ordered = sorted(ranges, key=lambda r: r.start)
    if any(b.start <= a.end for a, b in itertools.pairwise(ordered)):
        return None
    return ranges


def file_etag(st: os.stat_result) -> str:
    """Return a strong ETag from a file's mtime and size, in nginx's format so both agree."""
    return f'"{int(st.st_mtime):x}-{st.st_size:x}"'


def variant_etag(etag: str, encoding: str) -> str:
    """Return the ETag of the ``encoding``-compressed form of a representation."""
    return etag if encoding == "identity" else f'{etag[:-1]}-{encoding}"'


def if_range_allows(value: str | None, etag: str, last_modified: int) -> bool:
    """Return True when an If-Range value (absent, entity-tag or date) still matches the file."""
    if value is None:
        return True
    value = value.strip()
    if value.startswith(('"', "W/")):
        # Strong comparison: a weak tag never matches.
        return value == etag
    date = parse_date(value)
    return date is not None and int(date.timestamp()) == last_modified


def precondition_status(headers, etags: tuple[str, ...], last_modified: int | None) -> int | None:
    """Return 412 or 304 when the request's preconditions say so (RFC 9110 13.2.2), else None.

    ``etags`` are the strong tags that stand for the selected representation.
    """
    if_match = headers.get("If-Match")
    if if_match is not None:
        wanted = parse_etags(if_match)
        if not (wanted.star_tag or any(wanted.contains(tag.strip('"')) for tag in etags)):
            return 412
    elif last_modified is not None and headers.get("If-Unmodified-Since"):
        date = parse_date(headers["If-Unmodified-Since"])
        if date is not None and last_modified > int(date.timestamp()):
            return 412
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        if etags_match_weakly(parse_etags(if_none_match), etags):
            return 304
    elif last_modified is not None and headers.get("If-Modified-Since"):
        date = parse_date(headers["If-Modified-Since"])
        if date is not None and last_modified <= int(date.timestamp()):
            return 304
    return None


def etags_match_weakly(wanted: ETags, etags: tuple[str, ...]) -> bool:
    """Return True when any of ``etags`` is in an If-None-Match list (weak comparison)."""
    return wanted.star_tag or any(wanted.contains_weak(tag.strip('"')) for tag in etags)


def open_regular_file(path: Path) -> tuple[BinaryIO, os.stat_result] | None:
    """Open a regular file that is not a symlink; None when it is missing or anything else."""
    def nofollow(name, flags):
        return os.open(name, flags | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    try:
        # O_NOFOLLOW: a symlink planted in a served folder never leads out of it.
        # O_NONBLOCK: opening a FIFO must not hang the worker; it is refused below.
        handle = open(path, "rb", opener=nofollow)  # noqa: SIM115 - the response closes it
    except (OSError, ValueError):
        return None
    st = os.fstat(handle.fileno())
    if not stat.S_ISREG(st.st_mode):
        handle.close()
        return None
    return handle, st


class FileSlice:
    """``length`` bytes of an open file from ``start``: read() for any server, fileno() for sendfile."""

    def __init__(self, handle: BinaryIO, start: int, length: int):
        self._handle = handle
        self._remaining = length
        # gunicorn's sendfile starts at the descriptor's position and sends Content-Length bytes.
        handle.seek(start)

    def read(self, size: int = -1) -> bytes:
        """Return the next bytes of the slice, at most ``size``."""
        if self._remaining <= 0:
            return b""
        size = self._remaining if size < 0 else min(size, self._remaining)
        data = self._handle.read(size)
        self._remaining -= len(data)
        return data

    def fileno(self) -> int:
        """Return the file descriptor, for the server's sendfile."""
        return self._handle.fileno()

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the file position (socket.sendfile puts it after the bytes it sent)."""
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        """Return the file position."""
        return self._handle.tell()

    def close(self) -> None:
        """Close the file."""
        self._handle.close()

    def __del__(self) -> None:
        # A server should close() the body. Werkzeug's development server
        # (3.1) does not when a client resets the connection just after the
        # response: its drain of the request raises first. A player aborting
        # a download it no longer wants does that; 20 of 20 such requests
        # left their file to the garbage collector before this.
        self._handle.close()


@dataclass
class FileAnswer:
    """What to send for a file: status, headers and body, or an error for the app's error page."""

    status: int
    headers: list[tuple[str, str]]
    body: Iterable[bytes] = ()
    error: HTTPException | None = None

    def status_line(self) -> str:
        """Return the WSGI status line."""
        return f"{self.status} {HTTPStatus(self.status).phrase}"


def answer_file(environ: dict, handle: BinaryIO, st: os.stat_result, mimetype: str, cache_control: str,
                *, max_ranges: int = DEFAULT_MAX_RANGES,
                compressed: Callable[[str], bytes] | None = None) -> FileAnswer:
    """Answer a WSGI request for an open file: 200, 206 or 304, else an error; ``handle`` is closed when done.

    ``compressed(encoding)`` returns the file's bytes in that encoding, for text
    files a client may receive compressed when it asks for the whole file.
    """
    request_headers = EnvironHeaders(environ)
    head = environ["REQUEST_METHOD"] == "HEAD"
    size, last_modified = st.st_size, int(st.st_mtime)
    etag = file_etag(st)
    headers = [("Accept-Ranges", "bytes"), ("Cache-Control", cache_control),
               ("Last-Modified", http_date(last_modified))]
    range_header = environ.get("HTTP_RANGE")
    encoding = "identity"
    if compressed is not None:
        headers.append(("Vary", "Accept-Encoding"))
        # A range always counts bytes of the file itself, never of a compressed copy.
        if range_header is None and size >= compression.MIN_BYTES:
            encoding = compression.negotiate(environ.get("HTTP_ACCEPT_ENCODING"))
    headers.append(("ETag", variant_etag(etag, encoding)))
    status = precondition_status(request_headers, (headers[-1][1],), last_modified)
    if status is not None:
        handle.close()
        return FileAnswer(304, headers) if status == 304 else FileAnswer(412, [], error=PreconditionFailed())
    headers.append(("Content-Type", get_content_type(mimetype, "utf-8")))
    if encoding != "identity":
        try:
            body = compressed(encoding)
        finally:
            handle.close()
        headers += [("Content-Encoding", encoding), ("Content-Length", str(len(body)))]
        return FileAnswer(200, headers, () if head else (body,))
    ranges = None
    if range_header is not None and if_range_allows(environ.get("HTTP_IF_RANGE"), etag, last_modified):
        try:
            ranges = parse_range(range_header, size, max_ranges)
        except RangeRequestError as error:
            handle.close()
            return FileAnswer(400, [], error=BadRequest(str(error)))
    if ranges == []:
        handle.close()
        return FileAnswer(416, [], error=RequestedRangeNotSatisfiable(length=size))
    if ranges is None or len(ranges) == 1:
        part = ranges[0] if ranges else ByteRange(0, size - 1)
        if ranges:
            headers.append(("Content-Range", part.content_range(size)))
        headers.append(("Content-Length", str(part.length if size else 0)))
        if head or size == 0:
            handle.close()
            return FileAnswer(206 if ranges else 200, headers)
        body = wrap_file(environ, FileSlice(handle, part.start, part.length), BUFFER_SIZE)
        return FileAnswer(206 if ranges else 200, headers, body)
    return _multipart(handle, ranges, size, headers, head)


def send_file(handle: BinaryIO, st: os.stat_result, mimetype: str, cache_control: str, *,
              max_ranges: int = DEFAULT_MAX_RANGES,
              compressed: Callable[[str], bytes] | None = None) -> Response:
    """Return the Flask response to the current request for an open file, as ``answer_file`` decides."""
    answer = answer_file(request.environ, handle, st, mimetype, cache_control, max_ranges=max_ranges,
                         compressed=compressed)
    if answer.error is not None:
        raise answer.error
    return Response(answer.body, answer.status, answer.headers, direct_passthrough=True)


def _multipart(handle: BinaryIO, ranges: list[ByteRange], size: int, headers: list, head: bool
               ) -> FileAnswer:
    boundary = secrets.token_hex(16)
    content_type = dict(headers)["Content-Type"]
    heads = [(f"\r\n--{boundary}\r\nContent-Type: {content_type}\r\n"
              f"Content-Range: {part.content_range(size)}\r\n\r\n").encode("ascii") for part in ranges]
    tail = f"\r\n--{boundary}--\r\n".encode("ascii")
    length = sum(len(head) + part.length for head, part in zip(heads, ranges, strict=True)) + len(tail)
    headers = [(name, value) for name, value in headers if name != "Content-Type"]
    headers += [("Content-Type", f"multipart/byteranges; boundary={boundary}"), ("Content-Length", str(length))]
    if head:
        handle.close()
        return FileAnswer(206, headers)
    return FileAnswer(206, headers, _MultipartBody(handle, heads, ranges, tail))


class _MultipartBody:
    """The parts of a multipart/byteranges body, read from the file one range at a time."""

    def __init__(self, handle: BinaryIO, heads: list[bytes], ranges: list[ByteRange], tail: bytes):
        self._handle, self._heads, self._ranges, self._tail = handle, heads, ranges, tail

    def __iter__(self) -> Iterator[bytes]:
        for head, part in zip(self._heads, self._ranges, strict=True):
            yield head
            # Not a FileSlice: closing the file when one part is done would end the others.
            self._handle.seek(part.start)
            remaining = part.length
            while remaining > 0 and (chunk := self._handle.read(min(BUFFER_SIZE, remaining))):
                remaining -= len(chunk)
                yield chunk
        yield self._tail

    def close(self) -> None:
        """Close the file."""
        self._handle.close()

    def __del__(self) -> None:
        # as FileSlice.__del__: for a server that never calls close()
        self._handle.close()
