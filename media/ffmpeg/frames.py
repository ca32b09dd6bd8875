"""Pictures ffmpeg writes to a pipe: PPM and PNG streams split into images, and showinfo's frame times."""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator

from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PPM_HEADER = re.compile(rb"P6\s(\d{1,5})\s(\d{1,5})\s(\d{1,5})\s")
_PPM_HEADER_MAX = 32
_MAX_FRAME_PIXELS = 1 << 25  # far above any poster frame: a guard, not a limit in use
_SHOWINFO = re.compile(r"\[Parsed_showinfo_\d+ @ [^\]]*\] n:\s*(\d+)\s+pts:\s*\S+\s+pts_time:(\S+)")


def showinfo_times(stderr: str) -> list[float]:
    """Return the time of each frame showinfo logged, by frame number.

    :raises ValueError: when the frame numbers are not 0, 1, 2 ... in order.
    """
    times = []
    for match in _SHOWINFO.finditer(stderr):
        if int(match[1]) != len(times):
            raise ValueError(f"showinfo logged frame {match[1]} after {len(times)} frames")
        times.append(float(match[2]))
    return times


class PpmFrames:
    """Split a stream of binary PPM images, fed in chunks of any size, into RGB images."""

    def __init__(self, on_frame) -> None:
        self._on_frame = on_frame
        self._buffer = bytearray()   # the next header, or bytes after a frame
        self._frame: bytearray | None = None
        self._filled = 0
        self._size = (0, 0)
        self.count = 0

    def feed(self, chunk: bytes) -> None:
        """Add bytes; call ``on_frame(image)`` for each image they complete.

        :raises ValueError: when the bytes are not PPM images of a sane size.
        """
        view = memoryview(chunk)
        while view:
            if self._frame is None:
                self._buffer += view
                view = memoryview(b"")
                match = _PPM_HEADER.match(self._buffer)
                if match is None:
                    if len(self._buffer) >= _PPM_HEADER_MAX or not _could_start_ppm(self._buffer):
                        raise ValueError("not a binary PPM image")
                    return
                width, height, maxval = (int(group) for group in match.groups())
                if maxval != 255 or not 0 < width * height <= _MAX_FRAME_PIXELS:
                    raise ValueError(f"unexpected PPM image {width}x{height}, maxval {maxval}")
                # Each frame's bytes are copied once, into a buffer of their own.
                self._frame, self._filled, self._size = bytearray(width * height * 3), 0, (width, height)
                view = memoryview(bytes(self._buffer[match.end():]))
                self._buffer.clear()
            taken = min(len(view), len(self._frame) - self._filled)
            self._frame[self._filled:self._filled + taken] = view[:taken]
            self._filled += taken
            view = view[taken:]
            if self._filled == len(self._frame):
                image = Image.frombuffer("RGB", self._size, self._frame, "raw", "RGB", 0, 1)
                self._frame = None
                self.count += 1
                self._on_frame(image)

    def finish(self) -> None:
        """Check the stream ended after a whole image.

        :raises ValueError: when bytes of an unfinished image are left over.
        """
        if self._buffer or self._frame is not None:
            raise ValueError("the stream ended inside an image")


def _could_start_ppm(data: bytearray) -> bool:
    return bytes(data[:2]) == b"P6"[:len(data)] and all(
        c in b"0123456789 \t\r\n" for c in data[2:])


def split_pngs(data: bytes) -> Iterator[bytes]:
    """Yield each PNG of a stream of concatenated PNG files."""
    pos = 0
    while data.startswith(PNG_SIGNATURE, pos):
        end = pos + len(PNG_SIGNATURE)
        while end + 8 <= len(data):
            length, kind = struct.unpack(">I4s", data[end:end + 8])
            end += 12 + length
            if kind == b"IEND":
                break
        yield data[pos:end]
        pos = end
