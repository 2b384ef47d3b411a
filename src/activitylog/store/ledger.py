"""Reading the log as verification and proofs see it: every workspace any table knows,
heads, kept checkpoints, and entries (tombstones included) in seq order, streamed."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, select

from activitylog.chain import Head, Row
from activitylog.store.base import SQLBase
from activitylog.store.schema import chain_heads, checkpoints

#: Tables that name workspaces; verify looks in all of them, not only the heads.
WORKSPACE_TABLES = ("chain_heads", "events", "tombstones", "checkpoints")
_STREAM_CHUNK = 5000

#: The head, the kept checkpoints ``(size, note)`` and the entries, read in one snapshot.
Snapshot = tuple[Head | None, list[tuple[int, str]], Generator[Row, None, None]]


class SQLLedger(SQLBase):
    def workspaces(self) -> list[str]:
        """The workspaces with a chain head."""
        stmt = select(chain_heads.c.workspace).order_by(chain_heads.c.workspace)
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def all_workspaces(self) -> list[str]:
        """Every workspace named in any table: a skip scan of each table's leading
        ``workspace`` index (one seek per workspace, not one row per entry)."""
        found: set[str] = set()
        with self.engine.connect() as conn:
            for table in WORKSPACE_TABLES:
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
    def snapshot(self, workspace: str) -> Iterator[Snapshot]:
        """Head, kept checkpoints and entries of ``workspace`` read in one snapshot, so
        appends made meanwhile neither look like missing nor like inserted entries."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(**self._snapshot_options())
            rows = self.entries(conn, workspace)
            try:
                yield self._head(conn, workspace), self._kept(conn, workspace), rows
            finally:
                rows.close()

    def _snapshot_options(self) -> dict[str, Any]:
        """Execution options for a consistent multi-statement read."""
        return {}

    def entries(
        self, conn: Connection, workspace: str, first: int = 1, last: int | None = None
    ) -> Generator[Row, None, None]:
        """Entries ``first..last`` of ``workspace`` (events and tombstones merged) in seq
        order, as :data:`activitylog.chain.Row` tuples; streamed, in the caller's snapshot."""
        mark = self.MARK
        upper = f" AND seq <= {mark}" if last is not None else ""
        params = (workspace, first) if last is None else (workspace, first, last)
        graves = self._sql(
            conn,
            f"SELECT seq, NULL, content_hash, chain_hash, id FROM tombstones"
            f" WHERE workspace = {mark} AND seq >= {mark}{upper} ORDER BY seq",
            params,
        )
        live = self._stream(
            conn,
            f"SELECT seq, body, content_hash, chain_hash, NULL FROM events"
            f" WHERE workspace = {mark} AND seq >= {mark}{upper} ORDER BY seq",
            params,
        )
        return _merge_by_seq(live, graves) if graves else live

    def entries_of(self, workspace: str, first: int = 1, last: int | None = None) -> list[Row]:
        with self.engine.connect() as conn:
            return list(self.entries(conn, workspace, first, last))

    def _stream(
        self, conn: Connection, statement: str, params: tuple[Any, ...]
    ) -> Generator[Row, None, None]:
        """The rows of a query as plain tuples, fetched in chunks."""
        result = conn.execution_options(stream_results=True).exec_driver_sql(statement, params)
        try:
            while chunk := result.fetchmany(_STREAM_CHUNK):
                yield from (tuple(row) for row in chunk)
        finally:
            result.close()


def _merge_by_seq(live: Iterator[Row], graves: list[Any]) -> Generator[Row, None, None]:
    try:
        pending = iter(graves)
        grave = next(pending, None)
        for row in live:
            while grave is not None and grave[0] <= row[0]:
                yield tuple(grave)
                grave = next(pending, None)
            yield row
        while grave is not None:
            yield tuple(grave)
            grave = next(pending, None)
    finally:
        close = getattr(live, "close", None)
        if close is not None:
            close()
