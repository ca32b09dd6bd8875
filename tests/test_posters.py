"""Poster frames: argv builders, frame scores, and real runs on generated clips."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from media.errors import MediaError
from media.ffmpeg import tools
from media.ffmpeg.commands import SAFE_DEMUXERS
from media.ffmpeg.frames import PpmFrames, showinfo_times
from media.ffmpeg.run import CANCEL
from media.video import posters
from tests.conftest import make_clip

BLACK_SECONDS, PATTERN_SECONDS = 6, 4
DURATION = float(BLACK_SECONDS + PATTERN_SECONDS)


def _lavfi_clip(path: Path, graph: str, *options: str) -> Path:
    argv = [tools.ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-filter_complex", graph, "-map", "[v]",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", *options, str(path)]
    subprocess.run(argv, check=True, timeout=120)
    return path


@pytest.fixture(scope="module")
def black_then_pattern(tmp_path_factory) -> Path:
    """A 320x240 clip: black for its first 60 %, then testsrc2."""
    return _lavfi_clip(
        tmp_path_factory.mktemp("posters") / "black-then-pattern.mp4",
        f"color=black:size=320x240:rate=25:duration={BLACK_SECONDS}[a];"
        f"testsrc2=size=320x240:rate=25:duration={PATTERN_SECONDS}[b];"
        "[a][b]concat=n=2:v=1:a=0[v]")


@pytest.fixture(scope="module")
def all_black(tmp_path_factory) -> Path:
    """A 2-second black 320x240 clip."""
    return _lavfi_clip(tmp_path_factory.mktemp("posters") / "black.mp4",
                       "color=black:size=320x240:rate=25:duration=2[v]")


def _luma(path: Path) -> float:
    with Image.open(path) as im:
        return ImageStat.Stat(im.convert("L")).mean[0]


def _options_before(argv: list[str], option: str) -> list[str]:
    return argv[:argv.index(option)]


# argv builders

@pytest.mark.parametrize("duration", [2.0, 10.0, 32.0, 3600.0])
def test_candidate_times_skip_first_and_last_three_percent(duration):
    times = posters.candidate_times(duration, 24)
    assert len(times) == 24
    assert duration * 0.03 < times[0] and times[-1] < duration * 0.97
    steps = {round(b - a, 3) for a, b in zip(times, times[1:], strict=False)}
    assert len(steps) == 1  # evenly spaced


def test_candidates_command_seeks_to_first_candidate_before_input():
    argv = posters.candidates_command("ffmpeg", "clip.mp4", 10.0, count=24, width=160)
    first, step = posters.sample_plan(10.0, 24)
    assert (first, step) == (496, 392)  # 0.3 s skipped, then half of a 9.4 s / 24 slot
    assert argv[:5] == ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error"]
    before_input = _options_before(argv, "-i")
    assert before_input[before_input.index("-ss") + 1] == "0.496"
    assert before_input[before_input.index("-protocol_whitelist") + 1] == "file"
    assert before_input[before_input.index("-format_whitelist") + 1] == SAFE_DEMUXERS
    assert argv[argv.index("-i") + 1] == "file:" + str(Path("clip.mp4").resolve())


def test_candidates_command_writes_count_small_grey_pngs_to_stdout():
    argv = posters.candidates_command("ffmpeg", "/v/clip.mp4", 10.0, count=12, width=96)
    graph = argv[argv.index("-vf") + 1]
    assert f"fps=fps=1000/{posters.sample_plan(10.0, 12)[1]}:" in graph
    assert "scale=96:-2" in graph and graph.endswith("format=gray")
    assert argv[argv.index("-frames:v") + 1] == "12"
    assert argv[argv.index("-map") + 1] == "0:v:0"
    assert argv[argv.index("-c:v") + 1] == "png" and argv[argv.index("-f") + 1] == "image2pipe"
    assert argv[-2:] == ["pipe:1", "-y"]


@pytest.mark.parametrize("duration, count", [(0.0, 24), (-1.0, 24), (float("nan"), 24), (5.0, 0)])
def test_candidates_command_rejects_impossible_plans(duration, count):
    with pytest.raises(ValueError):
        posters.candidates_command("ffmpeg", "clip.mp4", duration, count)


def test_frame_command_seeks_before_input_and_writes_one_png(tmp_path):
    argv = posters.frame_command("ffmpeg", "/v/clip.mp4", 12.5, tmp_path / "f.png")
    before_input = _options_before(argv, "-i")
    assert before_input[before_input.index("-ss") + 1] == "12.500"
    assert before_input[before_input.index("-protocol_whitelist") + 1] == "file"
    assert before_input[before_input.index("-format_whitelist") + 1] == SAFE_DEMUXERS
    assert argv[argv.index("-i") + 1] == "file:/v/clip.mp4"
    assert argv[argv.index("-frames:v") + 1] == "1"
    assert argv[argv.index("-compression_level") + 1] == "0"  # a scratch file: no deflate
    assert argv[argv.index("-update") + 1] == "1" and argv[argv.index("-f") + 1] == "image2"
    assert argv[-2:] == [str(tmp_path / "f.png"), "-y"]
    assert "-nostdin" in argv


# score_frame

def _checkerboard(size=160, cell=10, dark=40, light=200) -> Image.Image:
    im = Image.new("L", (size, size), dark)
    draw = ImageDraw.Draw(im)
    for y in range(0, size, cell):
        for x in range((y // cell) % 2 * cell, size, 2 * cell):
            draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=light)
    return im


def _noise(low: int, high: int, mode: str = "L") -> Image.Image:
    rng = random.Random(7)
    grey = Image.frombytes("L", (160, 120), bytes(rng.randint(low, high) for _ in range(160 * 120)))
    return grey.convert(mode)


@pytest.mark.parametrize("name, image", [
    ("black", Image.new("RGB", (160, 120), "black")),
    ("white", Image.new("RGB", (160, 120), "white")),
    ("flat grey", Image.new("L", (160, 120), 128)),
    ("dark noise", _noise(0, 30)),
    ("bright noise", _noise(225, 255)),
    ("faint noise on grey", _noise(115, 140)),
])
def test_score_frame_rejects_dark_bright_and_flat_frames(name, image):
    assert posters.score_frame(image) is None, name


@pytest.mark.parametrize("name, image", [
    ("checkerboard", _checkerboard()),
    ("noise", _noise(0, 255, "RGB")),
    ("gradient", Image.linear_gradient("L").resize((160, 120))),
])
def test_score_frame_scores_detailed_frames(name, image):
    score = posters.score_frame(image)
    assert isinstance(score, float) and score > 0, name
    assert posters.score_frame(image.copy()) == score


def test_score_frame_prefers_detail_to_a_smooth_gradient():
    gradient = Image.linear_gradient("L").resize((160, 160))
    assert posters.score_frame(_checkerboard()) > posters.score_frame(gradient)


# real runs

def test_candidate_frames_are_the_frames_taken_at_their_times(black_then_pattern, tmp_path):
    frames = posters._candidate_frames(black_then_pattern, DURATION, 24)
    times = posters.candidate_times(DURATION, 24)
    assert len(frames) == 24
    assert times[14] < BLACK_SECONDS < times[15]
    for index in (0, 14, 15, 16, 23):  # the ends, and both sides of the cut to the pattern
        png = tmp_path / f"{index}.png"
        argv = posters.frame_command(tools.ffmpeg(), black_then_pattern, times[index], png)
        # The same frame, scaled as the candidates are, must match to the pixel.
        at = argv.index("-f")
        argv[at:at] = ["-vf", "scale=160:-2,format=gray"]
        subprocess.run(argv, check=True, timeout=60)
        with Image.open(png) as im:
            # The PNG is grey stored as RGB (-pix_fmt rgb24); R = G = B converts back exactly.
            assert ImageChops.difference(im.convert("L"), frames[index]).getbbox() is None, index


def test_choose_poster_time_passes_over_the_black_opening(black_then_pattern):
    time = posters.choose_poster_time(black_then_pattern, DURATION)
    assert BLACK_SECONDS < time < DURATION * 0.97
    assert time in posters.candidate_times(DURATION)


def test_choose_poster_time_falls_back_to_the_earliest_when_all_frames_are_flat(all_black):
    assert posters.choose_poster_time(all_black, 2.0) == posters.candidate_times(2.0)[0]


def test_choose_poster_time_without_frames_takes_a_fifth_into_the_clip(all_black):
    # A stated duration far past the real end leaves nothing to decode.
    assert posters.choose_poster_time(all_black, 200.0) == 40.0


def test_choose_poster_time_raises_media_error_for_a_broken_file(tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 100)
    with pytest.raises(MediaError) as caught:
        posters.choose_poster_time(broken, 10.0)
    assert caught.value.path == broken
    assert caught.value.argv[0] == tools.ffmpeg()
    assert caught.value.stderr_tail
    assert str(caught.value) == (f"{broken}: reading keyframes failed: "
                                 "Invalid data found when processing input")


def test_write_posters_scores_a_bright_frame_from_the_pattern(black_then_pattern, tmp_path):
    poster = posters.write_posters(black_then_pattern, DURATION, tmp_path, "clip")
    assert poster.chosen == "scored"
    assert BLACK_SECONDS < poster.time < DURATION
    assert _luma(poster.jpeg.path) > 40


def test_write_posters_is_deterministic(black_then_pattern, tmp_path):
    first = posters.write_posters(black_then_pattern, DURATION, tmp_path / "a", "clip")
    second = posters.write_posters(black_then_pattern, DURATION, tmp_path / "b", "clip")
    assert first.time == second.time
    assert [i.path.name for i in first.images] == [i.path.name for i in second.images]
    for one, other in zip(first.images, second.images, strict=True):
        assert one.path.read_bytes() == other.path.read_bytes()


def test_write_posters_uses_the_given_time(black_then_pattern, tmp_path):
    poster = posters.write_posters(black_then_pattern, DURATION, tmp_path, "clip", at=1.0)
    assert (poster.chosen, poster.time) == ("given", 1.0)
    assert _luma(poster.jpeg.path) < 20  # the black opening, as asked


@pytest.mark.parametrize("at", [-0.5, DURATION, 99.0, float("nan")])
def test_write_posters_rejects_a_time_outside_the_clip(black_then_pattern, tmp_path, at):
    with pytest.raises(MediaError, match="is outside the clip") as caught:
        posters.write_posters(black_then_pattern, DURATION, tmp_path / "out", "clip", at=at)
    assert caught.value.path == black_then_pattern
    assert not (tmp_path / "out").exists()


def test_write_posters_says_when_no_frame_starts_after_the_time(black_then_pattern, tmp_path):
    # The last frame starts at 9.96 s; input seeking to 9.99 s finds none.
    with pytest.raises(MediaError, match=r"no frame at 9\.99 s"):
        posters.write_posters(black_then_pattern, DURATION, tmp_path, "clip", at=9.99)
    assert list(tmp_path.iterdir()) == []


def test_write_posters_names_the_time_and_the_clip_length(black_then_pattern, tmp_path):
    with pytest.raises(MediaError) as caught:
        posters.write_posters(black_then_pattern, 32.0, tmp_path, "clip", at=99)
    assert str(caught.value) == (f"{black_then_pattern}: poster time 99 s is outside "
                                 "the clip (0 to 32.0 s)")


def test_write_posters_never_upscales(black_then_pattern, tmp_path):
    poster = posters.write_posters(black_then_pattern, DURATION, tmp_path, "clip",
                                   widths=(320, 640, 1280))
    assert [(i.width, i.height, i.format) for i in poster.images] == [
        (320, 240, "JPEG"), (320, 240, "WEBP")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip-320.jpg", "clip-320.webp"]


def test_write_posters_writes_each_width_that_fits(tmp_path):
    clip = make_clip(tmp_path / "wide.mp4", seconds=1, size="640x360", audio=False)
    out = tmp_path / "out"
    poster = posters.write_posters(clip, 1.0, out, "wide", widths=(1280, 320, 640))
    assert [(i.width, i.height, i.format) for i in poster.images] == [
        (320, 180, "JPEG"), (320, 180, "WEBP"), (640, 360, "JPEG"), (640, 360, "WEBP")]
    assert poster.jpeg.width == 640
    # Only the finished files: no temporary names left beside them.
    assert sorted(p.name for p in out.iterdir()) == [
        "wide-320.jpg", "wide-320.webp", "wide-640.jpg", "wide-640.webp"]


def test_write_posters_falls_back_to_the_frame_width(black_then_pattern, tmp_path):
    poster = posters.write_posters(black_then_pattern, DURATION, tmp_path, "clip", widths=(2000,))
    assert [(i.width, i.format) for i in poster.images] == [(320, "JPEG"), (320, "WEBP")]


def test_poster_files_are_readable_clean_jpeg_and_webp(black_then_pattern, tmp_path):
    poster = posters.write_posters(black_then_pattern, DURATION, tmp_path, "clip")
    for image in poster.images:
        with Image.open(image.path) as im:
            im.load()
            assert (im.format, im.size) == (image.format, (image.width, image.height))
            assert image.media_type == {"JPEG": "image/jpeg", "WEBP": "image/webp"}[im.format]
            assert not {"exif", "icc_profile", "xmp", "dpi"} & set(im.info), im.info
            if im.format == "JPEG":
                assert im.info.get("progressive")
        assert image.path.stat().st_mode & 0o044 == 0o044  # readable once published


@pytest.mark.parametrize("base_name", ["", ".hidden", "a/b", "a\\b"])
def test_write_posters_rejects_unsafe_base_names(black_then_pattern, tmp_path, base_name):
    with pytest.raises(ValueError):
        posters.write_posters(black_then_pattern, DURATION, tmp_path, base_name, at=1.0)


def _keyframe_times(clip: Path) -> list[float]:
    """List the clip's keyframe times with ffprobe, independently of the code under test."""
    listing = subprocess.run([tools.ffprobe(), "-v", "error", "-select_streams", "v:0",
                              "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0",
                              str(clip)], check=True, capture_output=True, text=True, timeout=60)
    return sorted(float(line.split(",")[0]) for line in listing.stdout.splitlines()
                  if "K" in line.split(",")[1])


