"""Followers and their durable cursors.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "followers",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("created_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "follower_cursors",
        sa.Column("follower", sa.String(200), nullable=False),
        sa.Column("workspace", sa.String(200), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("error_us", sa.BigInteger),
        sa.Column("retry_us", sa.BigInteger),
        sa.PrimaryKeyConstraint("follower", "workspace", name="pk_follower_cursors"),
    )


def downgrade() -> None:
    op.drop_table("follower_cursors")
    op.drop_table("followers")
