"""The ``alerts`` follower: every workspace's entries through its rules, in log order.

Each batch is evaluated, then the alerts it raises or extends, the rules' state, the
``alert.*`` entries recording them and the follower's cursor are committed in one
transaction: after a crash at any point the batch is either wholly done or handled again
from the start, so no alert is raised twice and none is lost. A new follower starts at
the end of each log: an existing log raises nothing about its past.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from activitylog.alerts.engine import Engine, apply

if TYPE_CHECKING:
    from activitylog.client import ActivityLog
    from activitylog.followers import Batch, Follower

NAME = "alerts"


class AlertFollower:
    """Raises and extends alerts as entries are written."""

    name = NAME
    workspace: str | None = None
    start: Literal["beginning", "end"] = "end"

    def __init__(self, log: ActivityLog) -> None:
        self.log = log
        self.engine = Engine(log)

    def handle(self, batch: Batch) -> None:
        outcome = self.engine.evaluate(batch)
        if outcome.empty:
            return  # the runner moves the cursor: nothing else to commit with it
        with self.log.store.engine.execution_options(immediate=True).begin() as conn:
            apply(self.log, conn, batch.workspace, outcome)
            batch.advance(conn)


def alert_followers(log: ActivityLog) -> list[Follower]:
    """The one ``alerts`` follower (for :data:`activitylog.followers.registry.SOURCES`)."""
    return [AlertFollower(log)]
