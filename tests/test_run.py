"""Running the real ffmpeg: progress reports, failures, timeouts and interruptions."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from media.errors import MediaError
from media.ffmpeg import commands, tools
from media.ffmpeg.probe import probe
from media.ffmpeg.progress import Progress
from media.ffmpeg.run import CANCEL, STDOUT_CHUNK, run_tool, timeout_for
from tests.conftest import make_clip


@pytest.fixture(scope="module")
def three_second_clip(tmp_path_factory) -> Path:
    """A generated 3-second H.264/AAC clip."""
    return make_clip(tmp_path_factory.mktemp("run") / "three.mp4", seconds=3.0)


def processes_mentioning(marker: str) -> list[int]:
    """Return the ids of live processes whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:  # the process ended while we looked
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


def endless_argv(output: Path) -> list[str]:
    """Return an argv that runs about 30 s in real time (-re) unless stopped."""
    return [tools.ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-re", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=30",
            "-c:v", "libx264", "-preset", "ultrafast", str(output)]


def test_transcode_reports_progress_up_to_the_duration(three_second_clip, tmp_path):
    info = probe(three_second_clip)
    argv = commands.transcode_command(tools.ffmpeg(), info, tmp_path / "out.mp4")
    # ffmpeg reports twice a second by default, which a 3 s clip can outrun;
    # reporting more often makes sure the run streams several updates.
    argv[1:1] = ["-stats_period", "0.05"]
    updates: list[Progress] = []
    result = run_tool(argv, info.path, duration=info.duration, on_progress=updates.append)
    assert isinstance(result, subprocess.CompletedProcess)
    assert result.returncode == 0
    assert len(updates) >= 3
    seconds = [update.seconds for update in updates]
    assert seconds == sorted(seconds)
    assert seconds[0] < seconds[-1]
    assert [update.done for update in updates] == [False] * (len(updates) - 1) + [True]
    assert updates[-1].seconds == pytest.approx(info.duration, abs=0.2)
    assert updates[-1].fraction == 1.0
    assert all(update.total == info.duration for update in updates)
    assert probe(tmp_path / "out.mp4").duration == pytest.approx(info.duration, abs=0.2)


def test_without_progress_output_is_returned_as_text(three_second_clip):
    argv = commands.probe_command(tools.ffprobe(), three_second_clip)
    result = run_tool(argv, three_second_clip)
    assert isinstance(result.stdout, str) and '"streams"' in result.stdout
    assert isinstance(result.stderr, str)


