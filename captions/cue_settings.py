"""WebVTT cue settings as the W3C parser computes them from a cue timings line.

https://w3c.github.io/webvtt/#parse-the-webvtt-cue-settings. Settings are
read left to right and a later one wins, so "region" only survives when no
"line", non-100 "size" or "vertical" setting (on a cue that is vertical by
then) follows it: each of those drops the cue out of its region, as the
spec's steps say.

webvtt-py's validators for "position" and "size" reject exactly the values
the spec ignores, so they are used as they are; its "line" validator refuses
fractions such as "1.5" that the spec accepts, so "line" is checked here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TypedDict

from webvtt.models import CueSettings

from captions.regions import SpecRegion, parse_percentage, split_settings

_is_valid_position = CueSettings.VALIDATORS["position"]
# what the spec's checks on a line number leave: an optional leading minus,
# digits, and an optional fraction with digits on both sides of the dot
_LINE_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_LINE_ALIGNS = frozenset({"start", "center", "end"})
_ALIGNS = frozenset({"start", "center", "end", "left", "right"})


class CueSettingValues(TypedDict):
    """The values of a cue's settings, named as the SpecCue fields."""

    vertical: str
    snap_to_lines: bool
    line: float | str
    line_align: str
    position: float | str
    position_align: str
    size: float
    align: str
    region: SpecRegion | None


def default_settings() -> CueSettingValues:
    """Return the settings a cue has before its settings text is read."""
    return {
        "vertical": "",
        "snap_to_lines": True,
        "line": "auto",
        "line_align": "start",
        "position": "auto",
        "position_align": "auto",
        "size": 100.0,
        "align": "center",
        "region": None,
    }


def parse_cue_settings(text: str,
                       regions: Mapping[str, SpecRegion]) -> CueSettingValues:
    """Return the settings of a cue from the text after its end time.

    ``regions`` maps each region identifier to the last region defined with
    it, which is the one a "region" setting refers to.
    """
    values = default_settings()
    for name, value in split_settings(text):
        if name == "region":
            values["region"] = regions.get(value)
        elif name == "vertical":
            if value in ("rl", "lr"):
                values["vertical"] = value
            # runs for any value: an earlier vertical setting still applies
            if values["vertical"]:
                values["region"] = None
        elif name == "line":
            _apply_line(values, value)
        elif name == "position":
            if _is_valid_position(value):
                position, _, align = value.partition(",")
                values["position"] = float(position[:-1])
                if align:
                    values["position_align"] = align
        elif name == "size":
            size = parse_percentage(value)
            if size is not None:
                values["size"] = size
                if size != 100:
                    values["region"] = None
        elif name == "align" and value in _ALIGNS:
            values["align"] = value
    return values


def _apply_line(values: CueSettingValues, value: str) -> None:
    """Set the line, its alignment and snap-to-lines from a valid "line" value."""
    position, comma, align = value.partition(",")
    if comma and align not in _LINE_ALIGNS:
        return
    if position.endswith("%"):
        number = parse_percentage(position)
    else:
        number = parse_line_number(position)
    if number is None:
        return
    if comma:
        values["line_align"] = align
    values["line"] = number
    values["snap_to_lines"] = not position.endswith("%")
    values["region"] = None


def parse_line_number(text: str) -> float | None:
    """Return a "line" setting's line number such as "-1" or "1.5", else None."""
    if not _LINE_NUMBER.fullmatch(text):
        return None
    number = float(text)
    # HTML's floating-point rules give an error past the largest double and
    # never give -0; adding +0.0 turns -0.0 into 0.0 and leaves the rest
    if math.isinf(number):
        return None
    return number + 0.0
