"""Read-side scenarios on a benchmark database, one scenario per process.

    python bench/read.py --db sqlite:///bench/data/10m.db --scenario first_page
    python bench/read.py --db ... --all        # every scenario, each in its own process

Times are medians of 7 runs after a warm-up, as an admin of workspace ``acme``
with scope Workspace; ``now`` is the newest event's time so presets cover the data.
Each process runs on one core unless ``--cores all`` (every core of the machine: what a
ClickHouse query, which splits its work among threads, takes on the machine)::

    python bench/read.py --db chdb:///abs/bench/data/ch-10m --all --cores all
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from activitylog import ActivityLog, Selection, Viewer
from activitylog.events import parse_time
from activitylog.exports import write_csv, write_json
from activitylog.settings import Settings
from common import emit, max_rss_mb, median_ms, pin_one_core

ADMIN = Viewer(user_id="u_ben", role="admin", workspace="acme")
EXPORT_ROWS = 200_000
QUERIES = [
    "first_page",
    "first_page_user",
    "later_page",
    "deep_page",
    "sort_actor",
    "search_30d",
    "search_30d_name",
    "stats_90d",
    "stats_7d_hourly",
    "subject_history",
]
THROUGHPUT = ["verify", "export_json", "export_csv"]


def scenarios(log: ActivityLog, base: Selection) -> dict[str, Callable[[], Any]]:
    week = replace(base, range="last_7_days")
    month = replace(base, range="last_30_days")
    quarter = replace(base, range="last_90_days")
    return {
        "first_page": lambda: log.query(week, categories=("inbox",)),
        "first_page_user": lambda: log.query(week, users=("u_diego",)),
        "later_page": lambda: log.query(month, page=50),
        "deep_page": lambda: log.query(month, page=1000),
        "sort_actor": lambda: log.query(week, sort="actor"),
        "search_30d": lambda: log.query(month, search="refund"),
        "search_30d_name": lambda: log.query(month, search="thompson"),
        "stats_90d": lambda: log.stats(quarter, group="daily"),
        "stats_7d_hourly": lambda: log.stats(week, group="hourly"),
        "subject_history": lambda: log.query(quarter, subject_type="contact", subject_id="c_1475"),
    }


def run_one(db: str, name: str, cores: str = "one") -> None:
    if cores == "one":
        pin_one_core()
    settings = Settings(db=db, signing_key=Path("bench/data/bench-key.pem"))
    with ActivityLog(db, settings=settings) as log:
        newest = next(log.export(workspace="acme"))
        now = parse_time(newest["occurred_at"])
        base = Selection(workspace="acme", viewer=ADMIN, scope="workspace", now=now)
        size = {"events_in_db": log.total_events()}
        if name in THROUGHPUT:
            emit({**_throughput(log, name), **size}, "read")
            return
        fn = scenarios(log, base)[name]
        median, runs = median_ms(fn)
        result = fn()
        total = getattr(result, "total", None)
        emit(
            {
                "scenario": name,
                "db": db.split(":", 1)[0],
                "median_ms": round(median, 1),
                "runs_ms": [round(r, 1) for r in runs],
                "cores": cores,
                "rows": total,
                **size,
            },
            "read",
        )


def _throughput(log: ActivityLog, name: str) -> dict[str, Any]:
    rss_before = max_rss_mb()
    start = time.perf_counter()
    if name == "verify":
        report = log.verify("acme")
        rows = report.entries
    else:
        writer = write_csv if name == "export_csv" else write_json
        with open(os.devnull, "w", encoding="utf-8", newline="") as sink:
            rows = writer(_take(log.export_rows(workspace="acme"), EXPORT_ROWS), sink)
    elapsed = time.perf_counter() - start
    return {
        "scenario": name,
        "db": log.url.split(":", 1)[0],
        "rows": rows,
        "rows_per_s": round(rows / elapsed),
        "max_rss_mb_before": round(rss_before),
        "max_rss_mb_after": round(max_rss_mb()),
    }


def _take(events: Any, n: int) -> Any:
    for i, event in enumerate(events):
        if i >= n:
            return
        yield event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--scenario")
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--cores", choices=("one", "all"), default="one")
    args = parser.parse_args()
    if args.scenario:
        run_one(args.db, args.scenario, args.cores)
        return
    for name in QUERIES + THROUGHPUT:
        command = [sys.executable, __file__, "--db", args.db, "--scenario", name]
        subprocess.run([*command, "--cores", args.cores], check=True)


if __name__ == "__main__":
    main()