@pytest.mark.parametrize("with_progress", [False, True])
def test_failed_run_raises_one_line_error_with_stderr_tail(tmp_path, with_progress):
    source = tmp_path / "notes.mp4"
    source.write_text("This is a text file, not a video.\n" * 20, encoding="utf-8")
    argv = [tools.ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-i", commands.input_url(source), str(tmp_path / "out.mp4")]
    updates: list[Progress] = []
    options = {"on_progress": updates.append} if with_progress else {}
    with pytest.raises(MediaError) as caught:
        run_tool(argv, source, what="transcode failed", **options)
    error = caught.value
    assert "\n" not in str(error)
    assert str(error).startswith(f"{source}: transcode failed: ")
    assert "Invalid data found" in str(error)
    assert error.stderr_tail and "Invalid data found" in error.stderr_tail
    assert error.path == source
    assert ("-progress" in error.argv) is with_progress
    assert updates == []


def test_missing_binary_is_a_media_error(tmp_path):
    with pytest.raises(MediaError, match="cannot run"):
        run_tool([str(tmp_path / "no-such-ffmpeg"), "-version"], on_progress=lambda _: None)


def test_timeout_kills_ffmpeg_and_says_so(tmp_path):
    marker = f"timeout-{uuid.uuid4().hex}"
    updates: list[Progress] = []
    started = time.monotonic()
    with pytest.raises(MediaError, match=r"timed out after 1 s") as caught:
        run_tool(endless_argv(tmp_path / f"{marker}.mp4"), what="transcode failed",
                 timeout=1, duration=30.0, on_progress=updates.append)
    assert time.monotonic() - started < 5
    assert "\n" not in str(caught.value)
    assert processes_mentioning(marker) == []


@pytest.mark.parametrize("exception", [KeyboardInterrupt, RuntimeError])
def test_exception_in_callback_kills_ffmpeg_and_propagates(tmp_path, exception):
    marker = f"interrupt-{uuid.uuid4().hex}"
    seen_running: list[list[int]] = []

    def interrupt(progress: Progress) -> None:
        seen_running.append(processes_mentioning(marker))
        raise exception("stop")

    started = time.monotonic()
    with pytest.raises(exception, match="stop"):
        run_tool(endless_argv(tmp_path / f"{marker}.mp4"), timeout=60, duration=30.0,
                 on_progress=interrupt)
    assert time.monotonic() - started < 10
    # ffmpeg really was running when the callback raised, and is gone after.
    assert len(seen_running) == 1 and len(seen_running[0]) == 1
    assert processes_mentioning(marker) == []


@pytest.mark.parametrize("duration, limit", [
    (0.0, 120), (3.0, 120), (6.0, 120), (30.0, 600), (900.0, 18000),
    (10_000.0, 21600), (float("inf"), 21600), (float("nan"), 21600), (-5.0, 120),
])
def test_timeout_grows_with_duration_within_bounds(duration, limit):
    assert timeout_for(duration) == limit


def test_timeout_floor_and_factor_can_be_chosen():
    assert timeout_for(2.0, floor=10, factor=3) == 10
    assert timeout_for(20.0, floor=10, factor=3) == 60


@pytest.mark.parametrize("with_progress", [False, True])
def test_cancel_stops_a_running_tool_and_kills_it(tmp_path, with_progress):
    marker = f"cancel-{uuid.uuid4().hex}"
    timer = threading.Timer(0.5, CANCEL.set)
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(MediaError, match=r"transcode failed: stopped"):
            run_tool(endless_argv(tmp_path / f"{marker}.mp4"), what="transcode failed", timeout=60,
                     duration=30.0, on_progress=(lambda _: None) if with_progress else None)
    finally:
        timer.cancel()
        CANCEL.clear()
    assert time.monotonic() - started < 10
    assert processes_mentioning(marker) == []


def test_binary_output_is_returned_as_bytes(three_second_clip):
    result = run_tool([tools.ffmpeg(), "-v", "error", "-i", str(three_second_clip), "-frames:v", "1",
                       "-f", "image2pipe", "-c:v", "png", "pipe:1"], binary_output=True)
    assert result.stdout.startswith(b"\x89PNG")


def endless_stdout_argv(marker: str) -> list[str]:
    """Return an argv that writes raw frames to stdout for about 30 s (-re) unless stopped."""
    return [tools.ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error",
            "-re", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=30",
            "-metadata", f"comment={marker}", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"]


def test_streamed_stdout_arrives_whole_in_chunks_and_is_not_returned(three_second_clip):
    argv = [tools.ffmpeg(), "-v", "error", "-nostdin", "-i", str(three_second_clip),
            "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    whole = run_tool(argv, binary_output=True).stdout
    chunks: list[bytes] = []
    result = run_tool(argv, on_stdout=chunks.append, binary_output=True)
    assert len(whole) == 75 * 320 * 240 * 3  # 3 s at 25 fps, 320x240 RGB
    assert len(chunks) > 1 and all(len(chunk) <= STDOUT_CHUNK for chunk in chunks)
    assert b"".join(chunks) == whole
    assert result.stdout == b""


def test_streaming_holds_ffmpeg_back_while_the_caller_is_busy(three_second_clip):
    marker = f"stream-slow-{uuid.uuid4().hex}"
    # 17 MB of frames: far more than the chunks allowed to wait unread.
    argv = [tools.ffmpeg(), "-v", "error", "-nostdin", "-i", str(three_second_clip),
            "-metadata", f"comment={marker}", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    running_after_a_pause: list[bool] = []

    def slow(chunk: bytes) -> None:
        if not running_after_a_pause:
            time.sleep(1.0)  # decoding 3 s of 320x240 takes far less
            running_after_a_pause.append(bool(processes_mentioning(marker)))

    run_tool(argv, on_stdout=slow)
    assert running_after_a_pause == [True]


@pytest.mark.parametrize("exception", [KeyboardInterrupt, RuntimeError])
def test_exception_while_streaming_kills_ffmpeg_and_ends_the_reader(exception):
    marker = f"stream-{uuid.uuid4().hex}"
    threads_before = threading.active_count()

    def interrupt(chunk: bytes) -> None:
        raise exception("stop")

    with pytest.raises(exception, match="stop"):
        run_tool(endless_stdout_argv(marker), timeout=60, on_stdout=interrupt)
    assert processes_mentioning(marker) == []
    assert threading.active_count() == threads_before


def test_cancel_stops_a_streaming_tool_and_kills_it():
    marker = f"stream-cancel-{uuid.uuid4().hex}"
    received: list[int] = []
    timer = threading.Timer(0.5, CANCEL.set)
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(MediaError, match=r"frames failed: stopped"):
            run_tool(endless_stdout_argv(marker), what="frames failed", timeout=60,
                     on_stdout=lambda chunk: received.append(len(chunk)))
    finally:
        timer.cancel()
        CANCEL.clear()
    assert time.monotonic() - started < 10
    assert sum(received) > 0
    assert processes_mentioning(marker) == []


def test_streaming_stdout_times_out_and_kills_the_tool():
    marker = f"stream-timeout-{uuid.uuid4().hex}"
    with pytest.raises(MediaError, match=r"timed out after 1 s"):
        run_tool(endless_stdout_argv(marker), timeout=1, on_stdout=lambda chunk: None)
    assert processes_mentioning(marker) == []


def test_progress_and_streamed_stdout_cannot_be_asked_together():
    with pytest.raises(ValueError, match="pass one of them"):
        run_tool(["ffmpeg"], on_progress=lambda _: None, on_stdout=lambda _: None)
