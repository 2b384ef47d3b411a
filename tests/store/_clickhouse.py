"""Two ClickHouse writers on one database, as two servers, for the lease tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
