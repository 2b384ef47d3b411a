"""The report's two charts as vector drawings (reportlab graphics): the volume over the
window, stacked by kind, and the events by category as horizontal bars.

Both are drawn from the :class:`~activitylog.stats.Stats` the page shows, with the page's
series colours, so a printed report and the screen agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from activitylog.reports.fonts import FontSet
from activitylog.web.presenters import category_label

#: (volume key, legend label, colour): the page's series.
SERIES: tuple[tuple[str, str, colors.Color], ...] = (
    ("auth", "Sign-ins and auth", colors.HexColor("#4f46e5")),
    ("writes", "Writes", colors.HexColor("#0f766e")),
    ("other", "Reads / other", colors.HexColor("#b45309")),
)
BAR = colors.HexColor("#4f46e5")
TRACK = colors.HexColor("#eef0f4")
GRID = colors.HexColor("#e5e7eb")
INK = colors.HexColor("#111827")
MUTED = colors.HexColor("#636a76")
LABEL_SIZE = 6.5
MAX_CATEGORIES = 10


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)


def volume_chart(
    volume: Sequence[Mapping[str, Any]], width: float, height: float, fonts: FontSet
) -> Drawing:
    """Stacked bars, one per bucket of ``volume`` (the ``Stats.volume`` rows), a y axis
    with three gridlines and a legend."""
    drawing = Drawing(width, height)
    left, bottom, legend = 30.0, 16.0, 14.0
    plot_w, plot_h = width - left - 4, height - bottom - legend - 4
    totals = [sum(int(row.get(key) or 0) for key, _, _ in SERIES) for row in volume]
    top = 3 * nice_ceiling(math.ceil(max(totals, default=0) / 3))  # three whole steps
    for i in range(4):
        y = bottom + plot_h * i / 3
        drawing.add(Line(left, y, left + plot_w, y, strokeColor=GRID, strokeWidth=0.5))
        drawing.add(
            String(
                left - 4,
                y - 2,
                _short(top * i / 3),
                fontName=fonts.regular,
                fontSize=LABEL_SIZE,
                fillColor=MUTED,
                textAnchor="end",
            )
        )
    slot = plot_w / max(len(volume), 1)
    bar_w = max(slot * 0.7, 0.6)
    one_day = len({str(row.get("label") or "")[:10] for row in volume}) <= 1
    labels = [fonts.drawable(_bucket_label(row, one_day)) for row in volume]
    widest = max((stringWidth(text, fonts.regular, LABEL_SIZE) for text in labels), default=0)
    label_every = max(1, math.ceil((widest + 8) / slot))  # labels never touch
    for index, row in enumerate(volume):
        x = left + index * slot + (slot - bar_w) / 2
        y = bottom
        for key, _, colour in SERIES:
            n = int(row.get(key) or 0)
            if n:
                h = plot_h * n / top
                drawing.add(_box(x, y, bar_w, h, colour))
                y += h
        if index % label_every == 0:
            drawing.add(
                String(
                    x + bar_w / 2,
                    bottom - 9,
                    labels[index],
                    fontName=fonts.regular,
                    fontSize=LABEL_SIZE,
                    fillColor=MUTED,
                    textAnchor="middle",
                )
            )
    x = left
    for _, label, colour in SERIES:
        drawing.add(_box(x, height - 9, 7, 7, colour))
        drawing.add(
            String(
                x + 10,
                height - 8,
                label,
                fontName=fonts.regular,
                fontSize=LABEL_SIZE + 0.5,
                fillColor=INK,
            )
        )
        x += 18 + len(label) * 3.6
    return drawing


def category_chart(
    by_category: Sequence[Mapping[str, Any]], width: float, fonts: FontSet
) -> Drawing:
    """One labelled bar per category (the ``Stats.by_category`` rows, largest first), up
    to :data:`MAX_CATEGORIES`, the rest summed as "Other categories"."""
    rows = [(category_label(str(r["category"])), int(r["count"])) for r in by_category]
    if len(rows) > MAX_CATEGORIES:
        rest = sum(n for _, n in rows[MAX_CATEGORIES - 1 :])
        rows = [*rows[: MAX_CATEGORIES - 1], ("Other categories", rest)]
    row_h, label_w = 15.0, 78.0
    drawing = Drawing(width, row_h * max(len(rows), 1))
    top = max((n for _, n in rows), default=0) or 1
    total = sum(n for _, n in rows) or 1
    values = [f"{n:,} ({round(n * 100 / total)}%)" for _, n in rows]
    value_w = max((stringWidth(v, fonts.regular, 7) for v in values), default=0) + 6
    bar_room = width - label_w - value_w
    for index, ((label, n), value) in enumerate(zip(rows, values, strict=True)):
        y = drawing.height - (index + 1) * row_h
        drawing.add(
            String(
                0,
                y + 4.5,
                _fit(fonts.drawable(label), fonts.regular, 7.5, label_w - 4),
                fontName=fonts.regular,
                fontSize=7.5,
                fillColor=INK,
            )
        )
        drawing.add(_box(label_w, y + 3, bar_room, row_h - 6, TRACK))
        drawing.add(_box(label_w, y + 3, max(bar_room * n / top, 0.8), row_h - 6, BAR))
        drawing.add(
            String(
                width,
                y + 4.5,
                value,
                fontName=fonts.regular,
                fontSize=7,
                fillColor=MUTED,
                textAnchor="end",
            )
        )
    return drawing


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text``, cut and ended with an ellipsis when wider than ``width``."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _box(x: float, y: float, width: float, height: float, colour: colors.Color) -> Rect:
    box = Rect(x, y, width, height)
    box.fillColor, box.strokeColor = colour, None
    return box


def _short(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 1000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _bucket_label(row: Mapping[str, Any], one_day: bool) -> str:
    """ "12-06" for a day; "14:00" for an hour of a one-day window, else "12-06 14:00" (the
    rows' labels are local)."""
    label = str(row.get("label") or "")
    day, _, clock = label.partition(" ")
    short = day[5:] if len(day) == 10 else day
    if not clock:
        return short
    return clock[:5] if one_day else f"{short} {clock[:5]}"
