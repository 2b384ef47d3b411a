"""Helpers of the ClickHouse (chdb) tests: new databases, and two writers on one database
as two servers."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from activitylog import ActivityLog
from activitylog.settings import Settings


@contextmanager
def two_writers(url: str, settings: Settings, **leases: Any) -> Iterator[list[ActivityLog]]:
    """Two logs on ``url``, each its own writer (lock and leases, made with ``leases``)."""
    from activitylog.store.clickhouse.leases import Leases

    with ActivityLog(url, settings=settings) as one, ActivityLog(url, settings=settings) as two:
        for log in (one, two):
            store: Any = log.store
            store.writer = threading.RLock()
            store.leases = Leases(store.engine, **leases)
        yield [one, two]


@contextmanager
def chdb_databases(directory: Path) -> Iterator[Callable[[], str]]:
    """Make new database URLs on ``directory``; drop the databases afterwards (every
    MergeTree table left in the process keeps chdb's background threads busy)."""
    from activitylog.store.clickhouse.connection import Database, Location

    made: list[str] = []

    def new() -> str:
        made.append(f"chdb://{directory}?database=t_{uuid.uuid4().hex[:12]}")
        return made[-1]

    yield new
    for url in made:
        db = Database(Location.parse(url))
        db.run(f"DROP DATABASE IF EXISTS {db.name} SYNC")
