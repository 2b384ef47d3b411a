"""Ingest latency while a retention purge removes N entries (default 1,000,000), on SQLite.

A database of N seed events (3 workspaces, 90 days) is built once through the real ingest
path (``bench/build.py``) and copied before each run. A writer appends one event at a
time (``log.record``, durability ``full``), one every ``--interval`` seconds, into the
workspaces being purged, and times each append: first for ``--quiet`` seconds alone, then
while every workspace is purged at a cut-off after the newest entry (so all of them go, up
to each workspace's last kept checkpoint). As in ``serve`` (its hourly purge), the writer
is a thread of the purging process, on the same log; ``--separate`` runs it in a process
of its own instead (a ``purge`` command run beside a server). Reported: the appends'
median and p99 latency quiet and during the purge, their ratio, and the purge's rate::

    python bench/purge.py
    python bench/purge.py --events 200000 --quiet 10 --separate
    python bench/purge.py --events 200000 --sqlite system   # Python's own SQLite library

``--sqlite system`` runs on the SQLite Python was built with instead of pysqlite3's (an
older one here, where checkpoints beside writers are unsafe, so purges checkpoint through
their own commits), to compare the two designs side by side.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from activitylog import ActivityLog
from activitylog.events import micros
from activitylog.purging import purge_workspace
from activitylog.settings import Settings
from activitylog.store import sqlite_driver
from common import emit

DATA = Path(__file__).resolve().parent / "data"
KEY = DATA / "bench-key.pem"
WORKSPACES = ("acme", "globex", "initech")


def source(events: int) -> Path:
    path = DATA / f"purge-{events}.db"
    if not path.with_name(path.name + ".built").exists():
        for stale in DATA.glob(f"purge-{events}.db*"):
            stale.unlink()
        build = [sys.executable, "bench/build.py", "--db", f"sqlite:///{path}"]
        subprocess.run([*build, "--events", str(events)], check=True)
        path.with_name(path.name + ".built").write_text("built\n")
    return path


def _open(path: Path) -> ActivityLog:
    url = f"sqlite:///{path}"
    return ActivityLog(url, settings=Settings(db=url, signing_key=KEY))


def ingest(path: Path, interval: float, purging: Any, finished: Any, out: Any) -> None:
    """In a process of its own: :func:`appends` on a log of its own."""
    with _open(path) as log:
        out.put(appends(log, interval, purging, finished))


def appends(
    log: ActivityLog, interval: float, purging: Any, finished: Any
) -> tuple[list[float], list[float]]:
    """Append one event every ``interval`` s; latencies (ms) quiet and while purging."""
    quiet: list[float] = []
    during: list[float] = []
    for _ in range(20):  # warm-up
        log.record(workspace="acme", action="contact.updated", actor={"id": "bench"})
    n = 0
    while not finished.is_set():
        workspace = WORKSPACES[n % len(WORKSPACES)]
        tag = during if purging.is_set() else quiet
        start = time.perf_counter()
        log.record(workspace=workspace, action="contact.updated", actor={"id": "bench"})
        tag.append((time.perf_counter() - start) * 1000)
        n += 1
        time.sleep(interval)
    return quiet, during


def purge_all(log: ActivityLog) -> dict[str, Any]:
    cutoff = micros(datetime.now(UTC) + timedelta(days=1))
    removed = 0
    start = time.perf_counter()
    for workspace in WORKSPACES:
        outcome = purge_workspace(log.store, log.catalog, workspace, cutoff)
        removed += outcome.removed
    return {"removed": removed, "purge_s": round(time.perf_counter() - start, 1)}


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--interval", type=float, default=0.01)
    parser.add_argument("--quiet", type=float, default=20.0)
    parser.add_argument("--separate", action="store_true", help="the writer in its own process")
    parser.add_argument("--sqlite", choices=("bundled", "system"), default="bundled")
    args = parser.parse_args()
    if args.sqlite == "system":
        import sqlite3

        sqlite_driver.use(sqlite3)
    work = DATA / f"purge-{args.events}-run.db"
    for stale in DATA.glob(work.name + "*"):
        stale.unlink()
    shutil.copyfile(source(args.events), work)
    purging, finished = multiprocessing.Event(), multiprocessing.Event()
    out: Any = multiprocessing.Queue()
    with _open(work) as log:
        flags = (args.interval, purging, finished)
        writer: multiprocessing.Process | threading.Thread
        if args.separate:
            writer = multiprocessing.Process(target=ingest, args=(work, *flags, out))
        else:
            writer = threading.Thread(target=lambda: out.put(appends(log, *flags)))
        writer.start()
        time.sleep(args.quiet)
        purging.set()
        outcome = purge_all(log)
        finished.set()
        quiet, during = out.get()
        writer.join()
        ok = log.verify(copies=False).ok
    emit(
        {
            "scenario": "ingest_during_purge",
            "writer": "process" if args.separate else "thread",
            "db": "sqlite",
            "sqlite": ".".join(map(str, sqlite_driver.dbapi.sqlite_version_info)),
            "background_checkpoints": sqlite_driver.BACKGROUND_CHECKPOINTS,
            "events": args.events,
            **outcome,
            "purged_per_s": round(outcome["removed"] / outcome["purge_s"]),
            "appends_quiet": len(quiet),
            "appends_during": len(during),
            "quiet_median_ms": round(statistics.median(quiet), 2),
            "quiet_p99_ms": round(p99(quiet), 2),
            "during_median_ms": round(statistics.median(during), 2),
            "during_p99_ms": round(p99(during), 2),
            "p99_ratio": round(p99(during) / p99(quiet), 2),
            "verify_ok": ok,
        },
        "purge",
    )
    for stale in DATA.glob(work.name + "*"):
        stale.unlink()


if __name__ == "__main__":
    main()
