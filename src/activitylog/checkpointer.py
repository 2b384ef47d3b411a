"""Keeps checkpoints flowing while the log is quiet: every ``checkpoint_seconds`` (and once
more when stopped) each workspace whose head moved gets a kept checkpoint, copied to the
witness directory. ``serve`` runs one; without it a quiet workspace's newest entries
would be signed (every append is) but not witnessed."""

from __future__ import annotations

from activitylog.client import ActivityLog
from activitylog.timers import Every


class Checkpointer:
    def __init__(self, log: ActivityLog, seconds: float) -> None:
        self._timer = Every("checkpointer", seconds, log.checkpoint_all)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        """Stop the timer, then checkpoint one last time."""
        self._timer.stop()
        self._timer.run_once()
