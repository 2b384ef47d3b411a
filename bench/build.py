"""Build a large benchmark database from seed events (real ingest path, batches of 1,000).

python bench/build.py --db sqlite:///bench/data/10m.db --events 10000000
"""

from __future__ import annotations

import argparse
import time
from itertools import islice
from pathlib import Path

from rich.progress import Progress

from activitylog import ActivityLog
from activitylog.demo.seed import generate_events
from activitylog.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--events", type=int, default=10_000_000)
    args = parser.parse_args()
    Path("bench/data").mkdir(parents=True, exist_ok=True)
    settings = Settings(db=args.db, signing_key=Path("bench/data/bench-key.pem"))
    source = generate_events(args.events, seed=7)
    start = time.perf_counter()
    with ActivityLog(args.db, settings=settings) as log, Progress() as progress:
        task = progress.add_task("ingest", total=args.events)
        while batch := list(islice(source, 1000)):
            log.record_many(batch)
            progress.advance(task, len(batch))
    print(f"{args.events:,} events in {time.perf_counter() - start:,.0f} s")


if __name__ == "__main__":
    main()
