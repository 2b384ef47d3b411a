"""The ``deliveries`` follower: each ``alert.raised`` and ``alert.extended`` entry becomes
one pending delivery per channel of its workspace that takes its severity, enqueued in the
same transaction as the follower's cursor, so exactly once (a kill -9 before the commit
leaves neither; one after it leaves both). Sending is the
:class:`~activitylog.delivery.sender.Sender`'s.

An ``alert.extended`` goes to a channel only when that alert was last queued for it at
least :data:`EXTENDED_EVERY_S` ago. Only the alerts' own entries are sent: the alert must
exist in its workspace and the entry's id be one the alerts give its changes
(:func:`activitylog.alerts.recording.entry_id`), so an ``alert.raised`` entry sent in by an
API key is not mailed to anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, select

from activitylog.alerts.recording import entry_id
from activitylog.alerts.schema import alerts
from activitylog.delivery.channels import Channel, workspace_channels
from activitylog.delivery.deliveries import enqueue, last_enqueued
from activitylog.delivery.messages import DELIVERED_ACTIONS, alert_message
from activitylog.delivery.times import micros

if TYPE_CHECKING:
    from activitylog.client import ActivityLog
    from activitylog.followers import Batch, Follower

logger = logging.getLogger("activitylog.delivery")
NAME = "deliveries"
#: An alert raised again is sent to a channel at most this often: a burst that goes on
#: extends its alert batch after batch, and each would be one more email.
EXTENDED_EVERY_S = 900


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class DeliveryFollower:
    """``clock``: when deliveries enqueued now are due (tests move it)."""

    log: ActivityLog
    name: str = NAME
    workspace: str | None = None
    start: Literal["beginning", "end"] = "end"
    clock: Callable[[], datetime] = field(default=_utc_now, compare=False)

    def handle(self, batch: Batch) -> None:
        found = [e for e in batch.entries if e.get("action") in DELIVERED_ACTIONS]
        if not found:
            return  # the runner moves the cursor on
        link_base = self.log.accounts().workspace_settings(batch.workspace).link_base
        messages = [m for m in (alert_message(e, link_base) for e in found) if m is not None]
        with self.log.store.engine.execution_options(immediate=True).begin() as conn:
            channels = workspace_channels(conn, batch.workspace)
            now = micros(self.clock())
            kept = genuine(conn, batch.workspace, messages)
            last = last_enqueued(conn, {m["alert_id"] for m in kept})
            for message in kept:
                to = [c for c in channels if _wanted(message, c, last, now)]
                for channel in enqueue(conn, message, to, now):
                    last[(message["alert_id"], channel.id)] = now
            batch.advance(conn)


def _wanted(
    message: dict[str, Any], channel: Channel, last: dict[tuple[str, str], int], now_us: int
) -> bool:
    if not channel.takes(message["severity"]):
        return False
    before = last.get((message["alert_id"], channel.id))
    if message["type"] != "alert.extended" or before is None:
        return True
    return now_us - before >= EXTENDED_EVERY_S * 1_000_000


def genuine(
    conn: Connection, workspace: str, messages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The messages whose entry the alerts recorded: the alert exists in ``workspace``
    and the entry's id is that of one of its changes so far."""
    ids = {m["alert_id"] for m in messages}
    if not ids:
        return []
    rows = conn.execute(
        select(alerts.c.id, alerts.c.changes).where(
            alerts.c.workspace == workspace, alerts.c.id.in_(ids)
        )
    ).all()
    changes = {row.id: row.changes for row in rows}
    kept = []
    for message in messages:
        count = changes.get(message["alert_id"], 0)
        if message["entry_id"] in {entry_id(message["alert_id"], n) for n in range(1, count + 1)}:
            kept.append(message)
        else:
            logger.warning(
                "not delivering entry %s of workspace %s: no alert %s recorded it",
                message["entry_id"],
                workspace,
                message["alert_id"],
            )
    return kept


def delivery_followers(log: ActivityLog) -> list[Follower]:
    """The followers alert delivery runs (registered in :mod:`activitylog.followers`)."""
    return [DeliveryFollower(log)]
