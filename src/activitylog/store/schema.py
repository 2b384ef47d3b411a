"""The tables, as SQLAlchemy Core metadata shared by both SQL engines.

``rid`` is a time-ordered row key: ``occurred_at`` in microseconds x 1000 plus a slot
number, so ordering by ``rid`` is ordering by time and a time range is a ``rid`` range
(which the SQLite full-text index can seek too). ``entries`` is the log (the exact
canonical JSON that was hashed, its seq and hashes); ``events`` holds, under the same
``rid``, the copies kept for filtering and sorting. Entries are only ever inserted or
deleted (a deletion leaves a row in ``tombstones``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

RID_SLOTS = 1000

#: The log: what an append writes in the transaction that acknowledges it. ``body`` is the
#: exact canonical JSON that was hashed; ``rid`` its time-ordered row key.
entries = Table(
    "entries",
    metadata,
    # INTEGER on SQLite makes rid the table's rowid (no second index); BIGINT elsewhere.
    Column(
        "rid", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("id", String(36), nullable=False),
    Column("workspace", String(200), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("body", LargeBinary, nullable=False),
    # SHA-256 digests, 32 bytes (migration 0016; SQLite rows written before it keep their
    # hex text, which the store reads as it is: store.base.hex_of).
    Column("content_hash", LargeBinary, nullable=False),
    Column("chain_hash", LargeBinary, nullable=False),
    UniqueConstraint("id", name="uq_entries_id"),
    UniqueConstraint("workspace", "seq", name="uq_entries_workspace_seq"),
)

#: The copies of each entry's body that pages filter, sort and search on, one row per
#: entry under its ``rid``, written by the indexer that trails the log
#: (activitylog.store.indexing), never shown: what is shown is read from ``entries``.
#: Nothing the log's own row holds is copied (id, seq), nor what no page filters or sorts
#: on (the device, the label: search has it in the words); the time is the rid's
#: (``rid // RID_SLOTS``).
events = Table(
    "events",
    metadata,
    Column(
        "rid", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("workspace", String(200), nullable=False),
    Column("layer", String(16), nullable=False),
    Column("actor_id", String(200), nullable=False),
    Column("actor_name", String(200)),
    Column("action", String(200), nullable=False),
    Column("category", String(64), nullable=False),
    Column("verb", String(200), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("result", String(8), nullable=False),
    Column("ip", String(64)),
    Column("subject_type", String(200)),
    Column("subject_id", String(200)),
    Column("search_text", Text, nullable=False),
    # ISO 3166-1 alpha-2 of the body's location (migration 0008).
    Column("country", String(2)),
    # The actor's role when the entry was recorded, for the roles filter (migration 0015).
    Column("actor_role", String(200)),
    # layer and category ride along so visibility checks on a time range read no rows.
    Index("ix_events_workspace_rid", "workspace", "rid", "layer", "category"),
    Index("ix_events_workspace_actor_rid", "workspace", "actor_id", "rid"),
    Index("ix_events_workspace_subject_rid", "workspace", "subject_type", "subject_id", "rid"),
    # The countries filter: a country's entries in time order, and counts by country read
    # from the index alone (migration 0008).
    Index("ix_events_workspace_country_rid", "workspace", "country", "rid"),
    # Purge records, where verify finds the start of a purged log: a handful of rows.
    Index(
        "ix_events_purges",
        "workspace",
        "rid",
        sqlite_where=text("action = 'activity_log.purged'"),
        postgresql_where=text("action = 'activity_log.purged'"),
    ),
)

tombstones = Table(
    "tombstones",
    metadata,
    Column("workspace", String(200), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("id", String(36), nullable=False),
    Column("occurred_at", BigInteger, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False),
    Column("deleted_at", BigInteger, nullable=False),
    Column("deleted_by", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    PrimaryKeyConstraint("workspace", "seq", name="pk_tombstones"),
    UniqueConstraint("id", name="uq_tombstones_id"),
)

chain_heads = Table(
    "chain_heads",
    metadata,
    Column("workspace", String(200), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("chain_hash", String(64), nullable=False),
    # The roots of the tree's perfect subtrees, 32 bytes each (activitylog.merkle.Frontier).
    Column("frontier", LargeBinary, nullable=False),
    # The signed checkpoint note of the head (every append signs one).
    Column("note", Text),
    Column("checkpoint_seq", BigInteger, nullable=False),
    Column("checkpoint_at", BigInteger, nullable=False),
)

#: How far each workspace's search index and rollups include its entries (by seq): they
#: are kept by the indexer that trails the log (activitylog.store.indexing), not by appends.
derived_heads = Table(
    "derived_heads",
    metadata,
    Column("workspace", String(200), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

#: Checkpoints kept for good (a cadence of the head notes): C2SP signed notes.
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("workspace", String(200), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("note", Text, nullable=False),
    PrimaryKeyConstraint("workspace", "size", name="pk_checkpoints"),
)


@dataclass(frozen=True)
class Rollup:
    """Event counts (``n``) per workspace, time bucket and the
    dimension values in ``dims``; ``grain`` is ``hour`` or ``day`` (UTC, since the epoch)."""

    table: Table
    grain: Literal["hour", "day"]
    dims: tuple[str, ...]

    @property
    def key_columns(self) -> tuple[str, ...]:
        return ("workspace", "bucket", *self.dims)


def _rollup(name: str, grain: Literal["hour", "day"], dims: tuple[str, ...]) -> Rollup:
    columns = [Column(dim, String(200), nullable=False) for dim in dims]
    indexes = (
        [Index(f"ix_{name}_actor", "workspace", "actor_id", "bucket")] if "actor_id" in dims else []
    )
    table = Table(
        name,
        metadata,
        Column("workspace", String(200), nullable=False),
        Column("bucket", Integer, nullable=False),
        *columns,
        Column("n", BigInteger, nullable=False),
        PrimaryKeyConstraint("workspace", "bucket", *dims, name=f"pk_{name}"),
        *indexes,
    )
    return Rollup(table, grain, dims)


CATEGORY_DIMS = ("layer", "category", "kind")
FULL_DIMS = ("layer", "actor_id", "category", "action", "verb", "kind", "result")
IP_DIMS = ("layer", "actor_id", "category", "ip")

#: Narrowest first: the planner takes the first rollup of a grain that has every
#: dimension a question needs.
ROLLUPS: tuple[Rollup, ...] = (
    _rollup("rollup_day_category", "day", CATEGORY_DIMS),
    _rollup("rollup_day", "day", FULL_DIMS),
    _rollup("rollup_hour_category", "hour", CATEGORY_DIMS),
    _rollup("rollup_hour", "hour", FULL_DIMS),
)
IP_ROLLUPS: tuple[Rollup, ...] = (
    # Unique IPs of a whole workspace (no actor): the Activity Log page's usual question.
    _rollup("rollup_day_ip_category", "day", ("layer", "category", "ip")),
    _rollup("rollup_day_ip", "day", IP_DIMS),
    _rollup("rollup_hour_ip", "hour", IP_DIMS),
)
