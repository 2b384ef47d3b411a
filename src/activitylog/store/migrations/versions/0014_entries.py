"""The log apart from its copies: ``entries`` holds what an append writes in the
transaction that acknowledges it (rid, id, workspace, seq, the canonical body and its
hashes, with the id and (workspace, seq) keys); ``events`` keeps the copies pages filter
on, under the same rid, written by the indexer that trails the log. Each entry's body is
stored once, in ``entries``.

SQLite cannot drop columns that carry constraints in place: ``events`` is rebuilt (one
copy of the table; its rowid, the rid, is kept, so the full-text index stays valid).

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

COPIES = (
    "rid, id, workspace, seq, occurred_at, layer, actor_id, actor_name, action, category,"
    " verb, kind, label, result, ip, subject_type, subject_id, device, search_text, country"
)
INDEXES = (
    "CREATE INDEX ix_events_workspace_rid ON events (workspace, rid, layer, category)",
    "CREATE INDEX ix_events_workspace_actor_rid ON events (workspace, actor_id, rid)",
    "CREATE INDEX ix_events_workspace_subject_rid ON events"
    " (workspace, subject_type, subject_id, rid)",
    "CREATE INDEX ix_events_workspace_country_rid ON events (workspace, country, rid)",
    "CREATE INDEX ix_events_purges ON events (workspace, seq) WHERE action = 'activity_log.purged'",
)
SQLITE_EVENTS = """CREATE TABLE events_copies (
    rid INTEGER NOT NULL PRIMARY KEY,
    id VARCHAR(36) NOT NULL,
    workspace VARCHAR(200) NOT NULL,
    seq BIGINT NOT NULL,
    occurred_at BIGINT NOT NULL,
    layer VARCHAR(16) NOT NULL,
    actor_id VARCHAR(200) NOT NULL,
    actor_name VARCHAR(200),
    action VARCHAR(200) NOT NULL,
    category VARCHAR(64) NOT NULL,
    verb VARCHAR(200) NOT NULL,
    kind VARCHAR(8) NOT NULL,
    label VARCHAR(200) NOT NULL,
    result VARCHAR(8) NOT NULL,
    ip VARCHAR(64),
    subject_type VARCHAR(200),
    subject_id VARCHAR(200),
    device TEXT,
    search_text TEXT NOT NULL,
    country VARCHAR(2)
)"""


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
        op.execute(SQLITE_EVENTS)
        op.execute(f"INSERT INTO events_copies ({COPIES}) SELECT {COPIES} FROM events")
        op.execute("DROP TABLE events")
        op.execute("ALTER TABLE events_copies RENAME TO events")
        for statement in INDEXES:
            op.execute(statement)
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
