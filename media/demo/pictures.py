"""Simple generated pictures for the demo photos, each matching its alt text."""

from __future__ import annotations

import math

from PIL import Image, ImageDraw


def _gradient(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], top: tuple, bottom: tuple) -> None:
    left, upper, right, lower = box
    for y in range(upper, lower):
        t = (y - upper) / max(lower - upper - 1, 1)
        draw.line([(left, y), (right, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))


def harbour(width: int = 1600, height: int = 900) -> Image.Image:
    """A white ferry with a blue hull leaving harbour at dusk, orange sky over the sea."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.62)
    _gradient(draw, (0, 0, width, horizon), (40, 70, 140), (255, 170, 90))
    _gradient(draw, (0, horizon, width, height), (20, 70, 110), (10, 30, 60))
    sun_r = height // 10
    draw.ellipse([width // 4 - sun_r, horizon - 2 * sun_r, width // 4 + sun_r, horizon], fill=(255, 196, 90))
    draw.rectangle([0, horizon - 40, width // 6, horizon], fill=(60, 55, 60))  # the quay
    hull_y = horizon + height // 14
    left, right = int(width * 0.45), int(width * 0.8)
    draw.polygon([(left, hull_y), (right, hull_y), (right - 40, hull_y + 70), (left + 30, hull_y + 70)],
                 fill=(25, 60, 140))
    draw.rectangle([left + 60, hull_y - 90, right - 120, hull_y], fill=(245, 245, 240))
    draw.rectangle([right - 200, hull_y - 150, right - 130, hull_y - 90], fill=(245, 245, 240))
    for i in range(5):
        x = left + 80 + i * 45
        draw.rectangle([x, hull_y - 70, x + 25, hull_y - 45], fill=(255, 230, 120))
    for i in range(40):
        y = horizon + 10 + int((height - horizon) * (i / 40))
        x = int((math.sin(i * 1.7) + 1) * width / 2)
        draw.line([(x, y), (x + 60, y)], fill=(180, 200, 220), width=2)
    return image


def reading_room(width: int = 1600, height: int = 900) -> Image.Image:
    """Rows of wooden desks with green lamps in a quiet reading room."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    _gradient(draw, (0, 0, width, height // 2), (235, 225, 200), (205, 190, 160))
    _gradient(draw, (0, height // 2, width, height), (120, 80, 50), (80, 50, 30))
    for shelf in range(4):  # bookshelves on the back wall
        y = 60 + shelf * 90
        draw.rectangle([40, y + 70, width - 40, y + 80], fill=(90, 60, 35))
        for book in range(0, width - 100, 26):
            shade = (120 + (book * 7) % 100, 60 + (book * 3) % 80, 50 + (book * 5) % 90)
            draw.rectangle([50 + book, y + 10 + (book % 3) * 5, 70 + book, y + 70], fill=shade)
    for row in range(3):
        y = int(height * 0.55) + row * 110
        for desk in range(4):
            x = 120 + desk * 360 + row * 20
            draw.rectangle([x, y, x + 260, y + 24], fill=(150, 100, 55))
            draw.rectangle([x + 10, y + 24, x + 22, y + 90], fill=(110, 70, 40))
            draw.rectangle([x + 238, y + 24, x + 250, y + 90], fill=(110, 70, 40))
            draw.line([(x + 130, y), (x + 130, y - 50)], fill=(60, 60, 60), width=5)
            draw.chord([x + 95, y - 80, x + 165, y - 30], 180, 360, fill=(20, 110, 60))
            draw.ellipse([x + 115, y - 40, x + 145, y - 28], fill=(255, 240, 170))
    return image


def roof_garden(width: int = 1600, height: int = 900) -> Image.Image:
    """Raised beds with herbs and tomatoes on a flat school roof under a blue sky."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    roof = int(height * 0.55)
    _gradient(draw, (0, 0, width, roof), (70, 140, 220), (170, 210, 245))
    draw.rectangle([0, roof, width, height], fill=(150, 150, 145))
    draw.rectangle([0, roof - 12, width, roof], fill=(110, 110, 105))  # the parapet
    for bed in range(3):
        x = 120 + bed * 480
        y = roof + 120
        draw.rectangle([x, y, x + 380, y + 140], fill=(130, 85, 45))
        draw.rectangle([x + 10, y + 10, x + 370, y + 40], fill=(70, 45, 25))
        for plant in range(7):
            px = x + 30 + plant * 50
            draw.line([(px, y + 20), (px, y - 90)], fill=(40, 120, 40), width=6)
            for leaf in range(3):
                ly = y - 20 - leaf * 30
                draw.ellipse([px - 22, ly - 8, px, ly + 8], fill=(60, 160, 60))
                draw.ellipse([px, ly - 8, px + 22, ly + 8], fill=(60, 160, 60))
            if bed == 1:  # tomatoes
                draw.ellipse([px + 6, y - 60, px + 26, y - 40], fill=(215, 40, 30))
    return image
