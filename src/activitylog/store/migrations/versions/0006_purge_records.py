"""A partial index of purge records, where verify finds the start of a purged log.

Revision ID: 0006
Revises: 0005
"""

from alembic import op
from sqlalchemy import text

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PURGES = text("action = 'activity_log.purged'")


def upgrade() -> None:
    op.create_index(
        "ix_events_purges",
        "events",
        ["workspace", "seq"],
        sqlite_where=PURGES,
        postgresql_where=PURGES,
    )


def downgrade() -> None:
    op.drop_index("ix_events_purges", table_name="events")
