"""What both SQL engines share before reading or writing: the engine, the sealer, the
body codec, the dialect hooks each engine fills in, and the row <-> event conversions."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Engine, Select

from activitylog.enrich import EMPTY_EVENT
from activitylog.sealing import Sealer, SealPolicy
from activitylog.store.bodies import BodyCodec, BodyError
from activitylog.store.dictionaries import TRAIN_AFTER, newest_dictionary, stored_dictionary
from activitylog.store.schema import entries
from activitylog.store.search_index import SearchScope

#: What an event is read from: its body (content and derived fields, as hashed, stored as
#: :mod:`activitylog.store.bodies` says), its place and hashes, in the log. The copies in
#: ``events`` are for filtering, never shown. :meth:`SQLBase._read` decodes such a row.
READ_COLUMNS = (entries.c.seq, entries.c.body, entries.c.content_hash, entries.c.chain_hash)
IN_CHUNK = 500
#: Seconds between an append's looks for a newer dictionary (one trained by another
#: process): until then, it compresses with the one it knows.
DICTIONARY_CHECK = 10.0
logger = logging.getLogger("activitylog.store")


class SQLBase(ABC):
    """The engine plus the hooks an engine subclass provides."""

    #: The driver's placeholder, for the hot paths' SQL written out (no statement built,
    #: compiled and cached per call: that costs more than a small append's own work).
    MARK = "?"
    #: What locks selected rows until commit, where the engine needs it.
    LOCK = ""

    def __init__(self, engine: Engine, policy: SealPolicy) -> None:
        self.engine = engine
        self.policy = policy
        self.sealer = Sealer(policy)
        self.witness = policy.witness
        #: Taken by this process's appends and purges around their write transactions
        #: where the engine has one writer at a time anyway (SQLite): a waiting append is
        #: woken the moment the lock is free rather than at its busy handler's next poll.
        self.writer_turn: AbstractContextManager[Any] = nullcontext()
        #: Encodes the bodies appends store and decodes those read (dictionaries are
        #: fetched when a body names one it does not hold).
        self.bodies = BodyCodec(load=self._load_dictionary)
        self._dictionary_checked = -DICTIONARY_CHECK
        #: Bodies the log holds (by its heads) when its first dictionary is trained, and
        #: how many it held when last looked at plus those appended here since.
        self._train_at = TRAIN_AFTER
        self._held = 0

    def _load_dictionary(self, dictionary_id: int) -> bytes | None:
        with self.engine.connect() as conn:
            return stored_dictionary(conn, dictionary_id)

    def _encoder(self, conn: Connection) -> Callable[[bytes], bytes]:
        """What an append on ``conn`` encodes bodies with: the newest dictionary, looked
        for on ``conn`` at most every :data:`DICTIONARY_CHECK` seconds (and, while there
        is none, whenever the bodies appended here may have made the first one due)."""
        now = time.monotonic()
        if now - self._dictionary_checked >= DICTIONARY_CHECK or self._training_due():
            self._dictionary_checked = now
            self._look_for_dictionary(conn)
        return self.bodies.encode

    def _look_for_dictionary(self, conn: Connection) -> None:
        """Use the newest dictionary stored; with none, count the bodies the log holds."""
        newest = newest_dictionary(conn)
        if newest is None:
            self._held = int(self._sql(conn, "SELECT COALESCE(sum(seq), 0) FROM chain_heads")[0][0])
        elif newest != self.bodies.newest:
            self._use_dictionary(newest, stored_dictionary(conn, newest) or b"")

    def _training_due(self) -> bool:
        """Whether the log may hold enough bodies for its first dictionary."""
        return self.bodies.newest is None and self._held >= self._train_at

    def _use_dictionary(self, dictionary_id: int, data: bytes) -> None:
        """Encode with dictionary ``dictionary_id`` from now on; one that cannot compress
        (damaged in the database) is left unused, bodies then stay as they are."""
        try:
            self.bodies.add(dictionary_id, data)
        except BodyError as exc:
            logger.warning("bodies are stored uncompressed: %s", exc)

    def _read(self, row: Sequence[Any]) -> tuple[int, bytes, str, str]:
        """A row of :data:`READ_COLUMNS` as the rest of the package sees it: the body
        decoded to the canonical JSON that was hashed, the hashes as hex."""
        seq, body, content_hash, chain_hash = row
        return seq, self.bodies.decode(body), hex_of(content_hash), hex_of(chain_hash)

    def _read_many(
        self, rows: Sequence[Sequence[Any]], start: int = 0
    ) -> list[tuple[int, bytes, str, str]]:
        """:meth:`_read` of each of ``rows``, whose :data:`READ_COLUMNS` begin at column
        ``start`` (the bodies decoded in one pass)."""
        seq, body, content, chained = range(start, start + 4)
        bodies = self.bodies.decode_many([row[body] for row in rows])
        pairs = zip(rows, bodies, strict=True)
        try:
            return [(row[seq], b, row[content].hex(), row[chained].hex()) for row, b in pairs]
        except AttributeError:  # hex text: SQLite rows written before migration 0016
            return [
                (row[seq], b, hex_of(row[content]), hex_of(row[chained]))
                for row, b in zip(rows, bodies, strict=True)
            ]

    def _event(self, row: Sequence[Any]) -> dict[str, Any]:
        """The event a row of :data:`READ_COLUMNS` holds."""
        return row_to_event(self._read(row))

    @contextmanager
    def _queued(
        self, write: AbstractContextManager[Connection], *, turn: bool = True
    ) -> Iterator[Connection]:
        """Enter ``write`` (taking the write lock) after this process's writer turn unless
        ``turn`` is False (an append inside a caller's transaction, which may hold the
        database's lock already)."""
        with ExitStack() as stack:
            if turn:
                stack.enter_context(self.writer_turn)
            yield stack.enter_context(write)

    def _all(self, conn: Connection, stmt: Select[Any]) -> Sequence[Sequence[Any]]:
        """The rows of ``stmt`` (exports' chunks: an engine may hand over its driver's own
        rows rather than SQLAlchemy's)."""
        return conn.execute(stmt).all()

    def _sql(self, conn: Connection, statement: str, params: Any = ()) -> list[Any]:
        """Run SQL written for the driver (``MARK`` placeholders) on ``conn``, in its
        transaction: a list of parameter tuples runs it once per tuple. Returns the rows of
        a query. Driver errors come out as SQLAlchemy's (an ``IntegrityError`` stays one)."""
        result = conn.exec_driver_sql(statement, params)
        return list(result.all()) if result.returns_rows else []

    def _write(self) -> AbstractContextManager[Connection]:
        """A connection inside a write transaction."""
        return self.engine.begin()

    def _write_log(self) -> AbstractContextManager[Connection]:
        """A write transaction of an append: the log's tables alone (where the engine
        locks files, the index file is left to the indexer)."""
        return self._write()

    def _write_index(self) -> AbstractContextManager[Connection]:
        """A write transaction of the indexer: the tables it keeps alone."""
        return self._write()

    def _write_unsynced(self, *, log_only: bool = False) -> AbstractContextManager[Connection]:
        """A write transaction whose commit need not reach the disk at once: for work
        that is redone after a crash (a purge's removals, which its record states);
        ``log_only``: of the log's file alone."""
        return self._write()

    def write_unsynced(self) -> AbstractContextManager[Connection]:
        """:meth:`_write_unsynced` for work outside the store that a crash only repeats
        (a follower's cursor after an at-least-once batch: a lost move sends it again)."""
        return self._write_unsynced(log_only=True)

    @abstractmethod
    def _insert_entries(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        """Insert entry rows (columns in table order)."""

    @abstractmethod
    def _insert_copies(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        """Insert rows of copies (``events`` columns in table order) and their search
        index entries."""

    def _delete_event(self, conn: Connection, rid: int, search_text: str) -> None:
        """Delete an entry and its copies (indexed: ``search_text`` is what they hold)."""
        self._sql(conn, f"DELETE FROM entries WHERE rid = {self.MARK}", (rid,))
        self._sql(conn, f"DELETE FROM events WHERE rid = {self.MARK}", (rid,))

    def _between_slices(self) -> None:  # noqa: B027
        """What long background writes (a purge) do between their transactions, outside
        the write lock (SQLite: move the write-ahead log into the database)."""

    def _delete_search(self, conn: Connection, rows: list[tuple[int, str]]) -> None:  # noqa: B027
        """Remove ``(rid, search_text)`` rows from a search index kept apart from the
        table (none here: an index of the table goes with its rows)."""

    @abstractmethod
    def _search(
        self, term: str, lo: int | None, hi: int | None, scope: SearchScope | None
    ) -> ColumnElement[bool]:
        """The condition for free-text ``term`` among events with ``lo <= rid < hi``
        (an engine whose search index knows scopes narrows it to ``scope``'s entries)."""

    def close(self) -> None:
        self.engine.dispose()


def row_to_event(row: Sequence[Any]) -> dict[str, Any]:
    """An event from a row of :data:`READ_COLUMNS` as :meth:`SQLBase._read` gives it (the
    export hot path: no copies)."""
    seq, body, content_hash, chain_hash = row
    event = EMPTY_EVENT.copy()
    event.update(orjson.loads(body))
    event.update(seq=seq, content_hash=content_hash, chain_hash=chain_hash)
    return event


def hex_of(stored: bytes | str) -> str:
    """A stored hash as hex: ``entries`` keeps the 32 bytes (since migration 0016; SQLite
    rows written before it keep their hex text, read as it is)."""
    if type(stored) is bytes:  # what the drivers hand over: no copy
        return stored.hex()
    return stored if isinstance(stored, str) else bytes(stored).hex()


def now_us() -> int:
    return time.time_ns() // 1000


def chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
