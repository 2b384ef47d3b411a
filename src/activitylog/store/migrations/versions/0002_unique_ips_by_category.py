"""A daily unique-IP rollup without the actor, filled from the per-actor one.

Revision ID: 0002
Revises: 0001
"""

from alembic import op
from sqlalchemy import BigInteger, Column, Integer, PrimaryKeyConstraint, String

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollup_day_ip_category",
        Column("workspace", String(200), nullable=False),
        Column("bucket", Integer, nullable=False),
        Column("layer", String(200), nullable=False),
        Column("category", String(200), nullable=False),
        Column("ip", String(200), nullable=False),
        Column("n", BigInteger, nullable=False),
        PrimaryKeyConstraint(
            "workspace", "bucket", "layer", "category", "ip", name="pk_rollup_day_ip_category"
        ),
    )
    op.execute(
        "INSERT INTO rollup_day_ip_category (workspace, bucket, layer, category, ip, n)"
        " SELECT workspace, bucket, layer, category, ip, SUM(n) FROM rollup_day_ip"
        " GROUP BY workspace, bucket, layer, category, ip"
    )
