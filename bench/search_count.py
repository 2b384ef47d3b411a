"""A search's exact total on SQLite, the two ways side by side on one database: the
search index alone with the scope tokens (what a search inside one workspace asks now),
and the phrase matched in the index then each match looked up in ``events`` for its
workspace and layer (what it asked before the index held scopes). Interleaved, medians
of 7 after a warm-up, workspace ``acme`` as its admins see it, the last 30 days.

    python bench/search_count.py --db sqlite:///bench/data/10m.db
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from activitylog import ActivityLog
from activitylog.access import Visibility
from activitylog.query import Filters
from activitylog.settings import Settings
from activitylog.store.schema import RID_SLOTS
from activitylog.store.search_index import match, scope_of
from common import emit, pin_one_core

ADMINS = Visibility(workspace="acme", actor_id=None, layers="workspace_and_impersonation")
DAY_US = 86_400_000_000
ALONE = "SELECT count(*) FROM events_fts WHERE events_fts MATCH ? AND rowid >= ? AND rowid < ?"
PROBED = (
    "SELECT count(*) FROM events WHERE workspace = 'acme'"
    " AND (layer = 'workspace' OR layer = 'platform' AND category = 'impersonation')"
    " AND rid >= ? AND rid < ? AND rid IN (SELECT rowid FROM events_fts"
    " WHERE events_fts MATCH ? AND rowid >= ? AND rowid < ?)"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    pin_one_core()
    settings = Settings(db=args.db, signing_key=Path("bench/data/bench-key.pem"))
    with ActivityLog(args.db, settings=settings) as log, log.store.engine.connect() as conn:
        log.store.settle()
        driver = conn.connection.driver_connection
        hi_rid = driver.execute("SELECT max(rid) FROM events WHERE workspace = 'acme'").fetchone()[
            0
        ]
        hi = (hi_rid // RID_SLOTS // DAY_US + 1) * DAY_US * RID_SLOTS
        lo = hi - 30 * DAY_US * RID_SLOTS
        for term in ("refund", "thompson"):
            scoped = match(term, scope_of(ADMINS, Filters(search=term)))
            ways = {
                "index_alone": (ALONE, (scoped, lo, hi)),
                "probed": (PROBED, (lo, hi, f'"{term}" *', lo, hi)),
            }
            times: dict[str, list[float]] = {name: [] for name in ways}
            counts = {}
            for run in range(args.runs + 1):
                for name, (sql, params) in ways.items():
                    start = time.perf_counter()
                    counts[name] = driver.execute(sql, params).fetchone()[0]
                    if run:  # the first is the warm-up
                        times[name].append((time.perf_counter() - start) * 1000)
            for name, runs in times.items():
                emit(
                    {
                        "scenario": f"search_count_{name}",
                        "term": term,
                        "matches": counts[name],
                        "median_ms": round(statistics.median(runs), 1),
                        "runs_ms": [round(r, 1) for r in runs],
                    },
                    "read",
                )


if __name__ == "__main__":
    main()
