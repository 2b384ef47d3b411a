"""The tables, as SQLAlchemy Core metadata shared by both SQL engines.

``events.rid`` is a time-ordered row key: ``occurred_at`` in microseconds x 1000 plus a
slot number, so ordering by ``rid`` is ordering by time and a time range is a ``rid``
range (which the SQLite full-text index can seek too). ``body`` holds the exact canonical
JSON that was hashed; the other event columns are copies kept for filtering and sorting.
Events are only ever inserted or deleted (a deletion leaves a row in ``tombstones``).
"""

from __future__ import annotations

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
)

metadata = MetaData()

RID_SLOTS = 1000
ROLLUP_DIMS: tuple[str, ...] = ("layer", "actor_id", "category", "action", "verb", "kind", "result")
IP_ROLLUP_DIMS: tuple[str, ...] = ("layer", "actor_id", "category", "ip")

events = Table(
    "events",
    metadata,
    Column("rid", BigInteger, primary_key=True, autoincrement=False),
    Column("id", String(36), nullable=False),
    Column("workspace", String(200), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("occurred_at", BigInteger, nullable=False),
    Column("layer", String(16), nullable=False),
    Column("actor_id", String(200), nullable=False),
    Column("actor_name", String(200)),
    Column("action", String(200), nullable=False),
    Column("category", String(64), nullable=False),
    Column("verb", String(200), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("label", String(200), nullable=False),
    Column("result", String(8), nullable=False),
    Column("ip", String(64)),
    Column("subject_type", String(200)),
    Column("subject_id", String(200)),
    Column("device", Text),
    Column("search_text", Text, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False),
    UniqueConstraint("id", name="uq_events_id"),
    UniqueConstraint("workspace", "seq", name="uq_events_workspace_seq"),
    Index("ix_events_workspace_rid", "workspace", "rid"),
    Index("ix_events_workspace_actor_rid", "workspace", "actor_id", "rid"),
    Index("ix_events_workspace_subject_rid", "workspace", "subject_type", "subject_id", "rid"),
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
    Column("checkpoint_seq", BigInteger, nullable=False),
    Column("checkpoint_at", BigInteger, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("workspace", String(200), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("chain_hash", String(64), nullable=False),
    Column("signed_at", String(32), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("signature", String(128), nullable=False),
    PrimaryKeyConstraint("workspace", "seq", name="pk_checkpoints"),
)

rollup_hourly = Table(
    "rollup_hourly",
    metadata,
    Column("workspace", String(200), nullable=False),
    Column("hour", Integer, nullable=False),
    *(Column(dim, String(200), nullable=False) for dim in ROLLUP_DIMS),
    Column("n", BigInteger, nullable=False),
    PrimaryKeyConstraint("workspace", "hour", *ROLLUP_DIMS, name="pk_rollup_hourly"),
)

rollup_ips_hourly = Table(
    "rollup_ips_hourly",
    metadata,
    Column("workspace", String(200), nullable=False),
    Column("hour", Integer, nullable=False),
    *(Column(dim, String(200), nullable=False) for dim in IP_ROLLUP_DIMS),
    Column("n", BigInteger, nullable=False),
    PrimaryKeyConstraint("workspace", "hour", *IP_ROLLUP_DIMS, name="pk_rollup_ips_hourly"),
)
