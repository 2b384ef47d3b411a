"""Appending, tombstoning and checkpointing: the only ways the log changes.

An append is one transaction per batch: lock the chain heads of the batch's workspaces,
drop ids already stored (idempotency), sequence and hash, insert events, add to the
rollups, move the heads, sign the checkpoints that are due. Rows are never updated.

An append may also run inside a transaction the caller holds (``connection``): the same
steps in a savepoint of it, committed or rolled back with the caller's own changes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select

from activitylog.access import Visibility
from activitylog.chain import GENESIS, append_body
from activitylog.enrich import Prepared, event_dict
from activitylog.errors import IntegrityError
from activitylog.events import format_time
from activitylog.query import Filters
from activitylog.signing import Checkpoint
from activitylog.store.base import SQLBase, chunks, now_us
from activitylog.store.clauses import Window, event_clauses
from activitylog.store.rollups import Accumulator
from activitylog.store.schema import (
    IP_ROLLUPS,
    RID_SLOTS,
    ROLLUPS,
    Rollup,
    chain_heads,
    checkpoints,
    events,
    tombstones,
)


@dataclass
class Head:
    seq: int
    chain_hash: str
    checkpoint_seq: int
    checkpoint_at: int


class SQLWrites(SQLBase):
    def _append(
        self,
        batch: Sequence[Prepared],
        *,
        careful: bool = False,
        connection: Connection | None = None,
    ) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """Store a batch atomically; returns the new events by id, and the ids of events
        that were stored already (recorded again: nothing written for them).

        Ids generated here are not looked up, and rids are checked only when ``careful``:
        the caller retries carefully if the optimistic insert hits a unique key. With a
        ``connection``, the batch is written in a savepoint of its open transaction.
        """
        if not batch:
            return {}, []
        with self._write_in(connection) as conn:
            heads = self._lock_heads(conn, sorted({p.content["workspace"] for p in batch}))
            given = [p.content["id"] for p in batch if careful or not p.fresh_id]
            existing = self._existing_ids(conn, given) if given else set()
            fresh: dict[str, Prepared] = {}
            for p in batch:
                if p.content["id"] not in existing:
                    fresh.setdefault(p.content["id"], p)
            written: dict[str, dict[str, Any]] = {}
            if fresh:
                written = self._append_fresh(conn, list(fresh.values()), heads, careful)
                self._save_heads(conn, heads)
        return written, [p.content["id"] for p in batch if p.content["id"] not in written]

    def _write_in(self, connection: Connection | None) -> AbstractContextManager[Connection]:
        return self._write() if connection is None else self._join(connection)

    @contextmanager
    def _join(self, connection: Connection) -> Iterator[Connection]:
        """A savepoint in the caller's transaction: a failed attempt undoes only its own
        writes (so a careful retry can follow), and nothing commits before the caller does.
        The chain heads stay locked until then, as in an append of the store's own."""
        driver = connection.connection.driver_connection
        if connection.dialect.name == "sqlite" and not getattr(driver, "in_transaction", True):
            # pysqlite opens its transaction only at the first INSERT/UPDATE/DELETE, and a
            # SAVEPOINT outside a transaction would commit on RELEASE: open it first, taking
            # the write lock as the store's own appends do.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        with connection.begin_nested():
            yield connection

    def _append_fresh(
        self, conn: Connection, batch: list[Prepared], heads: dict[str, Head], careful: bool
    ) -> dict[str, dict[str, Any]]:
        rids = self._assign_rids(conn, batch, careful)
        rows: list[tuple[Any, ...]] = []
        written: dict[str, dict[str, Any]] = {}
        counts = Accumulator(ROLLUPS)
        ip_counts = Accumulator(IP_ROLLUPS)
        for p, rid in zip(batch, rids, strict=True):
            content, info = p.content, p.info
            workspace = content["workspace"]
            head = heads[workspace]
            digest, chained = append_body(head.chain_hash, p.body)
            head.seq += 1
            head.chain_hash = chained
            actor = content["actor"]
            subject = content.get("subject") or {}
            dims = {
                "layer": content["layer"],
                "actor_id": actor.get("id") or actor.get("name") or "",
                "category": info.category,
                "action": content["action"],
                "verb": info.verb,
                "kind": info.kind,
                "result": content["result"],
                "ip": content.get("ip"),
            }
            rows.append(
                (
                    rid,
                    content["id"],
                    workspace,
                    head.seq,
                    p.occurred_us,
                    dims["layer"],
                    dims["actor_id"],
                    actor.get("name"),
                    dims["action"],
                    info.category,
                    info.verb,
                    info.kind,
                    info.label,
                    dims["result"],
                    dims["ip"],
                    subject.get("type"),
                    subject.get("id"),
                    orjson.dumps(p.device).decode() if p.device else None,
                    p.search_text,
                    p.body,
                    digest,
                    chained,
                )
            )
            counts.add(workspace, p.occurred_us, dims)
            if dims["ip"]:
                ip_counts.add(workspace, p.occurred_us, dims)
            written[content["id"]] = event_dict(
                content,
                seq=head.seq,
                info=info,
                device=p.device,
                content_hash=digest,
                chain_hash=chained,
            )
        self._insert_events(conn, rows)
        self._add_rollups(conn, counts, ip_counts)
        return written

    def _lock_heads(self, conn: Connection, workspaces: Sequence[str]) -> dict[str, Head]:
        """Read the heads (in name order, locked where needed), creating missing ones."""
        heads = self._read_heads(conn, workspaces)
        missing = [w for w in workspaces if w not in heads]
        if missing:
            mark = self.MARK
            self._sql(
                conn,
                "INSERT INTO chain_heads"
                " (workspace, seq, chain_hash, checkpoint_seq, checkpoint_at)"
                f" VALUES ({mark}, 0, {mark}, 0, {mark}) ON CONFLICT DO NOTHING",
                [(w, GENESIS, int(time.time())) for w in missing],
            )
            heads.update(self._read_heads(conn, missing))
        return heads

    def _read_heads(self, conn: Connection, workspaces: Sequence[str]) -> dict[str, Head]:
        marks = ", ".join([self.MARK] * len(workspaces))
        rows = self._sql(
            conn,
            "SELECT workspace, seq, chain_hash, checkpoint_seq, checkpoint_at FROM chain_heads"
            f" WHERE workspace IN ({marks}) ORDER BY workspace{self.LOCK}",
            tuple(workspaces),
        )
        return {row[0]: Head(*row[1:]) for row in rows}

    def _assign_rids(self, conn: Connection, batch: list[Prepared], careful: bool) -> list[int]:
        # Start each event at a slot taken from its id's random tail, then step past the
        # slots already used in this batch (and, when careful, in the table).
        wanted = [
            p.occurred_us * RID_SLOTS + int(p.content["id"][-3:], 16) % RID_SLOTS for p in batch
        ]
        taken = self._taken_rids(conn, wanted) if careful else set()
        used: set[int] = set()
        rids = []
        for p, first in zip(batch, wanted, strict=True):
            base = p.occurred_us * RID_SLOTS
            rid = first
            for _ in range(RID_SLOTS):
                if rid not in used and rid not in taken:
                    break
                rid = base + (rid - base + 1) % RID_SLOTS
                if careful and rid not in used:
                    taken |= self._taken_rids(conn, [rid])
            else:
                raise IntegrityError(
                    f"more than {RID_SLOTS} events share occurred_at {p.content['occurred_at']}"
                )
            used.add(rid)
            rids.append(rid)
        return rids

    def _taken_rids(self, conn: Connection, rids: Sequence[int]) -> set[int]:
        taken: set[int] = set()
        for chunk in chunks(rids):
            taken.update(
                conn.execute(select(events.c.rid).where(events.c.rid.in_(chunk))).scalars()
            )
        return taken

    def _existing_ids(self, conn: Connection, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(ids):
            for table in (events, tombstones):
                found.update(
                    conn.execute(select(table.c.id).where(table.c.id.in_(chunk))).scalars()
                )
        return found

    def _add_rollups(self, conn: Connection, *accumulators: Accumulator) -> None:
        for accumulator in accumulators:
            for rollup, rows in accumulator.rows():
                self._upsert_rollup(conn, rollup, rows)

    def _upsert_rollup(self, conn: Connection, rollup: Rollup, rows: list[tuple[Any, ...]]) -> None:
        """Add ``(workspace, bucket, dims..., n)`` rows to a rollup's counts."""
        marks = ", ".join(["?"] * (len(rollup.key_columns) + 1))
        self._sql(conn, upsert_sql(rollup, f"VALUES ({marks})"), rows)

    def _save_heads(self, conn: Connection, heads: dict[str, Head]) -> None:
        now = time.time()
        signer = self.policy.signer
        moved = []
        for workspace, head in heads.items():
            due = signer is not None and (
                head.seq - head.checkpoint_seq >= self.policy.every
                or (
                    head.seq > head.checkpoint_seq
                    and now - head.checkpoint_at >= self.policy.seconds
                )
            )
            if due and signer is not None:
                signed_at = format_time(datetime.now(UTC))
                checkpoint = signer().sign(workspace, head.seq, head.chain_hash, signed_at)
                conn.execute(checkpoints.insert().values(**_checkpoint_row(checkpoint)))
                head.checkpoint_seq, head.checkpoint_at = head.seq, int(now)
            moved.append(
                (head.seq, head.chain_hash, head.checkpoint_seq, head.checkpoint_at, workspace)
            )
        mark = self.MARK
        self._sql(
            conn,
            f"UPDATE chain_heads SET seq = {mark}, chain_hash = {mark}, checkpoint_seq = {mark},"
            f" checkpoint_at = {mark} WHERE workspace = {mark}",
            moved,
        )

    def checkpoint_now(self, workspace: str) -> Checkpoint | None:
        """Sign the current head of ``workspace`` if it moved since its last checkpoint."""
        if self.policy.signer is None:
            return None
        with self._write() as conn:
            known = select(chain_heads.c.seq).where(chain_heads.c.workspace == workspace)
            if conn.execute(known).first() is None:
                return None
            head = self._lock_heads(conn, [workspace])[workspace]
            if head.seq == head.checkpoint_seq:
                return None
            head.checkpoint_at = 0
            self._save_heads(conn, {workspace: head})
            row = conn.execute(
                select(checkpoints).where(
                    checkpoints.c.workspace == workspace, checkpoints.c.seq == head.seq
                )
            ).one()
        return Checkpoint(
            row.workspace, row.seq, row.chain_hash, row.signed_at, row.key_id, row.signature
        )

    def delete(
        self, ids: Sequence[str], *, by: str, reason: str, visibility: Visibility
    ) -> list[str]:
        """Tombstone visible events: content removed, seq and hashes kept; returns ids done."""
        done: list[str] = []
        counts = Accumulator(ROLLUPS)
        ip_counts = Accumulator(IP_ROLLUPS)
        deleted_at = now_us()
        with self._write() as conn:
            for chunk in chunks(ids):
                where = event_clauses(
                    events, visibility, Filters(ids=tuple(chunk)), Window(None, None), self._search
                )
                for row in conn.execute(select(events).where(*where)).mappings():
                    conn.execute(
                        tombstones.insert().values(
                            workspace=row["workspace"],
                            seq=row["seq"],
                            id=row["id"],
                            occurred_at=row["occurred_at"],
                            content_hash=row["content_hash"],
                            chain_hash=row["chain_hash"],
                            deleted_at=deleted_at,
                            deleted_by=by,
                            reason=reason,
                        )
                    )
                    self._delete_event(conn, row["rid"], row["search_text"])
                    values = dict(row)
                    counts.add(row["workspace"], row["occurred_at"], values, sign=-1)
                    if row["ip"]:
                        ip_counts.add(row["workspace"], row["occurred_at"], values, sign=-1)
                    done.append(row["id"])
            self._add_rollups(conn, counts, ip_counts)
        return done


def upsert_sql(rollup: Rollup, source: str) -> str:
    """Add the counts from ``source`` (VALUES or a SELECT) to ``rollup``."""
    name = rollup.table.name
    keys = ", ".join(rollup.key_columns)
    return (
        f"INSERT INTO {name} ({keys}, n) {source} "
        f"ON CONFLICT ({keys}) DO UPDATE SET n = {name}.n + excluded.n"
    )


def _checkpoint_row(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "workspace": checkpoint.workspace,
        "seq": checkpoint.seq,
        "chain_hash": checkpoint.chain_hash,
        "signed_at": checkpoint.signed_at,
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }
