"""The embedded SQLite engine: WAL, ``synchronous=FULL``, one writer per batch and file.

The log (entries, heads, checkpoints, tombstones) and everything else an acknowledged
write touches live in the database file; what the indexer keeps for reading (the copies,
the FTS5 search index, the rollups and its marks) lives in a second file beside it
(``<name>.index<suffix>``), attached to every connection as ``idx``. Each file has its own
write lock, so appends never wait for the indexer, nor the indexer for appends. Tables are
named unqualified: SQLite finds them in either file.

Writers take their file's write lock when they begin, so concurrent processes queue for
it instead of failing mid-transaction: ``immediate`` (appends, accounts, followers) the
database's, ``index`` the index file's, ``all`` both (deletions, purges, reindex);
readers see a snapshot. Search uses an FTS5 index of words whose rowid is the time-ordered
``rid``, so a time range narrows the match itself, and whose rows carry each entry's scope
token (:mod:`activitylog.store.search_index`), so a search inside one workspace is answered
by the index alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any

import sqlalchemy.exc
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    create_engine,
    event,
    literal_column,
    select,
    text,
)
from sqlalchemy.engine import make_url

from activitylog.errors import ConfigurationError
from activitylog.sealing import SealPolicy
from activitylog.store import index_schema, migrate, search_index, sqlite_driver
from activitylog.store.ledger import STREAM_CHUNK, RowStream
from activitylog.store.schema import entries, events
from activitylog.store.search_index import SearchScope, indexed, match
from activitylog.store.sql import SQLStore

INSERT_ENTRIES = (
    f"INSERT INTO entries ({', '.join(c.name for c in entries.columns)}) "
    f"VALUES ({', '.join('?' for _ in entries.columns)})"
)
INSERT_COPIES = (
    f"INSERT INTO events ({', '.join(c.name for c in events.columns)}) "
    f"VALUES ({', '.join('?' for _ in events.columns)})"
)
_COLUMNS = [c.name for c in events.columns]
#: Where the copies' row holds what the search index is made of. The words live in the
#: index alone (index_schema.SEARCH): the row's ``search_text`` is left empty.
SEARCH_TEXT, WORKSPACE, LAYER, CATEGORY = (
    _COLUMNS.index(name) for name in ("search_text", "workspace", "layer", "category")
)
SYNCHRONOUS = {"full": "FULL", "normal": "NORMAL"}
#: How a transaction takes one file's write lock and not the other's.
LOCKS = {
    "log": "UPDATE main.chain_heads SET seq = seq WHERE 0",
    "index": "UPDATE idx.derived_heads SET seq = seq WHERE 0",
}
#: WAL pages after which a commit checkpoints: appends', and unsynced background writes'.
AUTOCHECKPOINT = 8192
UNSYNCED_AUTOCHECKPOINT = 256


class SQLiteStore(SQLStore):
    ACTOR_ORDER = True  # index_schema.BY_ACTOR

    def __init__(self, url: str, policy: SealPolicy, *, durability: str = "full") -> None:
        parsed = make_url(url)
        database = parsed.database or ""
        if not database or database == ":memory:":
            raise ConfigurationError("SQLite needs a file: sqlite:///path/to/activitylog.db")
        if durability not in SYNCHRONOUS:
            raise ConfigurationError("durability must be 'full' or 'normal'")
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            f"sqlite:///{database}", module=sqlite_driver.dbapi, pool_size=8, max_overflow=8
        )
        synchronous = SYNCHRONOUS[durability]
        self.index_path = index_path(Path(database))

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi: Any, _record: Any) -> None:
            dbapi.isolation_level = None  # we issue BEGIN ourselves (below)
            dbapi.execute("ATTACH DATABASE ? AS idx", (str(self.index_path),))
            for schema in ("main", "idx"):
                for pragma in (
                    "journal_mode=WAL",
                    f"synchronous={synchronous}",
                    "cache_size=-65536",
                    f"wal_autocheckpoint={AUTOCHECKPOINT}",
                    "mmap_size=2147418112",  # reads of large logs skip a copy per page
                    # (the most SQLite's default build maps)
                    "secure_delete=ON",  # deleted content is overwritten, not left free
                ):
                    dbapi.execute(f"PRAGMA {schema}.{pragma}")
            dbapi.execute("PRAGMA busy_timeout=60000")
            dbapi.execute("PRAGMA temp_store=MEMORY")

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            options = conn.get_execution_options()
            driver = _driver(conn)
            lock = "all" if options.get("immediate") == "all" else options.get("lock")
            if options.get("immediate") is True:
                lock = "log"
            if lock == "all":  # both files' write locks
                driver.execute("BEGIN IMMEDIATE")
                return
            driver.execute("BEGIN")
            if lock in LOCKS:  # one file's write lock (a write that changes nothing)
                driver.execute(LOCKS[lock])

        super().__init__(engine, policy)
        self.writer_turn = threading.Lock()
        self._synchronous = synchronous
        self._immediate = engine.execution_options(immediate=True)
        self._appender: Connection | None = None
        self._appender_free = threading.Lock()
        self._both = engine.execution_options(lock="all")
        self._index_lock = engine.execution_options(lock="index")
        with self._both.begin() as conn:
            migrate.upgrade(conn)
            index_schema.ensure(conn)

    def _write(self) -> AbstractContextManager[Connection]:
        return self._both.begin()

    @contextmanager
    def _write_log(self) -> Iterator[Connection]:
        # An append's transaction on a connection the store keeps open for appends: a
        # pool checkout and check-in, and a Connection made and closed, cost a one-event
        # append more than its own statements. Taken by one writer at a time; a second
        # at once (another thread, or a write inside a write) gets a pooled one.
        if not self._appender_free.acquire(blocking=False):
            with self._immediate.begin() as conn:
                yield conn
            return
        try:
            if self._appender is None or self._appender.closed:
                self._appender = self._immediate.connect()
            conn = self._appender
            try:
                with conn.begin():
                    yield conn
            except BaseException:
                self._appender = None  # after a failure, a fresh connection next time
                conn.close()
                raise
        finally:
            self._appender_free.release()

    def close(self) -> None:
        with self._appender_free:
            if self._appender is not None:
                self._appender.close()
                self._appender = None
        super().close()

    def _write_index(self) -> AbstractContextManager[Connection]:
        return self._index_lock.begin()

    @contextmanager
    def _write_unsynced(self, *, log_only: bool = False) -> Iterator[Connection]:
        # synchronous=NORMAL: the commit goes to the WAL without an fsync (the next synced
        # commit or checkpoint carries it to the disk), so the write lock is held for the
        # statements alone. The WAL such writes fill is checkpointed between them
        # (_between_slices) where SQLite is safe for that; on an older SQLite (the
        # WAL-reset race), by a small wal_autocheckpoint on this connection instead: its
        # own commits move the WAL into the database at their end, so the autocheckpoint
        # does not fall to an append's commit and no checkpoint runs beside a writer.
        # The pragmas cannot change inside a transaction.
        small = not sqlite_driver.BACKGROUND_CHECKPOINTS
        with (self._immediate if log_only else self._both).connect() as conn:
            driver = _driver(conn)
            for schema in ("main", "idx"):
                driver.execute(f"PRAGMA {schema}.synchronous=NORMAL")
                if small:
                    driver.execute(f"PRAGMA {schema}.wal_autocheckpoint={UNSYNCED_AUTOCHECKPOINT}")
            try:
                with conn.begin():
                    yield conn
            finally:
                for schema in ("main", "idx"):
                    driver.execute(f"PRAGMA {schema}.synchronous={self._synchronous}")
                    if small:
                        driver.execute(f"PRAGMA {schema}.wal_autocheckpoint={AUTOCHECKPOINT}")

    def _between_slices(self) -> None:
        # A purge writes much to the WAL: checkpoint it in the purge's pause, so the
        # autocheckpoint does not fall to an append's commit. PASSIVE never waits for
        # readers or writers. Only where SQLite has no WAL-reset race.
        if sqlite_driver.BACKGROUND_CHECKPOINTS:
            with self.engine.connect() as conn:
                for schema in ("main", "idx"):
                    _driver(conn).execute(f"PRAGMA {schema}.wal_checkpoint(PASSIVE)").fetchall()

    def _sql(self, conn: Connection, statement: str, params: Any = ()) -> list[Any]:
        # Straight to sqlite3: SQLAlchemy's per-statement work costs more than a small
        # append's own statements (a one-event append runs about a dozen). An application's
        # connection (an append in its transaction) may come through another driver.
        driver = conn.connection.driver_connection
        if not sqlite_driver.is_driver_connection(driver):
            return super()._sql(conn, statement, params)
        assert driver is not None
        try:
            run = driver.executemany if isinstance(params, list) else driver.execute
            rows: list[Any] = run(statement, params).fetchall()
            return rows
        except sqlite_driver.Error as exc:
            raise sqlalchemy.exc.DBAPIError.instance(
                statement, params, exc, sqlite_driver.Error
            ) from exc

    def _all(self, conn: Connection, stmt: Select[Any]) -> Sequence[Sequence[Any]]:
        # sqlite3's own tuples: SQLAlchemy's rows cost an export about 1.2 us each, a
        # sixth of a row's whole cost. Compiled here with every IN list spelt out; a
        # statement whose values SQLAlchemy would convert first goes through it.
        driver = conn.connection.driver_connection
        if not sqlite_driver.is_driver_connection(driver):
            return super()._all(conn, stmt)
        assert driver is not None
        compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        converted = getattr(compiled, "_bind_processors", None)
        if converted is None or converted or compiled.positiontup is None:
            return super()._all(conn, stmt)
        values = compiled.construct_params()
        params = tuple(values[name] for name in compiled.positiontup)
        try:
            rows: list[tuple[Any, ...]] = driver.execute(compiled.string, params).fetchall()
        except sqlite_driver.Error as exc:
            raise sqlalchemy.exc.DBAPIError.instance(
                compiled.string, params, exc, sqlite_driver.Error
            ) from exc
        return rows

    def _insert_entries(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        self._sql(conn, INSERT_ENTRIES, rows)

    def _insert_copies(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        self._sql(conn, INSERT_COPIES, [_without_words(row) for row in rows])
        self._sql(conn, search_index.INSERT, [(row[0], indexed_text(row)) for row in rows])

    def _delete_event(self, conn: Connection, rid: int, search_text: str) -> None:
        conn.exec_driver_sql(search_index.DELETE, (rid,))
        super()._delete_event(conn, rid, search_text)

    def _delete_search(self, conn: Connection, rows: list[tuple[int, str]]) -> None:
        self._sql(conn, search_index.DELETE, [(row[0],) for row in rows])

    def _stream(self, conn: Connection, statement: str, params: tuple[Any, ...]) -> RowStream:
        # Verification reads every entry: the driver's own cursor hands over plain tuples.
        cursor = _driver(conn).execute(statement, params)
        chunks = iter(partial(cursor.fetchmany, STREAM_CHUNK), [])
        return RowStream(chain.from_iterable(chunks), cursor.close)

    def _after_delete(self) -> None:
        # The deleted content's old pages live on in the WAL until a checkpoint copies the
        # zeroed pages back: do that now and truncate the WAL, so nothing lingers on disk.
        with self.engine.connect() as conn:
            for schema in ("main", "idx"):
                _driver(conn).execute(f"PRAGMA {schema}.wal_checkpoint(TRUNCATE)").fetchall()

    def _search(
        self, query: str, lo: int | None, hi: int | None, scope: SearchScope | None
    ) -> ColumnElement[bool]:
        return events.c.rid.in_(self._search_rids(query, lo, hi, scope))

    def _search_rids(
        self, query: str, lo: int | None, hi: int | None, scope: SearchScope | None
    ) -> Select[Any]:
        # A phrase of the query's words, the last one a prefix: the tokenizer splits the
        # indexed words where the spaces are (index_schema.SEARCH), so this is the rule
        # activitylog.search_words states; with the scope's tokens, only the entries of
        # that workspace the scope may see match.
        rowid: ColumnElement[int] = literal_column("rowid")
        rids: Select[Any] = (
            select(rowid)
            .select_from(text("events_fts"))
            .where(text("events_fts MATCH :fts_query").bindparams(fts_query=match(query, scope)))
        )
        if lo is not None:
            rids = rids.where(rowid >= lo)
        if hi is not None:
            rids = rids.where(rowid < hi)
        return rids


def _without_words(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*row[:SEARCH_TEXT], "", *row[SEARCH_TEXT + 1 :])


def indexed_text(row: tuple[Any, ...]) -> str:
    """What the search index holds for a row of copies (columns in table order)."""
    return indexed(row[WORKSPACE], row[LAYER], row[CATEGORY], row[SEARCH_TEXT])


def _driver(conn: Connection) -> Any:
    """The SQLite library's own connection under ``conn``."""
    driver = conn.connection.driver_connection
    if not sqlite_driver.is_driver_connection(driver):  # the store's engine is made above
        raise sqlalchemy.exc.InvalidRequestError("the SQLite store runs on the sqlite3 driver")
    return driver


def index_path(database: Path) -> Path:
    """The index file beside ``database``: ``activitylog.db`` -> ``activitylog.index.db``."""
    return database.with_name(f"{database.stem}.index{database.suffix or '.db'}")
