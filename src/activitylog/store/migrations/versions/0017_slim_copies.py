"""The copies keep nothing the log's row holds or no page filters on: ``events`` loses
``id`` and ``seq`` (``entries`` has them, under the same rid), ``occurred_at`` (the rid's
microsecond), ``device`` and ``label`` (only search reads the label, in the words); the
partial index of purge records is keyed on the rid.

What is left of each copy is unchanged, so nothing is rewritten. On SQLite the copies live
in the index file, which the store makes again when its layout is older
(store/index_schema.py), so nothing is done here.

Revision ID: 0017
Revises: 0016
"""

from alembic import op
from sqlalchemy import BigInteger, Column, String, Text, text

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_PURGES = text("action = 'activity_log.purged'")
_DERIVED = (
    "events",
    "rollup_day_category",
    "rollup_day",
    "rollup_hour_category",
    "rollup_hour",
    "rollup_day_ip_category",
    "rollup_day_ip",
    "rollup_hour_ip",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_events_purges", table_name="events")
    for name in ("id", "seq", "occurred_at", "device", "label"):
        op.drop_column("events", name)
    op.create_index("ix_events_purges", "events", ["workspace", "rid"], postgresql_where=_PURGES)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_events_purges", table_name="events")
    # The copies of before: emptied with the counts, for the indexer of that version to
    # write them again from the bodies.
    op.execute(f"TRUNCATE {', '.join(_DERIVED)}")
    op.execute("UPDATE derived_heads SET seq = 0")
    op.add_column("events", Column("id", String(36), nullable=False))
    op.add_column("events", Column("seq", BigInteger, nullable=False))
    op.add_column("events", Column("occurred_at", BigInteger, nullable=False))
    op.add_column("events", Column("device", Text))
    op.add_column("events", Column("label", String(200), nullable=False))
    op.create_index("ix_events_purges", "events", ["workspace", "seq"], postgresql_where=_PURGES)
