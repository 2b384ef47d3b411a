"""Build a large benchmark database from seed events (real ingest path, batches of 1,000),
then index it (the copies, search index and counts the indexer keeps behind the log), and
report both times and the bytes per event on disk (SQLite: the database and index files).

python bench/build.py --db sqlite:///bench/data/10m.db --events 10000000
python bench/build.py --db sqlite:///bench/data/10m.db --events 10000000 --index-only

``--index-only`` ingests nothing: it indexes what the database holds, as after a new
index file layout (the file is made again when the store opens).
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
from activitylog.store.sqlite import index_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--index-only", action="store_true")
    args = parser.parse_args()
    Path("bench/data").mkdir(parents=True, exist_ok=True)
    settings = Settings(db=args.db, signing_key=Path("bench/data/bench-key.pem"))
    source = generate_events(args.events, seed=7)
    start = time.perf_counter()
    with ActivityLog(args.db, settings=settings) as log, Progress() as progress:
        task = progress.add_task("ingest", total=0 if args.index_only else args.events)
        while not args.index_only and (batch := list(islice(source, 1000))):
            log.record_many(batch)
            progress.advance(task, len(batch))
        ingested = time.perf_counter() - start
        if not args.index_only:
            rate = args.events / ingested
            print(f"{args.events:,} events in {ingested:,.0f} s ({rate:,.0f}/s)")
        start = time.perf_counter()
        log.store.settle()
        indexed = time.perf_counter() - start
        print(f"indexed in {indexed:,.0f} s ({args.events / max(indexed, 1e-9):,.0f}/s)")
    if args.db.startswith("sqlite:///"):
        database = Path(args.db.removeprefix("sqlite:///"))
        files = {"database": database, "index": index_path(database)}
        sizes = {name: path.stat().st_size for name, path in files.items()}
        per_event = {name: round(size / args.events) for name, size in sizes.items()}
        print(f"bytes per event: {per_event} (in all {sum(sizes.values()) / args.events:,.0f})")


if __name__ == "__main__":
    main()
