"""SQLite's index file: the tables the indexer keeps (the copies, the FTS5 search index,
the rollups and its marks), in a database file of their own attached as ``idx``.

Made when a store opens: a database whose migrations built those tables in the main file
(every database before the index had a file of its own) has them moved, in one
transaction holding both files' write locks; an index file that is missing (deleted, or
never made) is created empty, its marks at zero, and the indexer fills it again from the
bodies. Nothing in it is the log: the file can be rebuilt at any time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from activitylog.store.schema import IP_ROLLUPS, ROLLUPS, derived_heads, events

#: The tables of the index file, in the order they are made.
TABLES: tuple[Table, ...] = (events, derived_heads, *(r.table for r in (*ROLLUPS, *IP_ROLLUPS)))
SEARCH = (
    "CREATE VIRTUAL TABLE idx.events_fts USING fts5("
    "search_text, content='events', content_rowid='rid', tokenize='trigram')"
)


def ensure(conn: Connection) -> None:
    """Make the index file's tables, moving them out of the main file where they are
    (``conn`` holds both files' write locks)."""
    driver: Any = conn.connection.driver_connection
    in_main = _tables(driver, "main")
    if "events" in in_main:
        left = _tables(driver, "idx")  # an earlier move cut short: start again
        if "events_fts" in left:
            driver.execute("DROP TABLE idx.events_fts")  # with its shadow tables
        for name in left - {"events_fts"}:
            driver.execute(f"DROP TABLE IF EXISTS idx.{name}")
        _create(driver)
        for table in TABLES:
            if table.name in in_main:
                columns = ", ".join(c.name for c in table.columns)
                name = table.name
                driver.execute(
                    f"INSERT INTO idx.{name} ({columns}) SELECT {columns} FROM main.{name}"
                )
        driver.execute("INSERT INTO idx.events_fts (events_fts) VALUES ('rebuild')")
        if "events_fts" in in_main:
            driver.execute("DROP TABLE main.events_fts")
        for table in TABLES:
            if table.name in in_main:
                driver.execute(f"DROP TABLE main.{table.name}")
        if "derived_heads" not in in_main:  # indexed by their appends, before the marks
            driver.execute(
                "INSERT INTO idx.derived_heads (workspace, seq)"
                " SELECT workspace, seq FROM main.chain_heads"
            )
    elif "derived_heads" not in _tables(driver, "idx"):
        _create(driver)


def _tables(driver: Any, schema: str) -> set[str]:
    rows = driver.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'")
    return {str(row[0]) for row in rows.fetchall()}


def _create(driver: Any) -> None:
    dialect = sqlite.dialect()
    for table in TABLES:
        ddl = str(CreateTable(table).compile(dialect=dialect)).strip()
        driver.execute(ddl.replace("CREATE TABLE ", "CREATE TABLE idx.", 1))
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            ddl = str(CreateIndex(index).compile(dialect=dialect)).strip()
            driver.execute(ddl.replace(f"INDEX {index.name} ", f"INDEX idx.{index.name} ", 1))
    driver.execute(SEARCH)
