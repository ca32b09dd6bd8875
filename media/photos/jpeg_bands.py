"""Resize a JPEG while it decodes: the thumbnail is ready moments after the last row.

A JPEG without restart markers decodes on one core, top to bottom, and the
decode is most of a thumbnail's cost. Pillow's LANCZOS resize is two passes:
horizontal over every needed row, then vertical. Here a second thread follows
libjpeg down the picture: newly finished rows go through the horizontal pass,
and each strip of output rows gets its vertical pass as soon as the rows under
its filter are in. The pixels are those of ``Image.resize`` on the decoded
picture run horizontal pass first: the same coefficients, the same rounding
between the passes. (For some tall shapes Pillow runs the vertical pass
first, which differs only where LANCZOS overshoot is clipped in between.)
Several sizes are made in the same pass.

libjpeg also shrinks inside its inverse DCT, by 8/8, 4/8, 3/8, 2/8 or 1/8
here: ``Image.draft`` offers only the powers of two, and 3/8 often leaves the
resize a third less work at the same quality. Only libjpeg-turbo (Pillow's
own wheels) rounds 1/3 to 3/8; with another libjpeg, 3/8 is not used.

Finished rows are found by the pad byte of Pillow's four-byte RGB pixels,
which libjpeg's rows set. On x86 one core's stores reach another in program
order, so the follower looks at rows while libjpeg writes the ones below.
Elsewhere rows are looked at only between calls into libjpeg, each given a
block of the file, which costs about a tenth of a millisecond per block.

Only plain JPEGs stream (decoded to RGB, no colour profile); ``can_stream``
says which, and everything else decodes as usual.
"""

from __future__ import annotations

import functools
import io
import math
import platform
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

from PIL import Image, ImageFile, features

# Whether the follower may read rows while libjpeg writes: only where stores
# are seen in program order (x86's memory model).
FOLLOW = platform.machine().lower() in {"x86_64", "amd64", "i386", "i686", "x86"}
# Seconds the follower waits when no new row is in.
POLL = 0.0005
# The fewest rows, as a share of the picture, the follower resizes at once:
# each call works out LANCZOS's coefficients again, and smaller bands spend
# more time passing the GIL between the two threads.
BAND_ROWS = 1 / 32
# Bytes read from the file per call into libjpeg when followed.
READ = 256 * 1024
# Otherwise, bytes per call, each ending with a look at the rows it finished.
# Larger blocks mean fewer, larger bands; about 30 per 12 MP photo.
BLOCK = 128 * 1024
# Output strips for the vertical pass: the last one is the only work left
# when the decoder finishes.
STRIPS = 8
_LANCZOS_SUPPORT = 3.0
# An RGB pixel is four bytes in Pillow; libjpeg's rows are written with the
# fourth set to 255, a new image has it 0. That byte shows which rows are in.
_UNWRITTEN = 0
# Pillow passes 1/denominator to libjpeg, which rounds it up to the next
# eighth it can do: 1/3 becomes 3/8 in libjpeg-turbo.
_DENOMINATOR = {8: 1, 4: 2, 3: 3, 2: 4, 1: 8}
if not features.check_feature("libjpeg_turbo"):
    del _DENOMINATOR[3]


def shrink_for(size: tuple[int, int], needed: tuple[int, int]) -> int:
    """Return the fewest eighths (8, 4, 3, 2 or 1) that still decode ``size`` to ``needed``."""
    fits = [eighths for eighths in _DENOMINATOR
            if all(got >= want for got, want in zip(scaled_size(size, eighths), needed, strict=True))]
    return min(fits, default=8)


def scaled_size(size: tuple[int, int], eighths: int) -> tuple[int, int]:
    """Return the size libjpeg decodes ``size`` to at ``eighths``/8 (it rounds up)."""
    return tuple(math.ceil(side * eighths / 8) for side in size)


def can_stream(im: ImageFile.ImageFile) -> bool:
    """Return True when ``im`` (opened, not loaded or drafted) is a JPEG this module can decode."""
    return (im.format == "JPEG" and im.mode == "RGB" and len(im.tile) == 1
            and im.tile[0].codec_name == "jpeg" and im.fp is not None and not im.decoderconfig
            and not im.info.get("icc_profile") and _rows_are_trackable())


