"""The log as verification, proofs and purges read it on ClickHouse: heads, kept
checkpoints, entries and tombstones in seq order, purges, and the copies checked against
their bodies.

ClickHouse reads no snapshot across statements: verify reads a workspace's head first,
then its entries up to the last seq stored at that moment, so appends made meanwhile are
not seen at all, while entries past the head that no append is writing (forged, or left by
an append that failed) are read and reported.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any

from activitylog.chain import Head, Row
from activitylog.errors import IntegrityError
from activitylog.events import format_micros
from activitylog.merkle import Frontier
from activitylog.notes import verified_checkpoint
from activitylog.retention import PURGE_ACTION, PurgePlan, PurgeStart, purge_start
from activitylog.sealing import GENESIS_HASH
from activitylog.store.clickhouse.deletions import ClickHouseDeletions
from activitylog.store.clickhouse.schema import TABLES
from activitylog.store.copies import COPY_COLUMNS, copies, differing
from activitylog.store.derived_pass import Reindexed, describe
from activitylog.store.ledger import RowStream, Snapshot
from activitylog.store.purges import Purged, PurgeRecord, _leaves, _refused
from activitylog.store.schema import RID_SLOTS

#: Entries read per query when streaming a workspace in seq order.
CHUNK = 10_000
#: A window of seqs (at most :data:`CHUNK` of them) of a workspace's entries and
#: tombstones: bounded on both sides, so the seq index (minmax) reads only the granules
#: holding it, whatever the log's size.
_ENTRIES = (
    "SELECT * FROM (SELECT seq, body, {hashes}, NULL AS grave FROM events"
    " WHERE workspace = %(w)s AND seq >= %(lo)s AND seq <= %(hi)s"
    " UNION ALL SELECT seq, NULL, content_hash, chain_hash, id FROM tombstones FINAL"
    " WHERE workspace = %(w)s AND seq >= %(lo)s AND seq <= %(hi)s) ORDER BY seq"
)
_LAST_SEQ = (
    "SELECT max(s) FROM (SELECT max(seq) AS s FROM events WHERE workspace = %(w)s"
    " UNION ALL SELECT max(seq) AS s FROM tombstones FINAL WHERE workspace = %(w)s)"
)
#: The first seq held at or after ``lo``: where reading goes on after an empty window (a
#: gap: a row far past the others, written by someone, must not cost a window per seq).
_NEXT_SEQ = (
    "SELECT min(s) FROM (SELECT min(seq) AS s FROM events"
    " WHERE workspace = %(w)s AND seq >= %(lo)s"
    " UNION ALL SELECT min(seq) AS s FROM tombstones FINAL"
    " WHERE workspace = %(w)s AND seq >= %(lo)s) WHERE s > 0"
)
_CHECKED = ("seq", "rid", "body", "id", *COPY_COLUMNS)


#: How long verify lets another process's append write its head before the entries it
#: finds past the head are reported.
IN_FLIGHT_SECONDS = 1.0


def _seq_of(head: Head | None) -> int:
    return 0 if head is None else head.seq


def _others_appends_done() -> None:
    time.sleep(IN_FLIGHT_SECONDS)


class ClickHouseLedger(ClickHouseDeletions):
    def workspaces(self) -> list[str]:
        rows = self.db.rows("SELECT DISTINCT workspace FROM chain_heads ORDER BY workspace")
        return [str(row[0]) for row in rows]

    def all_workspaces(self) -> list[str]:
        """Every workspace any table names."""
        found: set[str] = set()
        for table in TABLES:
            found.update(str(r[0]) for r in self.db.rows(f"SELECT DISTINCT workspace FROM {table}"))
        return sorted(found)

    def workspaces_with_copies(self) -> list[str]:
        return self.all_workspaces()

    def head(self, workspace: str) -> Head | None:
        rows = self.db.rows(
            "SELECT seq, chain_hash, frontier, note FROM chain_heads FINAL WHERE workspace = %(w)s",
            {"w": workspace},
        )
        if not rows:
            return None
        seq, chain_hash, frontier, note = rows[0]
        return Head(int(seq), str(chain_hash), bytes.fromhex(frontier), note)

    def head_seqs(self) -> dict[str, int]:
        rows = self.db.rows("SELECT workspace, seq FROM chain_heads FINAL")
        return {str(w): int(seq) for w, seq in rows}

    def kept_checkpoints(self, workspace: str) -> list[tuple[int, str]]:
        rows = self.db.rows(
            "SELECT size, note FROM checkpoints FINAL WHERE workspace = %(w)s ORDER BY size",
            {"w": workspace},
        )
        return [(int(size), str(note)) for size, note in rows]

    def covering(self, workspace: str, seq: int) -> tuple[int, str] | None:
        rows = self.db.rows(
            "SELECT size, note FROM checkpoints FINAL WHERE workspace = %(w)s AND size >= %(s)s"
            " ORDER BY size LIMIT 1",
            {"w": workspace, "s": seq},
        )
        if rows:
            return int(rows[0][0]), str(rows[0][1])
        head = self.head(workspace)
        if head is None or head.note is None or head.seq < seq:
            return None
        return head.seq, head.note

    def entries(
        self, workspace: str, first: int = 1, last: int | None = None, *, hashes: bool = True
    ) -> Generator[Row, None, None]:
        """Entries ``first..last`` of ``workspace`` (tombstones merged) in seq order, as
        :data:`activitylog.chain.Row` tuples, a chunk per query. ``hashes`` False leaves
        the live entries' stored hashes unread (None)."""
        stored = "lower(hex(content_hash)), lower(hex(chain_hash))" if hashes else "NULL, NULL"
        sql = _ENTRIES.format(hashes=stored)
        if last is None:
            [(found,)] = self.db.rows(_LAST_SEQ, {"w": workspace})
            last = int(found or 0)
        lo = first
        while lo <= last:  # a window at a time (a seq held twice comes back twice)
            top = min(last, lo + CHUNK - 1)
            rows = self.db.rows(sql, {"w": workspace, "lo": lo, "hi": top})
            yield from ((int(s), body, c, h, grave) for s, body, c, h, grave in rows)
            lo = top + 1
            if not rows and lo <= last:  # a gap: on to the next seq held
                [(found,)] = self.db.rows(_NEXT_SEQ, {"w": workspace, "lo": lo})
                lo = int(found) if found else last + 1

    def entries_of(self, workspace: str, first: int = 1, last: int | None = None) -> list[Row]:
        return list(self.entries(workspace, first, last))

    def tombstones_of(self, workspace: str) -> list[tuple[int, str, str, str, str]]:
        rows = self.db.rows(
            "SELECT seq, id, deleted_by, reason, deleted_at FROM tombstones FINAL"
            " WHERE workspace = %(w)s ORDER BY seq",
            {"w": workspace},
        )
        return [
            (int(seq), str(i), str(by), str(why), format_micros(int(at)))
            for seq, i, by, why, at in rows
        ]

    def live_seq(self, workspace: str, event_id: str) -> int | None:
        rows = self.db.rows(
            "SELECT seq FROM events WHERE workspace = %(w)s AND id = %(i)s LIMIT 1",
            {"w": workspace, "i": event_id},
        )
        return int(rows[0][0]) if rows else None

    @contextmanager
    def snapshot(self, workspace: str, *, hashes: bool = True) -> Iterator[Snapshot]:
        """Head, kept checkpoints, purge records and entries of ``workspace``: the head
        first, then its entries up to the last one stored then: those past the head are
        reported unless an append in flight writes its head meanwhile
        (:meth:`_head_and_last`); appends made after are left out."""
        self._settled()
        head, end = self._head_and_last(workspace)
        kept = self.kept_checkpoints(workspace)
        purges = self.purge_records(workspace)
        start, problem = None, None
        if purges:
            try:
                start = purge_start(*purges[-1])
            except ValueError as exc:
                problem = (purges[-1][0], str(exc))
        first = 1 if start is None else start.last + 1
        rows = self.entries(workspace, first, end, hashes=hashes)
        try:
            yield Snapshot(head, kept, purges, start, problem, RowStream(rows, rows.close))
        finally:
            rows.close()

    def _head_and_last(self, workspace: str) -> tuple[Head | None, int]:
        """The head and the last seq to read. Entries past the head may be an append in
        flight: this process's is waited for (its writer lock), another's given
        :data:`IN_FLIGHT_SECONDS` to write its head; the head is read again after each."""
        head = self.head(workspace)
        last = self._last_seq(workspace)
        for pause in (self._own_appends_done, _others_appends_done):
            if last <= _seq_of(head):
                break
            pause()
            head = self.head(workspace)
        return head, max(last, _seq_of(head))

    def _last_seq(self, workspace: str) -> int:
        rows = self.db.rows("SELECT max(seq) FROM events WHERE workspace = %(w)s", {"w": workspace})
        return int(rows[0][0] or 0) if rows else 0

    def _own_appends_done(self) -> None:
        with self.writer:
            pass

    # -- purges ----------------------------------------------------------------------------
    def purge_records(self, workspace: str) -> list[tuple[int, bytes]]:
        """``(seq, body)`` of ``workspace``'s purge records still in the log, by seq."""
        rows = self.db.rows(
            "SELECT seq, body FROM events WHERE workspace = %(w)s AND action = %(a)s ORDER BY seq",
            {"w": workspace, "a": PURGE_ACTION},
        )
        return [(int(seq), body) for seq, body in rows]

    def purge_start(self, conn: Any, workspace: str) -> PurgeStart | None:
        """Where ``workspace``'s log starts after its purges (None: at seq 1); ``conn``
        (of the side database) is not used. IntegrityError for a malformed record."""
        records = self.purge_records(workspace)
        if not records:
            return None
        seq, body = records[-1]
        try:
            return purge_start(seq, body)
        except ValueError as exc:
            raise IntegrityError(f"workspace {workspace!r}: seq {seq}: {exc}") from None

    def plan_purge(self, workspace: str, cutoff_us: int) -> PurgePlan | None:
        self._settled()
        start = self.purge_start(None, workspace)
        first = 1 if start is None else start.last + 1
        newer = self.db.rows(
            "SELECT min(seq) FROM (SELECT seq FROM events WHERE workspace = %(w)s"
            " AND seq >= %(f)s AND intDiv(rid, %(slots)s) >= %(cut)s UNION ALL SELECT seq"
            " FROM tombstones FINAL WHERE workspace = %(w)s AND seq >= %(f)s"
            " AND occurred_at >= %(cut)s)",
            {"w": workspace, "f": first, "cut": cutoff_us, "slots": RID_SLOTS},
        )
        head = self.head(workspace)
        boundary = int(newer[0][0]) if newer and newer[0][0] else (head.seq if head else 0) + 1
        found = self.db.rows(
            "SELECT max(size) FROM checkpoints FINAL WHERE workspace = %(w)s"
            " AND size >= %(f)s AND size < %(b)s",
            {"w": workspace, "f": first, "b": boundary},
        )
        last = int(found[0][0]) if found and found[0][0] else 0
        if last < first:
            return None
        return PurgePlan(workspace, first, last, last - first + 1, cutoff_us)

    def purge(self, plan: PurgePlan, record: PurgeRecord) -> Purged:
        """Check ``plan``'s entries against the checkpoint signed at its end, append its
        record, then remove the entries."""
        frontier, chain = self._checked_prefix(plan)
        prepared = record(plan, frontier, chain)
        with self.writer, self._leased([plan.workspace]):
            heads = self._heads_for([plan.workspace])
            start = self.purge_start(None, plan.workspace)
            if (1 if start is None else start.last + 1) != plan.first:
                raise IntegrityError(
                    f"workspace {plan.workspace!r} was purged meanwhile; plan again"
                )
            try:
                self._append_fresh([prepared], heads)
                self._save_heads(heads)
            except BaseException as exc:
                self._forget(heads, undo=isinstance(exc, Exception))
                raise
        self._committed(heads)
        removed = self.finish_purge(plan.workspace)
        return Purged(plan, heads[plan.workspace].seq, removed)

    def _checked_prefix(self, plan: PurgePlan) -> tuple[Frontier, bytes]:
        start = self.purge_start(None, plan.workspace)
        frontier = Frontier() if start is None else start.frontier.copy()
        chain = GENESIS_HASH if start is None else start.chain
        expected = plan.first
        for seq, leaf in _leaves(self.entries(plan.workspace, plan.first, plan.last)):
            if seq != expected:
                raise _refused(plan, f"seq {expected} is missing")
            chain = hashlib.sha256(chain + leaf).digest()
            frontier.append(leaf)
            expected += 1
        if expected != plan.last + 1:
            raise _refused(plan, f"seq {expected} is missing")
        kept = dict(self.kept_checkpoints(plan.workspace))
        if plan.last not in kept:
            raise _refused(plan, f"no checkpoint is kept at size {plan.last}")
        checkpoint, problem = verified_checkpoint(kept[plan.last], self.policy.ring())
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
        """Remove what ``workspace``'s latest purge record covers and is still stored;
        the rows removed (lightweight DELETEs: gone from reads at once, from the disk at
        the parts' next merge, or at once for a month the purge left without a row:
        :meth:`_compact_emptied_months`)."""
        start = self.purge_start(None, workspace)
        if start is None:
            return 0
        removed = 0
        where = "WHERE workspace = %(w)s AND seq <= %(s)s"
        bounds = {"w": workspace, "s": start.last}
        with self.writer:
            for table in ("events", "tombstones"):
                final = " FINAL" if table == "tombstones" else ""
                count = int(
                    self.db.rows(f"SELECT count() FROM {table}{final} {where}", bounds)[0][0]
                )
                if count:
                    self.db.run(f"DELETE FROM {self.mutable(table)} {where}", bounds)
                removed += count
        if removed and self.cluster is None:  # a cluster's parts are each node's
            self._compact_emptied_months()
        return removed

    def _compact_emptied_months(self) -> None:
        """Merge each month partition of ``events`` that holds no row any more (the rows
        purges deleted stay on disk, masked, until a merge): its space is freed now. A
        merge never removes a row a read sees, so an append meanwhile is safe."""
        months = self.db.rows(
            "SELECT DISTINCT partition_id FROM system.parts"
            " WHERE active AND rows > 0 AND database = currentDatabase() AND table = 'events'"
        )
        for (month,) in months:
            live = {"p": month}
            if not self.db.rows("SELECT 1 FROM events WHERE _partition_id = %(p)s LIMIT 1", live):
                self.db.run("OPTIMIZE TABLE events PARTITION ID %(p)s FINAL", live)

    # -- the copies ------------------------------------------------------------------------
    def index_pending(
        self, *, until: dict[str, int] | None = None, slices: int | None = None
    ) -> int:
        """The copies are written with the entries: only the outbox is appended."""
        return self.settle()

    def derived_breaks(self, workspace: str) -> Iterator[tuple[int, str]]:
        """``(seq, detail)`` of each entry whose copies (or ``id``, or ``rid``'s
        microsecond) differ from its body."""
        for seq, _, names, _ in self._copy_breaks(workspace):
            yield seq, describe(names)

    def search_index_breaks(self) -> Iterator[str]:
        """Nothing: the search skip index is ClickHouse's own, kept with each part."""
        return iter(())

    def reindex(
        self, workspace: str | None = None, *, on_step: Callable[[Reindexed], None] | None = None
    ) -> int:
        """Rewrite the copies that differ from their bodies (a mutation of each such row,
        waited for); never the body, seq, hashes, id or rid. Returns the rows rewritten.

        Before the first, the rows deletions and purges masked are removed from the parts
        (``APPLY DELETED MASK``): an ``UPDATE`` rebuilds the count projections of the parts
        it changes from every row they hold, masked ones too."""
        rewritten = 0
        unmasked = True
        for name in [workspace] if workspace is not None else self.all_workspaces():
            left: list[int] = []
            done = 0
            for seq, rid, names, values in self._copy_breaks(name):
                fixable = [n for n in names if n in COPY_COLUMNS and n != "workspace"]
                if values is None or fixable != names:
                    left.append(seq)
                    continue
                if unmasked:
                    self.db.run(
                        f"ALTER TABLE {self.mutable('events')} APPLY DELETED MASK"
                        " SETTINGS mutations_sync = 2"
                    )
                    unmasked = False
                assignments = ", ".join(f"{n} = %({n})s" for n in fixable)
                self.db.run(
                    f"ALTER TABLE {self.mutable('events')} UPDATE {assignments} WHERE rid = %(rid)s"
                    " SETTINGS mutations_sync = 2",
                    {**{n: values[n] for n in fixable}, "rid": rid},
                )
                done += 1
            rewritten += done
            if on_step is not None:
                on_step(Reindexed(name, rewritten=done, left=tuple(left)))
        return rewritten

    def _copy_breaks(
        self, workspace: str
    ) -> Iterator[tuple[int, int, list[str], dict[str, Any] | None]]:
        """``(seq, rid, differing names, the body's copies)`` of each entry of
        ``workspace`` whose row differs from its body (copies None: unreadable body)."""
        sql = (
            f"SELECT {', '.join(_CHECKED)} FROM events WHERE workspace = %(w)s AND rid > %(r)s"
            f" ORDER BY rid LIMIT {CHUNK}"
        )
        last = -(2**63)
        while True:
            rows = self.db.rows(sql, {"w": workspace, "r": last})
            for row in rows:
                try:
                    values = copies(row[2])
                except ValueError:
                    yield row[0], row[1], ["body"], None
                    continue
                names = differing(row, _CHECKED, values)
                if names:
                    yield row[0], row[1], names, values
            if len(rows) < CHUNK:
                return
            last = rows[-1][1]


__all__ = ["ClickHouseLedger"]
