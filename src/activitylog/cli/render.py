"""Terminal tables for ``query`` and ``stats`` (rich; plain text when piped).

Every value goes in as :class:`rich.text.Text`, so event text is never read as markup.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from typing import Any, Literal

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from activitylog.events import parse_time
from activitylog.query import Page
from activitylog.stats import Stats
from activitylog.timeranges import zone

DESCRIPTION_WIDTH = 60
BAR_WIDTH = 30
PIPE_WIDTH = 160
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m-%d %H:%M")
_RESULT_STYLE = {"success": "green", "warning": "yellow", "failure": "red"}


def make_console() -> Console:
    """stdout; wide enough for a page of events when it is not a terminal (pipes, files)."""
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPE_WIDTH
    return console


def local_time(timestamp: str | None, tz: str, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """An RFC 3339 UTC timestamp shown in zone ``tz``."""
    if not timestamp:
        return ""
    return parse_time(timestamp).astimezone(zone(tz)).strftime(fmt)


def truncate(text: str | None, width: int = DESCRIPTION_WIDTH) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def who(event: dict[str, Any]) -> str:
    """The actor's name (or id), and the impersonating admin when there is one."""
    actor = event.get("actor") or {}
    name = str(actor.get("name") or actor.get("id") or "System")
    impersonator = event.get("impersonator") or {}
    by = impersonator.get("name") or impersonator.get("id")
    return f"{name} (via {by})" if by else name


_PAGE_COLUMNS = ("#", "time", "user", "category", "event", "result", "ip", "description")
#: Narrowest each column may get when the terminal is tight, shrunk in this order.
_SHRINK = {"description": 8, "user": 8, "event": 12, "category": 8, "ip": 7}
_CAPS = {"user": 28, "category": 16, "event": 32, "ip": 39, "description": DESCRIPTION_WIDTH}


def page_rows(page: Page, tz: str, time_format: str = TIME_FORMATS[0]) -> list[list[str]]:
    """The cells of the query table, one list per event."""
    return [
        [
            str(event.get("seq") or ""),
            local_time(event.get("occurred_at"), tz, time_format),
            who(event),
            str(event.get("category") or ""),
            str(event.get("label") or event.get("action") or ""),
            str(event.get("result") or ""),
            str(event.get("ip") or ""),
            truncate(event.get("description")),
        ]
        for event in page.items
    ]


def print_page(page: Page, tz: str, console: Console | None = None) -> None:
    console = console or make_console()
    # Narrow terminals get shorter times: "2026-11-22 17:29", then "11-22 17:29".
    time_format = TIME_FORMATS[(console.width < 130) + (console.width < 100)]
    rows = page_rows(page, tz, time_format)
    if rows:
        widths = _fit(rows, console.width)
        table = Table(box=None, pad_edge=False, header_style="bold", padding=(0, 1))
        for name, width in zip(_PAGE_COLUMNS, widths, strict=True):
            justify: Literal["left", "right"] = "right" if name == "#" else "left"
            table.add_column(name, justify=justify, width=width, no_wrap=True, overflow="ellipsis")
        for cells in rows:
            styles = ["", "", "", "", "", _RESULT_STYLE.get(cells[5], ""), "", ""]
            table.add_row(*(Text(c, style=st) for c, st in zip(cells, styles, strict=True)))
        console.print(table)
    pages = max(1, math.ceil(page.total / page.per_page))
    noun = "event" if page.total == 1 else "events"
    console.print(Text(f"page {page.page} of {pages}, {page.total} {noun}"))


def _fit(rows: list[list[str]], available: int) -> list[int]:
    """Column widths: natural (capped), shrunk in :data:`_SHRINK` order to fit."""
    widths = {
        name: min(
            _CAPS.get(name, 1000),
            max(cell_len(name), *(cell_len(row[i]) for row in rows)),
        )
        for i, name in enumerate(_PAGE_COLUMNS)
    }
    excess = sum(widths.values()) + 2 * (len(widths) - 1) - available
    for name, floor in _SHRINK.items():
        if excess <= 0:
            break
        cut = max(0, min(excess, widths[name] - floor))
        widths[name] -= cut
        excess -= cut
    return [widths[name] for name in _PAGE_COLUMNS]


