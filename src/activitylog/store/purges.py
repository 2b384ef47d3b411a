"""Purging the oldest entries of a workspace (see :mod:`activitylog.retention`).

A purge is planned in a read (the prefix of entries older than the cut-off, up to the
last kept checkpoint inside it), checked against that checkpoint's signature, archived by
the caller, recorded (one append), and only then removed slice by slice with pauses between
them, so ingest waits for one slice's removal of entries at most. A purge cut short resumes
from its record: :meth:`SQLPurges.finish_purge` removes what the latest record covers.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, select

from activitylog.chain import Row
from activitylog.enrich import Prepared
from activitylog.errors import IntegrityError
from activitylog.merkle import Frontier
from activitylog.notes import verified_checkpoint
from activitylog.retention import PurgePlan, PurgeStart, purge_start
from activitylog.sealing import GENESIS_HASH, Head
from activitylog.store.ledger import SQLLedger
from activitylog.store.rollups import Accumulator
from activitylog.store.schema import IP_ROLLUPS, RID_SLOTS, ROLLUPS, checkpoints
from activitylog.store.writes import SQLWrites

#: Entries removed per slice. A slice removes their copies, search words and counts in a
#: transaction of the index file (appends never wait for it: they write the log's file
#: alone), then the entries and tombstones in a short one of the log's file, which an
#: append waits for at most.
PURGE_STEP = 100
#: How long the purge then leaves the files and the disk to others, as a multiple of how
#: long its slice (and the checkpoint after it) took: the purge works a third of the time.
PURGE_PAUSE = 2.0
#: The columns the counts are kept by, as ``_OLDEST`` reads them after the rid, the seq
#: and the copies' rid (None for an entry without copies).
_DIMS = ("layer", "actor_id", "category", "action", "verb", "kind", "result", "ip")
_OLDEST = (
    "SELECT b.rid, b.seq, e.rid, "
    + ", ".join(f"e.{dim}" for dim in _DIMS)
    + ", e.search_text FROM entries AS b LEFT JOIN events AS e ON e.rid = b.rid"
    " WHERE b.workspace = {mark} AND b.seq <= {mark} ORDER BY b.seq LIMIT {limit}"
)

#: Builds the purge record of a plan, given the tree's frontier and chain hash at its end.
PurgeRecord = Callable[[PurgePlan, Frontier, bytes], Prepared]


@dataclass(frozen=True)
class Purged:
    """What :meth:`SQLPurges.purge` did: the plan carried out and its record's seq."""

    plan: PurgePlan
    record_seq: int
    removed: int


