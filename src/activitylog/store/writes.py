"""Appending, tombstoning and checkpointing: the only ways the log changes.

An append is one transaction per batch: lock the chain heads of the batch's workspaces
(and make sure each is one we signed), drop ids already stored (idempotency), sequence,
hash, grow each tree, insert the entries (bodies encoded by activitylog.store.bodies,
hashes as 32 bytes), sign each moved head and keep the checkpoints
that are due. Rows are never updated. After the commit, kept checkpoints are copied to the
witness directory. The copies pages filter on, the rollups and the search index follow
(activitylog.store.indexing).

An append may also run inside a transaction the caller holds (``connection``): the same
steps in a savepoint of it, committed or rolled back with the caller's own changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from itertools import count
from typing import Any

from sqlalchemy import Connection, select

from activitylog.access import Visibility
from activitylog.enrich import Prepared
from activitylog.errors import IntegrityError
from activitylog.idempotency import Appended, Recorded, conflict, differing_fields
from activitylog.merkle import Frontier
from activitylog.notes import Checkpoint
from activitylog.query import Filters
from activitylog.sealing import Head
from activitylog.store.base import READ_COLUMNS, chunks, hex_of, now_us
from activitylog.store.clauses import Window, event_clauses
from activitylog.store.indexing import SQLIndexing
from activitylog.store.rids import assign_rids
from activitylog.store.rollups import Accumulator
from activitylog.store.schema import (
    IP_ROLLUPS,
    RID_SLOTS,
    ROLLUPS,
    chain_heads,
    checkpoints,
    entries,
    events,
    tombstones,
)
from activitylog.verify_report import GENESIS

#: Builds the deletion record of ``ids`` deleted from ``workspace`` at ``deleted_at`` (µs
#: since the epoch; see :meth:`SQLWrites.delete`).
DeletionRecord = Callable[[str, list[str], int], Prepared]


def _by_workspace(batch: Sequence[Prepared]) -> dict[str, list[int]]:
    """The positions of a batch's entries, by workspace (in batch order)."""
    positions: dict[str, list[int]] = {}
    for i, p in enumerate(batch):
        workspace = p.content["workspace"]
        if workspace in positions:
            positions[workspace].append(i)
        else:
            positions[workspace] = [i]
    return positions


