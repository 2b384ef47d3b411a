"""The SQL store shared by the SQLite and PostgreSQL engines.

Appends run as one transaction per batch: lock the chain heads of the batch's workspaces,
drop ids already stored (idempotency), sequence and hash, insert events, move the heads,
add to the rollups, sign checkpoints that are due. Reads build Core statements from the
:class:`~activitylog.access.Visibility` the access rules produced.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    TextClause,
    func,
    select,
    text,
)

from activitylog.access import Visibility
from activitylog.catalog import ActionInfo
from activitylog.chain import GENESIS, ChainRow
from activitylog.enrich import Prepared, event_dict
from activitylog.errors import IntegrityError
from activitylog.events import CONTENT_FIELDS, format_time
from activitylog.query import Filters, Page, QuerySpec
from activitylog.signing import Checkpoint, CheckpointSigner
from activitylog.stats import Dim
from activitylog.store.clauses import (
    HOUR_US,
    SearchClause,
    Window,
    event_clauses,
    ip_rollup_covers,
    rollup_clauses,
    rollup_covers,
)
from activitylog.store.schema import (
    IP_ROLLUP_DIMS,
    RID_SLOTS,
    ROLLUP_DIMS,
    chain_heads,
    checkpoints,
    events,
    rollup_hourly,
    rollup_ips_hourly,
    tombstones,
)

READ_COLUMNS = (
    events.c.seq,
    events.c.category,
    events.c.verb,
    events.c.kind,
    events.c.label,
    events.c.device,
    events.c.body,
    events.c.content_hash,
    events.c.chain_hash,
)
SORT_COLUMNS: dict[str, Column[Any]] = {
    "time": events.c.rid,
    "actor": events.c.actor_name,
    "category": events.c.category,
    "verb": events.c.verb,
    "ip": events.c.ip,
    "result": events.c.result,
}
_IN_CHUNK = 500


@dataclass
class Head:
    seq: int
    chain_hash: str
    checkpoint_seq: int
    checkpoint_at: int


@dataclass(frozen=True)
class CheckpointPolicy:
    """Sign a workspace's head every ``every`` events or ``seconds`` seconds at ingest."""

    signer: CheckpointSigner | None
    every: int = 1000
    seconds: float = 60.0


