"""A full disk, as SQLite and ClickHouse report it, for the tests of what a write does then."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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


@contextmanager
def clickhouse_table_full(log: ActivityLog, table: str) -> Iterator[None]:
    """ClickHouse refusing every insert into ``table`` of ``log`` while inside, as on a full
    disk (its NOT_ENOUGH_SPACE error): the free space the table keeps for inserts
    (``min_free_disk_bytes_to_perform_insert``) set above any disk's size."""
    db: Any = log.store.db  # type: ignore[attr-defined]
    db.run(f"ALTER TABLE {table} MODIFY SETTING min_free_disk_bytes_to_perform_insert = {10**18}")
    try:
        yield
    finally:
        db.run(f"ALTER TABLE {table} RESET SETTING min_free_disk_bytes_to_perform_insert")
