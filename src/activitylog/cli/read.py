"""Commands that read the log: ``query``, ``stats`` and ``export``."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from dataclasses import replace
from typing import Any, TextIO

import click

from activitylog.cli.app import (
    CliError,
    cli,
    counted,
    echo_json,
    open_log,
    progress,
    stderr_is_tty,
)
from activitylog.cli.options import filter_options, selection_from
from activitylog.cli.render import print_page, print_stats
from activitylog.cli.reports import write_pdf_report
from activitylog.exports import WRITERS, write_csv
from activitylog.timeranges import DEFAULT_PRESET


@cli.command()
@filter_options
@click.option(
    "--sort", default="-time", show_default=True, help="time, -time, actor:asc, ip:desc..."
)
@click.option("--page", type=int, default=1, show_default=True, help="Page number (from 1).")
@click.option("--per-page", type=int, default=20, show_default=True, help="10, 20, 25, 50 or 100.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
def query(sort: str, page: int, per_page: int, fmt: str, **options: Any) -> None:
    """One page of events (without a range: the last 7 days).

    json prints {"items": [...], "total": N, "page": n, "per_page": k} with every event
    field; csv prints the page as export CSV.
    """
    selection = selection_from(options)
    result = open_log().query(selection, sort=sort, page=page, per_page=per_page)
    if fmt == "json":
        echo_json(result.to_dict())
    elif fmt == "csv":
        write_csv(result.items, sys.stdout)
    else:
        print_page(result, selection.tz)


@cli.command()
@filter_options
@click.option(
    "--group",
    type=click.Choice(["hourly", "daily", "weekly"]),
    default="daily",
    show_default=True,
    help="Volume buckets.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def stats(group: str, fmt: str, **options: Any) -> None:
    """KPIs, volume, split, top actors and events by category for a window.

    json prints {"kpis", "volume", "split", "top_actors", "by_category", "split_percent"};
    sign-ins, writes and reads / other add up to the total.
    """
    selection = selection_from(options)
    result = open_log().stats(selection, group=group)
    if fmt == "json":
        echo_json(result.to_dict())
    else:
        print_stats(result, selection.tz)


@cli.command()
@filter_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*sorted(WRITERS), "pdf"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--out",
    metavar="FILE",
    default="-",
    show_default=True,
    help="Where to write; - is stdout.",
)
def export(fmt: str, out: str, **options: Any) -> None:
    """Every matching event, streamed to a file. Without a range, the last 7 days, as in the
    API and on the page (all time: --since 1970-01-01); with --id, those events whatever
    the window.

    csv (formula-safe), json (one array) or ndjson (one event per line); pdf writes a
    report (KPIs, charts, entries, integrity statement; at most 50,000 entries) to --out FILE.
    """
    selection = selection_from(options)
    if not (selection.range or selection.since or selection.until or selection.ids):
        selection = replace(selection, range=DEFAULT_PRESET)
    log = open_log()
    if fmt == "pdf":
        written = write_pdf_report(log, selection, out)
        click.echo(f"exported {written} events to {out} (PDF report)", err=True)
        return
    events = log.export_rows(selection)  # checks filters and access before a file is made
    total = log.count(selection) if stderr_is_tty() else None
    with ExitStack() as stack:
        target: TextIO = sys.stdout if out == "-" else stack.enter_context(_open(out))
        advance = stack.enter_context(progress("exporting", total))
        written = WRITERS[fmt](counted(events, advance), target)
        target.flush()
    where = "stdout" if out == "-" else out
    click.echo(f"exported {written} events to {where}", err=True)


def _open(path: str) -> TextIO:
    try:
        return open(path, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise CliError(f"out: cannot write {path} ({exc.strerror})") from None
