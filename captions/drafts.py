"""Automatic draft captions: the NOTE that marks a WebVTT file as an unreviewed draft, and finding it.

A draft made by speech recognition starts with this NOTE, so that an editor
opening the file sees what it is, and ingest can refuse to publish it unless
the bundle says ``automatic: true`` for that track.
"""

from __future__ import annotations

import re

# The first words of the NOTE are what marks a draft; what follows may name the engine and hints.
DRAFT_MARK = "Automatic draft captions"
DRAFT_NOTE = (f"NOTE {DRAFT_MARK}, made by speech recognition and not reviewed.\n"
              "Check and correct every cue before publishing; a bundle may publish\n"
              "this file only as a track marked automatic: true.")

# A NOTE block (WebVTT 4.1: "NOTE" then a space, tab or line end) whose text starts with the mark.
_DRAFT_BLOCK = re.compile(rf"(?m)^NOTE(?:[ \t]+|[ \t]*\r?\n){re.escape(DRAFT_MARK)}")


def draft_note(details: str | None = None) -> str:
    """Return the NOTE block for the top of a draft, with ``details`` (engine, hints) as its last lines."""
    if not details:
        return DRAFT_NOTE
    # "-->" would end the NOTE block early (WebVTT 4.1); a blank line would too.
    lines = [line.replace("-->", "->") for line in details.splitlines() if line.strip()]
    return "\n".join([DRAFT_NOTE, *lines])


def is_draft(text: str) -> bool:
    """Return True when WebVTT ``text`` carries the automatic draft NOTE."""
    return _DRAFT_BLOCK.search(text) is not None
