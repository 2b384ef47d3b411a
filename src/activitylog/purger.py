"""Purges by retention while ``serve`` runs: a minute after it starts, then hourly.

A purge interrupted by a stop (or a kill) is finished by the next one: its record says
what it removes (:mod:`activitylog.retention`).
"""

from __future__ import annotations

import logging

from activitylog.client import ActivityLog
from activitylog.purging import run_purges
from activitylog.timers import Every

logger = logging.getLogger("activitylog.purger")
HOUR = 3600.0


class Purger:
    def __init__(self, log: ActivityLog, seconds: float = HOUR, first: float = 60.0) -> None:
        self._log = log
        self._timer = Every("purger", seconds, self._purge, first=first)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        """Stop the timer; a purge underway is left to finish in the background (or, if
        the process exits first, to the next purge)."""
        self._timer.stop(timeout=5.0)

    def _purge(self) -> None:
        for outcome in run_purges(self._log):
            if outcome.record_seq is not None:
                logger.info(
                    "purged %s entries of workspace %s (record at seq %s)",
                    outcome.removed,
                    outcome.workspace,
                    outcome.record_seq,
                )
