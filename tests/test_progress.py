"""Parsing ffmpeg's -progress output and drawing the progress bar."""

from __future__ import annotations

import io

import pytest

from media.ffmpeg.progress import (Progress, ProgressBar, ProgressParser, format_clock,
                            render_line)

FIRST_BLOCK = """\
frame=1
fps=0.00
stream_0_0_q=0.0
bitrate=N/A
total_size=48
out_time_us=0
out_time_ms=0
out_time=00:00:00.000000
dup_frames=0
drop_frames=0
speed=   0x
progress=continue
"""

MIDDLE_BLOCK = """\
frame=40
fps=39.50
stream_0_0_q=28.0
bitrate= 250.1kbits/s
total_size=51200
out_time_us=1600000
out_time_ms=1600000
out_time=00:00:01.600000
dup_frames=0
drop_frames=0
speed=1.58x
progress=continue
"""

LAST_BLOCK = """\
frame=75
fps=0.00
stream_0_0_q=-1.0
bitrate= 369.7kbits/s
total_size=147216
out_time_us=3021678
out_time_ms=3021678
out_time=00:00:03.021678
dup_frames=0
drop_frames=0
speed=3.88x
progress=end
"""

# Before the first packet is muxed ffmpeg prints N/A and a huge negative time.
NOT_STARTED_BLOCK = """\
frame=0
fps=0.00
bitrate=N/A
total_size=0
out_time_us=N/A
out_time_ms=N/A
out_time=-577014:32:22.775808
speed=N/A
progress=continue
"""


def lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def last_report(block_lines: list[str], total: float | None = None) -> Progress:
    """Return the last report a parser makes of ``block_lines``, as run_tool would see it."""
    parser = ProgressParser(total)
    reports = [report for line in block_lines if (report := parser.feed(line)) is not None]
    return reports[-1]


@pytest.mark.parametrize("block, seconds, speed, done", [
    (FIRST_BLOCK, 0.0, 0.0, False),
    (MIDDLE_BLOCK, 1.6, 1.58, False),
    (LAST_BLOCK, 3.021678, 3.88, True),
    (NOT_STARTED_BLOCK, 0.0, None, False),
    ("out_time_ms=2500000\nprogress=continue\n", 2.5, None, False),
    ("out_time=00:01:02.500000\nspeed=N/A\nprogress=end\n", 62.5, None, True),
    ("out_time=01:00:00.000000\nspeed=0.5x\nprogress=continue\n", 3600.0, 0.5, False),
])
def test_block_is_parsed(block, seconds, speed, done):
    progress = last_report(lines(block), total=3.0)
    assert progress.seconds == pytest.approx(seconds)
    assert progress.speed == (None if speed is None else pytest.approx(speed))
    assert progress.done is done
    assert progress.total == 3.0


def test_out_time_ms_is_read_as_microseconds():
    progress = last_report(["out_time_ms=1500000\n", "progress=continue\n"])
    assert progress.seconds == pytest.approx(1.5)


def test_parser_reports_once_per_block_and_keeps_time_when_it_goes_na():
    parser = ProgressParser(total=3.0)
    reports = [p for line in lines(FIRST_BLOCK + MIDDLE_BLOCK + NOT_STARTED_BLOCK + LAST_BLOCK)
               if (p := parser.feed(line)) is not None]
    assert [p.seconds for p in reports] == pytest.approx([0.0, 1.6, 1.6, 3.021678])
    assert [p.done for p in reports] == [False, False, False, True]


@pytest.mark.parametrize("line", ["", "\n", "garbage", "out_time_us=abc", "speed=fastx",
                                  "out_time=12:34", "out_time_us=inf"])
def test_unreadable_lines_are_ignored(line):
    parser = ProgressParser()
    assert parser.feed(line) is None
    assert parser.feed("progress=continue").seconds == 0.0


def test_block_without_progress_line_reports_nothing():
    parser = ProgressParser()
    assert [parser.feed(line) for line in lines("frame=1\nout_time_us=100\n")] == [None, None]


def test_parser_measures_elapsed_wall_time_with_its_clock():
    ticks = iter([100.0, 104.0])
    parser = ProgressParser(total=10.0, clock=lambda: next(ticks))
    progress = parser.feed("progress=continue")
    assert progress.elapsed == pytest.approx(4.0)


