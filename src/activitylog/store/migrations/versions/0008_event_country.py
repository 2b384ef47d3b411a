"""The country of an entry's IP, copied from its body's location for the countries filter,
and an index of each workspace's entries by country and time.

Entries written before have no location in their bodies: their country stays NULL.

Revision ID: 0008
Revises: 0006
"""

from alembic import op
from sqlalchemy import Column, String

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", Column("country", String(2)))
    op.create_index("ix_events_workspace_country_rid", "events", ["workspace", "country", "rid"])


def downgrade() -> None:
    op.drop_index("ix_events_workspace_country_rid", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("country")
