"""One-event appends: the CPU of the log's against that of their SQL statements run bare.

For each durability (``full``, the default, and ``normal``): a new SQLite log takes
``--warm`` events one at a time (its body dictionary is trained and its WAL grown on the
way), then ``--events`` more are timed (``os.times()``: user and system CPU an append).
Then the same statements one append runs (take the log's write lock, read the head, insert
the entry, update the head, commit) are run bare through the same SQLite library on a copy
of that database, with the store's pragmas: the floor the rest of the append (validation,
enrichment, hashing, the tree, the signature, the store's Python) sits on. Each statement's
wall time is reported too. The process runs on one core::

    python bench/one_append.py
    python bench/one_append.py --events 5000 --durability full
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from activitylog import ActivityLog
from activitylog.demo.seed import generate_events
from activitylog.heap import settle_heap
from activitylog.settings import Settings
from activitylog.store import sqlite_driver
from activitylog.store.sqlite import AUTOCHECKPOINT, LOCKS, SYNCHRONOUS
from common import emit, pin_one_core

STEPS = ("begin", "lock", "head", "insert", "update", "commit")


def logged(folder: Path, durability: str, warm: int, events: int) -> dict[str, float]:
    """CPU an append of ``log.record_many([event])``, after ``warm`` untimed ones."""
    url = f"sqlite:///{folder / 'log.db'}"
    settings = Settings(db=url, signing_key=folder / "key.pem", durability=durability)
    source = list(generate_events(warm + events, seed=11))
    settle_heap()
    with ActivityLog(url, settings=settings) as log:
        for event in source[:warm]:
            log.record_many([event])
        before = os.times()
        for event in source[warm:]:
            log.record_many([event])
        after = os.times()
    return _per_append(before, after, events)


def bare(folder: Path, durability: str, events: int) -> dict[str, float]:
    """CPU an append of its statements alone, on a copy of the log ``logged`` left."""
    copy = folder / "bare.db"
    shutil.copy(folder / "log.db", copy)
    conn = sqlite_driver.dbapi.connect(str(copy), isolation_level=None)
    for pragma in (
        "journal_mode=WAL",
        f"synchronous={SYNCHRONOUS[durability]}",
        "cache_size=-65536",
        f"wal_autocheckpoint={AUTOCHECKPOINT}",
        "mmap_size=2147418112",
        "secure_delete=ON",
    ):
        conn.execute(f"PRAGMA {pragma}")
    workspace, seq, frontier, note = conn.execute(
        "SELECT workspace, seq, frontier, note FROM chain_heads ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    rid, body, content, chain = conn.execute(
        "SELECT max(rid), body, content_hash, chain_hash FROM entries"
    ).fetchone()
    spent = dict.fromkeys(STEPS, 0.0)
    before = os.times()
    for _ in range(events):
        seq, rid = seq + 1, rid + 1_000_000
        marks = [time.perf_counter()]
        conn.execute("BEGIN")
        marks.append(time.perf_counter())
        conn.execute(LOCKS["log"])
        marks.append(time.perf_counter())
        conn.execute(
            "SELECT workspace, seq, chain_hash, frontier, note, checkpoint_seq, checkpoint_at"
            " FROM chain_heads WHERE workspace IN (?) ORDER BY workspace",
            (workspace,),
        ).fetchall()
        marks.append(time.perf_counter())
        conn.executemany(
            "INSERT INTO entries (rid, id, workspace, seq, body, content_hash, chain_hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(rid, str(uuid.uuid4()), workspace, seq, body, content, chain)],
        )
        marks.append(time.perf_counter())
        conn.executemany(
            "UPDATE chain_heads SET seq = ?, chain_hash = ?, frontier = ?, note = ?"
            " WHERE workspace = ?",
            [(seq, chain, frontier, note, workspace)],
        )
        marks.append(time.perf_counter())
        conn.execute("COMMIT")
        marks.append(time.perf_counter())
        for step, start, end in zip(STEPS, marks, marks[1:], strict=False):
            spent[step] += end - start
    after = os.times()
    conn.close()
    result = _per_append(before, after, events)
    result.update({f"{step}_us": round(spent[step] / events * 1e6, 1) for step in STEPS})
    return result


def _per_append(before: Any, after: Any, events: int) -> dict[str, float]:
    user = (after.user - before.user) / events * 1e6
    system = (after.system - before.system) / events * 1e6
    return {"user_us": round(user), "system_us": round(system), "cpu_us": round(user + system)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=3000, help="appends timed")
    parser.add_argument("--warm", type=int, default=6000, help="appends before the clock")
    parser.add_argument("--durability", choices=("full", "normal", "both"), default="both")
    args = parser.parse_args()
    pin_one_core()
    for durability in ("full", "normal") if args.durability == "both" else (args.durability,):
        folder = Path(tempfile.mkdtemp(prefix="al-one-"))
        try:
            log = logged(folder, durability, args.warm, args.events)
            floor = bare(folder, durability, args.events)
        finally:
            shutil.rmtree(folder)
        result = {
            "scenario": "one_append",
            "durability": durability,
            "events": args.events,
            "log": log,
            "bare_statements": floor,
            "log_over_bare_cpu": round(log["cpu_us"] / max(floor["cpu_us"], 1), 2),
        }
        emit(result, "one_append")


if __name__ == "__main__":
    main()
