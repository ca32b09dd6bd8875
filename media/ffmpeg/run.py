"""Run ffmpeg and ffprobe argv lists; failures become MediaError with context."""

from __future__ import annotations

import fcntl
import math
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from media.errors import MediaError, StalledError
from media.ffmpeg.progress import Progress, ProgressParser

STDERR_TAIL_LINES = 8

# Once ffmpeg is killed its pipes close at once; this only guards against a
# reader thread stuck on a pipe some grandchild kept open.
_READER_JOIN_SECONDS = 5.0


def stderr_tail(stderr: str, lines: int = STDERR_TAIL_LINES) -> str:
    """Return the last non-empty lines of a tool's stderr, joined by newlines."""
    kept = [line.strip() for line in stderr.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def timeout_for(duration: float, floor: float = 120, factor: float = 20,
                ceiling: float = 6 * 3600) -> float:
    """Return a wall-time limit in seconds for processing media of ``duration`` seconds.

    A crafted file (a tiny clip with enormous frames, a stream that never
    ends) must not keep ffmpeg busy for good: the limit grows with the
    media's length, never drops below ``floor`` so short clips on a slow
    machine still finish, and never exceeds ``ceiling`` because the duration
    itself comes from the file and may be a lie.
    """
    if math.isnan(duration):
        return ceiling
    return min(ceiling, max(floor, duration * factor))


# Set to stop every running ffmpeg of this process (Ctrl-C during a parallel
# ingest reaches only the main thread; workers watch this instead).
CANCEL = threading.Event()
_POLL_SECONDS = 0.25
# An ffmpeg run that reports progress and whose output time then stands still
# this long is killed: a hung network mount or a wedged decoder would
# otherwise hold a worker until the much longer wall-time limit.
STALL_SECONDS = 120.0


def set_stall_seconds(seconds: float) -> None:
    """Make runs with progress reports stop after ``seconds`` without progress (default 120)."""
    global STALL_SECONDS
    STALL_SECONDS = float(seconds)


class _Watchdog:
    """Remembers when a run's output time last moved; raises StalledError once it stands still too long."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.moved = time.monotonic()
        self.reached = -1.0

    def saw(self, progress: Progress) -> None:
        if progress.seconds > self.reached or progress.done:
            self.reached = progress.seconds
            self.moved = time.monotonic()

    def check(self, what: str, path: Path | str | None, argv: list[str]) -> None:
        if time.monotonic() - self.moved >= self.seconds:
            raise StalledError(f"{what}: no progress for {self.seconds:.0f} s, stopped", path, argv)
# With ``on_stdout``, stdout is handed over in chunks of at most this size,
# and at most this many wait unread: ffmpeg blocks on a full pipe until the
# caller catches up, so memory stays bounded whatever the output's length.
# Room for more than a 1080p RGB frame lets ffmpeg decode the next frame
# while the caller looks at the last one.
STDOUT_CHUNK = 1 << 20
_STDOUT_CHUNKS_WAITING = 8


def run_tool(argv: list[str], path: Path | str | None = None,
             what: str = "ffmpeg failed", timeout: float = 3600, *,
             duration: float | None = None,
             on_progress: Callable[[Progress], None] | None = None,
             binary_output: bool = False,
             on_stdout: Callable[[bytes], None] | None = None,
             ) -> subprocess.CompletedProcess:
    """Run ``argv`` (never through a shell) and return the completed process.

    With ``on_progress`` (ffmpeg only) the run adds ``-progress pipe:1
    -nostats`` and calls it with a Progress for each report ffmpeg writes;
    ``duration`` is the expected output length, for fractions and ETAs. The
    progress reports are consumed, so the returned stdout is then empty.
    stdout is text unless ``binary_output`` asks for bytes (frames on a pipe).
    With ``on_stdout`` it is instead streamed: called with each chunk of
    stdout as it arrives, on the caller's thread, and the returned stdout is
    empty; ffmpeg waits while the caller is busy, so output of any length
    takes little memory.
    Whatever happens while waiting, Ctrl-C or ``CANCEL`` included, the child
    is killed before the exception goes on.

    :raises MediaError: when the tool exits non-zero, runs past ``timeout``
        seconds or is stopped by ``CANCEL``, naming ``path`` and giving the
        last line of stderr in the message, the full tail on the exception.
    :raises StalledError: with ``on_progress``, when the output time stands
        still for STALL_SECONDS.
    """
    if on_progress is not None and on_stdout is not None:
        raise ValueError("on_progress and on_stdout both read stdout: pass one of them")
    full = argv if on_progress is None else [argv[0], "-progress", "pipe:1", "-nostats", *argv[1:]]
    deadline = time.monotonic() + timeout
    _check_stop(deadline, what, timeout, path, full)  # a cancelled ingest starts nothing new
    try:
        process = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
    except OSError as error:
        raise _cannot_run(what, path, full, error) from error
    lines: queue.Queue[bytes | None] = queue.Queue()
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=_STDOUT_CHUNKS_WAITING)
    stopped = threading.Event()
    stdout_parts: list[bytes] = []
    stderr_parts: list[bytes] = []
    # Both pipes are drained by threads so ffmpeg never blocks on a full pipe
    # (stderr) or blocks only until the caller takes the next chunk (stdout),
    # while this thread keeps the deadline, watches CANCEL and calls back on
    # the caller's thread.
    if on_progress is not None:
        stdout_reader = threading.Thread(target=_pump_lines, args=(process.stdout, lines),
                                         daemon=True)
    elif on_stdout is not None:
        _widen_pipe(process.stdout)
        stdout_reader = threading.Thread(target=_pump_chunks,
                                         args=(process.stdout, chunks, stopped), daemon=True)
    else:
        stdout_reader = threading.Thread(target=_read_all, args=(process.stdout, stdout_parts),
                                         daemon=True)
    readers = [stdout_reader,
               threading.Thread(target=_read_all, args=(process.stderr, stderr_parts), daemon=True)]
    for reader in readers:
        reader.start()
    try:
        if on_progress is not None:
            parser = ProgressParser(duration)
            watchdog = _Watchdog(STALL_SECONDS)

            def report(line: bytes) -> None:
                progress = parser.feed(line.decode("utf-8", "replace"))
                if progress is not None:
                    watchdog.saw(progress)
                    on_progress(progress)

            _follow(lines, report, deadline, what, timeout, path, full, watchdog)
        elif on_stdout is not None:
            _follow(chunks, on_stdout, deadline, what, timeout, path, full)
        returncode = _wait(process, readers, deadline, what, timeout, path, full)
    finally:
        # Runs for timeouts, callback errors and KeyboardInterrupt alike: an
        # ffmpeg left behind would keep writing and burning CPU.
        if process.poll() is None:
            process.kill()
        process.wait()
        # A chunk reader waiting for room in the queue gives up once stopped.
        stopped.set()
        for reader in readers:
            reader.join(_READER_JOIN_SECONDS)
        process.stdout.close()
        process.stderr.close()
    stdout = b"".join(stdout_parts)
    result = subprocess.CompletedProcess(
        full, returncode, stdout if binary_output else stdout.decode("utf-8", "replace"),
        b"".join(stderr_parts).decode("utf-8", "replace"))
    _check(result, what, path)
    return result


def _follow(items: queue.Queue, deliver: Callable[[bytes], None], deadline: float,
            what: str, timeout: float, path: Path | str | None, argv: list[str],
            watchdog: _Watchdog | None = None) -> None:
    """Hand each line or chunk the reader queues to ``deliver``, on this thread, until the pipe closes."""
    while True:
        try:
            item = items.get(timeout=min(_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        except queue.Empty:
            _check_stop(deadline, what, timeout, path, argv)
            if watchdog is not None:
                watchdog.check(what, path, argv)
            continue
        if item is None:
            return
        _check_stop(deadline, what, timeout, path, argv)
        if watchdog is not None:
            watchdog.check(what, path, argv)
        deliver(item)


def _wait(process: subprocess.Popen, readers: list[threading.Thread], deadline: float,
          what: str, timeout: float, path: Path | str | None, argv: list[str]) -> int:
    # Joining the pipe readers wakes the moment the tool closes its pipes;
    # Popen.wait(timeout) would poll, up to 50 ms late on every short run.
    for reader in readers:
        while reader.is_alive():
            reader.join(min(_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            if reader.is_alive():
                _check_stop(deadline, what, timeout, path, argv)
    while True:
        try:
            return process.wait(timeout=min(_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            _check_stop(deadline, what, timeout, path, argv)


def _check_stop(deadline: float, what: str, timeout: float, path: Path | str | None,
                argv: list[str]) -> None:
    if CANCEL.is_set():
        raise MediaError(f"{what}: stopped", path, argv)
    if time.monotonic() >= deadline:
        raise _timed_out(what, timeout, path, argv)


def _pump_lines(stream, lines: queue.Queue) -> None:
    try:
        for line in stream:
            lines.put(line)
    except (OSError, ValueError):  # the pipe was closed under us after a kill
        pass
    finally:
        lines.put(None)


def _widen_pipe(stream) -> None:
    # A 64 KiB pipe makes a tool writing frames of megabytes stop and wait for
    # the reader every 64 KiB; a pipe of STDOUT_CHUNK (Linux's default limit
    # for any user) lets it write a good part of a frame at once.
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        try:
            fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, STDOUT_CHUNK)
        except OSError:  # a lower system limit: the pipe keeps its size
            pass


def _pump_chunks(stream, chunks: queue.Queue, stopped: threading.Event) -> None:
    try:
        while chunk := stream.read1(STDOUT_CHUNK):
            while not stopped.is_set():
                try:
                    chunks.put(chunk, timeout=_POLL_SECONDS)
                    break
                except queue.Full:
                    continue
            if stopped.is_set():
                return
    except (OSError, ValueError):  # the pipe was closed under us after a kill
        pass
    while not stopped.is_set():
        try:
            chunks.put(None, timeout=_POLL_SECONDS)
            return
        except queue.Full:
            continue


def _read_all(stream, parts: list[bytes]) -> None:
    try:
        parts.append(stream.read())
    except (OSError, ValueError):  # the pipe was closed under us after a kill
        pass


def _check(result: subprocess.CompletedProcess, what: str, path: Path | str | None) -> None:
    if result.returncode != 0:
        tail = stderr_tail(result.stderr)
        last = tail.splitlines()[-1] if tail else f"exit code {result.returncode}"
        raise MediaError(f"{what}: {_without_input_name(last, path)}", path, result.args, tail)


def _timed_out(what: str, timeout: float, path: Path | str | None,
               argv: list[str]) -> MediaError:
    return MediaError(f"{what}: timed out after {timeout:.0f} s", path, argv)


def _cannot_run(what: str, path: Path | str | None, argv: list[str],
                error: OSError) -> MediaError:
    return MediaError(f"{what}: cannot run {argv[0]}: {error.strerror}", path, argv)


def _without_input_name(line: str, path: Path | str | None) -> str:
    # ffmpeg prefixes errors with the input URL ("file:/x/clip.mp4: Invalid
    # data..."); the file is already named once at the start of our message.
    if path is not None:
        for prefix in (f"file:{Path(path).resolve()}: ", f"{path}: "):
            if line.startswith(prefix):
                return line[len(prefix):]
    return line