@pytest.mark.parametrize("progress, fraction, eta", [
    (Progress(seconds=16, total=32, speed=2.0, done=False), 0.5, 8.0),
    (Progress(seconds=8, total=32, speed=None, done=False, elapsed=2.0), 0.25, 6.0),
    (Progress(seconds=8, total=32, speed=0.0, done=False, elapsed=4.0), 0.25, 12.0),
    (Progress(seconds=0, total=32, speed=None, done=False, elapsed=3.0), 0.0, None),
    (Progress(seconds=40, total=32, speed=1.0, done=False), 1.0, 0.0),
    (Progress(seconds=31.9, total=32, speed=1.0, done=True), 1.0, 0.0),
    (Progress(seconds=5, total=None, speed=1.0, done=False), None, None),
    (Progress(seconds=5, total=0.0, speed=1.0, done=False), None, None),
])
def test_fraction_and_eta(progress, fraction, eta):
    assert progress.fraction == (None if fraction is None else pytest.approx(fraction))
    assert progress.eta == (None if eta is None else pytest.approx(eta))


@pytest.mark.parametrize("seconds, text", [
    (0, "0:00"), (8.9, "0:08"), (75, "1:15"), (3600, "1:00:00"), (3725, "1:02:05"), (-3, "0:00"),
])
def test_clock_format(seconds, text):
    assert format_clock(seconds) == text


def test_bar_line_shows_bar_percentage_times_and_eta():
    line = render_line("clip.mp4", Progress(seconds=16, total=32, speed=2.0, done=False))
    assert line == "clip.mp4  [##########----------]   50%  0:16 / 0:32  ETA 0:08"


def test_bar_line_without_total_shows_time_and_speed():
    line = render_line("clip.mp4", Progress(seconds=75, total=None, speed=1.5, done=False))
    assert line == "clip.mp4  1:15  1.50x"


def test_forced_bar_draws_with_carriage_returns_and_ends_with_newline():
    stream = io.StringIO()
    with ProgressBar("clip.mp4", stream=stream, force=True, interval=0) as bar:
        bar.update(Progress(seconds=16, total=32, speed=2.0, done=False))
        bar.update(Progress(seconds=32, total=32, speed=2.0, done=True))
    text = stream.getvalue()
    assert text.startswith("\rclip.mp4  [")
    assert " 50%" in text and "ETA 0:08" in text
    assert "100%" in text
    assert text.endswith("\n") and text.count("\n") == 1
    assert text.count("\r") == 2


def test_bar_limits_redraws_but_draws_the_latest_on_close():
    ticks = iter([0.0, 0.01, 0.02, 0.03])
    stream = io.StringIO()
    bar = ProgressBar("x", stream=stream, force=True, interval=0.1, clock=lambda: next(ticks))
    for seconds in (1, 2, 3):
        bar.update(Progress(seconds=seconds, total=10, speed=1.0, done=False))
    assert stream.getvalue().count("\r") == 1
    bar.close()
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 2
    assert text.rstrip("\n").endswith("0:03 / 0:10  ETA 0:07")
    assert text.count("\n") == 1


def test_shorter_line_blanks_the_rest_of_the_longer_one():
    stream = io.StringIO()
    with ProgressBar(stream=stream, force=True, interval=0) as bar:
        bar.update(Progress(seconds=3725, total=None, speed=1.5, done=False))
        bar.update(Progress(seconds=3726, total=None, speed=None, done=False))
    first, second = stream.getvalue().rstrip("\n").split("\r")[1:]
    assert first == "1:02:05  1.50x"
    assert second == "1:02:06" + " " * (len(first) - len("1:02:06"))


def test_bar_prints_nothing_when_stream_is_not_a_terminal():
    stream = io.StringIO()
    with ProgressBar("clip.mp4", stream=stream) as bar:
        assert not bar.enabled
        bar.update(Progress(seconds=16, total=32, speed=2.0, done=False))
        bar.update(Progress(seconds=32, total=32, speed=2.0, done=True))
    assert stream.getvalue() == ""


def test_bar_is_enabled_on_a_terminal_and_can_be_forced_off():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert ProgressBar(stream=Terminal()).enabled
    stream = Terminal()
    with ProgressBar(stream=stream, force=False) as bar:
        bar(Progress(seconds=1, total=2, speed=1.0, done=True))
    assert stream.getvalue() == ""


def test_bar_that_never_drew_writes_no_newline():
    stream = io.StringIO()
    ProgressBar(stream=stream, force=True).close()
    assert stream.getvalue() == ""
