"""Search by words, and the actor's role copied: ``events.search_text`` holds the words of
an entry's searched fields (activitylog.search_words) instead of their lowercased text, and
``events.actor_role`` the role the actor had, for the roles filter.

Every copy changes, and the copies are derived data: on PostgreSQL they and the rollups
are emptied and the indexer's marks set back to zero, so it writes them again from the
bodies (run ``activitylog reindex`` or let ``serve``/``follow`` do it). On SQLite they live
in the index file, which the store makes again when its layout is older
(store/index_schema.py), so nothing is done here.

Revision ID: 0015
Revises: 0014
"""

from alembic import op
from sqlalchemy import Column, String

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_DERIVED = (
    "events",
    "rollup_day_category",
    "rollup_day",
    "rollup_hour_category",
    "rollup_hour",
    "rollup_day_ip_category",
    "rollup_day_ip",
    "rollup_hour_ip",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _empty_copies()
    op.add_column("events", Column("actor_role", String(200)))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _empty_copies()
    op.drop_column("events", "actor_role")


def _empty_copies() -> None:
    op.execute(f"TRUNCATE {', '.join(_DERIVED)}")
    op.execute("UPDATE derived_heads SET seq = 0")