def print_stats(stats: Stats, tz: str, console: Console | None = None) -> None:
    console = console or make_console()
    kpis = stats.kpis
    change = kpis.get("total_change_pct")
    trend = "no previous activity" if change is None else f"{change:+.1f}% vs previous period"
    lines = [
        ("Total events", f"{kpis['total']:,}", f"{trend} ({kpis['previous_total']:,})"),
        ("Sign-ins", f"{kpis['sign_ins']:,}", ""),
        ("Writes", f"{kpis['writes']:,}", ""),
        ("Reads / other", f"{kpis['reads_other']:,}", ""),
        ("Unique IPs", f"{kpis['unique_ips']:,}", ""),
    ]
    kpi_table = Table.grid(padding=(0, 2))
    kpi_table.add_column(style="bold")
    kpi_table.add_column(justify="right")
    kpi_table.add_column(style="dim")
    for label, value, note in lines:
        kpi_table.add_row(Text(label), Text(value), Text(note))
    console.print(kpi_table)
    console.print()
    console.print(_volume_table(stats.volume))
    console.print()
    console.print(Text(_split_line(stats.split, stats.split_percent)))
    console.print()
    console.print(_actors_table(stats.top_actors, tz))
    console.print()
    console.print(_category_table(stats.by_category))


def _volume_table(volume: list[dict[str, Any]]) -> Table:
    table = Table(
        title="Volume", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False
    )
    for name in ("period", "auth", "writes", "other", "total"):
        table.add_column(name, justify="left" if name == "period" else "right", no_wrap=True)
    table.add_column("", no_wrap=True)
    totals = [row["auth"] + row["writes"] + row["other"] for row in volume]
    peak = max(totals, default=0)
    for row, total in zip(volume, totals, strict=True):
        table.add_row(
            Text(row["label"]),
            *(Text(f"{row[key]:,}") for key in ("auth", "writes", "other")),
            Text(f"{total:,}"),
            Text(bar(total, peak), style="cyan"),
        )
    return table


#: The KPI cards' classes, as the page names them.
SPLIT_LABELS = {"sign_ins": "Sign-ins", "writes": "Writes", "reads_other": "Reads / other"}


def _split_line(split: dict[str, int], percents: dict[str, int]) -> str:
    """``Split: Sign-ins 1 (3%) · Writes 30 (97%) · Reads / other 0 (0%)``: the percentages
    add up to 100, as on the page."""
    parts = [
        f"{SPLIT_LABELS.get(key, key)} {count:,} ({percents.get(key, 0)}%)"
        for key, count in split.items()
    ]
    return "Split: " + " · ".join(parts)


def _actors_table(actors: Iterable[dict[str, Any]], tz: str) -> Table:
    table = Table(
        title="Top actors",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    for name in ("", "name", "id", "events", "last seen"):
        table.add_column(name, justify="right" if name == "events" else "left", no_wrap=True)
    for actor in actors:
        table.add_row(
            Text(str(actor.get("initials") or "")),
            Text(str(actor.get("name") or "")),
            Text(str(actor.get("id") or "")),
            Text(f"{actor.get('count', 0):,}"),
            Text(local_time(actor.get("last_seen"), tz, "%Y-%m-%d %H:%M")),
        )
    return table


def _category_table(categories: list[dict[str, Any]]) -> Table:
    table = Table(
        title="By category",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    table.add_column("category", no_wrap=True)
    table.add_column("events", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    peak = max((item["count"] for item in categories), default=0)
    for item in categories:
        table.add_row(
            Text(str(item["category"])),
            Text(f"{item['count']:,}"),
            Text(bar(item["count"], peak), style="magenta"),
        )
    return table


def bar(value: int, peak: int, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of ``value`` out of ``peak`` in eighth-block characters."""
    if peak <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value * width * 8 / peak))
    full, rest = divmod(eighths, 8)
    return "█" * full + ("" if rest == 0 else " ▏▎▍▌▋▊▉"[rest])
