"""Alert rules' settings, alerts, and the state rules keep between batches.

Revision ID: 0010
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("workspace", sa.String(200), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("custom", sa.Boolean, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("threshold", sa.Integer),
        sa.Column("window_s", sa.Integer, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("per", sa.String(16)),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("filters", sa.Text),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("workspace", "name", name="pk_alert_rules"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("workspace", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("event_ids", sa.Text, nullable=False),
        sa.Column("raised_us", sa.BigInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
        sa.Column("last_event_us", sa.BigInteger, nullable=False),
        sa.Column("changes", sa.Integer, nullable=False),
        sa.Column("acknowledged_by", sa.String(200)),
        sa.Column("acknowledged_us", sa.BigInteger),
        sa.Column("resolved_by", sa.String(200)),
        sa.Column("resolved_us", sa.BigInteger),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_alerts_workspace_status", "alerts", ["workspace", "status", "raised_us"])
    op.create_index("ix_alerts_burst", "alerts", ["workspace", "rule", "key", "status"])
    op.create_table(
        "alert_hits",
        sa.Column("workspace", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("occurred_us", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("workspace", "rule", "key", "event_id", name="pk_alert_hits"),
    )
    op.create_index("ix_alert_hits_time", "alert_hits", ["workspace", "rule", "key", "occurred_us"])
    op.create_table(
        "alert_sign_ins",
        sa.Column("workspace", sa.String(200), nullable=False),
        sa.Column("actor_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("last_us", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("workspace", "actor_id", "kind", "value", name="pk_alert_sign_ins"),
    )


def downgrade() -> None:
    op.drop_table("alert_sign_ins")
    op.drop_table("alert_hits")
    op.drop_index("ix_alerts_burst", "alerts")
    op.drop_index("ix_alerts_workspace_status", "alerts")
    op.drop_table("alerts")
    op.drop_table("alert_rules")
