"""Run ffmpeg and ffprobe argv lists; failures become MediaError with context."""

from __future__ import annotations

import math
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from media.errors import MediaError
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


def run_tool(argv: list[str], path: Path | str | None = None,
             what: str = "ffmpeg failed", timeout: float = 3600, *,
             duration: float | None = None,
             on_progress: Callable[[Progress], None] | None = None,
             ) -> subprocess.CompletedProcess:
    """Run ``argv`` (never through a shell) and return the completed process.

    With ``on_progress`` (ffmpeg only) the run adds ``-progress pipe:1
    -nostats`` and calls it with a Progress for each report ffmpeg writes;
    ``duration`` is the expected output length, for fractions and ETAs. The
    progress reports are consumed, so the returned stdout is then empty.
    Whatever happens while waiting, Ctrl-C included, the child is killed
    before the exception goes on.

    :raises MediaError: when the tool exits non-zero or runs past ``timeout``
        seconds, naming ``path`` and giving the last line of stderr in the
        message, the full tail on the exception.
    """
    if on_progress is not None:
        return _run_with_progress(argv, path, what, timeout, duration, on_progress)
    try:
        # subprocess.run kills and reaps the child itself on any exception.
        result = subprocess.run(argv, capture_output=True, text=True, errors="replace",
                                stdin=subprocess.DEVNULL, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise _timed_out(what, timeout, path, argv) from error
    except OSError as error:
        raise _cannot_run(what, path, argv, error) from error
    _check(result, what, path)
    return result


def _run_with_progress(argv: list[str], path: Path | str | None, what: str, timeout: float,
                       duration: float | None,
                       on_progress: Callable[[Progress], None]) -> subprocess.CompletedProcess:
    full = [argv[0], "-progress", "pipe:1", "-nostats", *argv[1:]]
    deadline = time.monotonic() + timeout
    try:
        process = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, errors="replace")
    except OSError as error:
        raise _cannot_run(what, path, full, error) from error
    lines: queue.Queue[str | None] = queue.Queue()
    stderr_parts: list[str] = []
    # Both pipes are drained by threads so ffmpeg never blocks on a full pipe,
    # while this thread keeps the deadline and calls back on the caller's thread.
    readers = [threading.Thread(target=_pump_lines, args=(process.stdout, lines), daemon=True),
               threading.Thread(target=_read_all, args=(process.stderr, stderr_parts),
                                daemon=True)]
    for reader in readers:
        reader.start()
    parser = ProgressParser(duration)
    try:
        while True:
            try:
                line = lines.get(timeout=min(_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                if CANCEL.is_set():
                    raise MediaError(f"{what}: stopped", path, full) from None
                if time.monotonic() >= deadline:
                    raise _timed_out(what, timeout, path, full) from None
                continue
            if line is None:
                break
            progress = parser.feed(line)
            if progress is not None:
                on_progress(progress)
        try:
            returncode = process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise _timed_out(what, timeout, path, full) from None
    finally:
        # Runs for timeouts, callback errors and KeyboardInterrupt alike: an
        # ffmpeg left behind would keep writing and burning CPU.
        if process.poll() is None:
            process.kill()
        process.wait()
        for reader in readers:
            reader.join(_READER_JOIN_SECONDS)
        process.stdout.close()
        process.stderr.close()
    result = subprocess.CompletedProcess(full, returncode, "", "".join(stderr_parts))
    _check(result, what, path)
    return result


def _pump_lines(stream, lines: queue.Queue) -> None:
    try:
        for line in stream:
            lines.put(line)
    except (OSError, ValueError):  # the pipe was closed under us after a kill
        pass
    finally:
        lines.put(None)


def _read_all(stream, parts: list[str]) -> None:
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
