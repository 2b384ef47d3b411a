"""The delivery tables, on the shared :data:`~activitylog.store.schema.metadata`
(migration 0011).

``alert_channels`` are where a workspace's alerts go; ``alert_deliveries`` one alert entry
(``alert.raised`` or ``alert.extended``) to one channel, with the message as it was
enqueued and the channel's kind and target copied, so the history outlives the channel;
``alert_delivery_attempts`` every attempt at one. Times are epoch microseconds (UTC).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from activitylog.store.schema import metadata

alert_channels = Table(
    "alert_channels",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # email | webhook | slack
    Column("target", Text, nullable=False),  # addresses (comma-separated) or a URL
    Column("secret", Text),  # whsec_... (webhooks only)
    Column("min_severity", String(16), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("created_by", String(200), nullable=False),
    Index("ix_alert_channels_workspace", "workspace"),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", String(40), primary_key=True),  # also the webhook-id, stable across retries
    Column("alert_id", String(200), nullable=False),
    Column("workspace", String(200), nullable=False),
    Column("channel_id", String(40), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("target", Text, nullable=False),
    Column("event_id", String(64), nullable=False),  # the alert.* entry delivered
    Column("message", Text, nullable=False),  # JSON: the alert as the entry states it
    Column("status", String(16), nullable=False),  # pending | delivered | gave_up
    Column("attempts", Integer, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("first_attempt_us", BigInteger),
    Column("next_us", BigInteger, nullable=False),  # no attempt before (backoff, or a claim)
    Column("last_error", Text),
    Column("delivered_us", BigInteger),
    UniqueConstraint("channel_id", "event_id", name="uq_alert_deliveries_channel_event"),
    Index("ix_alert_deliveries_due", "status", "next_us"),
    Index("ix_alert_deliveries_alert", "alert_id"),
)

alert_delivery_attempts = Table(
    "alert_delivery_attempts",
    metadata,
    Column("delivery_id", String(40), nullable=False),
    Column("n", Integer, nullable=False),  # 1, 2, ...
    Column("at_us", BigInteger, nullable=False),
    Column("outcome", String(16), nullable=False),  # delivered | failed | gave_up
    Column("status_code", Integer),  # the HTTP status or SMTP reply code, when one came
    Column("error", Text),
    Column("next_us", BigInteger),  # when the next attempt is due (failed only)
    PrimaryKeyConstraint("delivery_id", "n", name="pk_alert_delivery_attempts"),
)