class SQLPurges(SQLWrites, SQLLedger):
    def purge_start(self, conn: Connection, workspace: str) -> PurgeStart | None:
        """Where ``workspace``'s log starts after its purges (None: at seq 1). Raises
        IntegrityError when its latest purge record is malformed."""
        records = self.purge_records(conn, workspace)
        if not records:
            return None
        seq, body = records[-1]
        try:
            return purge_start(seq, body)
        except ValueError as exc:
            raise IntegrityError(f"workspace {workspace!r}: seq {seq}: {exc}") from None

    def plan_purge(self, workspace: str, cutoff_us: int) -> PurgePlan | None:
        """The entries a purge at ``cutoff_us`` would remove now: from the log's start, all
        older than the cut-off, up to the last checkpoint kept inside them (None: none)."""
        self.settle()  # purge records are found through their copies
        with self.engine.connect() as conn:
            start = self.purge_start(conn, workspace)
            first = 1 if start is None else start.last + 1
            boundary = self._first_newer(conn, workspace, first, cutoff_us)
            mark = self.MARK
            found = self._sql(
                conn,
                f"SELECT max(size) FROM checkpoints WHERE workspace = {mark}"
                f" AND size >= {mark} AND size < {mark}",
                (workspace, first, boundary),
            )
        last = found[0][0] if found and found[0][0] is not None else None
        if last is None:
            return None
        return PurgePlan(workspace, first, int(last), int(last) - first + 1, cutoff_us)

    def _first_newer(self, conn: Connection, workspace: str, first: int, cutoff_us: int) -> int:
        """The first seq from ``first`` on that is not older than the cut-off (entries
        read in seq order, so a purge costs what it removes, not what it keeps)."""
        mark = self.MARK
        where = f"workspace = {mark} AND seq >= {mark}"
        stream = self._stream(
            conn,
            f"SELECT seq, rid / {RID_SLOTS} FROM entries WHERE {where}"
            f" UNION ALL SELECT seq, occurred_at FROM tombstones WHERE {where} ORDER BY seq",
            (workspace, first) * 2,
        )
        try:
            for seq, occurred_us in cast(Iterable[tuple[int, int]], stream):
                if occurred_us >= cutoff_us:
                    return int(seq)
        finally:
            stream.close()
        return self._head_seq(conn, workspace) + 1

    def _head_seq(self, conn: Connection, workspace: str) -> int:
        found = self._sql(
            conn, f"SELECT seq FROM chain_heads WHERE workspace = {self.MARK}", (workspace,)
        )
        return int(found[0][0]) if found else 0

    def purge(self, plan: PurgePlan, record: PurgeRecord) -> Purged:
        """Carry out ``plan``: check its entries against the checkpoint signed at its end,
        append its record (``record`` builds it, with the archive the caller wrote), then
        remove the entries in short slices."""
        self.settle()  # purge records are found through their copies
        frontier, chain = self._checked_prefix(plan)
        prepared = record(plan, frontier, chain)
        heads: dict[str, Head] = {}
        try:
            with self._write() as conn:
                heads = self._lock_heads(conn, [plan.workspace])
                self._index_all(conn)  # a purge record appended meanwhile, say
                start = self.purge_start(conn, plan.workspace)
                if (1 if start is None else start.last + 1) != plan.first:
                    raise IntegrityError(
                        f"workspace {plan.workspace!r} was purged meanwhile; plan again"
                    )
                self._append_fresh(conn, [prepared], heads, careful=True)
                self._save_heads(conn, heads)
        except BaseException:
            self.sealer.forget(list(heads))
            raise
        self._committed(heads, True)
        removed = self.finish_purge(plan.workspace)
        return Purged(plan, heads[plan.workspace].seq, removed)

    def _checked_prefix(self, plan: PurgePlan) -> tuple[Frontier, bytes]:
        """The tree's frontier and chain hash at ``plan.last``, recomputed from the
        entries to be removed and held to the checkpoint kept at that size: a purge never
        signs a record over entries someone changed."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(**self._snapshot_options())
            start = self.purge_start(conn, plan.workspace)
            frontier = Frontier() if start is None else start.frontier.copy()
            chain = GENESIS_HASH if start is None else start.chain
            note = conn.execute(
                select(checkpoints.c.note).where(
                    checkpoints.c.workspace == plan.workspace, checkpoints.c.size == plan.last
                )
            ).scalar()
            rows = self.entries(conn, plan.workspace, plan.first, plan.last)
            try:
                expected = plan.first
                for seq, leaf in _leaves(rows):
                    if seq != expected:
                        raise _refused(plan, f"seq {expected} is missing")
                    chain = hashlib.sha256(chain + leaf).digest()
                    frontier.append(leaf)
                    expected += 1
            finally:
                rows.close()
        if expected != plan.last + 1:
            raise _refused(plan, f"seq {expected} is missing")
        if note is None:
            raise _refused(plan, f"no checkpoint is kept at size {plan.last}")
        checkpoint, problem = verified_checkpoint(note, self.policy.ring())
        if (
            problem is not None
            or checkpoint.origin != plan.workspace
            or checkpoint.size != plan.last
            or checkpoint.root != frontier.root()
            or checkpoint.chain_hash != chain.hex()
        ):
            raise _refused(plan, f"the entries differ from the checkpoint signed at {plan.last}")
        return frontier, chain

    def finish_purge(self, workspace: str) -> int:
        """Remove what ``workspace``'s latest purge record covers and is still stored (all
        of it after the record is appended; the rest after an interrupted purge); returns
        the number of rows removed.

        Slice by slice of ``PURGE_STEP`` entries: first their copies, search words and
        counts (the index file's lock alone, so appends go on beside it), then the
        entries themselves (the log's lock, for two statements). A slice cut short
        between the two leaves entries without copies, which the next purge removes
        without counting them again. Between slices the purge checkpoints the
        write-ahead logs where the engine can do that beside writers, and pauses twice as
        long as the slice and its checkpoint took."""
        self.settle()  # the record is found through its copies; what leaves the counts
        # must be in them first
        with self.engine.connect() as conn:
            start = self.purge_start(conn, workspace)
        if start is None:
            return 0
        removed, done = 0, False
        oldest = _OLDEST.format(mark=self.MARK, limit=PURGE_STEP)
        while not done:
            began = time.monotonic()
            with self._write_index() as conn:
                rows = self._sql(conn, oldest, (workspace, start.last))
                done = len(rows) < PURGE_STEP
                upto = start.last if done else rows[-1][1]
                self._uncount(conn, workspace, rows)
            with self.writer_turn, self._write_unsynced(log_only=True) as conn:
                removed += self._remove(conn, workspace, upto)
            if not done:
                self._between_slices()  # its disk writes count in the slice's time
                time.sleep((time.monotonic() - began) * PURGE_PAUSE)
        self._drop_empty_counts(workspace)
        if removed:
            self._after_delete()
        return removed

    def _uncount(self, conn: Connection, workspace: str, rows: list[Any]) -> None:
        """Remove the copies, search words and counts of ``rows`` (read by ``_OLDEST``)."""
        counts, ip_counts = Accumulator(ROLLUPS), Accumulator(IP_ROLLUPS)
        copied = [row for row in rows if row[2] is not None]  # (an unreadable body has none)
        for row in copied:
            values = dict(zip(_DIMS, row[3:11], strict=True))
            occurred = row[2] // RID_SLOTS
            counts.add(workspace, occurred, values, sign=-1)
            if values["ip"]:
                ip_counts.add(workspace, occurred, values, sign=-1)
        self._add_rollups(conn, counts, ip_counts)
        self._delete_search(conn, [(row[0], row[11]) for row in copied])
        if copied:
            mark = self.MARK
            self._sql(conn, f"DELETE FROM events WHERE rid = {mark}", [(row[0],) for row in copied])

    def _remove(self, conn: Connection, workspace: str, upto: int) -> int:
        """Remove the entries and tombstones up to seq ``upto``; how many went."""
        mark = self.MARK
        where = f"WHERE workspace = {mark} AND seq <= {mark}"
        removed = 0
        for table in ("entries", "tombstones"):
            deleted = conn.exec_driver_sql(f"DELETE FROM {table} {where}", (workspace, upto))
            removed += deleted.rowcount
        return removed

    def _drop_empty_counts(self, workspace: str) -> None:
        """Rollup rows whose count fell to zero (purged days) are removed, under the
        index file's lock alone (the counts live there): appends go on meanwhile."""
        with self._write_index() as conn:
            self._delete_empty_counts(conn, workspace)

    def _delete_empty_counts(self, conn: Connection, workspace: str) -> None:
        for rollup in (*ROLLUPS, *IP_ROLLUPS):
            table = rollup.table
            conn.execute(table.delete().where(table.c.workspace == workspace, table.c.n == 0))


def _leaves(rows: Iterable[Row]) -> Iterator[tuple[int, bytes]]:
    """``(seq, leaf hash)`` of entries: a live entry's from its body, a tombstone's as
    stored (its content is gone; the tree still covers it)."""
    sha = hashlib.sha256
    for seq, body, content_hash, _, _ in rows:
        if body is None:
            try:
                leaf = bytes.fromhex(content_hash)
            except (TypeError, ValueError):
                leaf = b""
        else:
            leaf = sha(b"\x00" + body).digest()
        yield seq, leaf


def _refused(plan: PurgePlan, problem: str) -> IntegrityError:
    return IntegrityError(
        f"workspace {plan.workspace!r}: nothing was purged: {problem} (entries "
        f"{plan.first}..{plan.last}). Run `activitylog verify`."
    )
