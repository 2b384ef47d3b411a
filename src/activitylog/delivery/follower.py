"""The ``deliveries`` follower: each ``alert.raised`` and ``alert.extended`` entry becomes
one pending delivery per channel of its workspace that takes its severity, enqueued in the
same transaction as the follower's cursor, so exactly once (a kill -9 before the commit
leaves neither; one after it leaves both). Sending is the :class:`~activitylog.delivery.
sender.Sender`'s."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from activitylog.delivery.channels import workspace_channels
from activitylog.delivery.deliveries import enqueue
from activitylog.delivery.messages import DELIVERED_ACTIONS, alert_message
from activitylog.delivery.times import micros

if TYPE_CHECKING:
    from activitylog.client import ActivityLog
    from activitylog.followers import Batch, Follower

NAME = "deliveries"


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
        alerts = [e for e in batch.entries if e.get("action") in DELIVERED_ACTIONS]
        if not alerts:
            return  # the runner moves the cursor on
        link_base = self.log.accounts().workspace_settings(batch.workspace).link_base
        messages = [m for m in (alert_message(e, link_base) for e in alerts) if m is not None]
        with self.log.store.engine.begin() as conn:
            channels = workspace_channels(conn, batch.workspace)
            now = micros(self.clock())
            for message in messages:
                enqueue(conn, message, channels, now)
            batch.advance(conn)


def delivery_followers(log: ActivityLog) -> list[Follower]:
    """The followers alert delivery runs (registered in :mod:`activitylog.followers`)."""
    return [DeliveryFollower(log)]