class SQLStore:
    """Both SQL engines; subclasses supply locking, bulk insert and search."""

    engine: Engine

    def __init__(self, engine: Engine, policy: CheckpointPolicy) -> None:
        self.engine = engine
        self.policy = policy

    # -- dialect hooks -------------------------------------------------------------------
    def _write(self) -> Any:
        """A context manager yielding a connection inside a write transaction."""
        return self.engine.begin()

    def _lock_heads(self, conn: Connection, workspaces: Sequence[str]) -> dict[str, Head]:
        """Create missing heads, then read (and on PostgreSQL lock) them in name order."""
        conn.execute(
            text(
                "INSERT INTO chain_heads"
                " (workspace, seq, chain_hash, checkpoint_seq, checkpoint_at)"
                " VALUES (:workspace, 0, :genesis, 0, :now) ON CONFLICT DO NOTHING"
            ),
            [{"workspace": w, "genesis": GENESIS, "now": int(time.time())} for w in workspaces],
        )
        stmt = self._for_update(
            select(chain_heads)
            .where(chain_heads.c.workspace.in_(workspaces))
            .order_by(chain_heads.c.workspace)
        )
        return {
            r.workspace: Head(r.seq, r.chain_hash, r.checkpoint_seq, r.checkpoint_at)
            for r in conn.execute(stmt)
        }

    def _for_update(self, stmt: Select[Any]) -> Select[Any]:
        return stmt

    def _insert_events(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def _search(self, term: str, lo: int | None, hi: int | None) -> ColumnElement[bool]:
        raise NotImplementedError

    def _delete_event(self, conn: Connection, rid: int, search_text: str) -> None:
        conn.execute(events.delete().where(events.c.rid == rid))

    # -- writing -------------------------------------------------------------------------
    def append(self, batch: Sequence[Prepared]) -> list[dict[str, Any]]:
        """Store a batch atomically; returns every event (stored ones for repeated ids)."""
        if not batch:
            return []
        with self._write() as conn:
            existing = self._existing_ids(conn, [p.content["id"] for p in batch])
            fresh: dict[str, Prepared] = {}
            for p in batch:
                if p.content["id"] not in existing:
                    fresh.setdefault(p.content["id"], p)
            written = self._append_fresh(conn, list(fresh.values())) if fresh else {}
        out: list[dict[str, Any]] = []
        repeated = [p.content["id"] for p in batch if p.content["id"] not in written]
        stored = self._get_many(repeated) if repeated else {}
        for p in batch:
            event_id = p.content["id"]
            out.append(written.get(event_id) or stored[event_id])
        return out

    def _append_fresh(self, conn: Connection, batch: list[Prepared]) -> dict[str, dict[str, Any]]:
        heads = self._lock_heads(conn, sorted({p.content["workspace"] for p in batch}))
        rids = self._assign_rids(conn, batch)
        rows: list[tuple[Any, ...]] = []
        written: dict[str, dict[str, Any]] = {}
        rollup: Counter[tuple[Any, ...]] = Counter()
        ip_rollup: Counter[tuple[Any, ...]] = Counter()
        sha = hashlib.sha256
        for p, rid in zip(batch, rids, strict=True):
            content, info = p.content, p.info
            workspace = content["workspace"]
            head = heads[workspace]
            digest = sha(p.body).digest()
            chained = sha(bytes.fromhex(head.chain_hash) + digest).hexdigest()
            head.seq += 1
            head.chain_hash = chained
            actor = content["actor"]
            actor_id = actor.get("id") or actor.get("name") or ""
            subject = content.get("subject") or {}
            rows.append(
                (
                    rid,
                    content["id"],
                    workspace,
                    head.seq,
                    p.occurred_us,
                    content["layer"],
                    actor_id,
                    actor.get("name"),
                    content["action"],
                    info.category,
                    info.verb,
                    info.kind,
                    info.label,
                    content["result"],
                    content.get("ip"),
                    subject.get("type"),
                    subject.get("id"),
                    orjson.dumps(p.device).decode() if p.device else None,
                    p.search_text,
                    p.body,
                    digest.hex(),
                    chained,
                )
            )
            hour = p.occurred_us // HOUR_US
            layer = content["layer"]
            rollup[
                (
                    workspace,
                    hour,
                    layer,
                    actor_id,
                    info.category,
                    content["action"],
                    info.verb,
                    info.kind,
                    content["result"],
                )
            ] += 1
            if content.get("ip"):
                ip_rollup[(workspace, hour, layer, actor_id, info.category, content["ip"])] += 1
            written[content["id"]] = event_dict(
                content,
                seq=head.seq,
                info=info,
                device=p.device,
                content_hash=digest.hex(),
                chain_hash=chained,
            )
        self._insert_events(conn, rows)
        self._add_rollups(conn, rollup, ip_rollup, +1)
        self._save_heads(conn, heads)
        return written

    def _assign_rids(self, conn: Connection, batch: list[Prepared]) -> list[int]:
        # Start each event at a slot derived from its id's random tail, then step past
        # slots already taken in this batch or in the table.
        wanted = [
            p.occurred_us * RID_SLOTS + int(p.content["id"][-3:], 16) % RID_SLOTS for p in batch
        ]
        taken = self._taken_rids(conn, wanted)
        used: set[int] = set()
        rids = []
        for p, rid in zip(batch, wanted, strict=True):
            base = p.occurred_us * RID_SLOTS
            tries = 0
            while rid in used or rid in taken:
                tries += 1
                if tries >= RID_SLOTS:
                    raise IntegrityError(
                        f"more than {RID_SLOTS} events share occurred_at {p.content['occurred_at']}"
                    )
                rid = base + (rid - base + 1) % RID_SLOTS
                if rid not in used and rid not in taken:
                    taken |= self._taken_rids(conn, [rid])
            used.add(rid)
            rids.append(rid)
        return rids

    def _taken_rids(self, conn: Connection, rids: Sequence[int]) -> set[int]:
        taken: set[int] = set()
        for chunk in _chunks(rids):
            taken.update(
                conn.execute(select(events.c.rid).where(events.c.rid.in_(chunk))).scalars()
            )
        return taken

    def _existing_ids(self, conn: Connection, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(ids):
            found.update(conn.execute(select(events.c.id).where(events.c.id.in_(chunk))).scalars())
            found.update(
                conn.execute(select(tombstones.c.id).where(tombstones.c.id.in_(chunk))).scalars()
            )
        return found

    def _add_rollups(
        self,
        conn: Connection,
        rollup: Counter[tuple[Any, ...]],
        ip_rollup: Counter[tuple[Any, ...]],
        sign: int,
    ) -> None:
        for table, dims, counts in (
            (rollup_hourly, ROLLUP_DIMS, rollup),
            (rollup_ips_hourly, IP_ROLLUP_DIMS, ip_rollup),
        ):
            if counts:
                names = ("workspace", "hour", *dims)
                conn.execute(
                    _upsert(table, names),
                    [
                        {**dict(zip(names, key, strict=True)), "n": sign * n}
                        for key, n in counts.items()
                    ],
                )

    def _save_heads(self, conn: Connection, heads: dict[str, Head]) -> None:
        now = time.time()
        policy = self.policy
        for workspace, head in heads.items():
            due = policy.signer is not None and (
                head.seq - head.checkpoint_seq >= policy.every
                or (head.seq > head.checkpoint_seq and now - head.checkpoint_at >= policy.seconds)
            )
            if due and policy.signer is not None:
                checkpoint = policy.signer.sign(
                    workspace, head.seq, head.chain_hash, format_time_now()
                )
                conn.execute(checkpoints.insert().values(**_checkpoint_row(checkpoint)))
                head.checkpoint_seq, head.checkpoint_at = head.seq, int(now)
            values = {
                "seq": head.seq,
                "chain_hash": head.chain_hash,
                "checkpoint_seq": head.checkpoint_seq,
                "checkpoint_at": head.checkpoint_at,
            }
            conn.execute(
                chain_heads.update().where(chain_heads.c.workspace == workspace).values(**values)
            )

    def checkpoint_now(self, workspace: str) -> Checkpoint | None:
        """Sign the current head of ``workspace`` (e.g. before an export or at shutdown)."""
        if self.policy.signer is None:
            return None
        with self._write() as conn:
            head = self._lock_heads(conn, [workspace])[workspace]
            if head.seq == 0 or head.seq == head.checkpoint_seq:
                return None
            head.checkpoint_at = 0
            head.checkpoint_seq = -self.policy.every
            self._save_heads(conn, {workspace: head})
        return self.checkpoints(workspace)[-1]

    def delete(
        self, ids: Sequence[str], *, by: str, reason: str, visibility: Visibility
    ) -> list[str]:
        """Tombstone visible events: content removed, seq and hashes kept; returns ids done."""
        done: list[str] = []
        rollup: Counter[tuple[Any, ...]] = Counter()
        ip_rollup: Counter[tuple[Any, ...]] = Counter()
        deleted_at = _now_us()
        with self._write() as conn:
            for chunk in _chunks(ids):
                stmt = select(events).where(
                    *event_clauses(
                        events,
                        visibility,
                        Filters(ids=tuple(chunk)),
                        Window(None, None),
                        self._search,
                    )
                )
                for row in conn.execute(stmt).mappings():
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
                    hour = row["occurred_at"] // HOUR_US
                    rollup[(row["workspace"], hour, *(row[d] for d in ROLLUP_DIMS))] += 1
                    if row["ip"]:
                        ip_rollup[(row["workspace"], hour, *(row[d] for d in IP_ROLLUP_DIMS))] += 1
                    done.append(row["id"])
            self._add_rollups(conn, rollup, ip_rollup, -1)
        return done

    # -- reading -------------------------------------------------------------------------
    def get(self, event_id: str, visibility: Visibility) -> dict[str, Any] | None:
        """One event (or its tombstone) if ``visibility`` allows it."""
        stmt = select(*READ_COLUMNS).where(
            *event_clauses(
                events, visibility, Filters(ids=(event_id,)), Window(None, None), self._search
            )
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
            if row is not None:
                return row_to_event(row)
            return self._tombstone(conn, event_id, visibility)

    def _tombstone(self, conn: Connection, event_id: str, vis: Visibility) -> dict[str, Any] | None:
        row = conn.execute(select(tombstones).where(tombstones.c.id == event_id)).mappings().first()
        if row is None or (vis.workspace is not None and row["workspace"] != vis.workspace):
            return None
        if vis.actor_id is not None or vis.layers != "all":
            return None  # the tombstone no longer says whose or which layer it was
        event: dict[str, Any] = dict.fromkeys(CONTENT_FIELDS)
        event.update(
            id=row["id"],
            workspace=row["workspace"],
            seq=row["seq"],
            occurred_at=format_time_us(row["occurred_at"]),
            content_hash=row["content_hash"],
            chain_hash=row["chain_hash"],
            deleted_at=format_time_us(row["deleted_at"]),
            deleted_by=row["deleted_by"],
            delete_reason=row["reason"],
        )
        return event

    def _get_many(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        from activitylog.access import OPERATOR, visibility_for

        vis = visibility_for(OPERATOR, "workspace", None)
        out = {}
        for event_id in ids:
            event = self.get(event_id, vis)
            if event is None:
                raise IntegrityError(f"event {event_id} vanished during append")
            out[event_id] = event
        return out

    def query(self, spec: QuerySpec) -> Page:
        where = event_clauses(
            events, spec.visibility, spec.filters, Window.of(spec.filters), self._search
        )
        column = SORT_COLUMNS[spec.sort.key]
        order = [column.desc() if spec.sort.descending else column.asc()]
        if spec.sort.key != "time":
            order.append(events.c.rid.desc())
        stmt = select(*READ_COLUMNS).where(*where).order_by(*order)
        stmt = stmt.limit(spec.per_page).offset(spec.offset)
        with self.engine.connect() as conn:
            items = [row_to_event(row) for row in conn.execute(stmt)]
            total = self._count(conn, spec.visibility, spec.filters)
        return Page(items=items, total=total, page=spec.page, per_page=spec.per_page)

    def iter_events(
        self, visibility: Visibility, filters: Filters, order: str = "-time", chunk: int = 2000
    ) -> Iterator[dict[str, Any]]:
        """Every matching event, streamed in time order with flat memory."""
        where = event_clauses(events, visibility, filters, Window.of(filters), self._search)
        descending = order.startswith("-")
        with self.engine.connect() as conn:
            last: int | None = None
            while True:
                stmt = select(events.c.rid, *READ_COLUMNS).where(*where)
                if last is not None:
                    stmt = stmt.where(events.c.rid < last if descending else events.c.rid > last)
                stmt = stmt.order_by(events.c.rid.desc() if descending else events.c.rid).limit(
                    chunk
                )
                rows = conn.execute(stmt).all()
                for row in rows:
                    yield row_to_event(row[1:])
                if len(rows) < chunk:
                    return
                last = rows[-1][0]

    def count(self, visibility: Visibility, filters: Filters) -> int:
        with self.engine.connect() as conn:
            return self._count(conn, visibility, filters)

    def _count(self, conn: Connection, vis: Visibility, filters: Filters) -> int:
        return sum(row[-1] for row in self._counts(conn, vis, filters, ()))

    def counts(
        self, visibility: Visibility, filters: Filters, dims: Sequence[Dim]
    ) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return self._counts(conn, visibility, filters, dims)

    def _counts(
        self, conn: Connection, vis: Visibility, filters: Filters, dims: Sequence[Dim]
    ) -> list[tuple[Any, ...]]:
        window = Window.of(filters)
        if not rollup_covers(filters):
            return [tuple(r) for r in conn.execute(self._raw_counts(vis, filters, window, dims))]
        first_hour, end_hour, edges = window.split()
        totals: Counter[tuple[Any, ...]] = Counter()
        r = rollup_hourly
        columns = [r.c[d] for d in dims]
        stmt: Select[Any] = select(*columns, func.sum(r.c.n)).where(
            *rollup_clauses(r, vis, filters, first_hour, end_hour)
        )
        if columns:
            stmt = stmt.group_by(*columns)
        for row in conn.execute(stmt):
            if row[-1] is not None:
                totals[tuple(row[:-1])] += int(row[-1])
        for edge in edges:
            for row in conn.execute(self._raw_counts(vis, filters, edge, dims)):
                totals[tuple(row[:-1])] += int(row[-1])
        return [(*key, n) for key, n in totals.items() if n]

    def _raw_counts(
        self, vis: Visibility, filters: Filters, window: Window, dims: Sequence[Dim]
    ) -> Select[Any]:
        columns: list[ColumnElement[Any]] = [
            (events.c.occurred_at // HOUR_US).label("hour") if d == "hour" else events.c[d]
            for d in dims
        ]
        stmt = select(*columns, func.count()).where(
            *event_clauses(events, vis, filters, window, self._search)
        )
        return stmt.group_by(*columns) if columns else stmt

    def unique_ips(self, visibility: Visibility, filters: Filters) -> int:
        window = Window.of(filters)
        with self.engine.connect() as conn:
            if not ip_rollup_covers(filters):
                stmt = select(func.count(events.c.ip.distinct())).where(
                    *event_clauses(events, visibility, filters, window, self._search)
                )
                return int(conn.execute(stmt).scalar_one())
            first_hour, end_hour, edges = window.split()
            r = rollup_ips_hourly
            parts: list[Select[Any]] = [
                select(r.c.ip).where(*rollup_clauses(r, visibility, filters, first_hour, end_hour))
            ]
            parts += [
                select(events.c.ip).where(
                    events.c.ip.is_not(None),
                    *event_clauses(events, visibility, filters, edge, self._search),
                )
                for edge in edges
            ]
            ips: set[str] = set()
            for part in parts:
                ips.update(conn.execute(part.distinct()).scalars())
            return len(ips)

    def actor_summaries(
        self, visibility: Visibility, filters: Filters, actor_ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        window = Window.of(filters)
        with self.engine.connect() as conn:
            for actor_id in actor_ids:
                stmt = (
                    select(events.c.actor_name, events.c.occurred_at)
                    .where(
                        events.c.actor_id == actor_id,
                        *event_clauses(events, visibility, filters, window, self._search),
                    )
                    .order_by(events.c.rid.desc())
                    .limit(1)
                )
                row = conn.execute(stmt).first()
                if row is not None:
                    out[actor_id] = {"name": row[0], "last_seen": format_time_us(row[1])}
        return out

    def workspaces(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(chain_heads.c.workspace).order_by(chain_heads.c.workspace)
                ).scalars()
            )

    # -- integrity -----------------------------------------------------------------------
    def head(self, workspace: str) -> tuple[int, str]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(chain_heads.c.seq, chain_heads.c.chain_hash).where(
                    chain_heads.c.workspace == workspace
                )
            ).first()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    def chain_rows(self, workspace: str) -> Iterator[ChainRow]:
        """Events and tombstones of ``workspace`` merged in seq order."""
        live = (
            select(events.c.seq, events.c.body, events.c.content_hash, events.c.chain_hash)
            .where(events.c.workspace == workspace)
            .order_by(events.c.seq)
        )
        dead = (
            select(tombstones.c.seq, tombstones.c.content_hash, tombstones.c.chain_hash)
            .where(tombstones.c.workspace == workspace)
            .order_by(tombstones.c.seq)
        )
        with self.engine.connect() as conn:
            graves = [ChainRow(s, None, c, h) for s, c, h in conn.execute(dead)]
            rows = conn.execution_options(stream_results=True, yield_per=5000).execute(live)
            yield from _merge_by_seq((ChainRow(s, bytes(b), c, h) for s, b, c, h in rows), graves)

    def checkpoints(self, workspace: str) -> list[Checkpoint]:
        stmt = (
            select(checkpoints)
            .where(checkpoints.c.workspace == workspace)
            .order_by(checkpoints.c.seq)
        )
        with self.engine.connect() as conn:
            return [
                Checkpoint(r.workspace, r.seq, r.chain_hash, r.signed_at, r.key_id, r.signature)
                for r in conn.execute(stmt)
            ]

    def close(self) -> None:
        self.engine.dispose()


def _upsert(table: Table, names: Sequence[str]) -> TextClause:
    keys = ", ".join(names)
    marks = ", ".join(f":{name}" for name in names)
    return text(
        f"INSERT INTO {table.name} ({keys}, n) VALUES ({marks}, :n) "
        f"ON CONFLICT ({keys}) DO UPDATE SET n = {table.name}.n + excluded.n"
    )


def row_to_event(row: Sequence[Any]) -> dict[str, Any]:
    seq, category, verb, kind, label, device, body, content_hash, chain_hash = row
    content = orjson.loads(body)
    return event_dict(
        content,
        seq=seq,
        info=ActionInfo(category, verb, kind, label),
        device=orjson.loads(device) if device else None,
        content_hash=content_hash,
        chain_hash=chain_hash,
    )


def format_time_us(micros: int) -> str:
    seconds, us = divmod(micros, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{us:06d}Z"


def format_time_now() -> str:
    from datetime import UTC, datetime

    return format_time(datetime.now(UTC))


def _now_us() -> int:
    return time.time_ns() // 1000


def _checkpoint_row(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "workspace": checkpoint.workspace,
        "seq": checkpoint.seq,
        "chain_hash": checkpoint.chain_hash,
        "signed_at": checkpoint.signed_at,
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _merge_by_seq(live: Iterator[ChainRow], graves: list[ChainRow]) -> Iterator[ChainRow]:
    if not graves:
        yield from live
        return
    pending = iter(graves)
    grave = next(pending, None)
    for row in live:
        while grave is not None and grave.seq <= row.seq:
            yield grave
            grave = next(pending, None)
        yield row
    while grave is not None:
        yield grave
        grave = next(pending, None)


__all__ = ["CheckpointPolicy", "Head", "SQLStore", "SearchClause"]