def test_a_clip_with_frequent_keyframes_gets_a_keyframe_poster(tmp_path):
    clip = make_clip(tmp_path / "gop.mp4", seconds=6, audio=False,
                     video_options=("-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "12"))
    keyframes = _keyframe_times(clip)
    assert len(keyframes) >= posters.MIN_KEYFRAMES
    chosen = posters.choose_poster_time(clip, 6.0)
    assert any(abs(chosen - t) < 0.001 for t in keyframes)


@pytest.fixture(scope="module")
def black_then_pattern_keyframes(tmp_path_factory) -> Path:
    """The black-then-pattern clip with a keyframe every 0.48 s."""
    return _lavfi_clip(
        tmp_path_factory.mktemp("posters") / "black-then-pattern-gop.mp4",
        f"color=black:size=320x240:rate=25:duration={BLACK_SECONDS}[a];"
        f"testsrc2=size=320x240:rate=25:duration={PATTERN_SECONDS}[b];"
        "[a][b]concat=n=2:v=1:a=0[v]", "-g", "12")


def test_keyframes_command_decodes_only_keyframes_of_the_middle():
    argv = posters.keyframes_command("ffmpeg", "/c.mp4", 10.0)
    before_input = _options_before(argv, "-i")
    assert before_input[before_input.index("-skip_frame") + 1] == "nokey"
    assert "-discard" not in argv  # it would make the keyframes' times guesses
    assert before_input[before_input.index("-threads") + 1] == "1"
    assert before_input[before_input.index("-protocol_whitelist") + 1] == "file"
    assert before_input[before_input.index("-format_whitelist") + 1] == SAFE_DEMUXERS
    assert argv[argv.index("-i") + 1] == "file:/c.mp4"
    assert argv[argv.index("-map") + 1] == "0:v:0"
    assert argv[argv.index("-fps_mode") + 1] == "passthrough"
    graph = argv[argv.index("-vf") + 1]
    # 3 % skipped at each end; showinfo sees (and numbers) only the frames kept.
    assert graph.startswith("select='between(t,0.300000,9.700000)',split[keep][log];")
    assert "[log]scale=8:8:flags=neighbor,showinfo,nullsink" in graph
    assert graph.endswith("[keep]null")  # the frames themselves go out untouched
    assert argv[argv.index("-loglevel") + 1] == "info"  # showinfo's level
    assert "-nostats" in argv and "-nostdin" in argv
    assert argv[argv.index("-pix_fmt") + 1] == "rgb24" and argv[argv.index("-c:v") + 1] == "ppm"
    assert argv[argv.index("-f") + 1] == "image2pipe" and argv[-2:] == ["pipe:1", "-y"]


def _ppm(image: Image.Image) -> bytes:
    return f"P6\n{image.width} {image.height}\n255\n".encode() + image.tobytes()


@pytest.mark.parametrize("chunk_size", [1, 7, 4096, 10**7])
def test_ppm_frames_are_split_whatever_the_chunk_size(chunk_size):
    images = [_noise(0, 255, "RGB"), Image.new("RGB", (3, 5), (1, 2, 3)), _checkerboard().convert("RGB")]
    stream = b"".join(_ppm(image) for image in images)
    got: list[Image.Image] = []
    frames = PpmFrames(got.append)
    for start in range(0, len(stream), chunk_size):
        frames.feed(stream[start:start + chunk_size])
    frames.finish()
    assert frames.count == 3
    assert [(im.mode, im.size, im.tobytes()) for im in got] == [
        ("RGB", im.size, im.tobytes()) for im in images]
    assert all(im.info == {} for im in got)


@pytest.mark.parametrize("stream", [
    b"\x89PNG\r\n\x1a\n" + b"\0" * 40,            # another format
    b"P5\n2 2\n255\n" + b"\0" * 4,                 # grey PPM
    b"P6\n2 2\n65535\n" + b"\0" * 24,              # 16 bits a sample
    b"P6\n99999 99999\n255\n",                       # absurd size
    b"P6\n0 10\n255\n",                              # empty
    b"P6" + b" " * 40,                                  # a header that never ends
])
def test_ppm_frames_reject_what_is_not_a_sane_rgb_ppm(stream):
    frames = PpmFrames(lambda image: None)
    with pytest.raises(ValueError):
        frames.feed(stream)


def test_ppm_frames_reject_a_stream_cut_inside_an_image():
    frames = PpmFrames(lambda image: None)
    frames.feed(_ppm(Image.new("RGB", (4, 4)))[:-1])
    with pytest.raises(ValueError, match="ended inside an image"):
        frames.finish()


def test_showinfo_times_are_read_by_frame_number():
    stderr = (
        "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/c.mp4':\n"
        "[Parsed_showinfo_1 @ 0x5581] config in time_base: 1/12800, frame_rate: 25/1\n"
        "[Parsed_showinfo_1 @ 0x5581] n:   0 pts:  12800 pts_time:1       pos: 48 fmt:yuv420p\n"
        "[Parsed_showinfo_1 @ 0x5581] n:   1 pts:  32000 pts_time:2.5     pos: 99 fmt:yuv420p\n"
        "[Parsed_showinfo_1 @ 0x5581] n:  12 pts: 153600 pts_time:12 ...\n")
    with pytest.raises(ValueError, match="frame 12 after 2"):
        showinfo_times(stderr)
    assert showinfo_times(stderr.rsplit("[Parsed", 1)[0]) == [1.0, 2.5]


def test_the_scored_keyframe_is_the_frame_at_its_time(black_then_pattern_keyframes, tmp_path):
    time, frame = posters._choose(black_then_pattern_keyframes, DURATION, 24)
    assert BLACK_SECONDS < time < DURATION * 0.97
    assert any(abs(time - t) < 0.001 for t in _keyframe_times(black_then_pattern_keyframes))
    assert frame.size == (320, 240) and frame.mode == "RGB"
    png = tmp_path / "at.png"
    subprocess.run(posters.frame_command(tools.ffmpeg(), black_then_pattern_keyframes, time, png),
                   check=True, timeout=60)
    # The frame the given-time path extracts at that time, to the pixel.
    with Image.open(png) as extracted:
        assert ImageChops.difference(extracted.convert("RGB"), frame).getbbox() is None


def test_a_scored_poster_from_keyframes_takes_one_ffmpeg_run(black_then_pattern_keyframes,
                                                             tmp_path, monkeypatch):
    runs: list[str] = []
    real_run_tool = posters.run_tool

    def counting(argv, *args, **kwargs):
        runs.append(Path(argv[0]).name)
        return real_run_tool(argv, *args, **kwargs)

    monkeypatch.setattr(posters, "run_tool", counting)
    poster = posters.write_posters(black_then_pattern_keyframes, DURATION, tmp_path, "clip")
    assert runs == [Path(tools.ffmpeg()).name]
    assert poster.chosen == "scored" and BLACK_SECONDS < poster.time
    assert _luma(poster.jpeg.path) > 40


def test_a_clip_with_few_keyframes_falls_back_to_sampled_frames(black_then_pattern):
    # The black-then-pattern clip has one keyframe: 24 frames are sampled instead.
    assert len(_keyframe_times(black_then_pattern)) < posters.MIN_KEYFRAMES
    assert posters.choose_poster_time(black_then_pattern, DURATION) in posters.candidate_times(
        DURATION)


def test_choosing_a_poster_stops_when_ingest_is_cancelled(black_then_pattern):
    CANCEL.set()
    try:
        with pytest.raises(MediaError, match="stopped"):
            posters.choose_poster_time(black_then_pattern, DURATION)
    finally:
        CANCEL.clear()
