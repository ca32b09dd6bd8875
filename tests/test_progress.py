"""Parsing ffmpeg's -progress output and drawing the progress bar."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from media.ffmpeg.progress import Progress, ProgressParser
from tests.conftest import ROOT, make_clip, run_media_cli

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


@pytest.mark.parametrize("progress, fraction", [
    (Progress(seconds=16, total=32, speed=2.0, done=False), 0.5),
    (Progress(seconds=8, total=32, speed=None, done=False, elapsed=2.0), 0.25),
    (Progress(seconds=0, total=32, speed=None, done=False, elapsed=3.0), 0.0),
    (Progress(seconds=40, total=32, speed=1.0, done=False), 1.0),
    (Progress(seconds=31.9, total=32, speed=1.0, done=True), 1.0),
    (Progress(seconds=5, total=None, speed=1.0, done=False), None),
    (Progress(seconds=5, total=0.0, speed=1.0, done=False), None),
])
def test_fraction(progress, fraction):
    assert progress.fraction == (None if fraction is None else pytest.approx(fraction))


def test_clip_on_a_terminal_draws_a_progress_bar_on_stderr(tmp_path):
    """A real terminal (a pty) gets click's bar with the step's label, percentage and ETA."""
    clip = make_clip(tmp_path / "bar.mp4", seconds=3.0)
    primary, secondary = pty.openpty()
    try:
        process = subprocess.Popen([sys.executable, "-m", "media", "clip", str(clip), "--out",
                                    str(tmp_path / "out"), "--no-loudness"], cwd=ROOT,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=secondary)
        os.close(secondary)
        output = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal closed: the process ended
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=300) == 0
    finally:
        os.close(primary)
    text = output.decode("utf-8", "replace")
    assert "bar.mp4" in text and "100%" in text, text


def test_clip_without_a_terminal_draws_no_bar(tmp_path):
    clip = make_clip(tmp_path / "quiet.mp4", seconds=1.0)
    result = run_media_cli("clip", str(clip), "--out", str(tmp_path / "out"), "--no-loudness")
    assert result.returncode == 0, result.stderr
    assert "%" not in result.stderr and "\r" not in result.stderr
