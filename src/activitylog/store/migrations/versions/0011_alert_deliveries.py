"""Alert delivery: notification channels, deliveries and every attempt at one.

Revision ID: 0011
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_channels",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workspace", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("secret", sa.Text),
        sa.Column("min_severity", sa.String(16), nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_alert_channels_workspace", "alert_channels", ["workspace"])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("alert_id", sa.String(200), nullable=False),
        sa.Column("workspace", sa.String(200), nullable=False),
        sa.Column("channel_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("first_attempt_us", sa.BigInteger),
        sa.Column("next_us", sa.BigInteger, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered_us", sa.BigInteger),
        sa.UniqueConstraint("channel_id", "event_id", name="uq_alert_deliveries_channel_event"),
    )
    op.create_index("ix_alert_deliveries_due", "alert_deliveries", ["status", "next_us"])
    op.create_index("ix_alert_deliveries_alert", "alert_deliveries", ["alert_id"])
    op.create_table(
        "alert_delivery_attempts",
        sa.Column("delivery_id", sa.String(40), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("at_us", sa.BigInteger, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("next_us", sa.BigInteger),
        sa.PrimaryKeyConstraint("delivery_id", "n", name="pk_alert_delivery_attempts"),
    )


def downgrade() -> None:
    op.drop_table("alert_delivery_attempts")
    op.drop_index("ix_alert_deliveries_alert", "alert_deliveries")
    op.drop_index("ix_alert_deliveries_due", "alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index("ix_alert_channels_workspace", "alert_channels")
    op.drop_table("alert_channels")
