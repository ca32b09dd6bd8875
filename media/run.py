"""Run ffmpeg and ffprobe argv lists; failures become MediaError with context."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .errors import MediaError

STDERR_TAIL_LINES = 8


def stderr_tail(stderr: str, lines: int = STDERR_TAIL_LINES) -> str:
    """Return the last non-empty lines of a tool's stderr, joined by newlines."""
    kept = [line.strip() for line in stderr.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def run_tool(argv: list[str], path: Path | str | None = None,
             what: str = "ffmpeg failed", timeout: float = 3600) -> subprocess.CompletedProcess:
    """Run ``argv`` (never through a shell) and return the completed process.

    :raises MediaError: when the tool exits non-zero, naming ``path`` and
        giving the last line of stderr in the message, the full tail on the
        exception.
    """
    try:
        result = subprocess.run(argv, capture_output=True, text=True, errors="replace",
                                stdin=subprocess.DEVNULL, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise MediaError(f"{what}: timed out after {timeout:.0f} s", path, argv) from error
    except OSError as error:
        raise MediaError(f"{what}: cannot run {argv[0]}: {error.strerror}", path, argv) from error
    if result.returncode != 0:
        tail = stderr_tail(result.stderr)
        last = tail.splitlines()[-1] if tail else f"exit code {result.returncode}"
        raise MediaError(f"{what}: {_without_input_name(last, path)}", path, argv, tail)
    return result


def _without_input_name(line: str, path: Path | str | None) -> str:
    # ffmpeg prefixes errors with the input URL ("file:/x/clip.mp4: Invalid
    # data..."); the file is already named once at the start of our message.
    if path is not None:
        for prefix in (f"file:{Path(path).resolve()}: ", f"{path}: "):
            if line.startswith(prefix):
                return line[len(prefix):]
    return line
