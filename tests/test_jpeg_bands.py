"""The banded JPEG decoder: the same pixels as a plain decode and resize, sooner."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageFilter, ImageStat

from media.errors import ImageError
from media.photos import jpeg_bands
from media.photos.jpeg_bands import can_stream, decode_resizing, needs_no_reduce, scaled_size, shrink_for
from media.photos.thumbs import make_thumbnails

LANCZOS = Image.Resampling.LANCZOS


def _photo(path: Path, size=(1203, 901), **save) -> Path:
    """Write a detailed JPEG with odd sides, so every scale rounds."""
    picture = Image.effect_mandelbrot(size, (-2.1, -1.2, 0.9, 1.2), 120).convert("RGB")
    noise = Image.merge("RGB", [Image.effect_noise(size, 40) for _ in range(3)])
    Image.blend(picture, noise, 0.2).filter(ImageFilter.SMOOTH).save(path, quality=90, **save)
    return path


def _largest_difference(a: Image.Image, b: Image.Image) -> int:
    assert a.size == b.size and a.mode == b.mode
    return max(high for _, high in ImageChops.difference(a, b).getextrema())


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def test_scaled_size_and_shrink_round_up_like_libjpeg():
    assert scaled_size((4000, 3000), 3) == (1500, 1125)
    assert scaled_size((1203, 901), 1) == (151, 113)
    assert shrink_for((4000, 3000), (1280, 960)) == 3      # 1500 wide: 3/8 is enough
    assert shrink_for((6000, 4000), (1280, 854)) == 2      # 1500 wide at 2/8
    assert shrink_for((4000, 3000), (4000, 3000)) == 8     # nothing smaller covers it
    assert shrink_for((100, 100), (500, 500)) == 8


def test_needs_no_reduce_follows_pillows_reducing_gap():
    assert needs_no_reduce((0, 0, 1500, 1125), (640, 480), 2.0)
    assert not needs_no_reduce((0, 0, 4000, 3000), (640, 480), 2.0)
    assert needs_no_reduce((0, 0, 4000, 3000), (640, 480), None)


@pytest.mark.parametrize("eighths", [8, 4, 3, 2, 1])
def test_every_scale_decodes_the_picture_libjpeg_would(tmp_path, eighths):
    source = _photo(tmp_path / "photo.jpg")
    with Image.open(source) as im:
        whole = (0, 0, *scaled_size(im.size, eighths))
        picture, _ = decode_resizing(im, eighths, [(40, 30)], whole)
    with Image.open(source) as full:
        reference = full.resize(picture.size, Image.Resampling.BOX)
    # A wrong size or a shifted row would differ by far more than IDCT scaling does.
    assert _mean_difference(picture, reference) < 4
    if eighths in (8, 4, 2, 1):  # the scales Image.draft offers give the same bytes
        with Image.open(source) as drafted:
            drafted.draft("RGB", tuple(side * eighths // 8 for side in drafted.size))
            drafted.load()
            assert drafted.size == picture.size
            assert drafted.tobytes() == picture.tobytes()


def _two_passes(picture: Image.Image, size: tuple[int, int], box) -> Image.Image:
    """LANCZOS as Image.resize does it, the horizontal pass first, then the vertical."""
    left, top, right, bottom = box
    wide = picture.resize((size[0], picture.height), LANCZOS, box=(left, 0, right, picture.height))
    return wide.resize(size, LANCZOS, box=(0, top, size[0], bottom))


def _assert_two_passes_match(picture: Image.Image, frames: dict, box) -> None:
    """Each frame is within 1 of the horizontal-then-vertical resize of ``box``."""
    for size, frame in frames.items():
        assert _largest_difference(frame, _two_passes(picture, size, box)) <= 1, size


@pytest.mark.parametrize("box", [(0.0, 0.0, 452.0, 338.0), (37.5, 12.25, 401.0, 240.75)],
                         ids=["whole", "crop"])
@pytest.mark.parametrize("follow,block", [(True, None), (False, 4096), (False, 128 * 1024)],
                         ids=["followed", "many-blocks", "few-blocks"])
def test_frames_match_a_resize_of_the_whole_picture(tmp_path, monkeypatch, box, follow, block):
    monkeypatch.setattr(jpeg_bands, "FOLLOW", follow)
    if block:
        monkeypatch.setattr(jpeg_bands, "BLOCK", block)
    source = _photo(tmp_path / "photo.jpg")
    sizes = [(160, 90), (97, 61), (190, 130)]
    with Image.open(source) as im:
        picture, frames = decode_resizing(im, 3, sizes, box)
    assert picture.size == (452, 338)
    for size in sizes:
        # The same passes; only the float position of a strip may round differently.
        assert _largest_difference(frames[size], _two_passes(picture, size, box)) <= 1, size
        assert _largest_difference(frames[size], picture.resize(size, LANCZOS, box=box)) <= 1


def test_tall_pictures_get_the_horizontal_pass_first(tmp_path, monkeypatch):
    # Pillow may run the vertical pass first for shapes like this one; the bands
    # always go horizontal first, which differs only where overshoot is clipped.
    monkeypatch.setattr(jpeg_bands, "FOLLOW", False)
    monkeypatch.setattr(jpeg_bands, "BLOCK", 4096)
    source = _photo(tmp_path / "tall.jpg", size=(333, 751))
    sizes = [(252, 572), (120, 90)]
    with Image.open(source) as im:
        picture, frames = decode_resizing(im, 8, sizes, (0, 0, 333, 751))
    _assert_two_passes_match(picture, frames, (0, 0, 333, 751))
    for size in sizes:
        assert _mean_difference(frames[size], picture.resize(size, LANCZOS)) < 1


def test_following_a_large_decode_row_by_row_gives_the_same_frames(tmp_path, monkeypatch):
    # Large enough that the follower looks many times while libjpeg is still writing.
    monkeypatch.setattr(jpeg_bands, "FOLLOW", True)
    monkeypatch.setattr(jpeg_bands, "POLL", 0)
    source = _photo(tmp_path / "large.jpg", size=(3001, 2003))
    sizes = [(640, 427), (333, 222)]
    with Image.open(source) as im:
        picture, frames = decode_resizing(im, 4, sizes, (0, 0, 1501, 1002))
    assert sorted(frames) == sorted(sizes)
    _assert_two_passes_match(picture, frames, (0, 0, 1501, 1002))


def test_a_progressive_source_comes_out_the_same(tmp_path):
    # A progressive JPEG gives no rows until its last scan: nothing to overlap, same result.
    source = _photo(tmp_path / "progressive.jpg", progressive=True)
    with Image.open(source) as im:
        assert can_stream(im)
        picture, frames = decode_resizing(im, 4, [(200, 150)], (0, 0, 602, 451))
    assert _largest_difference(frames[200, 150], picture.resize((200, 150), LANCZOS)) <= 1


def test_only_plain_rgb_jpegs_stream(tmp_path):
    plain = _photo(tmp_path / "plain.jpg")
    grey = tmp_path / "grey.jpg"
    Image.new("L", (64, 64), 90).save(grey)
    cmyk = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (64, 64), (0, 90, 90, 0)).save(cmyk)
    png = tmp_path / "photo.png"
    Image.new("RGB", (64, 64)).save(png)
    with Image.open(plain) as im:
        assert can_stream(im)
        im.draft("RGB", (300, 200))
        assert not can_stream(im)  # drafted already: its tile no longer says the file's size
    for other in (grey, cmyk, png):
        with Image.open(other) as im:
            assert not can_stream(im), other.name


@pytest.mark.parametrize("follow", [True, False], ids=["followed", "blocks"])
def test_truncated_data_raises_like_load(tmp_path, monkeypatch, follow):
    monkeypatch.setattr(jpeg_bands, "FOLLOW", follow)
    source = _photo(tmp_path / "photo.jpg")
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    with Image.open(cut) as im, pytest.raises(OSError, match="truncated"):
        decode_resizing(im, 3, [(100, 75)], (0, 0, 452, 338))
    with pytest.raises(ImageError, match="image is truncated or corrupt"):
        make_thumbnails(cut, tmp_path / "out", "cut", widths=(100,), formats=("jpeg",))
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@pytest.mark.parametrize("follow", [True, False], ids=["followed", "blocks"])
def test_damaged_data_raises_like_load(tmp_path, monkeypatch, follow):
    monkeypatch.setattr(jpeg_bands, "FOLLOW", follow)
    source = _photo(tmp_path / "photo.jpg", size=(600, 400))
    data = source.read_bytes()
    scan = data.index(b"\xff\xda")  # start of scan: the entropy-coded data follows
    middle = (scan + len(data)) // 2
    # A second start-of-image marker inside the scan is an error to libjpeg, not a warning.
    damaged = tmp_path / "damaged.jpg"
    damaged.write_bytes(data[:middle] + b"\xff\xd8" + data[middle + 2:])
    with Image.open(damaged) as im, pytest.raises(OSError, match="when reading image file"):
        decode_resizing(im, 4, [(100, 67)], (0, 0, 300, 200))
    with pytest.raises(ImageError, match="image is truncated or corrupt"):
        make_thumbnails(damaged, tmp_path / "out", "d", widths=(100,), formats=("jpeg",))


def test_thumbnails_of_a_streamed_jpeg_match_a_plain_resize(tmp_path):
    source = _photo(tmp_path / "photo.jpg", size=(2403, 1601))
    result = make_thumbnails(source, tmp_path / "out", "p", widths=(300, 600),
                             formats=("webp",))
    with Image.open(source) as full:
        for thumbnail in result.thumbnails:
            with Image.open(thumbnail.path) as ours:
                naive = full.resize(ours.size, LANCZOS)
                assert _mean_difference(ours.convert("RGB"), naive) < 3, thumbnail.width
