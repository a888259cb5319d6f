"""Small static charts as PNG bytes: emails run no JavaScript and PDFs have no browser."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

from PIL import Image, ImageDraw, ImageFont

COLOURS = {
    "health": "#1d2430",
    "satisfaction": "#2457c5",
    "trust": "#c5221f",
    "communication": "#1e8e3e",
    "partnership": "#8e44ad",
    "sentiment": "#777777",
    "this": "#2457c5",
    "last": "#9db7ee",
}
GRID = "#d9dee7"
INK = "#5b6576"


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    """The PNG as a data: URI for HTML pages and PDFs."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def line_chart(
    series: Mapping[str, Sequence[float | None]],
    labels: Sequence[str],
    *,
    low: float,
    high: float,
    width: int = 640,
    height: int = 240,
) -> bytes:
    """Lines over labelled points on a fixed y range; None is a gap. Legend at the bottom."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = _font(11)
    left, right, top, bottom = 40, width - 10, 10, height - 48
    for i in range(5):
        value = low + (high - low) * i / 4
        y = bottom - (bottom - top) * i / 4
        draw.line([(left, y), (right, y)], fill=GRID)
        draw.text((4, y - 6), f"{value:g}", fill=INK, font=font)
    n = max(1, len(labels))
    step = (right - left) / max(1, n - 1) if n > 1 else 0

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + step * i if n > 1 else (left + right) / 2
        return x, bottom - (bottom - top) * (min(high, max(low, v)) - low) / (high - low)

    for i, label in enumerate(labels):
        x, _ = xy(i, low)
        draw.text((x - 14, bottom + 4), label[:8], fill=INK, font=font)
    legend_x = left
    for name, values in series.items():
        colour = COLOURS.get(name, "#333333")
        run: list[tuple[float, float]] = []
        for i, v in enumerate(values):
            if v is None:
                if len(run) > 1:
                    draw.line(run, fill=colour, width=2)
                run = []
                continue
            point = xy(i, float(v))
            run.append(point)
            draw.ellipse([point[0] - 3, point[1] - 3, point[0] + 3, point[1] + 3], fill=colour)
        if len(run) > 1:
            draw.line(run, fill=colour, width=2)
        draw.rectangle([legend_x, height - 16, legend_x + 10, height - 6], fill=colour)
        draw.text((legend_x + 14, height - 18), name, fill=INK, font=font)
        legend_x += 20 + int(draw.textlength(name, font=font)) + 12
    return _png(image)


def bar_pairs(
    rows: Sequence[tuple[str, float, float]],
    *,
    width: int = 640,
    bar_height: int = 10,
) -> bytes:
    """Horizontal pairs of bars, this period over last, one row per label."""
    font = _font(11)
    height = 24 + max(1, len(rows)) * (2 * bar_height + 10)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    left, right = 130, width - 40
    top_value = max([max(a, b) for _, a, b in rows] or [1.0]) or 1.0
    y = 6
    for label, this, last in rows:
        draw.text((4, y + 4), label[:20], fill=INK, font=font)
        for value, key in ((this, "this"), (last, "last")):
            length = (right - left) * value / top_value
            draw.rectangle([left, y, left + max(1, length), y + bar_height - 1], fill=COLOURS[key])
            draw.text((left + length + 4, y - 1), f"{value:g}", fill=INK, font=font)
            y += bar_height
        y += 10
    draw.rectangle([left, height - 14, left + 10, height - 4], fill=COLOURS["this"])
    draw.text((left + 14, height - 16), "this period", fill=INK, font=font)
    draw.rectangle([left + 110, height - 14, left + 120, height - 4], fill=COLOURS["last"])
    draw.text((left + 124, height - 16), "previous period", fill=INK, font=font)
    return _png(image)
