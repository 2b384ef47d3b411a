"""Terminal tables for ``query`` and ``stats`` (rich; plain text when piped).

Every value goes in as :class:`rich.text.Text`, so event text is never read as markup.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from activitylog.events import parse_time
from activitylog.query import Page
from activitylog.stats import Stats
from activitylog.timeranges import zone

DESCRIPTION_WIDTH = 60
BAR_WIDTH = 30
_RESULT_STYLE = {"success": "green", "warning": "yellow", "failure": "red"}


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


def print_page(page: Page, tz: str, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for name in ("#", "time", "user", "category", "event", "result", "ip"):
        table.add_column(name, justify="right" if name == "#" else "left", no_wrap=True)
    table.add_column("description", overflow="ellipsis", max_width=DESCRIPTION_WIDTH)
    for event in page.items:
        result = str(event.get("result") or "")
        table.add_row(
            Text(str(event.get("seq") or "")),
            Text(local_time(event.get("occurred_at"), tz)),
            Text(who(event)),
            Text(str(event.get("category") or "")),
            Text(str(event.get("label") or event.get("action") or "")),
            Text(result, style=_RESULT_STYLE.get(result, "")),
            Text(str(event.get("ip") or "")),
            Text(truncate(event.get("description"))),
        )
    if page.items:
        console.print(table)
    pages = max(1, math.ceil(page.total / page.per_page))
    noun = "event" if page.total == 1 else "events"
    console.print(Text(f"page {page.page} of {pages}, {page.total} {noun}"))


def print_stats(stats: Stats, tz: str, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    kpis = stats.kpis
    change = kpis.get("total_change_pct")
    trend = "no previous activity" if change is None else f"{change:+.1f}% vs previous period"
    lines = [
        ("Total events", f"{kpis['total']:,}", f"{trend} ({kpis['previous_total']:,})"),
        ("Sign-ins", f"{kpis['sign_ins']:,}", ""),
        ("Writes", f"{kpis['writes']:,}", ""),
        ("Reads & other", f"{kpis['reads_other']:,}", ""),
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
    console.print(Text(_split_line(stats.split)))
    console.print()
    console.print(_actors_table(stats.top_actors, tz))
    console.print()
    console.print(_category_table(stats.by_category))


def _volume_table(volume: list[dict[str, Any]]) -> Table:
    table = Table(title="Volume", title_justify="left", show_edge=False, pad_edge=False)
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


def _split_line(split: dict[str, int]) -> str:
    total = sum(split.values())
    parts = [
        f"{name} {count:,} ({(count * 100 / total) if total else 0:.0f}%)"
        for name, count in split.items()
    ]
    return "Split: " + " · ".join(parts)


def _actors_table(actors: Iterable[dict[str, Any]], tz: str) -> Table:
    table = Table(title="Top actors", title_justify="left", show_edge=False, pad_edge=False)
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
    table = Table(title="By category", title_justify="left", show_edge=False, pad_edge=False)
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
