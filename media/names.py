"""Names and media types of prepared files: one list for the library, gc, the media view and nginx.

Every prepared file is named ``<content hash>[-<part>].<extension>``, such
as ``3f0c...e1.mp4``, ``3f0c...e1-640.webp`` or ``3f0c...e1-og.jpg``.
"""

from __future__ import annotations

import re

# The files the site serves, by extension (deploy/mime.conf and
# deploy/media-direct.conf agree with this; a test checks them).
MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".webm": "video/webm",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".vtt": "text/vtt",
}
# A clip's sidecar: kept beside its outputs, never served.
SIDECAR_EXTENSION = ".json"

_HASH = r"[0-9a-f]{16,64}"
_SERVED = "|".join(re.escape(extension[1:]) for extension in MEDIA_TYPES)
# The pattern as nginx's location needs it (no named groups, no anchors).
SERVED_PATTERN = rf"{_HASH}(?:-[0-9a-z]+)?\.(?:{_SERVED})"
# Names are checked with fullmatch; \A and \Z keep a .match() as strict, since "$"
# also matches before a final newline and would let "<name>.mp4\n" through.
SERVED_NAME = re.compile(rf"\A{SERVED_PATTERN}\Z")
# Everything ingest writes, with the content hash as group 1.
OUTPUT_NAME = re.compile(rf"\A({_HASH})(?:-[0-9a-z]+)?\.(?:{_SERVED}|{SIDECAR_EXTENSION[1:]})\Z")
# media.files.atomic_output's temporaries: ".<output stem>.<random><suffix>" (a prefix match).
TEMPORARY_NAME = re.compile(rf"\A\.{_HASH}[-.]")
