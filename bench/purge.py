"""Ingest latency while a retention purge removes N entries (default 1,000,000), on SQLite.

A database of N seed events (3 workspaces, 90 days) is built once through the real ingest
path (``bench/build.py``) and copied (its index file too) before each run. A writer appends
one event at a time (``log.record``, durability ``full``), one every ``--interval`` s, into the
workspaces being purged, and times each append: first for ``--quiet`` seconds alone (the
copies written to disk first, so that their writeback does not slow these), then
while every workspace is purged at a cut-off after the newest entry (so all of them go, up
to each workspace's last kept checkpoint). As in ``serve`` (its hourly purge), the writer
is a thread of the purging process, on the same log; ``--separate`` runs it in a process
of its own instead (a ``purge`` command run beside a server). Reported: the appends'
median and p99 latency quiet and during the purge, their ratio, and the purge's rate;
with ``--trace``, where the slowest 1 % of the appends during the purge spent their time
(waiting for the process's writer turn, for SQLite's write lock, in their statements, in
their commit: the WAL's fsync)::

    python bench/purge.py
    python bench/purge.py --events 200000 --trace
    python bench/purge.py --events 200000 --quiet 10 --separate
    python bench/purge.py --events 200000 --sqlite system   # Python's own SQLite library

``--sqlite system`` runs on the SQLite Python was built with instead of pysqlite3's (an
older one here, where checkpoints beside writers are unsafe, so purges checkpoint through
their own commits), to compare the two designs side by side.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy

from activitylog import ActivityLog
from activitylog.events import micros
from activitylog.purging import purge_workspace
from activitylog.settings import Settings
from activitylog.store import sqlite_driver
from activitylog.store.sqlite import index_path
from common import emit

DATA = Path(__file__).resolve().parent / "data"
KEY = DATA / "bench-key.pem"
WORKSPACES = ("acme", "globex", "initech")


def source(events: int) -> Path:
    path = DATA / f"purge-{events}.db"
    if not path.with_name(path.name + ".built").exists():
        for stale in DATA.glob(f"purge-{events}.*db*"):
            stale.unlink()
        build = [sys.executable, "bench/build.py", "--db", f"sqlite:///{path}"]
        subprocess.run([*build, "--events", str(events)], check=True)
        path.with_name(path.name + ".built").write_text("built\n")
    return path


def _open(path: Path) -> ActivityLog:
    url = f"sqlite:///{path}"
    return ActivityLog(url, settings=Settings(db=url, signing_key=KEY))


def ingest(path: Path, interval: float, purging: Any, finished: Any, trace: bool, out: Any) -> None:
    """In a process of its own: :func:`appends` on a log of its own."""
    with _open(path) as log:
        out.put(appends(log, interval, purging, finished, trace))


class Phases:
    """Where one append's time goes, marked by the writer thread: waiting for the
    process's writer turn, for SQLite's write lock (``BEGIN``), its statements, its
    ``COMMIT`` (the WAL's fsync, and a checkpoint when one falls to it)."""

    NAMES = ("turn", "lock", "statements", "commit")

    def __init__(self, log: ActivityLog) -> None:
        self.thread = threading.get_ident()
        self.marks: dict[str, float] = {}
        store = log.store
        turn = store.writer_turn
        phases = self

        class TimedTurn:
            def __enter__(self) -> None:
                phases.mark("asked")
                turn.__enter__()
                phases.mark("turn")

            def __exit__(self, *exc: object) -> None:
                turn.__exit__(*exc)

        store.writer_turn = TimedTurn()
        sqlalchemy.event.listen(store.engine, "begin", lambda conn: self.mark("lock"))
        sqlalchemy.event.listen(store.engine, "commit", lambda conn: self.mark("statements"))

    def mark(self, name: str) -> None:
        """Mark phase ``name``'s end (the first time, after the phase before it)."""
        order = ("asked", *self.NAMES[:-1])
        before = order[order.index(name) - 1] if name != "asked" else None
        if threading.get_ident() != self.thread or name in self.marks:
            return
        if before is None or before in self.marks:
            self.marks[name] = time.perf_counter()

    def split(self, start: float, end: float) -> dict[str, float] | None:
        """The phases of the append that ran from ``start`` to ``end`` (ms)."""
        marks, self.marks = self.marks, {}
        if any(name not in marks for name in ("asked", *self.NAMES[:-1])):
            return None
        times = [marks["asked"], *(marks[name] for name in self.NAMES[:-1]), end]
        split = {
            n: (b - a) * 1000 for n, a, b in zip(self.NAMES, times[:-1], times[1:], strict=True)
        }
        split["before"] = (marks["asked"] - start) * 1000
        return split


def appends(
    log: ActivityLog, interval: float, purging: Any, finished: Any, trace: bool = False
) -> tuple[list[float], list[float], list[dict[str, float]]]:
    """Append one event every ``interval`` s; latencies (ms) quiet and while purging,
    and with ``trace`` each append's phases while purging (with its total)."""
    quiet: list[float] = []
    during: list[float] = []
    split: list[dict[str, float]] = []
    for _ in range(20):  # warm-up
        log.record(workspace="acme", action="contact.updated", actor={"id": "bench"})
    phases = Phases(log) if trace else None
    n = 0
    while not finished.is_set():
        workspace = WORKSPACES[n % len(WORKSPACES)]
        busy = purging.is_set()
        start = time.perf_counter()
        log.record(workspace=workspace, action="contact.updated", actor={"id": "bench"})
        end = time.perf_counter()
        (during if busy else quiet).append((end - start) * 1000)
        if phases is not None:
            parts = phases.split(start, end)
            if parts is not None and busy:
                split.append({**parts, "total": (end - start) * 1000})
        n += 1
        time.sleep(interval)
    return quiet, during, split


def breakdown(split: list[dict[str, float]]) -> dict[str, Any]:
    """The phases of the slowest 1 % of appends during the purge, summed (ms) and the
    share of each, beside the median append's."""
    if not split:
        return {}
    ranked = sorted(split, key=lambda s: s["total"])
    tail = ranked[len(ranked) * 99 // 100 :]
    names = ("before", *Phases.NAMES)
    summed = {name: sum(s[name] for s in tail) for name in names}
    whole = sum(s["total"] for s in tail)
    middle = ranked[len(ranked) // 2]
    return {
        "tail_appends": len(tail),
        "tail_share": {name: round(summed[name] / whole, 3) for name in names},
        "tail_mean_ms": {name: round(summed[name] / len(tail), 2) for name in names},
        "median_append_ms": {name: round(middle[name], 2) for name in names},
    }


def purge_all(log: ActivityLog) -> dict[str, Any]:
    cutoff = micros(datetime.now(UTC) + timedelta(days=1))
    removed = 0
    start = time.perf_counter()
    for workspace in WORKSPACES:
        outcome = purge_workspace(log.store, log.catalog, workspace, cutoff)
        removed += outcome.removed
    return {"removed": removed, "purge_s": round(time.perf_counter() - start, 1)}


def _result(out: Any, writer: multiprocessing.Process | threading.Thread) -> Any:
    """The writer's latencies once it has handed them over (None: not yet); an error
    when it died without."""
    try:
        return out.get(timeout=1.0)
    except queue.Empty:
        if writer.is_alive():
            return None
    try:  # it may have handed them over as it ended
        return out.get(timeout=5.0)
    except queue.Empty:
        raise RuntimeError("the writer stopped without its results (see above)") from None


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--interval", type=float, default=0.01)
    parser.add_argument("--quiet", type=float, default=30.0)
    parser.add_argument("--separate", action="store_true", help="the writer in its own process")
    parser.add_argument("--sqlite", choices=("bundled", "system"), default="bundled")
    parser.add_argument("--trace", action="store_true", help="where the slowest appends' time went")
    args = parser.parse_args()
    if args.sqlite == "system":
        import sqlite3

        sqlite_driver.use(sqlite3)
    work = DATA / f"purge-{args.events}-run.db"
    for stale in DATA.glob(f"purge-{args.events}-run.*db*"):
        stale.unlink()
    built = source(args.events)
    shutil.copyfile(built, work)  # and its index file: the purge starts from a settled log
    shutil.copyfile(index_path(built), index_path(work))
    os.sync()  # the copies on disk first: their writeback would slow the quiet appends
    purging, finished = multiprocessing.Event(), multiprocessing.Event()
    out: Any = multiprocessing.Queue()
    with _open(work) as log:
        flags = (args.interval, purging, finished, args.trace)
        writer: multiprocessing.Process | threading.Thread
        if args.separate:
            writer = multiprocessing.Process(target=ingest, args=(work, *flags, out))
        else:
            writer = threading.Thread(target=lambda: out.put(appends(log, *flags)), daemon=True)
        writer.start()
        time.sleep(args.quiet)
        purging.set()
        outcome = purge_all(log)
        finished.set()
        while (result := _result(out, writer)) is None:
            pass
        quiet, during, split = result
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
            **breakdown(split),
            "load": [round(x, 2) for x in os.getloadavg()],
        },
        "purge",
    )
    for stale in DATA.glob(f"purge-{args.events}-run.*db*"):
        stale.unlink()


if __name__ == "__main__":
    main()
