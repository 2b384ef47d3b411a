"""SQLite's index file: the tables the indexer keeps (the copies, the FTS5 search index,
the rollups and its marks), in a database file of their own attached as ``idx``.

Made when a store opens. Nothing in it is the log: the file can be rebuilt at any time,
so a file of another layout (:data:`VERSION`), one whose search index the store's SQLite
cannot read, or none at all is made again empty, its marks at zero, and the indexer fills
it from the bodies; tables that the migrations of a database before the index had a file
of its own built in the main file are dropped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from activitylog.store import sqlite_driver
from activitylog.store.schema import IP_ROLLUPS, ROLLUPS, derived_heads, events

#: The tables of the index file, in the order they are made.
TABLES: tuple[Table, ...] = (events, derived_heads, *(r.table for r in (*ROLLUPS, *IP_ROLLUPS)))
#: The index file's layout, kept as its ``user_version``: 4 = the words in the search index
#: alone (``events.search_text`` left empty), each entry's scope token beside them, the
#: copies ordered by actor name; 3 = no copy of what the log's row holds (id, seq) nor of
#: the time (the rid's), the device or the label; 2 = words searched through the
#: ``ascii`` tokenizer, the actor's role copied; 1 and 0: trigrams, no role.
VERSION = 4
#: SQLite from which FTS5 deletes rows of an index that keeps no copy of their text.
CONTENTLESS_DELETE = (3, 43, 0)
#: The search index (activitylog.store.search_index): per entry (rowid = rid) its scope
#: token and words, which hold letters, digits and single spaces alone, so the ``ascii``
#: tokenizer splits them where the spaces are (it takes every other character, the scope
#: token's mark among them, as part of a word). It keeps no copy of the text where SQLite
#: can delete rows of such an index; an older SQLite keeps one inside it.
SEARCH = "CREATE VIRTUAL TABLE idx.events_fts USING fts5(words, tokenize='ascii'{options})"
_CONTENTLESS = ", content='', contentless_delete=1"
#: Sorting by actor (reads.SORT_COLUMNS, reads._order) walks this index: a page of a
#: workspace's entries by name reads as many keys as it skips, and sorts nothing.
BY_ACTOR = (
    "CREATE INDEX idx.ix_events_workspace_actor_name"
    " ON events (workspace, lower(actor_name), rid DESC)"
)
_NAMES = {"events_fts", *(table.name for table in TABLES)}


def ensure(conn: Connection) -> None:
    """Make the index file's tables unless they are there in this :data:`VERSION`, and
    drop those left in the main file (``conn`` holds both files' write locks)."""
    driver: Any = conn.connection.driver_connection
    _drop(driver, "main", _tables(driver, "main") & _NAMES)
    version = driver.execute("PRAGMA idx.user_version").fetchone()[0]
    present = _tables(driver, "idx")
    if version != VERSION or "derived_heads" not in present or _too_new(driver):
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
    driver.execute(BY_ACTOR)
    make_search(driver)


def make_search(driver: Any) -> None:
    """Make the search index, empty (its rows are written by the indexer)."""
    driver.execute(SEARCH.format(options=_CONTENTLESS if contentless() else ""))


def contentless() -> bool:
    """Whether the search index keeps no copy of the words (the SQLite under the store
    can delete from such an index)."""
    return sqlite_driver.VERSION >= CONTENTLESS_DELETE


def _too_new(driver: Any) -> bool:
    """Whether the file's search index needs a newer SQLite than the store's."""
    row = driver.execute("SELECT sql FROM idx.sqlite_master WHERE name = 'events_fts'").fetchone()
    return row is not None and "contentless_delete" in row[0] and not contentless()
