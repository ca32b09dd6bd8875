"""Typed errors of the speech package; ``str(error)`` is one line naming the file."""

from __future__ import annotations

from pathlib import Path

from media.errors import MediaError


class SpeechError(MediaError):
    """Speech that cannot be aligned: no model for the language, no audio, a script that does not fit."""


class ScriptError(SpeechError):
    """A script file that cannot be read as a script, with the line at fault when there is one."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        super().__init__(message, path)
        self.line = line

    def __str__(self) -> str:
        if self.path is not None and self.line is not None:
            return f"{self.path}:{self.line}: {self.message}"
        return super().__str__()


class DescriptionsError(ScriptError):
    """A descriptions file that cannot be spoken as it is, with the line at fault."""
