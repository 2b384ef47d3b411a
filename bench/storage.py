"""Bytes per entry of a SQLite benchmark database, by part: the log's rows and keys, the
copies and their indexes, the search index, the rollups (pages as SQLite's ``dbstat``
counts them, both files).

    python bench/storage.py --db sqlite:///bench/data/10m.db

Reads through Python's own sqlite3 (built with ``dbstat``), which lists the pages of a
search index made by a newer SQLite without opening it.
"""

from __future__ import annotations

import argparse
import sqlite3
from collections import Counter
from pathlib import Path

from activitylog.store.sqlite import index_path
from common import emit

PARTS = {
    "entries": "entries rows",
    "sqlite_autoindex_entries_1": "entries keys",
    "ix_entries_workspace_seq": "entries keys",
    "events": "copies",
    "events_fts_data": "search index",
    "events_fts_idx": "search index",
    "events_fts_docsize": "search index",
    "events_fts_content": "search index",
    "events_fts_config": "search index",
}


def part(name: str) -> str:
    if name in PARTS:
        return PARTS[name]
    if name.startswith("ix_events_"):
        return "copies' indexes"
    if "rollup" in name:
        return "rollups"
    if name.startswith(("sqlite_autoindex_entries", "ix_entries")):
        return "entries keys"
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    database = Path(args.db.removeprefix("sqlite:///"))
    sizes: Counter[str] = Counter()
    for path in (database, index_path(database)):
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            for name, size in db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
                sizes[part(name)] += size
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        count = db.execute("SELECT count(*) FROM entries").fetchone()[0]
    per_entry = {name: round(size / count) for name, size in sorted(sizes.items())}
    for name, size in per_entry.items():
        print(f"{name:20s} {size:6,d}")
    print(f"{'in all':20s} {sum(sizes.values()) / count:6,.0f} bytes per entry ({count:,})")
    emit({"scenario": "storage", "entries": count, "bytes_per_entry": per_entry}, "storage")


if __name__ == "__main__":
    main()
