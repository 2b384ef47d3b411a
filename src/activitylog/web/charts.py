"""Geometry of the page's hand-drawn SVG charts: stacked volume bars, the split donut and
the by-category horizontal bars.

Pure: statistics in, coordinates (in viewBox units) out. Templates turn them into SVG
elements, so every label is autoescaped like the rest of the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from activitylog.web.presenters import category_label

#: Series of the volume chart, bottom to top: (key in a volume item, label). They are the
#: catalog's kinds, so named apart from the cards' classes (a sign-out is auth here, and
#: reads / other on the cards).
SERIES: tuple[tuple[str, str], ...] = (
    ("auth", "Auth"),
    ("writes", "Writes"),
    ("other", "Reads"),
)
#: Slices of the donut, the KPI cards' classes: (key in ``Stats.split``, label, colour tone).
SLICES: tuple[tuple[str, str, str], ...] = (
    ("sign_ins", "Sign-ins", "auth"),
    ("writes", "Writes", "writes"),
    ("reads_other", "Reads / other", "other"),
)
VOLUME_WIDTH, VOLUME_HEIGHT = 720, 240
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 44, 8, 12, 28
MAX_X_LABELS = 8
#: Above this many buckets the hidden data table gives way to a summary.
TABLE_MAX_ROWS = 100
DONUT_RADIUS, DONUT_STROKE = 70.0, 26.0
HBAR_ROW, HBAR_LABEL, HBAR_WIDTH, HBAR_COUNT = 28, 104, 196, 56


@dataclass(frozen=True)
class Segment:
    series: str
    y: float
    height: float
    value: int


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    label: str
    total: int
    segments: tuple[Segment, ...]
    values: Mapping[str, int]


@dataclass(frozen=True)
class Tick:
    value: int
    y: float
    text: str


@dataclass(frozen=True)
class XLabel:
    x: float
    text: str


@dataclass(frozen=True)
class VolumeChart:
    group: str
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    x_labels: tuple[XLabel, ...]
    total: int
    peak: Bar | None
    width: int = VOLUME_WIDTH
    height: int = VOLUME_HEIGHT
    plot_left: int = PLOT_LEFT
    plot_top: int = PLOT_TOP
    plot_right: int = VOLUME_WIDTH - PLOT_RIGHT
    baseline: int = VOLUME_HEIGHT - PLOT_BOTTOM
    series: tuple[tuple[str, str], ...] = SERIES
    totals: Mapping[str, int] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        if not self.bars:
            return "No buckets in this window."
        first, last = self.bars[0].label, self.bars[-1].label
        text = f"{self.total:,} events from {first} to {last}"
        if self.peak is not None and self.peak.total:
            text += f"; the busiest was {self.peak.label} with {self.peak.total:,}"
        parts = ", ".join(f"{label.lower()} {self.totals.get(key, 0):,}" for key, label in SERIES)
        return f"{text} ({parts})."

    @property
    def tabulated(self) -> bool:
        return len(self.bars) <= TABLE_MAX_ROWS


def volume_chart(volume: Sequence[Mapping[str, Any]], group: str) -> VolumeChart:
    """Stacked bars for ``Stats.volume`` items ``{label, auth, writes, other}``."""
    count = len(volume)
    top = nice_max(max((_bucket_total(item) for item in volume), default=0))
    plot_width = VOLUME_WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_height = VOLUME_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    baseline = VOLUME_HEIGHT - PLOT_BOTTOM
    slot = plot_width / count if count else 0.0
    width = max(slot * (0.7 if count <= 60 else 0.86), 0.6)
    bars = []
    totals = dict.fromkeys((key for key, _ in SERIES), 0)
    for index, item in enumerate(volume):
        y = float(baseline)
        segments = []
        values = {key: int(item.get(key) or 0) for key, _ in SERIES}
        for key, value in values.items():
            totals[key] += value
            if value <= 0:
                continue
            height = value / top * plot_height
            y -= height
            segments.append(Segment(key, round(y, 2), round(height, 2), value))
        x = PLOT_LEFT + index * slot + (slot - width) / 2
        label = bucket_label(str(item.get("label") or ""), group)
        bars.append(
            Bar(round(x, 2), round(width, 2), label, sum(values.values()), tuple(segments), values)
        )
    ticks = tuple(
        Tick(value, round(baseline - value / top * plot_height, 2), _short(value))
        for value in _tick_values(top)
    )
    x_labels = tuple(
        XLabel(
            round(bars[i].x + bars[i].width / 2, 2),
            axis_label(str(volume[i].get("label") or ""), group),
        )
        for i in _labelled(volume, group)
    )
    peak = max(bars, key=lambda bar: bar.total, default=None)
    return VolumeChart(
        group=group,
        bars=tuple(bars),
        ticks=ticks,
        x_labels=x_labels,
        total=sum(totals.values()),
        peak=peak,
        totals=totals,
    )


def _labelled(volume: Sequence[Mapping[str, Any]], group: str) -> list[int]:
    """Which bars get an x-axis label: at most :data:`MAX_X_LABELS`, evenly spaced; hourly
    bars over more than a day are labelled at local midnights."""
    indices = list(range(len(volume)))
    if group == "hourly" and len(volume) > 24:
        midnights = [i for i in indices if str(volume[i].get("label") or "")[11:16] == "00:00"]
        indices = midnights or indices
    step = max(1, math.ceil(len(indices) / MAX_X_LABELS))
    return indices[::step]


def _bucket_total(item: Mapping[str, Any]) -> int:
    return sum(int(item.get(key) or 0) for key, _ in SERIES)


def nice_max(value: int) -> int:
    """The chart's top: four gridline steps of a "round" size (1, 1.2, 1.5, 2, 2.5, 3, 4, 5,
    6 or 8 times a power of ten, whole numbers only) reaching ``value``; 4 at least."""
    return 4 * nice_step(-(-value // 4)) if value > 4 else 4


def nice_step(value: int) -> int:
    magnitude = int(10 ** max(0, len(str(value)) - 1))
    for factor in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        step = factor * magnitude
        if step >= value and float(step).is_integer():
            return int(step)
    return 10 * magnitude


def _tick_values(top: int) -> list[int]:
    return [top * i // 4 for i in range(5)]


def _short(value: int) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 10_000:
        return f"{value / 1000:g}k"
    return f"{value:,}"


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def bucket_label(label: str, group: str) -> str:
    """A volume label ("2026-05-04" or "2026-05-04 14:00") as people read it."""
    day = _day(label)
    if day is None:
        return label
    text = f"{day:%a}, {day:%b} {day.day}"
    if group == "hourly":
        return f"{text} {label[11:16]}"
    if group == "weekly":
        return f"Week of {day:%b} {day.day}"
    return text


def axis_label(label: str, group: str) -> str:
    """The short x-axis text: "May 4", or "14:00" inside a day for hourly bars."""
    day = _day(label)
    if day is None:
        return label
    if group == "hourly" and label[11:16] != "00:00":
        return label[11:16]
    return f"{day:%b} {day.day}"


@dataclass(frozen=True)
class Slice:
    key: str
    label: str
    #: The colour of the slice (``auth``, ``writes`` or ``other``), as the volume series'.
    tone: str
    value: int
    #: Whole percent; the slices' add up to 100 (``Stats.split_percent``).
    percent: int
    #: ``stroke-dasharray`` and ``stroke-dashoffset`` of the slice on the donut's circle.
    dasharray: str
    dashoffset: str

    @property
    def percent_text(self) -> str:
        return f"{self.percent}%" if self.percent or not self.value else "<1%"


@dataclass(frozen=True)
class Donut:
    slices: tuple[Slice, ...]
    total: int
    radius: float = DONUT_RADIUS
    stroke: float = DONUT_STROKE
    size: float = 2 * (DONUT_RADIUS + DONUT_STROKE / 2) + 4

    @property
    def center(self) -> float:
        return self.size / 2

    @property
    def summary(self) -> str:
        if not self.total:
            return "No events in this window."
        parts = ", ".join(f"{s.label} {s.value:,} ({s.percent_text})" for s in self.slices)
        return f"{self.total:,} events: {parts}."


def donut(split: Mapping[str, int], percents: Mapping[str, int]) -> Donut:
    """Slices of ``Stats.split`` (sign-ins / writes / reads and other, as the KPI cards),
    as dashes on one circle, labelled with ``Stats.split_percent``."""
    total = sum(int(split.get(key) or 0) for key, _, _ in SLICES)
    circumference = 2 * math.pi * DONUT_RADIUS
    start = 0.0
    slices = []
    for key, label, tone in SLICES:
        value = int(split.get(key) or 0)
        share = value / total if total else 0.0
        length = share * circumference
        slices.append(
            Slice(
                key=key,
                label=label,
                tone=tone,
                value=value,
                percent=int(percents.get(key) or 0),
                dasharray=f"{length:.3f} {circumference - length:.3f}",
                dashoffset=f"{-start:.3f}",
            )
        )
        start += length
    return Donut(tuple(slices), total)


@dataclass(frozen=True)
class HBar:
    key: str
    label: str
    value: int
    y: float
    width: float
    percent: float


@dataclass(frozen=True)
class HBars:
    bars: tuple[HBar, ...]
    total: int
    row: int = HBAR_ROW
    label_width: int = HBAR_LABEL
    bar_width: int = HBAR_WIDTH
    count_width: int = HBAR_COUNT

    @property
    def width(self) -> int:
        return self.label_width + self.bar_width + self.count_width

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * self.row

    @property
    def summary(self) -> str:
        if not self.bars:
            return "No events in this window."
        return "; ".join(f"{b.label} {b.value:,}" for b in self.bars) + "."


def category_bars(by_category: Sequence[Mapping[str, Any]]) -> HBars:
    """Horizontal bars for ``Stats.by_category``, biggest first, zero categories left out."""
    items = sorted(
        ((str(i["category"]), int(i.get("count") or 0)) for i in by_category),
        key=lambda pair: (-pair[1], pair[0]),
    )
    items = [(key, n) for key, n in items if n > 0]
    top = max((n for _, n in items), default=0)
    total = sum(n for _, n in items)
    bars = tuple(
        HBar(
            key=key,
            label=category_label(key),
            value=n,
            y=float(i * HBAR_ROW),
            width=round(max(n / top * HBAR_WIDTH, 2.0), 2) if top else 0.0,
            percent=round(n * 100 / total, 1) if total else 0.0,
        )
        for i, (key, n) in enumerate(items)
    )
    return HBars(bars, total)
