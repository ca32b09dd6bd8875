"""Crops for thumbnails: aspect ratios, focus points and the boxes they give."""

from __future__ import annotations

import math


def parse_aspect(text: str) -> tuple[int, int]:
    """Return ``(width, height)`` from an aspect ratio written "W:H", such as "16:9".

    :raises ValueError: if it is not two positive whole numbers joined by ":".
    """
    parts = str(text).strip().split(":")
    if len(parts) == 2 and all(p.strip().isdecimal() for p in parts):
        width, height = (int(p) for p in parts)
        if width > 0 and height > 0:
            return width, height
    raise ValueError(f"aspect ratio must be W:H with two positive whole numbers, such as 16:9;"
                     f" got {text!r}")


def crop_box(width: int, height: int, aspect: tuple[int, int],
             focus: tuple[float, float] = (0.5, 0.5)) -> tuple[int, int, int, int]:
    """Return the largest ``aspect`` box inside the image, centred on ``focus`` but kept inside.

    :raises ValueError: if a size or aspect is not positive or focus is outside 0..1.
    """
    if width < 1 or height < 1:
        raise ValueError(f"image size must be positive, not {width} x {height}")
    aspect_w, aspect_h = aspect
    if aspect_w <= 0 or aspect_h <= 0:
        raise ValueError(f"aspect ratio must be positive, not {aspect_w}:{aspect_h}")
    focus_x, focus_y = check_focus(focus)
    if width * aspect_h >= height * aspect_w:
        box_w, box_h = max(1, min(width, height * aspect_w // aspect_h)), height
    else:
        box_w, box_h = width, max(1, min(height, width * aspect_h // aspect_w))
    left = min(max(math.floor(focus_x * width - box_w / 2 + 0.5), 0), width - box_w)
    top = min(max(math.floor(focus_y * height - box_h / 2 + 0.5), 0), height - box_h)
    return left, top, left + box_w, top + box_h


def check_focus(focus: tuple[float, float]) -> tuple[float, float]:
    """Return ``focus`` as two floats.

    :raises ValueError: unless it is two numbers, each within 0..1.
    """
    try:
        focus_x, focus_y = (float(v) for v in focus)
    except (TypeError, ValueError):
        raise ValueError(f"focus must be two numbers (x, y), not {focus!r}") from None
    if not (0.0 <= focus_x <= 1.0 and 0.0 <= focus_y <= 1.0):
        raise ValueError(f"focus must be within 0..1 on both axes, not {focus!r}")
    return focus_x, focus_y


def scaled_box(box: tuple[float, float, float, float], full: tuple[int, int],
               decoded: tuple[int, int]) -> tuple[float, float, float, float]:
    """Move a crop box from full-size pixels into those of the (DCT-scaled) decoded picture."""
    scale_x, scale_y = decoded[0] / full[0], decoded[1] / full[1]
    left, top, right, bottom = box
    return left * scale_x, top * scale_y, right * scale_x, bottom * scale_y
