"""Compression of text responses: which encoding a client accepts, and gzip or brotli bytes."""

from __future__ import annotations

import functools
import gzip

import brotli
from flask import request
from werkzeug.http import parse_accept_header

COMPRESSIBLE = frozenset({
    "text/html", "text/css", "text/javascript", "application/javascript", "text/vtt",
    "text/plain", "application/json", "application/ld+json", "application/xml", "text/xml",
    "application/rss+xml", "application/atom+xml", "image/svg+xml",
})
# Below this the encoding's own header costs more than it saves.
MIN_BYTES = 256
# Preferred first: brotli is smaller at the same speed when the work is done once.
ENCODINGS = ("br", "gzip")


def is_compressible(mimetype: str | None) -> bool:
    """Return True when a response of this media type is text worth compressing."""
    return (mimetype or "").split(";", 1)[0].strip().lower() in COMPRESSIBLE


@functools.lru_cache(maxsize=128)
def negotiate(accept_encoding: str | None) -> str:
    """Return "br", "gzip" or "identity": the best encoding an Accept-Encoding header allows."""
    # Werkzeug weighs each name against "*" as RFC 9110 says; among the
    # encodings the client accepts at all, ours are tried in our order.
    accepted = parse_accept_header(accept_encoding)
    for encoding in ENCODINGS:
        if accepted[encoding] > 0:
            return encoding
    return "identity"


def compress(data: bytes, encoding: str, best: bool = False) -> bytes:
    """Return ``data`` in ``encoding``; ``best`` spends more time for bytes that are sent many times."""
    if encoding == "br":
        return brotli.compress(data, quality=11 if best else 5)
    if encoding == "gzip":
        # mtime=0: the same page gives the same bytes, so its ETag stays put.
        return gzip.compress(data, compresslevel=9 if best else 6, mtime=0)
    return data


def compress_response(response):
    """Compress a rendered text response for the client, and say it varies by Accept-Encoding."""
    if (response.direct_passthrough or response.is_streamed or response.status_code in (204, 206, 304)
            or "Content-Encoding" in response.headers or not is_compressible(response.mimetype)):
        return response
    response.vary.add("Accept-Encoding")
    encoding = negotiate(request.headers.get("Accept-Encoding"))
    data = response.get_data()
    if encoding == "identity" or len(data) < MIN_BYTES:
        return response
    response.set_data(compress(data, encoding))
    response.headers["Content-Encoding"] = encoding
    return response
