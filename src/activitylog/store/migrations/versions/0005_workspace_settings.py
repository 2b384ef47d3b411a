"""Workspace settings: one row per workspace and setting (``log_access``, ``link_base``, ...).

Revision ID: 0005
Revises: 0004
"""

from alembic import op
from sqlalchemy import BigInteger, Column, PrimaryKeyConstraint, String, Text

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspace_settings",
        Column("workspace", String(200), nullable=False),
        Column("name", String(64), nullable=False),
        Column("value", Text, nullable=False),
        Column("updated_us", BigInteger, nullable=False),
        Column("updated_by", String(200), nullable=False),
        PrimaryKeyConstraint("workspace", "name", name="pk_workspace_settings"),
    )
