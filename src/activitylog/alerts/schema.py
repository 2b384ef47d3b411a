"""The alerts' tables, on the shared :data:`~activitylog.store.schema.metadata`
(migration 0010).

``alert_rules`` holds the settings of a workspace's rules: a built-in rule has a row only
once it was changed (its defaults otherwise), a custom rule always has one. ``alerts`` is
one row per alert, its entries' ids as a JSON list. ``alert_hits`` keeps the matching
entries of counting rules (failed sign-ins, custom rules) within their window, per key;
``alert_sign_ins`` what each person signed in from (IP, country, device) and when last, for
the "new ... sign-in" rules. Times are epoch microseconds (UTC).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from activitylog.store.schema import metadata

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("workspace", String(200), nullable=False),
    Column("name", String(64), nullable=False),
    Column("custom", Boolean, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("threshold", Integer),
    Column("window_s", Integer, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("per", String(16)),  # custom rules: actor | ip | NULL (the whole workspace)
    Column("params", Text, nullable=False),  # JSON object
    Column("filters", Text),  # custom rules: JSON object of Selection filters
    Column("updated_us", BigInteger, nullable=False),
    Column("updated_by", String(200), nullable=False),
    PrimaryKeyConstraint("workspace", "name", name="pk_alert_rules"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("workspace", String(200), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("key", String(500), nullable=False),  # what the burst is of: "ip:...", "actor:..."
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # open | acknowledged | resolved
    Column("summary", Text, nullable=False),
    Column("event_ids", Text, nullable=False),  # JSON list, in the log's order
    Column("raised_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("last_event_us", BigInteger, nullable=False),  # when its last entry occurred
    Column("changes", Integer, nullable=False),  # alert.* entries recorded for it so far
    Column("acknowledged_by", String(200)),
    Column("acknowledged_us", BigInteger),
    Column("resolved_by", String(200)),
    Column("resolved_us", BigInteger),
    Column("note", Text),
    Index("ix_alerts_workspace_status", "workspace", "status", "raised_us"),
    Index("ix_alerts_burst", "workspace", "rule", "key", "status"),
)

alert_hits = Table(
    "alert_hits",
    metadata,
    Column("workspace", String(200), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("key", String(500), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("occurred_us", BigInteger, nullable=False),
    PrimaryKeyConstraint("workspace", "rule", "key", "event_id", name="pk_alert_hits"),
    Index("ix_alert_hits_time", "workspace", "rule", "key", "occurred_us"),
)

alert_sign_ins = Table(
    "alert_sign_ins",
    metadata,
    Column("workspace", String(200), nullable=False),
    Column("actor_id", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # ip | country | device | seeded
    Column("value", String(200), nullable=False),
    Column("last_us", BigInteger, nullable=False),
    PrimaryKeyConstraint("workspace", "actor_id", "kind", "value", name="pk_alert_sign_ins"),
)
