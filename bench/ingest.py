"""Ingest throughput: ``record_many`` in batches of 1,000 seed events, validation and
hashing included, on one core.

    python bench/ingest.py --db sqlite:///bench/data/ingest.db --events 200000
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from activitylog import ActivityLog
from activitylog.demo.seed import generate_events
from activitylog.settings import Settings
from common import emit, pin_one_core


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    pin_one_core()
    events = list(generate_events(args.events, seed=11))
    batches = [events[i : i + args.batch] for i in range(0, len(events), args.batch)]
    settings = Settings(db=args.db, signing_key=Path("bench/data/bench-key.pem"))
    with ActivityLog(args.db, settings=settings) as log:
        rates = []
        start = time.perf_counter()
        for batch in batches:
            t = time.perf_counter()
            log.record_many(batch)
            rates.append(len(batch) / (time.perf_counter() - t))
        elapsed = time.perf_counter() - start
    emit(
        {
            "scenario": "ingest",
            "db": args.db.split(":", 1)[0],
            "events": args.events,
            "batch": args.batch,
            "events_per_s": round(args.events / elapsed),
            "median_batch_events_per_s": round(statistics.median(rates)),
        },
        "ingest",
    )


if __name__ == "__main__":
    main()
