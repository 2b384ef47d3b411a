"""How far each workspace's search index and rollups go: appends no longer write them
(they are kept by an indexer that trails the log), so the store records, per workspace,
the seq up to which they include the entries. Everything stored before was indexed by its
append: the mark starts at the head.

Revision ID: 0013
Revises: 0012
"""

from alembic import op
from sqlalchemy import BigInteger, Column, String

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "derived_heads",
        Column("workspace", String(200), primary_key=True),
        Column("seq", BigInteger, nullable=False),
    )
    op.execute("INSERT INTO derived_heads (workspace, seq) SELECT workspace, seq FROM chain_heads")


def downgrade() -> None:
    op.drop_table("derived_heads")
