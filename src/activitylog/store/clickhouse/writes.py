"""Appending, tombstoning and checkpointing on ClickHouse.

ClickHouse has no transactions across statements and no row locks, so a workspace's
chain stays sequential by having one writer at a time: appends take this process's
writer lock of the log (:func:`writer_lock`) and, on a server, where several processes
may write, the leases of their workspaces (:mod:`~activitylog.store.clickhouse.leases`,
confirmed before the heads are written). An append
reads the heads, sequences, hashes and signs as the SQL engines do
(:class:`~activitylog.sealing.Sealer`, :func:`~activitylog.store.rids.assign_rids`),
inserts the entries with their copies (one insert, deduplicated by a token of their chain
hashes, so a retried insert is stored once), then the checkpoints, then each head as a new
revision. Until the head is written the entries past it are not acknowledged: the next
writer of the workspace removes them (:meth:`ClickHouseWrites._clear_unfinished`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any
from uuid import uuid4

from sqlalchemy import Connection, select

from activitylog.access import OPERATOR, visibility_for
from activitylog.enrich import Prepared, event_dict, search_text
from activitylog.errors import (
    ConfigurationError,
    Conflict,
    IntegrityError,
    full_storage_raised,
)
from activitylog.idempotency import Recorded, conflict, differing_fields
from activitylog.merkle import Frontier
from activitylog.notes import Checkpoint, parse_checkpoint
from activitylog.sealing import GENESIS_HASH, Head
from activitylog.store.base import chunks, logger
from activitylog.store.clickhouse import outbox
from activitylog.store.clickhouse.reads import ClickHouseReads
from activitylog.store.copies import COPY_COLUMNS
from activitylog.store.rids import assign_rids
from activitylog.store.schema import RID_SLOTS, events
from activitylog.store.writes import _changed_outside

#: The ``events`` columns an append inserts, in this order.
#: (The content hash is not among them: ``events`` computes it from the body.)
EVENT_COLUMNS = ("rid", "seq", "id", "body", "chain_hash", *COPY_COLUMNS)
HEAD_COLUMNS = (
    "workspace",
    "revision",
    "seq",
    "chain_hash",
    "frontier",
    "note",
    "checkpoint_seq",
    "checkpoint_at",
)
_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_LOCK = threading.Lock()


def _unsequenced(p: Prepared) -> dict[str, Any]:
    """The event as it will be stored, its seq and hashes not known yet (None)."""
    event = event_dict(
        p.content, seq=0, info=p.info, device=p.device, content_hash="", chain_hash=""
    )
    event.update(seq=None, content_hash=None, chain_hash=None, location=p.location)
    return event


def copied(p: Prepared) -> tuple[Any, ...]:
    """The copy columns of an event (:data:`COPY_COLUMNS`, in order) from its prepared
    content: what :func:`~activitylog.store.copies.copies` reads from the body it is encoded
    into (the body holds the content with ``info``'s fields and ``location``), without
    parsing it back."""
    content, info = p.content, p.info
    actor = content["actor"]
    subject = content.get("subject") or {}
    return (
        content["workspace"],
        content["layer"],
        actor.get("id") or actor.get("name") or "",
        actor.get("name"),
        content["action"],
        info.category,
        info.verb,
        info.kind,
        content["result"],
        content.get("ip"),
        subject.get("type"),
        subject.get("id"),
        search_text(content, info),
        (p.location or {}).get("country"),
        actor.get("role"),
    )


def writer_lock(key: str) -> threading.RLock:
    """The writer lock of the log ``key`` names, shared by its stores in this process."""
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(key, threading.RLock())


class ClickHouseWrites(ClickHouseReads):
    def append_batch(self, batch: Sequence[Prepared], *, connection: Any = None) -> list[Recorded]:
        """Store a batch; each event as stored and whether it was stored before (its id
        recorded before, or earlier in the batch, with the same content). An id repeated
        with other content raises :class:`~activitylog.errors.Conflict`, nothing stored.

        With ``connection`` (a transaction of the side database) the batch is kept in its
        outbox, inside that transaction, and appended after it commits
        (:mod:`~activitylog.store.clickhouse.outbox`): the events returned have no seq or
        hashes yet, and none is a duplicate. A connection to another database is a
        :class:`~activitylog.errors.ConfigurationError`."""
        if connection is not None:
            return self._put_aside(batch, connection)
        self.settle()
        return self._append_batch(batch)

    def _put_aside(self, batch: Sequence[Prepared], connection: Connection) -> list[Recorded]:
        if connection.engine.url != self.engine.url:
            raise ConfigurationError(
                "on ClickHouse, appends inside a transaction take one of the log's side"
                f" database ({self.engine.url!r}), not of {connection.engine.url!r}"
            )
        if batch:
            outbox.put(connection, batch, self.policy.key())
        return [Recorded(_unsequenced(p), duplicate=False) for p in batch]

    def settle(self) -> int:
        """Append the batches callers' committed transactions left in the outbox, oldest
        first; how many events. A batch whose ids were stored meanwhile with other
        content is dropped with an error in the log's logger; any other failure (another
        writer holding the workspace past the wait, ClickHouse away) is logged and leaves
        the batch and those after it for the next call, so the read or append that called
        goes on."""
        if not outbox.pending(self.engine, self.policy.key):
            return 0
        appended = 0
        with self.writer:
            for row_id, batch in outbox.pending(self.engine, self.policy.key):
                try:
                    appended += len(self._append_batch(batch))
                except Conflict as exc:
                    logger.error("an outbox batch conflicts with the log, dropped: %s", exc)
                except Exception:
                    logger.exception("the outbox could not be appended now; it is kept")
                    break
                outbox.appended(self.engine, row_id)
        return appended

    def _append_batch(self, batch: Sequence[Prepared]) -> list[Recorded]:
        """Append ``batch``; a full database or disk raised as
        :class:`~activitylog.errors.StorageFull`, nothing of it kept."""
        if not batch:
            return []
        with full_storage_raised():
            return self._append_sequenced(batch)

    def _append_sequenced(self, batch: Sequence[Prepared]) -> list[Recorded]:
        workspaces = sorted({p.content["workspace"] for p in batch})
        with self.writer, self._leased(workspaces):
            heads = self._heads_for(workspaces)
            try:
                given = [p.content["id"] for p in batch if not p.fresh_id]
                stored = self._stored_events(given)
                self._refuse_conflicts(batch, stored)
                fresh: dict[str, Prepared] = {}
                for p in batch:
                    if p.content["id"] not in stored:
                        fresh.setdefault(p.content["id"], p)
                written = self._append_fresh(list(fresh.values()), heads) if fresh else {}
                self._save_heads(heads)
            except BaseException as exc:
                self._forget(heads, undo=isinstance(exc, Exception))
                raise
        self._committed(heads)
        seen: set[str] = set()
        recorded = []
        for p in batch:
            event_id = p.content["id"]
            event = written.get(event_id)
            recorded.append(Recorded(event or stored[event_id], event is None or event_id in seen))
            seen.add(event_id)
        return recorded

    def _stored_events(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The events (or tombstones) stored under ``ids``."""
        if not ids:
            return {}
        return self._found(list(dict.fromkeys(ids)), visibility_for(OPERATOR, "workspace", None))

    def _refuse_conflicts(
        self, batch: Sequence[Prepared], stored: dict[str, dict[str, Any]]
    ) -> None:
        """A :class:`~activitylog.errors.Conflict` when an event repeats an id with other
        content: one stored before (a tombstone's content is gone: not compared), or one
        earlier in the batch."""
        earlier: dict[str, dict[str, Any]] = {
            i: e for i, e in stored.items() if e.get("deleted_at") is None
        }
        found: list[tuple[int, str, list[str]]] = []
        for index, p in enumerate(batch):
            event_id = p.content["id"]
            before = earlier.get(event_id)
            if before is not None:
                fields = differing_fields(p.content, before, stated_time=p.stated_time)
                if fields:
                    found.append((index, event_id, fields))
            elif not p.fresh_id and event_id not in stored:
                earlier[event_id] = p.content
        if found:
            raise conflict(found)

    def _heads_for(self, workspaces: Sequence[str]) -> dict[str, Head]:
        """The heads of ``workspaces`` (new ones for those without), each checked to be one
        we signed, with what an unfinished append left past it removed."""
        heads = self._read_heads(workspaces)
        for workspace in workspaces:
            if workspace not in heads:
                self._refuse_headless(workspace)
                heads[workspace] = Head(
                    workspace, 0, GENESIS_HASH, Frontier(), None, 0, int(time.time())
                )
                self._revisions[workspace] = 0
        for head in heads.values():
            self.sealer.trust(head)
            if self.witness is not None and head.seq < self.witness.witnessed_size(head.workspace):
                raise _changed_outside(head.workspace, "is behind its witness (rolled back?)")
            if head.workspace not in self._cleared or self.leases is not None:
                self._clear_unfinished(head)
        return heads

    def _read_heads(self, workspaces: Sequence[str]) -> dict[str, Head]:
        rows = self.db.rows(
            "SELECT workspace, revision, seq, chain_hash, frontier, note, checkpoint_seq,"
            " checkpoint_at FROM chain_heads FINAL WHERE workspace IN %(names)s",
            {"names": tuple(workspaces)},
        )
        heads = {}
        for workspace, revision, seq, chain_hash, frontier, note, checkpoint_seq, at in rows:
            try:
                tree = Frontier.from_bytes(seq, bytes.fromhex(frontier))
                chain = bytes.fromhex(chain_hash)
            except ValueError:
                raise _changed_outside(workspace, "is malformed") from None
            heads[workspace] = Head(workspace, seq, chain, tree, note, checkpoint_seq, at)
            self._revisions[workspace] = revision
        return heads

    def _refuse_headless(self, workspace: str) -> None:
        """A workspace without a head must have no entries, tombstones or checkpoints."""
        for table in ("events", "tombstones", "checkpoints"):
            if self.db.rows(
                f"SELECT 1 FROM {table} WHERE workspace = %(w)s LIMIT 1", {"w": workspace}
            ):
                raise _changed_outside(workspace, f"is missing while {table} has rows")

    def recover(self) -> None:
        """Remove what appends that stopped before their heads left (a process killed
        mid-append: never acknowledged) in the workspaces they were writing
        (:attr:`in_flight`): what opening a log that no other process can be writing
        does (chdb's directory is one process's), as SQLite rolls back a transaction cut
        short when its file is opened, and as the first append of each workspace would.
        A workspace that cannot be recovered now stays named, for the next opening."""
        if self.in_flight is None:
            return
        with self.writer:
            for workspace in self.in_flight.left():
                try:
                    self._recover(workspace)
                except Exception as exc:
                    logger.warning(
                        "an unfinished append of workspace %r is left for verify to report"
                        " and for the next append: %s",
                        workspace,
                        exc,
                    )
                else:
                    self.in_flight.end([workspace])

    def _recover(self, workspace: str) -> None:
        """Left for verify to report and for appends to refuse: a head we did not sign,
        and one behind its witness (the entries past it were acknowledged: a rollback).
        Without a head, the workspace's first append was cut short: its entries and
        checkpoints go, unless a tombstone or the witness says it had more."""
        head = self._read_heads([workspace]).get(workspace)
        witnessed = 0 if self.witness is None else self.witness.witnessed_size(workspace)
        if head is None:
            where = {"w": workspace}
            [(count,)] = self.db.rows("SELECT count() FROM events WHERE workspace = %(w)s", where)
            graves = self.db.rows("SELECT 1 FROM tombstones WHERE workspace = %(w)s LIMIT 1", where)
            if count and not graves and not witnessed:
                for table in ("checkpoints", "events"):
                    self.db.run(f"DELETE FROM {self.mutable(table)} WHERE workspace = %(w)s", where)
                logger.warning(
                    "removed the %d entries of workspace %r's first append, which did not finish",
                    count,
                    workspace,
                )
            return
        self.sealer.trust(head)
        if head.seq >= witnessed:
            self._clear_unfinished(head)

    def _clear_unfinished(self, head: Head) -> None:
        """Remove the entries past ``head`` (an append that stopped before writing its
        head, never acknowledged) and the checkpoints that append kept of them (its
        sizes are among its seqs; a checkpoint past every entry stays, for verify to
        report the entries missing). Once per workspace and process when this process
        is the log's only writer (its own appends leave none behind unnoticed,
        :meth:`_forget`), at every append under leases (another writer's may have)."""
        past = {"w": head.workspace, "s": head.seq}
        [(count, newest)] = self.db.rows(
            "SELECT count(), max(seq) FROM events WHERE workspace = %(w)s AND seq > %(s)s", past
        )
        if count:
            self.db.run(
                f"DELETE FROM {self.mutable('checkpoints')}"
                " WHERE workspace = %(w)s AND size > %(s)s AND size <= %(n)s",
                {**past, "n": newest},
            )
            self.db.run(
                f"DELETE FROM {self.mutable('events')} WHERE workspace = %(w)s AND seq > %(s)s",
                past,
            )
            logger.warning(
                "removed %d entries past the head of workspace %r (seqs %d..%d), left by an"
                " append that did not finish",
                count,
                head.workspace,
                head.seq + 1,
                newest,
            )
        self._cleared.add(head.workspace)

    def _append_fresh(
        self, batch: list[Prepared], heads: dict[str, Head]
    ) -> dict[str, dict[str, Any]]:
        self._microseconds = {}
        [(newest,)] = self.db.rows("SELECT max(rid) FROM events")
        rids = assign_rids(batch, lambda asked: self._taken_rids([r for r in asked if r <= newest]))
        rows: list[tuple[Any, ...]] = []
        written: dict[str, dict[str, Any]] = {}
        now = time.time()
        for p, rid in zip(batch, rids, strict=True):
            content = p.content
            head = heads[content["workspace"]]
            digest, chained = head.add(p.body)
            self.sealer.extended(head, now)
            rows.append((rid, head.seq, content["id"], p.body, head.chain, *copied(p)))
            self._unsaved.append((head.workspace, head.seq, head.chain))
            written[content["id"]] = event_dict(
                content,
                seq=head.seq,
                info=p.info,
                device=p.device,
                content_hash=digest,
                chain_hash=chained,
                location=p.location,
            )
        # Deduplicates the driver's retries of this insert, not a later attempt at the same
        # entries (after one undone, the same chain hashes again: it must be stored).
        token = f"{hashlib.sha256(b''.join(row[4] for row in rows)).hexdigest()}-{uuid4().hex}"
        if self.in_flight is not None:
            self.in_flight.begin(heads)
        self.db.insert("events", rows, EVENT_COLUMNS, token=token)
        return written

    def _taken_rids(self, rids: Sequence[int]) -> set[int]:
        """Those of ``rids`` the log holds (an append asks only about those not newer than
        the log's newest rid: a batch of new events asks nothing); for one rid (a step past
        a taken slot), every rid of its microsecond is read, so the steps after it ask
        nothing."""
        if not rids:
            return set()
        if len(rids) == 1:
            base = rids[0] // RID_SLOTS * RID_SLOTS
            if base not in self._microseconds:
                found = self.db.rows(
                    "SELECT rid FROM events WHERE rid >= %(lo)s AND rid < %(hi)s",
                    {"lo": base, "hi": base + RID_SLOTS},
                )
                self._microseconds[base] = {int(row[0]) for row in found}
            return {rids[0]} & self._microseconds[base]
        taken: set[int] = set()
        for chunk in chunks(rids):
            found = self.db.rows(select(events.c.rid).where(events.c.rid.in_(chunk)))
            taken.update(int(row[0]) for row in found)
        return taken

    def _save_heads(self, heads: dict[str, Head], *, keep: bool = False) -> None:
        """Sign each moved head (keeping the checkpoints due) and write it as a new
        revision, after its checkpoints; under leases, after confirming they are still
        held (else the entries inserted since the last heads are removed)."""
        if self.leases is not None:
            try:
                self.leases.confirm(list(heads))
                self._refuse_moved_heads(heads)
            except IntegrityError:
                self._undo_unsaved()
                raise
        now = time.time()
        rows, kept = [], []
        for head in heads.values():
            if not (head.moved or keep):
                continue
            self.sealer.seal(head, now, keep=keep)
            kept += [(head.workspace, c.size, c.note) for c in head.kept]
            revision = self._revisions.get(head.workspace, 0) + 1
            rows.append(
                (
                    head.workspace,
                    revision,
                    head.seq,
                    head.chain_hash,
                    head.frontier.to_bytes().hex(),
                    head.note,
                    head.checkpoint_seq,
                    head.checkpoint_at,
                )
            )
        self._unsaved_checkpoints = kept
        self.db.insert("checkpoints", kept, ("workspace", "size", "note"))
        self._unsaved_heads = {row[0]: (row[1], row[3]) for row in rows}
        self.db.insert("chain_heads", rows, HEAD_COLUMNS)
        self._unsaved, self._unsaved_checkpoints, self._unsaved_heads = [], [], {}
        if self.in_flight is not None:
            self.in_flight.end(heads)
        for row in rows:
            self._revisions[row[0]] = row[1]

    def _refuse_moved_heads(self, heads: dict[str, Head]) -> None:
        """An IntegrityError when another writer wrote one of ``heads`` since this append
        read it: its lease was taken from it (the lease table rewritten, or a pause past
        the expiry the confirmation missed), and writing this head would hide that
        writer's append."""
        rows = self.db.rows(
            "SELECT workspace, max(revision) FROM chain_heads WHERE workspace IN %(names)s"
            " GROUP BY workspace",
            {"names": tuple(heads)},
        )
        moved = sorted(w for w, revision in rows if int(revision) != self._revisions.get(w, 0))
        if moved:
            raise IntegrityError(
                f"the chain heads of workspaces {', '.join(map(repr, moved))} were written by"
                " another writer during this append (its lease was taken); nothing was"
                " acknowledged. Run `activitylog verify`."
            )

    def _leased(self, workspaces: Sequence[str]) -> AbstractContextManager[None]:
        """The leases of ``workspaces`` held inside (when several processes write)."""
        return nullcontext() if self.leases is None else self.leases.held(workspaces)

    def _undo_unsaved(self) -> None:
        """Remove the checkpoints and entries inserted since the last heads were written
        (by note and chain hash: another writer's at the same sizes and seqs stay), but
        not in a workspace whose head was written after all (its insert reported an
        error that it had not: the head stands, with what it covers)."""
        landed = self._heads_written()
        for workspace, size, note in self._unsaved_checkpoints:
            if workspace not in landed:
                self.db.run(
                    f"DELETE FROM {self.mutable('checkpoints')}"
                    " WHERE workspace = %(w)s AND size = %(s)s AND note = %(n)s",
                    {"w": workspace, "s": size, "n": note},
                )
        hashes = tuple(chain.hex() for w, _, chain in self._unsaved if w not in landed)
        if hashes:
            self.db.run(
                f"DELETE FROM {self.mutable('events')} WHERE lower(hex(chain_hash)) IN %(h)s",
                {"h": hashes},
            )
        done = {w for w, _, _ in self._unsaved} | {w for w, _, _ in self._unsaved_checkpoints}
        self._unsaved, self._unsaved_checkpoints, self._unsaved_heads = [], [], {}
        if self.in_flight is not None:
            self.in_flight.end(done)

    def _heads_written(self) -> set[str]:
        """The workspaces whose head, as this append was writing it, is stored."""
        if not self._unsaved_heads:
            return set()
        rows = self.db.rows(
            "SELECT workspace, revision, chain_hash FROM chain_heads FINAL"
            " WHERE workspace IN %(names)s",
            {"names": tuple(self._unsaved_heads)},
        )
        return {w for w, rev, chain in rows if self._unsaved_heads.get(w) == (int(rev), chain)}

    def _forget(self, heads: dict[str, Head], *, undo: bool = True) -> None:
        """After a failed append: remove what it inserted (``undo``: readers would see its
        entries, never acknowledged, until the next append of their workspaces), trust
        no remembered head, and look past each head again at the next append (what could
        not be removed now, the database away or full, is removed then, or when the log
        is opened next)."""
        if undo:
            try:
                self._undo_unsaved()
            except Exception as exc:
                logger.warning("a failed append's entries are left for the next one: %s", exc)
        self.sealer.forget(list(heads))
        self._unsaved, self._unsaved_checkpoints, self._unsaved_heads = [], [], {}
        for workspace in heads:
            self._cleared.discard(workspace)
            self._revisions.pop(workspace, None)

    def _committed(self, heads: dict[str, Head]) -> None:
        for head in heads.values():
            self.sealer.signed(head)
        if self.witness is not None:
            self.witness.append(c for head in heads.values() for c in head.kept)

    def checkpoint_now(self, workspace: str) -> Checkpoint | None:
        """Keep a checkpoint of ``workspace``'s head if it moved since the last one kept,
        and copy it to the witness; None when there was nothing new."""
        with self.writer, self._leased([workspace]):
            if not self._read_heads([workspace]):
                return None
            heads = self._heads_for([workspace])
            head = heads[workspace]
            if head.seq == head.checkpoint_seq:
                return None
            try:
                self._save_heads(heads, keep=True)
            except BaseException as exc:
                self._forget(heads, undo=isinstance(exc, Exception))
                raise
        self._committed(heads)
        return head.kept[-1]

    def witness_catch_up(self, workspace: str) -> Checkpoint | None:
        """Copy the newest kept checkpoint to the witness when the witness lacks it."""
        if self.witness is None:
            return None
        found = self.db.rows(
            "SELECT note FROM checkpoints FINAL WHERE workspace = %(w)s ORDER BY size DESC LIMIT 1",
            {"w": workspace},
        )
        if not found:
            return None
        checkpoint = parse_checkpoint(found[0][0])
        if checkpoint.size <= self.witness.witnessed_size(workspace):
            return None
        self.witness.append([checkpoint])
        return checkpoint


__all__ = ["ClickHouseWrites", "writer_lock"]
