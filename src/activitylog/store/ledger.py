"""Reading the log as verification and proofs see it: every workspace any table knows,
heads, kept checkpoints, and entries (tombstones included) in seq order, streamed, with
their bodies decoded to the canonical JSON that was hashed."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import chain, islice
from typing import Any

from sqlalchemy import Connection, select

from activitylog.chain import Head, LiveChunk, Row
from activitylog.events import format_micros
from activitylog.retention import PURGE_ACTION, PurgeStart, purge_start
from activitylog.store import sqlite_driver
from activitylog.store.bodies import BodyCodec
from activitylog.store.dictionaries import stored_dictionaries
from activitylog.store.indexing import SQLIndexing
from activitylog.store.schema import chain_heads, checkpoints

#: Tables that name workspaces; verify looks in all of them, not only the heads.
WORKSPACE_TABLES = ("chain_heads", "entries", "events", "tombstones", "checkpoints")
STREAM_CHUNK = 4096


@dataclass
class Snapshot:
    """A workspace's log as read in one snapshot: its head, the kept checkpoints
    ``(size, note)``, the purge records ``(seq, body)``, where the log starts after them
    (``start``; ``start_problem`` when the latest record cannot be read: the rows then
    start at seq 1), and the entries from there on."""

    head: Head | None
    kept: list[tuple[int, str]]
    purges: list[tuple[int, bytes]]
    start: PurgeStart | None
    start_problem: tuple[int, str] | None
    rows: RowStream


class SQLLedger(SQLIndexing):
    def workspaces(self) -> list[str]:
        """The workspaces with a chain head."""
        stmt = select(chain_heads.c.workspace).order_by(chain_heads.c.workspace)
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def head_seqs(self) -> dict[str, int]:
        """Each workspace's last seq, from the heads (one small table)."""
        stmt = select(chain_heads.c.workspace, chain_heads.c.seq)
        with self.engine.connect() as conn:
            return {str(w): int(seq) for w, seq in conn.execute(stmt)}

    def all_workspaces(self, tables: Sequence[str] = WORKSPACE_TABLES) -> list[str]:
        """Every workspace named in any table: a skip scan of each table's leading
        ``workspace`` index (one seek per workspace, not one row per entry)."""
        found: set[str] = set()
        with self.engine.connect() as conn:
            for table in tables:
                found.update(
                    row[0]
                    for row in self._sql(
                        conn,
                        f"WITH RECURSIVE w(name) AS (SELECT min(workspace) FROM {table}"
                        f" UNION ALL SELECT (SELECT min(workspace) FROM {table}"
                        " WHERE workspace > w.name) FROM w WHERE w.name IS NOT NULL)"
                        " SELECT name FROM w WHERE name IS NOT NULL",
                    )
                )
        return sorted(found)

    def head(self, workspace: str) -> Head | None:
        with self.engine.connect() as conn:
            return self._head(conn, workspace)

    def _head(self, conn: Connection, workspace: str) -> Head | None:
        row = self._sql(
            conn,
            "SELECT seq, chain_hash, frontier, note FROM chain_heads"
            f" WHERE workspace = {self.MARK}",
            (workspace,),
        )
        if not row:
            return None
        seq, chain_hash, frontier, note = row[0]
        return Head(int(seq), str(chain_hash), bytes(frontier), note)

    def kept_checkpoints(self, workspace: str) -> list[tuple[int, str]]:
        """``(size, note)`` of the checkpoints kept for ``workspace``, by size."""
        with self.engine.connect() as conn:
            return self._kept(conn, workspace)

    def _kept(self, conn: Connection, workspace: str) -> list[tuple[int, str]]:
        stmt = (
            select(checkpoints.c.size, checkpoints.c.note)
            .where(checkpoints.c.workspace == workspace)
            .order_by(checkpoints.c.size)
        )
        return [(int(size), str(note)) for size, note in conn.execute(stmt)]

    def covering(self, workspace: str, seq: int) -> tuple[int, str] | None:
        """The first kept checkpoint at or after ``seq``, else the head's note, as
        ``(size, note)``; None when nothing signed covers it."""
        stmt = (
            select(checkpoints.c.size, checkpoints.c.note)
            .where(checkpoints.c.workspace == workspace, checkpoints.c.size >= seq)
            .order_by(checkpoints.c.size)
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
            if row is not None:
                return int(row[0]), str(row[1])
            head = self._head(conn, workspace)
        if head is None or head.note is None or head.seq < seq:
            return None
        return head.seq, head.note

    @contextmanager
    def snapshot(self, workspace: str, *, hashes: bool = True) -> Iterator[Snapshot]:
        """Head, kept checkpoints, purge records and entries of ``workspace`` read in one
        snapshot, so appends made meanwhile neither look like missing nor like inserted
        entries (``hashes`` False leaves the live entries' stored hashes unread: None)."""
        self.settle()  # purge records are found through their copies
        with self.engine.connect() as conn:
            conn = conn.execution_options(**self._snapshot_options())
            head = self._head(conn, workspace)
            # the dictionaries as this snapshot holds them, not as this process knew them
            bodies = BodyCodec(stored_dictionaries(conn))
            purges = self.purge_records(conn, workspace, bodies)
            start, problem = None, None
            if purges:
                try:
                    start = purge_start(*purges[-1])
                except ValueError as exc:
                    problem = (purges[-1][0], str(exc))
            first = 1 if start is None else start.last + 1
            rows = self.entries(conn, workspace, first, hashes=hashes, bodies=bodies)
            try:
                yield Snapshot(head, self._kept(conn, workspace), purges, start, problem, rows)
            finally:
                rows.close()

    def purge_records(
        self, conn: Connection, workspace: str, bodies: BodyCodec | None = None
    ) -> list[tuple[int, bytes]]:
        """``(seq, body)`` of ``workspace``'s purge records still in the log, by seq (a
        small partial index of the copies finds them: call after settling); a body that
        cannot be decoded (by ``bodies``, default the store's) as it is stored."""
        rows = self._sql(
            conn,
            "SELECT b.seq, b.body FROM events AS e JOIN entries AS b ON b.rid = e.rid"
            f" WHERE e.workspace = {self.MARK} AND e.action = {self.MARK} ORDER BY b.seq",
            (workspace, PURGE_ACTION),
        )
        readable = (bodies or self.bodies).readable
        return [(int(seq), readable(body)) for seq, body in rows]

    def _snapshot_options(self) -> dict[str, Any]:
        """Execution options for a consistent multi-statement read."""
        return {}

    def entries(
        self,
        conn: Connection,
        workspace: str,
        first: int = 1,
        last: int | None = None,
        *,
        hashes: bool = True,
        bodies: BodyCodec | None = None,
    ) -> RowStream:
        """Entries ``first..last`` of ``workspace`` (the tombstones, when the range holds
        any, merged by the database, both read in seq order from their indexes) in seq
        order, as :data:`activitylog.chain.Row` tuples: bodies decoded (by ``bodies``,
        default the store's; one that cannot be, as it is stored, so it fails its hash),
        hashes as hex. Streamed, in the caller's snapshot. ``hashes`` False leaves the
        live entries' stored hashes unread (None)."""
        mark = self.MARK
        where = f"workspace = {mark} AND seq >= {mark}" + (
            f" AND seq <= {mark}" if last is not None else ""
        )
        params: tuple[Any, ...] = (workspace, first) if last is None else (workspace, first, last)
        stored = "content_hash, chain_hash" if hashes else "NULL, NULL"
        if hashes and conn.dialect.name == "postgresql":
            # one type with the tombstones' (hex text)
            stored = "encode(content_hash, 'hex'), encode(chain_hash, 'hex')"
        graves = self._sql(conn, f"SELECT 1 FROM tombstones WHERE {where} LIMIT 1", params)
        if not graves:  # the common case: no merge with the tombstones' index
            statement = f"SELECT seq, body, {stored}, NULL FROM entries WHERE {where} ORDER BY seq"
        else:
            statement = (
                f"SELECT seq, body, {stored}, NULL FROM entries WHERE {where}"
                " UNION ALL SELECT seq, NULL, content_hash, chain_hash, id FROM tombstones"
                f" WHERE {where} ORDER BY seq"
            )
            params *= 2
        chunks, close = self._chunks(conn, statement, params)
        decoded = _decoded(chunks, bodies or self.bodies, bare=not graves and not hashes)
        return RowStream.of_chunks(decoded, close)

    def tombstones_of(self, workspace: str) -> list[tuple[int, str, str, str, str]]:
        """``(seq, id, deleted_by, reason, deleted_at)`` of ``workspace``'s tombstones."""
        with self.engine.connect() as conn:
            rows = self._sql(
                conn,
                "SELECT seq, id, deleted_by, reason, deleted_at FROM tombstones"
                f" WHERE workspace = {self.MARK} ORDER BY seq",
                (workspace,),
            )
        return [
            (int(seq), str(i), str(by), str(why), format_micros(int(at)))
            for seq, i, by, why, at in rows
        ]

    def live_seq(self, workspace: str, event_id: str) -> int | None:
        mark = self.MARK
        with self.engine.connect() as conn:
            rows = self._sql(
                conn,
                f"SELECT seq FROM entries WHERE id = {mark} AND workspace = {mark}",
                (event_id, workspace),
            )
        return int(rows[0][0]) if rows else None

    def entries_of(self, workspace: str, first: int = 1, last: int | None = None) -> list[Row]:
        with self.engine.connect() as conn:
            stream = self.entries(conn, workspace, first, last)
            try:
                return list(stream)
            finally:
                stream.close()

    def _stream(self, conn: Connection, statement: str, params: tuple[Any, ...]) -> RowStream:
        """The rows of a query, fetched in chunks."""
        chunks, close = self._chunks(conn, statement, params)
        return RowStream.of_chunks(chunks, close)

    def _chunks(
        self, conn: Connection, statement: str, params: tuple[Any, ...]
    ) -> tuple[Iterator[Sequence[Sequence[Any]]], Callable[[], object]]:
        """The rows of a query in chunks of :data:`STREAM_CHUNK`, and what closes its
        cursor; on SQLite through the driver's own cursor (plain tuples, no result
        object in between: verification reads millions)."""
        driver = conn.connection.driver_connection
        if sqlite_driver.is_driver_connection(driver):
            cursor = driver.execute(statement, params)  # type: ignore[union-attr]
            return iter(partial(cursor.fetchmany, STREAM_CHUNK), []), cursor.close
        result = conn.execution_options(stream_results=True).exec_driver_sql(statement, params)
        return iter(partial(result.fetchmany, STREAM_CHUNK), []), result.close


def _decoded(
    chunks: Iterator[Sequence[Sequence[Any]]], bodies: BodyCodec, *, bare: bool
) -> Iterator[list[Row] | LiveChunk]:
    """``chunks`` of rows with each body decoded and the hashes as hex (``bare``: rows of
    entries whose hashes were not read, so all but seq and body are None)."""
    readable_many = bodies.readable_many
    for chunk in chunks:
        decoded = readable_many([row[1] for row in chunk])
        if bare:
            yield LiveChunk(chunk, decoded)  # type: ignore[arg-type]
            continue
        yield [
            (
                seq,
                body,
                content if type(content) is not bytes else content.hex(),
                chained if type(chained) is not bytes else chained.hex(),
                grave,
            )
            for (seq, _, content, chained, grave), body in zip(chunk, decoded, strict=True)
        ]


class RowStream:
    """A query's rows, iterated without a Python frame per row (verify reads millions),
    or a chunk at a time (:meth:`chunks`); ``close`` releases the cursor early."""

    def __init__(
        self,
        rows: Iterator[Row],
        close: Callable[[], object],
        chunks: Iterator[list[Row]] | None = None,
    ) -> None:
        self._rows = rows
        self._close = close
        self._chunks = chunks

    @classmethod
    def of_chunks(cls, chunks: Iterator[Any], close: Callable[[], object]) -> RowStream:
        """The rows of ``chunks`` (lists of rows), read either way."""
        return cls(chain.from_iterable(chunks), close, chunks)

    def __iter__(self) -> Iterator[Row]:
        return self._rows

    def chunks(self) -> Iterator[list[Row]]:
        """The rows a list at a time: read this way from the start, or only one way."""
        if self._chunks is not None:
            return self._chunks
        rows = self._rows
        return iter(lambda: list(islice(rows, STREAM_CHUNK)), [])

    def close(self) -> None:
        self._close()
