"""WebVTT regions as the W3C parser computes them from REGION blocks.

https://w3c.github.io/webvtt/#region-settings-parsing. webvtt-py keeps a
region's settings as written; its validators decide, as the spec does,
which settings are ignored, and the values are worked out here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from webvtt.models import CueSettings, Region

# "split a string on spaces" splits on ASCII whitespace only, so a vertical
# tab or a no-break space stays part of a setting
_SPACES = re.compile("[ \t\n\f\r]+")

# webvtt-py's percentage check is the spec's: digits, an optional fraction,
# "%", and a value of at most 100
_is_percentage = CueSettings.VALIDATORS["size"]
_REGION_VALIDATORS = Region.VALIDATORS
# past this many digits int() refuses to convert (sys.get_int_max_str_digits)
_MAX_DIGITS = 4000


@dataclass(frozen=True)
class SpecRegion:
    """A WebVTT region with the attributes of the HTML VTTRegion interface."""

    id: str = ""
    width: float = 100.0
    lines: int = 3
    region_anchor_x: float = 0.0
    region_anchor_y: float = 100.0
    viewport_anchor_x: float = 0.0
    viewport_anchor_y: float = 100.0
    scroll: str = ""  # "" or "up"

    def to_json(self) -> dict[str, object]:
        """Return the region as a dict keyed by VTTRegion attribute names."""
        return {
            "id": self.id,
            "width": self.width,
            "lines": self.lines,
            "regionAnchorX": self.region_anchor_x,
            "regionAnchorY": self.region_anchor_y,
            "viewportAnchorX": self.viewport_anchor_x,
            "viewportAnchorY": self.viewport_anchor_y,
            "scroll": self.scroll,
        }


def split_settings(text: str) -> list[tuple[str, str]]:
    """Return the (name, value) pairs of settings text, skipping malformed ones.

    A setting without a colon, or whose first colon is its first or last
    character, is skipped, as the spec says.
    """
    pairs = []
    for setting in _SPACES.split(text):
        name, _, value = setting.partition(":")
        if name and value:
            pairs.append((name, value))
    return pairs


def parse_percentage(value: str) -> float | None:
    """Return a WebVTT percentage such as "12.5%" as a number, else None."""
    if not _is_percentage(value):
        return None
    return float(value[:-1])


def parse_region_settings(text: str) -> SpecRegion:
    """Return the region that the settings lines of a REGION block define."""
    region = SpecRegion()
    for name, value in split_settings(text):
        if name == "id":
            region = replace(region, id=value)
        elif name not in _REGION_VALIDATORS or not _REGION_VALIDATORS[name](value):
            continue
        elif name == "width":
            region = replace(region, width=float(value[:-1]))
        elif name == "lines":
            digits = value.lstrip("0") or "0"
            if len(digits) <= _MAX_DIGITS:
                region = replace(region, lines=int(digits))
        elif name == "scroll":
            region = replace(region, scroll="up")
        elif name == "regionanchor":
            x, y = _anchor(value)
            region = replace(region, region_anchor_x=x, region_anchor_y=y)
        else:
            x, y = _anchor(value)
            region = replace(region, viewport_anchor_x=x, viewport_anchor_y=y)
    return region


def _anchor(value: str) -> tuple[float, float]:
    """Return the two numbers of a valid anchor such as "10%,90%"."""
    x, _, y = value.partition(",")
    return float(x[:-1]), float(y[:-1])
