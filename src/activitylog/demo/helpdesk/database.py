"""The helpdesk's database engine.

On SQLite (WAL) a request that writes starts its transaction with ``BEGIN IMMEDIATE``
(:func:`begin_writing`): it takes the write lock up front, so two writing requests queue
instead of one failing with "database is locked" when both read, then write. Reading
transactions start with a plain ``BEGIN`` and never block a writer.

One rule follows, because the auth helpers record through the log's own connection: call
them when the request's session holds no write lock (after its commit, or after a
rollback), never between a write and the commit — the helper would wait for a lock its
own request holds.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from activitylog.store import sqlite_driver


def create(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///file.db`` or ``postgresql+psycopg://…``)."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    # The log's own SQLite library: the helpdesk shares the log's file in one process, and
    # two copies of SQLite there do not see each other's locks (one may delete the WAL the
    # other still uses when its last connection closes).
    engine = create_engine(url, module=sqlite_driver.dbapi)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi: sqlite3.Connection, _record: Any) -> None:
        dbapi.isolation_level = None  # BEGIN is issued below
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=60000"):
            dbapi.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def begin_writing(db: Session) -> None:
    """Start ``db``'s transaction holding the write lock (SQLite; elsewhere a plain
    transaction). Only the current transaction: after its commit the next one reads."""
    db.connection(execution_options={"immediate": True})
