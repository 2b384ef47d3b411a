"""Deliveries and their attempts in the database: enqueued by the follower, claimed and
settled by the sender, read back for the alert views.

A delivery is ``pending`` until an attempt succeeds (``delivered``) or the last one, 24
hours after the first, fails (``gave_up``). A sender claims a due delivery by moving its
``next_us`` forward from the value it read (so two senders never attempt the same one at
once); a sender that dies after claiming leaves it due again when the claim lapses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import uuid_utils
from sqlalchemy import Connection, Engine, func, insert, select, update

from activitylog.delivery.channels import Channel
from activitylog.delivery.schema import alert_deliveries, alert_delivery_attempts
from activitylog.delivery.times import iso

#: How long a claimed delivery is left to its sender before another may attempt it.
CLAIM_S = 600


@dataclass(frozen=True)
class Attempt:
    """One attempt at delivering an alert to one channel."""

    delivery_id: str
    channel_id: str
    channel: str  # the channel's kind: email | webhook | slack
    target: str
    attempt: int  # 1, 2, ...
    at: str
    outcome: str  # delivered | failed | gave_up
    status_code: int | None
    error: str | None
    next_at: str | None  # when the next attempt is due (failed only)

    def as_json(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "channel_id": self.channel_id,
            "channel": self.channel,
            "target": self.target,
            "attempt": self.attempt,
            "at": self.at,
            "outcome": self.outcome,
            "status_code": self.status_code,
            "error": self.error,
            "next_at": self.next_at,
        }


@dataclass(frozen=True)
class Delivery:
    """One alert entry to one channel, as it stands."""

    id: str
    alert_id: str
    workspace: str
    channel_id: str
    kind: str
    target: str
    event_id: str
    message: dict[str, Any]
    status: str  # pending | delivered | gave_up
    attempts: int
    first_attempt_us: int | None
    next_us: int
    last_error: str | None
    delivered_us: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "alert_id": self.alert_id,
            "type": self.message.get("type"),
            "channel_id": self.channel_id,
            "channel": self.kind,
            "target": self.target,
            "status": self.status,
            "attempts": self.attempts,
            "next_at": iso(self.next_us) if self.status == "pending" else None,
            "last_error": self.last_error,
            "delivered_at": iso(self.delivered_us),
        }


def enqueue(
    conn: Connection, message: Mapping[str, Any], channels: list[Channel], now_us: int
) -> list[Channel]:
    """One pending delivery of ``message`` per channel, due now, inside the caller's
    transaction; the channels it went to."""
    rows = [
        {
            "id": "msg_" + uuid_utils.uuid7().hex,
            "alert_id": message["alert_id"],
            "workspace": message["workspace"],
            "channel_id": channel.id,
            "kind": channel.kind,
            "target": channel.shown_target,
            "event_id": message["entry_id"],
            "message": orjson.dumps(message).decode(),
            "status": "pending",
            "attempts": 0,
            "created_us": now_us,
            "next_us": now_us,
        }
        for channel in channels
    ]
    if rows:
        conn.execute(insert(alert_deliveries), rows)
    return channels


def last_enqueued(conn: Connection, alert_ids: set[str]) -> dict[tuple[str, str], int]:
    """When each of these alerts was last queued for each channel: ``{(alert id, channel
    id): created_us}``."""
    if not alert_ids:
        return {}
    d = alert_deliveries
    rows = conn.execute(
        select(d.c.alert_id, d.c.channel_id, func.max(d.c.created_us))
        .where(d.c.alert_id.in_(alert_ids))
        .group_by(d.c.alert_id, d.c.channel_id)
    ).all()
    return {(alert, channel): int(at) for alert, channel, at in rows}


def due(engine: Engine, now_us: int, limit: int) -> list[Delivery]:
    """Pending deliveries whose time has come, the longest waiting first."""
    stmt = (
        select(alert_deliveries)
        .where(alert_deliveries.c.status == "pending", alert_deliveries.c.next_us <= now_us)
        .order_by(alert_deliveries.c.next_us, alert_deliveries.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [_delivery(row) for row in conn.execute(stmt).mappings()]


def claim(engine: Engine, delivery: Delivery, now_us: int) -> bool:
    """Take ``delivery`` for one attempt; False when another sender took it first."""
    with engine.begin() as conn:
        done = conn.execute(
            update(alert_deliveries)
            .where(
                alert_deliveries.c.id == delivery.id,
                alert_deliveries.c.status == "pending",
                alert_deliveries.c.next_us == delivery.next_us,
            )
            .values(next_us=now_us + CLAIM_S * 1_000_000)
        )
        return done.rowcount == 1


def settle(
    engine: Engine,
    delivery: Delivery,
    *,
    at_us: int,
    outcome: str,
    status_code: int | None,
    error: str | None,
    next_us: int | None,
) -> None:
    """Keep an attempt and what it means for the delivery, in one transaction."""
    n = delivery.attempts + 1
    values: dict[str, Any] = {
        "attempts": n,
        "first_attempt_us": delivery.first_attempt_us or at_us,
        "last_error": error,
    }
    if outcome == "delivered":
        values |= {"status": "delivered", "delivered_us": at_us}
    elif outcome == "gave_up":
        values |= {"status": "gave_up"}
    else:
        values |= {"next_us": next_us}
    with engine.begin() as conn:
        conn.execute(
            insert(alert_delivery_attempts).values(
                delivery_id=delivery.id,
                n=n,
                at_us=at_us,
                outcome=outcome,
                status_code=status_code,
                error=error,
                next_us=next_us if outcome == "failed" else None,
            )
        )
        conn.execute(
            update(alert_deliveries).where(alert_deliveries.c.id == delivery.id).values(**values)
        )


def deliveries(engine: Engine, alert_id: str) -> list[Delivery]:
    """Every delivery of an alert's entries, oldest first."""
    stmt = (
        select(alert_deliveries)
        .where(alert_deliveries.c.alert_id == alert_id)
        .order_by(alert_deliveries.c.created_us, alert_deliveries.c.id)
    )
    with engine.connect() as conn:
        return [_delivery(row) for row in conn.execute(stmt).mappings()]


def attempts(engine: Engine, alert_id: str) -> list[Attempt]:
    """Every attempt at delivering an alert, in the order they were made."""
    d, a = alert_deliveries, alert_delivery_attempts
    stmt = (
        select(d.c.id, d.c.channel_id, d.c.kind, d.c.target, a)
        .join(a, a.c.delivery_id == d.c.id)
        .where(d.c.alert_id == alert_id)
        .order_by(a.c.at_us, d.c.id, a.c.n)
    )
    with engine.connect() as conn:
        return [
            Attempt(
                delivery_id=row["id"],
                channel_id=row["channel_id"],
                channel=row["kind"],
                target=row["target"],
                attempt=row["n"],
                at=iso(row["at_us"]) or "",
                outcome=row["outcome"],
                status_code=row["status_code"],
                error=row["error"],
                next_at=iso(row["next_us"]),
            )
            for row in conn.execute(stmt).mappings()
        ]


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row["id"],
        alert_id=row["alert_id"],
        workspace=row["workspace"],
        channel_id=row["channel_id"],
        kind=row["kind"],
        target=row["target"],
        event_id=row["event_id"],
        message=orjson.loads(row["message"]),
        status=row["status"],
        attempts=row["attempts"],
        first_attempt_us=row["first_attempt_us"],
        next_us=row["next_us"],
        last_error=row["last_error"],
        delivered_us=row["delivered_us"],
    )
