"""Read the top-level box (atom) layout of an MP4 file."""

from __future__ import annotations

import struct
from pathlib import Path

from media.errors import MediaError


def top_level_boxes(path: Path | str) -> list[str]:
    """Return the types of the top-level boxes of an MP4/MOV file, in order.

    :raises MediaError: when a box header is truncated or its size is invalid.
    """
    path = Path(path)
    boxes = []
    with path.open("rb") as f:
        end = f.seek(0, 2)
        offset = 0
        while offset < end:
            f.seek(offset)
            header = f.read(8)
            if len(header) < 8:
                raise MediaError(f"truncated MP4 box header at byte {offset}", path)
            size, kind = struct.unpack(">I4s", header)
            if size == 1:  # a 64-bit size follows the type
                large = f.read(8)
                if len(large) < 8:
                    raise MediaError(f"truncated MP4 box header at byte {offset}", path)
                size = struct.unpack(">Q", large)[0]
            elif size == 0:  # the box runs to the end of the file
                size = end - offset
            if size < 8:
                raise MediaError(f"invalid MP4 box size {size} at byte {offset}", path)
            if offset + size > end:
                raise MediaError(f"MP4 box '{kind.decode('latin-1')}' runs past the end of the "
                                 "file: truncated", path)
            boxes.append(kind.decode("latin-1"))
            offset += size
    return boxes


def moov_before_mdat(path: Path | str) -> bool:
    """Return True when the index (moov) comes before the media data (mdat)."""
    boxes = top_level_boxes(path)
    if "moov" not in boxes or "mdat" not in boxes:
        return False
    return boxes.index("moov") < boxes.index("mdat")
