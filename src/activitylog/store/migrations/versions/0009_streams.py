"""Streams: a destination, a format and filters per row (followers named stream:<id>).

Revision ID: 0009
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "streams",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("workspace", sa.String(200)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("tls", sa.Boolean, nullable=False),
        sa.Column("ca_file", sa.Text),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("filters", sa.Text, nullable=False),
        sa.Column("secret", sa.Text),
        sa.Column("start", sa.String(16), nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index(
        "uq_streams_workspace_name",
        "streams",
        [sa.text("coalesce(workspace, '')"), "name"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_streams_workspace_name", table_name="streams")
    op.drop_table("streams")