@functools.cache
def _rows_are_trackable() -> bool:
    """Return True when a new image's pad bytes are 0 and libjpeg's rows set them.

    Guards the one assumption about Pillow's memory layout made here: if a
    Pillow release changes it, JPEGs decode the ordinary way instead.
    """
    sample = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 100, 50)).save(sample, "JPEG")
    with Image.open(sample) as im:
        tile = im.tile[0]
        picture = Image.new("RGB", im.size)
        if _rows_written(picture, 0) != 0:
            return False
        decoder = Image._getdecoder(im.mode, tile.codec_name, tile.args, (1, 0))
        try:
            decoder.setimage(picture.im, (0, 0, *picture.size))
            decoder.decode(sample.getvalue())
        finally:
            decoder.cleanup()
    return _rows_written(picture, 0) == picture.height


def needs_no_reduce(box: tuple[float, float, float, float], size: tuple[int, int],
                    reducing_gap: float | None) -> bool:
    """Return True when ``Image.resize`` with ``reducing_gap`` would resample in one go.

    Only then is the banded resize the same as the one-shot one; a box
    reduce first would have to see whole blocks of rows.
    """
    if reducing_gap is None:
        return True
    factor_x = int((box[2] - box[0]) / size[0] / reducing_gap) or 1
    factor_y = int((box[3] - box[1]) / size[1] / reducing_gap) or 1
    return factor_x == 1 and factor_y == 1


def decode_resizing(im: ImageFile.ImageFile, eighths: int, sizes: Sequence[tuple[int, int]],
                    box: tuple[float, float, float, float],
                    ) -> tuple[Image.Image, dict[tuple[int, int], Image.Image]]:
    """Decode ``im`` at ``eighths``/8 of its size and resize ``box`` of it to each of
    ``sizes`` with LANCZOS as it decodes.

    ``im`` must pass ``can_stream`` and not be drafted; ``box`` is in the
    decoded picture's pixels. Returns the decoded picture and the resized
    frames by size.

    :raises OSError: when the data is corrupt or ends early, as ``load`` would.
    """
    tile = im.tile[0]
    picture = Image.new("RGB", scaled_size(im.size, eighths))
    decoder = Image._getdecoder(im.mode, tile.codec_name, tile.args,
                                (_DENOMINATOR[eighths], 0))
    decoder.setimage(picture.im, (0, 0, *picture.size))
    resizers = [_BandResizer(picture, size, box) for size in sizes]

    def add_rows(top: int, bottom: int) -> None:
        for resizer in resizers:
            resizer.add_rows(top, bottom)

    im.fp.seek(tile.offset)
    try:
        if FOLLOW:
            _decode_followed(decoder, im.fp, picture, add_rows)
        else:
            _decode_in_blocks(decoder, im.fp, picture, add_rows)
    finally:
        decoder.cleanup()
    if _rows_written(picture, 0) < picture.height:
        # libjpeg decoded a size other than the one computed here.
        raise OSError("decoder filled fewer rows than expected")
    im.tile = []
    return picture, {resizer.size: resizer.frame for resizer in resizers}


def _decode_followed(decoder, fp: BinaryIO, picture: Image.Image,
                     add_rows: Callable[[int, int], None]) -> None:
    """Decode ``fp`` while a second thread resizes the rows libjpeg finishes."""
    decoded = threading.Event()
    failures: list[BaseException] = []

    def follow() -> None:
        done = 0
        try:
            while done < picture.height:
                last_look = decoded.is_set()
                written = _rows_written(picture, done)
                if not last_look:
                    # Pillow writes a row's last pixel last, but the row under it
                    # is a later call: once that has begun, this row is whole.
                    written -= 1
                if written > done and (last_look or written - done >= BAND_ROWS * picture.height):
                    add_rows(done, written)
                    done = written
                elif last_look:
                    return
                else:
                    decoded.wait(POLL)
        except BaseException as err:  # handed to the decoding thread
            failures.append(err)

    follower = threading.Thread(target=follow, name="resize")
    follower.start()
    try:
        _feed(decoder, fp, READ)
    finally:
        decoded.set()
        follower.join()
    if failures:
        raise failures[0]


