"""SQLite's index file: the tables the indexer keeps (the copies, the FTS5 search index,
the rollups and its marks), in a database file of their own attached as ``idx``.

Made when a store opens. Nothing in it is the log: the file can be rebuilt at any time,
so a file of another layout (:data:`VERSION`) or none at all is made again empty, its
marks at zero, and the indexer fills it from the bodies; tables that the migrations of a
database before the index had a file of its own built in the main file are dropped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from activitylog.store.schema import IP_ROLLUPS, ROLLUPS, derived_heads, events

#: The tables of the index file, in the order they are made.
TABLES: tuple[Table, ...] = (events, derived_heads, *(r.table for r in (*ROLLUPS, *IP_ROLLUPS)))
#: The index file's layout, kept as its ``user_version``: 3 = no copy of what the log's
#: row holds (id, seq) nor of the time (the rid's), the device or the label; 2 = words searched
#: through the ``ascii`` tokenizer, the actor's role copied; 1 and 0: trigrams, no role.
VERSION = 3
#: The search index of the stored words (activitylog.search_words): they hold letters,
#: digits and single spaces alone, so the ``ascii`` tokenizer splits them where the
#: spaces are (it takes every other character as part of a word).
SEARCH = (
    "CREATE VIRTUAL TABLE idx.events_fts USING fts5("
    "search_text, content='events', content_rowid='rid', tokenize='ascii')"
)
_NAMES = {"events_fts", *(table.name for table in TABLES)}


def ensure(conn: Connection) -> None:
    """Make the index file's tables unless they are there in this :data:`VERSION`, and
    drop those left in the main file (``conn`` holds both files' write locks)."""
    driver: Any = conn.connection.driver_connection
    _drop(driver, "main", _tables(driver, "main") & _NAMES)
    version = driver.execute("PRAGMA idx.user_version").fetchone()[0]
    present = _tables(driver, "idx")
    if version != VERSION or "derived_heads" not in present:
        _drop(driver, "idx", present)
        _create(driver)
        driver.execute(f"PRAGMA idx.user_version = {VERSION}")


def _drop(driver: Any, schema: str, names: set[str]) -> None:
    if "events_fts" in names:  # with its shadow tables
        driver.execute(f"DROP TABLE {schema}.events_fts")
    for name in sorted(names - {"events_fts"}):
        driver.execute(f"DROP TABLE IF EXISTS {schema}.{name}")


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
