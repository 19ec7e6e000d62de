"""The report mail's chart as a PNG (Pillow): mail programs show no SVG and run no
script, so the trend the stats page draws as SVG goes out as a picture, attached inline
(Content-ID) beside a table of the same numbers. Drawn at twice its shown size for
sharp screens."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 560, 200  # as shown in the mail
SCALE = 2
INK = (33, 37, 41)
MUTED = (108, 117, 125)
GRID = (222, 226, 230)
BAR = (1, 114, 173)  # Pico's primary blue: legible on white and on a dark mail theme
BEFORE = (173, 181, 189)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size * SCALE)


def _nice_top(value: int) -> int:
    """A round number at or above `value` for the top of the scale."""
    if value <= 5:
        return 5
    step = 10 ** (len(str(value)) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if value <= step * factor:
            return int(step * factor)
    return value


def trend_png(days: list[date], values: list[int], before: list[int], label: str) -> bytes:
    """Bars for each day of the period, the previous period's days as a grey line."""
    s = SCALE
    image = Image.new("RGB", (WIDTH * s, HEIGHT * s), "white")
    draw = ImageDraw.Draw(image)
    small, title = _font(11), _font(12)
    left, right, top, bottom = 44 * s, (WIDTH - 12) * s, 26 * s, (HEIGHT - 28) * s
    draw.text((left, 6 * s), f"{label} per day", fill=INK, font=title)
    legend_x = right - 230 * s
    draw.rectangle((legend_x, 9 * s, legend_x + 10 * s, 17 * s), fill=BAR)
    draw.text((legend_x + 14 * s, 6 * s), "this period", fill=MUTED, font=small)
    draw.line((legend_x + 100 * s, 13 * s, legend_x + 116 * s, 13 * s), fill=BEFORE, width=2 * s)
    draw.text((legend_x + 120 * s, 6 * s), "the one before", fill=MUTED, font=small)
    peak = _nice_top(max([*values, *before, 0]))
    for fraction in (0, 0.5, 1):
        y = bottom - (bottom - top) * fraction
        draw.line((left, y, right, y), fill=GRID, width=s)
        words = f"{round(peak * fraction):,}"
        width = draw.textlength(words, font=small)
        draw.text((left - 6 * s - width, y - 7 * s), words, fill=MUTED, font=small)
    count = max(len(days), 1)
    slot = (right - left) / count
    bar = max(slot * 0.7, s)

    def height(value: int) -> float:
        return (bottom - top) * value / peak

    for i, value in enumerate(values):
        x = left + slot * i + (slot - bar) / 2
        if value:
            draw.rectangle((x, bottom - height(value), x + bar, bottom), fill=BAR)
    points = [(left + slot * (i + 0.5), bottom - height(v)) for i, v in enumerate(before)]
    if len(points) > 1:
        draw.line(points, fill=BEFORE, width=2 * s, joint="curve")
    step = max(1, round(count / 7))
    for i in range(0, count, step):
        words = f"{days[i].day} {days[i]:%b}"
        width = draw.textlength(words, font=small)
        x = left + slot * (i + 0.5) - width / 2
        draw.text((max(x, left), bottom + 6 * s), words, fill=MUTED, font=small)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
