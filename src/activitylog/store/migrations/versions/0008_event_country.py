"""The country of an entry's IP, copied from its body's location for the countries filter.

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


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("country")
