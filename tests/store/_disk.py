"""A full disk, as SQLite reports it, for the tests of what a write does then."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from activitylog import ActivityLog


@contextmanager
def full_disk(log: ActivityLog) -> Iterator[None]:
    """No connection of ``log`` may grow its database file by a page while inside (SQLite's
    ``max_page_count``: the "database or disk is full" error a full disk gives)."""
    store = log.store
    engine = store.engine

    def cap(dbapi: object, _record: object) -> None:
        pages = dbapi.execute("PRAGMA main.page_count").fetchone()[0]  # type: ignore[attr-defined]
        dbapi.execute(f"PRAGMA main.max_page_count = {pages}")  # type: ignore[attr-defined]

    def reopen() -> None:  # every connection made again, under the listener or without it
        store.close()

    reopen()
    event.listen(engine, "connect", cap)
    try:
        yield
    finally:
        event.remove(engine, "connect", cap)
        reopen()