class SQLWrites(SQLIndexing):
    def _append(
        self,
        batch: Sequence[Prepared],
        *,
        careful: bool = False,
        connection: Connection | None = None,
    ) -> tuple[dict[str, Recorded], list[str]]:
        """Store a batch atomically; returns the new events by id, and the ids of events
        that were stored already (recorded again: nothing written for them).

        Ids generated here are not looked up, and rids are checked only when ``careful``:
        the caller retries carefully if the optimistic insert hits a unique key. With a
        ``connection``, the batch is written in a savepoint of its open transaction.
        """
        if not batch:
            return {}, []
        heads: dict[str, Head] = {}
        try:
            write = self._write_in(connection)
            with self._queued(write, turn=connection is None) as conn:
                heads = self._lock_heads(conn, sorted({p.content["workspace"] for p in batch}))
                given = [p.content["id"] for p in batch if careful or not p.fresh_id]
                existing = self._existing_ids(conn, given) if given else set()
                self._refuse_conflicts(conn, batch, existing)
                fresh: dict[str, Prepared] = {}
                for p in batch:
                    if p.content["id"] not in existing:
                        fresh.setdefault(p.content["id"], p)
                written: dict[str, Recorded] = {}
                if fresh:
                    written = self._append_fresh(conn, list(fresh.values()), heads, careful)
                    self._save_heads(conn, heads)
        except BaseException:
            self.sealer.forget(list(heads))
            raise
        self._committed(heads, connection is None)
        return written, [p.content["id"] for p in batch if p.content["id"] not in written]

    def _committed(self, heads: dict[str, Head], own_transaction: bool) -> None:
        """After the write: remember the signed heads; copy kept checkpoints out (only
        once committed: a caller's transaction may still roll back, and the next kept
        checkpoint then covers these entries); train the first dictionary when due."""
        for head in heads.values():
            self.sealer.signed(head)
        if own_transaction and self.witness is not None:
            self.witness.append(c for head in heads.values() for c in head.kept)
        if own_transaction:
            self._train_when_due()

    def _write_in(self, connection: Connection | None) -> AbstractContextManager[Connection]:
        return self._write_log() if connection is None else self._join(connection)

    @contextmanager
    def _join(self, connection: Connection) -> Iterator[Connection]:
        """A savepoint in the caller's transaction: a failed attempt undoes only its own
        writes (so a careful retry can follow), and nothing commits before the caller does.
        The chain heads stay locked until then, as in an append of the store's own."""
        driver = connection.connection.driver_connection
        if connection.dialect.name == "sqlite" and not getattr(driver, "in_transaction", True):
            # pysqlite opens its transaction only at the first INSERT/UPDATE/DELETE, and a
            # SAVEPOINT outside a transaction would commit on RELEASE: open it first, taking
            # the database file's write lock as the store's own appends do.
            connection.exec_driver_sql("BEGIN")
            connection.exec_driver_sql("UPDATE main.chain_heads SET seq = seq WHERE 0")
        with connection.begin_nested():
            yield connection

    def _append_fresh(
        self, conn: Connection, batch: list[Prepared], heads: dict[str, Head], careful: bool
    ) -> dict[str, Recorded]:
        rids = self._assign_rids(conn, batch, careful)
        encode = self._encoder(conn)
        stored = [encode(p.body) for p in batch]
        now = time.time()
        placed: list[tuple[int, bytes, bytes]] = [(0, b"", b"")] * len(batch)
        for workspace, indexes in _by_workspace(batch).items():
            head = heads[workspace]
            first = head.seq + 1
            hashes = self.sealer.extend(head, [batch[i].body for i in indexes], now)
            for seq, i, (leaf, chain) in zip(count(first), indexes, hashes, strict=False):
                placed[i] = (seq, leaf, chain)
        rows = []
        written: dict[str, Recorded] = {}
        for p, rid, body, (seq, leaf, chain) in zip(batch, rids, stored, placed, strict=True):
            content = p.content
            event_id = content["id"]
            rows.append((rid, event_id, content["workspace"], seq, body, leaf, chain))
            written[event_id] = Appended(p, seq, leaf.hex(), chain.hex())
        self._insert_entries(conn, rows)
        if self.bodies.newest is None:
            self._held += len(rows)
        return written

    def _lock_heads(self, conn: Connection, workspaces: Sequence[str]) -> dict[str, Head]:
        """Read the heads (in name order, locked where needed), creating missing ones, and
        make sure each is one we signed."""
        heads = self._read_heads(conn, workspaces)
        missing = [w for w in workspaces if w not in heads]
        if missing:
            mark = self.MARK
            created = []
            for workspace in missing:  # new workspaces: rare, one statement each
                # A concurrent writer may create the same head first: then it is theirs.
                created += self._sql(
                    conn,
                    "INSERT INTO chain_heads"
                    " (workspace, seq, chain_hash, frontier, checkpoint_seq, checkpoint_at)"
                    f" VALUES ({mark}, 0, {mark}, {mark}, 0, {mark}) ON CONFLICT DO NOTHING"
                    " RETURNING workspace",
                    (workspace, GENESIS, b"", int(time.time())),
                )
            self._refuse_headless(conn, [row[0] for row in created])
            heads.update(self._read_heads(conn, missing))
        for head in heads.values():
            self.sealer.trust(head)
            if self.witness is not None and head.seq < self.witness.witnessed_size(head.workspace):
                raise _changed_outside(head.workspace, "is behind its witness (rolled back?)")
        return heads

    def _refuse_headless(self, conn: Connection, workspaces: Sequence[str]) -> None:
        """A head we just created must be for a new workspace: entries or checkpoints of
        a workspace that had no head mean its head row was deleted."""
        for workspace in workspaces:
            for table in ("entries", "tombstones", "checkpoints"):
                found = self._sql(
                    conn,
                    f"SELECT 1 FROM {table} WHERE workspace = {self.MARK} LIMIT 1",
                    (workspace,),
                )
                if found:
                    raise _changed_outside(workspace, f"is missing while {table} has rows")

    def _read_heads(self, conn: Connection, workspaces: Sequence[str]) -> dict[str, Head]:
        marks = ", ".join([self.MARK] * len(workspaces))
        rows = self._sql(
            conn,
            "SELECT workspace, seq, chain_hash, frontier, note, checkpoint_seq, checkpoint_at"
            f" FROM chain_heads WHERE workspace IN ({marks}) ORDER BY workspace{self.LOCK}",
            tuple(workspaces),
        )
        heads = {}
        for workspace, seq, chain_hash, frontier, note, checkpoint_seq, checkpoint_at in rows:
            try:
                tree = Frontier.from_bytes(seq, bytes(frontier))
                chain = bytes.fromhex(chain_hash)
            except ValueError:
                raise _changed_outside(workspace, "is malformed") from None
            heads[workspace] = Head(
                workspace, seq, chain, tree, note, checkpoint_seq, checkpoint_at
            )
        return heads

    def _assign_rids(self, conn: Connection, batch: list[Prepared], careful: bool) -> list[int]:
        taken = (lambda rids: self._taken_rids(conn, rids)) if careful else None
        return assign_rids(batch, taken)

    def _taken_rids(self, conn: Connection, rids: Sequence[int]) -> set[int]:
        return {int(rid) for rid in self._among(conn, "entries", "rid", rids)}

    def _existing_ids(self, conn: Connection, ids: Sequence[str]) -> set[str]:
        return {
            str(i)
            for table in ("entries", "tombstones")
            for i in self._among(conn, table, "id", ids)
        }

    def _among(self, conn: Connection, table: str, column: str, values: Sequence[Any]) -> list[Any]:
        """The ``values`` that ``table.column`` holds (a keyed lookup each, SQL written out:
        a statement built per batch costs more than the lookups)."""
        found: list[Any] = []
        for chunk in chunks(values):
            marks = ", ".join([self.MARK] * len(chunk))
            rows = self._sql(
                conn, f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", tuple(chunk)
            )
            found.extend(row[0] for row in rows)
        return found

    def _refuse_conflicts(
        self, conn: Connection, batch: Sequence[Prepared], existing: set[str]
    ) -> None:
        """Raise :class:`~activitylog.errors.Conflict` when an event repeats an id with
        other content: one recorded before (a tombstone's content is gone: not compared),
        or one earlier in the batch."""
        stored: dict[str, dict[str, Any]] = {}
        wanted = [p.content["id"] for p in batch if p.content["id"] in existing]
        for chunk in chunks(list(dict.fromkeys(wanted))):
            query = select(entries.c.id, *READ_COLUMNS).where(entries.c.id.in_(chunk))
            stored.update((row[0], self._event(row[1:])) for row in conn.execute(query))
        conflicts: list[tuple[int, str, list[str]]] = []
        for index, p in enumerate(batch):
            event_id = p.content["id"]
            earlier = stored.get(event_id)
            if earlier is not None:
                fields = differing_fields(p.content, earlier, stated_time=p.stated_time)
                if fields:
                    conflicts.append((index, event_id, fields))
            elif not p.fresh_id:
                stored[event_id] = p.content
        if conflicts:
            raise conflict(conflicts)

    def _save_heads(self, conn: Connection, heads: dict[str, Head], *, keep: bool = False) -> None:
        """Sign each moved head (keeping the checkpoints that are due) and store it; with
        ``keep``, keep a checkpoint of each head even if this transaction did not move it."""
        now = time.time()
        moved = []
        for head in heads.values():
            if not (head.moved or keep):
                continue  # (every event of it was stored already): its note stands
            self.sealer.seal(head, now, keep=keep)
            moved.append(
                (
                    head.seq,
                    head.chain_hash,
                    head.frontier.to_bytes(),
                    head.note,
                    head.checkpoint_seq,
                    head.checkpoint_at,
                    head.workspace,
                )
            )
            for checkpoint in head.kept:
                conn.execute(
                    checkpoints.insert().values(
                        workspace=head.workspace, size=checkpoint.size, note=checkpoint.note
                    )
                )
        if not moved:
            return
        mark = self.MARK
        self._sql(
            conn,
            f"UPDATE chain_heads SET seq = {mark}, chain_hash = {mark}, frontier = {mark},"
            f" note = {mark}, checkpoint_seq = {mark}, checkpoint_at = {mark}"
            f" WHERE workspace = {mark}",
            moved,
        )

    def checkpoint_now(self, workspace: str) -> Checkpoint | None:
        """Keep a checkpoint of ``workspace``'s head if it moved since the last one kept,
        and copy it to the witness; None when there was nothing new."""
        with self._write() as conn:
            known = select(chain_heads.c.seq).where(chain_heads.c.workspace == workspace)
            if conn.execute(known).first() is None:
                return None
            heads = self._lock_heads(conn, [workspace])
            head = heads[workspace]
            if head.seq == head.checkpoint_seq:
                return None
            self._save_heads(conn, heads, keep=True)
        self._committed(heads, True)
        return head.kept[-1]

    def witness_catch_up(self, workspace: str) -> Checkpoint | None:
        """Copy the newest kept checkpoint to the witness when the witness lacks it (it
        was kept inside a caller's transaction); None when there is nothing to copy."""
        if self.witness is None:
            return None
        stmt = (
            select(checkpoints.c.note)
            .where(checkpoints.c.workspace == workspace)
            .order_by(checkpoints.c.size.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            note = conn.execute(stmt).scalar()
        if note is None:
            return None
        from activitylog.notes import parse_checkpoint

        checkpoint = parse_checkpoint(note)
        if checkpoint.size <= self.witness.witnessed_size(workspace):
            return None
        self.witness.append([checkpoint])
        return checkpoint

    def delete(
        self,
        ids: Sequence[str],
        *,
        by: str,
        reason: str,
        visibility: Visibility,
        record: DeletionRecord,
    ) -> list[str]:
        """Tombstone visible events (content removed, seq and hashes kept) and append, in
        the same transaction, a deletion record per workspace naming every id it removed
        (``record(workspace, ids, deleted_at)`` builds it); returns the ids done."""
        done: dict[str, list[tuple[int, str]]] = {}
        counts = Accumulator(ROLLUPS)
        ip_counts = Accumulator(IP_ROLLUPS)
        deleted_at = now_us()
        heads: dict[str, Head] = {}
        try:
            with self._write() as conn:
                self._index_all(conn)  # what leaves the counts must be in them first
                for chunk in chunks(ids):
                    where = event_clauses(
                        events,
                        visibility,
                        Filters(ids=tuple(chunk)),
                        Window(None, None),
                        self._search,
                    )
                    found = select(
                        events,
                        entries.c.id,
                        entries.c.seq,
                        entries.c.content_hash,
                        entries.c.chain_hash,
                        (events.c.rid // RID_SLOTS).label("occurred_at"),
                    )
                    found = found.join_from(events, entries, entries.c.rid == events.c.rid)
                    for row in conn.execute(found.where(*where)).mappings():
                        self._tombstone_row(conn, row, deleted_at, by, reason)
                        values = dict(row)
                        counts.add(row["workspace"], row["occurred_at"], values, sign=-1)
                        if row["ip"]:
                            ip_counts.add(row["workspace"], row["occurred_at"], values, sign=-1)
                        done.setdefault(row["workspace"], []).append((row["seq"], row["id"]))
                self._add_rollups(conn, counts, ip_counts)
                if done:
                    in_order = {w: [i for _, i in sorted(gone)] for w, gone in done.items()}
                    records = [
                        record(workspace, list(part), deleted_at)
                        for workspace, gone in sorted(in_order.items())
                        for part in chunks(gone, RECORD_IDS)
                    ]
                    heads = self._lock_heads(conn, sorted(done))
                    self._append_fresh(conn, records, heads, careful=True)
                    self._save_heads(conn, heads)
        except BaseException:
            self.sealer.forget(list(heads))
            raise
        self._committed(heads, True)
        if done:
            self._after_delete()
        return [event_id for gone in done.values() for _, event_id in gone]

    def _tombstone_row(
        self, conn: Connection, row: Any, deleted_at: int, by: str, reason: str
    ) -> None:
        conn.execute(
            tombstones.insert().values(
                workspace=row["workspace"],
                seq=row["seq"],
                id=row["id"],
                occurred_at=row["occurred_at"],
                content_hash=hex_of(row["content_hash"]),
                chain_hash=hex_of(row["chain_hash"]),
                deleted_at=deleted_at,
                deleted_by=by,
                reason=reason,
            )
        )
        self._delete_event(conn, row["rid"], row["search_text"])

    def _after_delete(self) -> None:
        """What an engine does once deleted content is committed (SQLite: clear the WAL)."""


def _changed_outside(workspace: str, problem: str) -> IntegrityError:
    return IntegrityError(
        f"the chain head of workspace {workspace!r} {problem}: the database was changed "
        "outside activitylog; nothing was appended. Run `activitylog verify`."
    )


#: Ids one deletion record names at most (its details stay well under 64 KiB).
RECORD_IDS = 1000
