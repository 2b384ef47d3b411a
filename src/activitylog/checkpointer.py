"""Keeps checkpoints flowing while the log is quiet: every ``checkpoint_seconds`` (and once
more when stopped) each workspace whose head moved gets a kept checkpoint, copied to the
witness directory. ``serve`` runs one; without it a quiet workspace's newest entries
would be signed (every append is) but not witnessed."""

from __future__ import annotations

import logging
import threading

from activitylog.client import ActivityLog

logger = logging.getLogger("activitylog.checkpointer")


class Checkpointer:
    def __init__(self, log: ActivityLog, seconds: float) -> None:
        self._log = log
        self._seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="activitylog-checkpointer")
        self._thread.daemon = True

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the timer, then checkpoint one last time."""
        self._stop.set()
        self._thread.join()
        self._tick()

    def _loop(self) -> None:
        while not self._stop.wait(self._seconds):
            self._tick()

    def _tick(self) -> None:
        try:
            self._log.checkpoint_all()
        except Exception:  # keep the timer alive; the next tick tries again
            logger.exception("checkpointing failed")
