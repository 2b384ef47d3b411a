"""Writes scheduled exports while ``serve`` runs: two minutes after it starts, then every
five minutes, each workspace's closed periods not yet at the archive location
(:mod:`activitylog.scheduled_exports`). What was written is known from the location itself,
so a restart, or a server that was down for days, catches up without repeating a period.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from activitylog.client import ActivityLog
from activitylog.scheduled_exports import ScheduledExport, run_scheduled_exports
from activitylog.timers import Every

logger = logging.getLogger("activitylog.exporter")
FIVE_MINUTES = 300.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Exporter:
    def __init__(
        self,
        log: ActivityLog,
        seconds: float = FIVE_MINUTES,
        first: float = 120.0,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._log = log
        self._clock = clock
        self._warned: set[tuple[str, str]] = set()
        self._timer = Every("exporter", seconds, self.run, first=first)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        """Stop the timer; an export underway is left to finish in the background (a file
        not stored by then is written by the next run)."""
        self._timer.stop(timeout=5.0)

    def run(self) -> list[ScheduledExport]:
        """One round at the clock's time: what was written (or why a workspace waits)."""
        outcomes = run_scheduled_exports(self._log, now=self._clock())
        for outcome in outcomes:
            if outcome.skipped is not None:
                key = (outcome.workspace, outcome.skipped)
                if key not in self._warned:  # once per process, not every five minutes
                    self._warned.add(key)
                    logger.warning(
                        "scheduled exports of workspace %s wait: %s",
                        outcome.workspace,
                        outcome.skipped,
                    )
                continue
            logger.info(
                "exported %s entries of workspace %s as %s",
                outcome.rows,
                outcome.workspace,
                outcome.name,
            )
        return outcomes
