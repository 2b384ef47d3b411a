"""Ingest throughput: ``record_many`` in batches of 1,000 seed events, validation,
enrichment and hashing included, on one core; beside it, in the same run, a bare insert
of the same entries' canonical JSON (the bodies the first round stored) with a SHA-256
chain at the same durability (one table, one transaction per batch, WAL with
``synchronous=FULL``) — the floor the store's own work is measured against. Rounds
alternate the two, each into a new database; medians.

    python bench/ingest.py --db sqlite:///bench/data/ingest.db --events 200000 --rounds 3
    python bench/ingest.py --db postgresql://postgres@127.0.0.1:5432/al_ingest --events 100000

With ``--threads N``, N threads of the process append at once (the batches dealt out in
turn): appends that wait for the writer are written together (group commit), and the
transactions they took are reported. ``--batch 1 --threads 4`` is four callers each
recording one event at a time, as a threaded web application's requests do.

With ``--indexer``, a second process indexes (copies, search index, rollups) beside
ingest, as ``activitylog follow`` does beside ``serve``, and the lag it leaves is reported.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from activitylog import ActivityLog
from activitylog.demo.seed import generate_events
from activitylog.heap import settle_heap
from activitylog.settings import Settings
from activitylog.store import sqlite_driver
from common import emit, pin_one_core

INDEXER = """
import sys, time
from activitylog import ActivityLog
from activitylog.settings import Settings
db, key = sys.argv[1], sys.argv[2]
with ActivityLog(db, settings=Settings(db=db, signing_key=key)) as log:
    while True:
        if log.store.index_pending(slices=1) == 0:
            time.sleep(0.05)
"""


def _fresh_url(url: str, round_: int) -> str:
    """A new, empty database for each round (SQLite files; PostgreSQL databases, made
    through the server's ``postgres`` database)."""
    if url.startswith("postgresql"):
        import psycopg
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        fresh = f"{parsed.database}_{round_}"
        admin = parsed.set(drivername="postgresql", database="postgres")
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
            conn.execute(f'CREATE DATABASE "{fresh}"')
        return parsed.set(database=fresh).render_as_string(hide_password=False)
    if not url.startswith("sqlite:///"):
        return url
    path = Path(url.removeprefix("sqlite:///"))
    fresh = path.with_name(f"{path.stem}-{round_}{path.suffix}")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{fresh}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{fresh}"


def _other_core() -> None:
    """The indexer's process runs on another core than ingest (where there is one)."""
    cores = set(range(os.cpu_count() or 1)) - os.sched_getaffinity(0)
    if cores:
        os.sched_setaffinity(0, {min(cores)})


def record(
    url: str, batches: list[list[dict[str, Any]]], indexer: bool, threads: int = 1
) -> tuple[dict[str, float], list[bytes]]:
    key = "bench/data/bench-key.pem"
    settings = Settings(db=url, signing_key=Path(key))
    with ActivityLog(url, settings=settings) as log:
        process = None
        if indexer:
            process = subprocess.Popen(
                [sys.executable, "-c", INDEXER, url, key], preexec_fn=_other_core
            )
        events = sum(map(len, batches))
        shares = [batches[i::threads] for i in range(threads)]

        def append(share: list[list[dict[str, Any]]]) -> None:
            for batch in share:
                log.record_many(batch)

        group: Any = getattr(log.store, "group_commit", None)
        transactions = group.transactions if group is not None else 0
        start = time.perf_counter()
        cpu = time.process_time()
        if threads == 1:
            append(batches)
        else:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(append, shares))
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        if group is not None:
            transactions = group.transactions - transactions
        lag = 0.0
        if process is not None:
            waited = time.perf_counter()
            while log.store.settle() and time.perf_counter() - waited < 600:
                pass  # the indexer's lag: what is left when ingest ends, indexed here
            lag = time.perf_counter() - waited
            process.kill()
            process.wait()
        with log.store.engine.connect() as conn:  # the canonical JSON, as the floor stores it
            stored = [bytes(row[0]) for row in conn.exec_driver_sql("SELECT body FROM entries")]
        bodies = log.store.bodies.decode_many(stored)
    result = {"rate": events / elapsed, "cpu_us": cpu / events * 1e6, "lag_s": lag}
    result["transactions"] = transactions
    return result, bodies


def bare(bodies: list[bytes], batch: int) -> float:
    """Events/s of the floor: canonical JSON bodies, a SHA-256 chain, one insert each."""
    folder = Path(tempfile.mkdtemp(prefix="al-bare-"))
    conn = sqlite_driver.dbapi.connect(str(folder / "bare.db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE log (seq INTEGER PRIMARY KEY, body BLOB, chain BLOB)")
    chain, seq, events = b"\x00" * 32, 0, 0
    start = time.perf_counter()
    for first in range(0, len(bodies), batch):
        rows = []
        for body in bodies[first : first + batch]:
            chain = hashlib.sha256(chain + hashlib.sha256(body).digest()).digest()
            seq += 1
            rows.append((seq, body, chain))
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO log VALUES (?, ?, ?)", rows)
        conn.execute("COMMIT")
        events += len(rows)
    elapsed = time.perf_counter() - start
    conn.close()
    return events / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="appending threads")
    parser.add_argument("--indexer", action="store_true")
    parser.add_argument(
        "--freeze",
        action="store_true",
        help="freeze the start-up heap, as serve and follow do (activitylog.heap), with the "
        "generated input in it",
    )
    args = parser.parse_args()
    pin_one_core()
    events = list(generate_events(args.events, seed=11))
    batches = [events[i : i + args.batch] for i in range(0, len(events), args.batch)]
    if args.freeze:  # the input too: a producer never holds all of it, so no GC pass scans it
        settle_heap()
    runs: list[dict[str, float]] = []
    floors: list[float] = []
    for round_ in range(args.rounds):
        run, bodies = record(_fresh_url(args.db, round_), batches, args.indexer, args.threads)
        runs.append(run)
        floors.append(bare(bodies, args.batch))
    rate = statistics.median(r["rate"] for r in runs)
    floor = statistics.median(floors)
    emit(
        {
            "scenario": "ingest",
            "db": args.db.split(":", 1)[0],
            "events": args.events,
            "batch": args.batch,
            "threads": args.threads,
            "rounds": args.rounds,
            "events_per_s": round(rate),
            "runs_events_per_s": [round(r["rate"]) for r in runs],
            "cpu_us_per_event": round(statistics.median(r["cpu_us"] for r in runs), 1),
            "runs_cpu_us_per_event": [round(r["cpu_us"], 1) for r in runs],
            "transactions": [int(r["transactions"]) for r in runs],
            "bare_events_per_s": round(floor),
            "runs_bare_events_per_s": [round(f) for f in floors],
            "time_vs_bare": round(floor / rate, 2),
            "indexer_lag_s": round(max(r["lag_s"] for r in runs), 2) if args.indexer else None,
            "frozen_heap": args.freeze,
        },
        "ingest",
    )


if __name__ == "__main__":
    main()
