"""The log apart from its copies: ``entries`` holds what an append writes in the
transaction that acknowledges it (rid, id, workspace, seq, the canonical body and its
hashes, with the id and (workspace, seq) keys); ``events`` keeps the copies pages filter
on, under the same rid, written by the indexer that trails the log. Each entry's body is
stored once, in ``entries``.

On SQLite the store moves ``events`` (its copy columns alone) into the index file when it
opens, right after the migrations (store/index_schema.py), so the table is copied once.

Revision ID: 0014
Revises: 0013
"""

from alembic import op
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    text,
)

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    entries = Table(
        "entries",
        MetaData(),
        Column(
            "rid",
            BigInteger().with_variant(Integer, "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        Column("id", String(36), nullable=False),
        Column("workspace", String(200), nullable=False),
        Column("seq", BigInteger, nullable=False),
        Column("body", LargeBinary, nullable=False),
        Column("content_hash", String(64), nullable=False),
        Column("chain_hash", String(64), nullable=False),
        UniqueConstraint("id", name="uq_entries_id"),
        UniqueConstraint("workspace", "seq", name="uq_entries_workspace_seq"),
    )
    entries.create(bind)
    op.execute(
        "INSERT INTO entries (rid, id, workspace, seq, body, content_hash, chain_hash)"
        " SELECT rid, id, workspace, seq, body, content_hash, chain_hash FROM events"
    )
    if bind.dialect.name == "sqlite":
        # The store then moves the copies into its index file (store/index_schema.py),
        # taking the copy columns alone: rebuilding the table here would copy it twice.
        return
    op.execute(
        "ALTER TABLE events DROP CONSTRAINT uq_events_id,"
        " DROP CONSTRAINT uq_events_workspace_seq,"
        " DROP COLUMN body, DROP COLUMN content_hash, DROP COLUMN chain_hash"
    )


def downgrade() -> None:
    bind = op.get_bind()
    unindexed = bind.execute(
        text(
            "SELECT count(*) FROM entries LEFT JOIN events ON events.rid = entries.rid"
            " WHERE events.rid IS NULL"
        )
    ).scalar()
    if unindexed:
        raise RuntimeError(
            f"{unindexed} entries have no copies yet: run `activitylog reindex`, then again"
        )
    for column in (
        Column("body", LargeBinary),
        Column("content_hash", String(64)),
        Column("chain_hash", String(64)),
    ):
        op.add_column("events", column)
    for name in ("body", "content_hash", "chain_hash"):
        op.execute(
            f"UPDATE events SET {name} ="
            f" (SELECT e.{name} FROM entries AS e WHERE e.rid = events.rid)"
        )
    op.create_index("uq_events_id", "events", ["id"], unique=True)
    op.create_index("uq_events_workspace_seq", "events", ["workspace", "seq"], unique=True)
    op.drop_table("entries")