def _decode_in_blocks(decoder, fp: BinaryIO, picture: Image.Image,
                      add_rows: Callable[[int, int], None]) -> None:
    """Decode ``fp`` a block at a time; a second thread resizes the rows each block finished."""
    done = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="resize") as pool:
        bands: list[Future] = []

        def finished_rows() -> None:
            nonlocal done
            finished = _rows_written(picture, done)
            if finished > done:
                bands.append(pool.submit(add_rows, done, finished))
                done = finished

        try:
            _feed(decoder, fp, BLOCK, finished_rows)
        except BaseException:
            for band in bands:
                band.cancel()
            raise
        if done < picture.height:
            bands.append(pool.submit(add_rows, done, picture.height))
        for band in bands:
            band.result()


def _feed(decoder, fp: BinaryIO, block: int, after_each: Callable[[], None] | None = None) -> None:
    """Hand ``fp`` to ``decoder`` ``block`` bytes at a time until the last row is in.

    Reads as ``ImageFile.load`` does: small reads reuse the same memory from
    one photo to the next, where one read of the whole file would be fresh
    pages every time.

    :raises OSError: when the data is corrupt or ends early, as ``load`` would.
    """
    data = b""
    while True:
        chunk = fp.read(block)
        data = data + chunk if data else chunk
        consumed, error = decoder.decode(data)
        if consumed < 0:
            if error < 0:
                reason = ImageFile.ERRORS.get(error, f"decoder error {error}")
                raise OSError(f"{reason} when reading image file")
            return  # the last row is in
        if not chunk:
            raise OSError("image file is truncated")
        data = data[consumed:]
        if after_each is not None:
            after_each()


def _rows_written(picture: Image.Image, start: int) -> int:
    """Return the row index below the last fully decoded row, looking from ``start`` on."""
    right = picture.width - 1
    pads = picture.crop((right, start, right + 1, picture.height)).tobytes("raw", "RGBX")[3::4]
    first_missing = pads.find(bytes([_UNWRITTEN]))
    return picture.height if first_missing < 0 else start + first_missing


class _BandResizer:
    """The two LANCZOS passes of ``Image.resize``, fed rows in order on one thread."""

    def __init__(self, picture: Image.Image, size: tuple[int, int],
                 box: tuple[float, float, float, float]) -> None:
        self.picture, self.size, self.box = picture, size, box
        out_w, out_h = size
        # Rows after the horizontal pass (the full height, the box's width) and
        # the frame: made by the resizing thread, off the decoder's path.
        self.middle: Image.Image | None = None
        self.frame: Image.Image | None = None
        self.scale_y = (box[3] - box[1]) / out_h
        reach = _LANCZOS_SUPPORT * max(self.scale_y, 1.0) + 1
        self.cuts = sorted({round(out_h * i / STRIPS) for i in range(STRIPS + 1)})
        # The input rows each strip's vertical filter reads, up to its last.
        self.needs = [min(picture.height, math.ceil(box[1] + end * self.scale_y + reach))
                      for end in self.cuts[1:]]
        self.next_strip = 0

    def add_rows(self, top: int, bottom: int) -> None:
        """Run the horizontal pass over rows ``top..bottom``, then every strip now possible."""
        if self.middle is None:
            # Every row of both is written before it is read: no fill needed.
            self.middle = Image.new("RGB", (self.size[0], self.picture.height), None)
            self.frame = Image.new("RGB", self.size, None)
        left, _, right, _ = self.box
        band = self.picture.crop((0, top, self.picture.width, bottom))
        # Only the width changes, so Pillow runs the horizontal pass alone.
        self.middle.paste(band.resize((self.size[0], bottom - top), Image.Resampling.LANCZOS,
                                      box=(left, 0, right, bottom - top)), (0, top))
        while self.next_strip < len(self.needs) and self.needs[self.next_strip] <= bottom:
            first, last = self.cuts[self.next_strip], self.cuts[self.next_strip + 1]
            strip_box = (0, self.box[1] + first * self.scale_y,
                         self.size[0], self.box[1] + last * self.scale_y)
            # Only the height changes: the vertical pass alone.
            self.frame.paste(self.middle.resize((self.size[0], last - first),
                                                Image.Resampling.LANCZOS, box=strip_box),
                             (0, first))
            self.next_strip += 1
