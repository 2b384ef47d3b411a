"""The PostgreSQL engine (psycopg 3): COPY for batches, row locks on chain heads,
a trigram GIN index over the words search looks in, default synchronous commit for durability."""

from __future__ import annotations

from typing import Any

import psycopg.errors
import sqlalchemy.exc
from sqlalchemy import ColumnElement, Connection, create_engine, or_, text
from sqlalchemy.engine import make_url

from activitylog.sealing import SealPolicy
from activitylog.store import migrate
from activitylog.store.indexing import upsert_sql
from activitylog.store.schema import Rollup, entries, events
from activitylog.store.search_index import SearchScope
from activitylog.store.sql import SQLStore

COPY_ENTRIES = f"COPY entries ({', '.join(c.name for c in entries.columns)}) FROM STDIN"
COPY_COPIES = f"COPY events ({', '.join(c.name for c in events.columns)}) FROM STDIN"
MIGRATION_LOCK = 0x61637469  # any constant; serialises concurrent first opens


def engine_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


class PostgresStore(SQLStore):
    MARK = "%s"
    LOCK = " FOR UPDATE"

    def __init__(self, url: str, policy: SealPolicy) -> None:
        engine = create_engine(engine_url(url), pool_size=8, max_overflow=8, pool_pre_ping=True)
        super().__init__(engine, policy)
        with self.engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            migrate.upgrade(conn)

    def _snapshot_options(self) -> dict[str, Any]:
        return {"isolation_level": "REPEATABLE READ"}

    def _insert_entries(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        _copy(conn, COPY_ENTRIES, rows)

    def _insert_copies(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        _copy(conn, COPY_COPIES, rows)  # the trigram index of search_text with them

    def _upsert_rollup(self, conn: Connection, rollup: Rollup, rows: list[tuple[Any, ...]]) -> None:
        # One statement per rollup and batch: the rows travel as one array per column.
        types = ["bigint" if c in ("bucket", "n") else "text" for c in (*rollup.key_columns, "n")]
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        conn.exec_driver_sql(
            upsert_sql(rollup, f"SELECT * FROM unnest({arrays})"),
            tuple(list(column) for column in zip(*rows, strict=True)),
        )

    def _search(
        self, query: str, lo: int | None, hi: int | None, scope: SearchScope | None
    ) -> ColumnElement[bool]:
        # The query's words at the start of the stored words or after a space: the rule
        # activitylog.search_words states (words hold no LIKE wildcard), through the
        # trigram index.
        stored = events.c.search_text
        return or_(stored.like(f"{query}%"), stored.like(f"% {query}%"))


def _copy(conn: Connection, statement: str, rows: list[tuple[Any, ...]]) -> None:
    """Send ``rows`` with COPY (a duplicate key comes out as SQLAlchemy's IntegrityError)."""
    driver = conn.connection.driver_connection
    if driver is None:
        raise sqlalchemy.exc.InvalidRequestError("the connection is closed")
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.errors.IntegrityError as exc:
        raise sqlalchemy.exc.IntegrityError(statement, None, exc) from exc
