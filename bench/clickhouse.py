"""The ClickHouse engine on chdb: build a log from seed events (the real ingest path,
batches of 1,000, or ``--batch``), report the ingest rate and the bytes per event on disk,
then run every read scenario of bench/read.py on it (each in its own process).

    python bench/clickhouse.py --dir bench/data/ch-1m --events 1000000
    python bench/clickhouse.py --dir bench/data/ch-50m --events 50000000 --batch 50000
    python bench/clickhouse.py --dir bench/data/ch-1m --reads-only
    python bench/clickhouse.py --dir bench/data/ch-1m --reads-only --cores all

Bytes per event are the active parts of the log's tables (``system.parts``), once as the
ingest left them and once merged (``OPTIMIZE ... FINAL``, where background merges lead),
plus the side database file, and how long that merge took. Progress goes to stderr every
500,000 events. The read scenarios and their goals are bench/read.py's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from itertools import islice
from pathlib import Path
from typing import Any

from activitylog import ActivityLog
from activitylog.demo.seed import generate_events
from activitylog.settings import Settings
from common import emit

KEY = Path("bench/data/bench-key.pem")


def build(url: str, events: int, batch_size: int = 1000) -> dict[str, Any]:
    settings = Settings(db=url, signing_key=KEY)
    source = generate_events(events, seed=7)
    with ActivityLog(url, settings=settings) as log:
        start = time.perf_counter()
        done = 0
        while batch := list(islice(source, batch_size)):
            log.record_many(batch)
            done += len(batch)
            if done % 500_000 == 0:
                rate = done / (time.perf_counter() - start)
                print(f"{done:,} events, {rate:,.0f}/s", file=sys.stderr, flush=True)
        elapsed = time.perf_counter() - start
        db: Any = log.store.db  # type: ignore[attr-defined]
        ingested = _bytes(db)
        start = time.perf_counter()
        for table in ("events", "chain_heads", "checkpoints", "tombstones"):
            db.run(f"OPTIMIZE TABLE {table} FINAL")
        merging = time.perf_counter() - start
        merged = _bytes(db)
    return {
        "scenario": "ingest",
        "db": "chdb",
        "events": events,
        "batch": batch_size,
        "seconds": round(elapsed, 1),
        "events_per_s": round(events / elapsed),
        "bytes_per_event_ingested": round(ingested / events, 1),
        "bytes_per_event_merged": round(merged / events, 1),
        "merge_seconds": round(merging, 1),
    }


def _bytes(db: Any) -> int:
    [(size,)] = db.rows(
        "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = currentDatabase()"
    )
    return int(size)


def columns(url: str) -> list[tuple[str, int, int]]:
    """``(column, compressed bytes, uncompressed bytes)`` of ``events``, largest first."""
    with ActivityLog(url, settings=Settings(db=url, signing_key=KEY)) as log:
        db: Any = log.store.db  # type: ignore[attr-defined]
        rows = db.rows(
            "SELECT column, sum(column_data_compressed_bytes) AS packed,"
            " sum(column_data_uncompressed_bytes) FROM system.parts_columns"
            " WHERE active AND database = currentDatabase() AND table = 'events'"
            " GROUP BY column ORDER BY packed DESC"
        )
    return [(str(n), int(c), int(u)) for n, c, u in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", required=True, help="chdb's data directory")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--batch", type=int, default=1000, help="events a record_many call (a large build: 50000)"
    )
    parser.add_argument("--reads-only", action="store_true")
    parser.add_argument(
        "--cores", choices=("one", "all"), default="one", help="cores each read runs on"
    )
    args = parser.parse_args()
    url = f"chdb://{Path(args.dir).resolve()}"
    if not args.reads_only:
        result = build(url, args.events, args.batch)
        side = Path(args.dir) / "activitylog.side.db"
        result["side_db_bytes"] = side.stat().st_size
        result["columns"] = columns(url)
        emit(result, "clickhouse")
    read = Path(__file__).with_name("read.py")
    subprocess.run(
        [sys.executable, str(read), "--db", url, "--all", "--cores", args.cores], check=True
    )


if __name__ == "__main__":
    main()
