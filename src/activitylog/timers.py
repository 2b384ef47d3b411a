"""Background work on a timer, for ``serve``: keeping checkpoints, purging by retention."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger("activitylog.timers")


class Every:
    """Runs ``task`` every ``seconds`` in a daemon thread (first after ``first`` seconds)
    until stopped; a failing run is logged and the next one tries again."""

    def __init__(
        self, name: str, seconds: float, task: Callable[[], object], *, first: float | None = None
    ) -> None:
        self._name = name
        self._seconds = seconds
        self._first = seconds if first is None else first
        self._task = task
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"activitylog-{name}")
        self._thread.daemon = True

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the timer; wait up to ``timeout`` s (None: for ever) for a run underway."""
        self._stop.set()
        self._thread.join(timeout)

    def run_once(self) -> None:
        try:
            self._task()
        except Exception:  # keep the timer alive; the next run tries again
            logger.exception("%s failed", self._name)

    def _loop(self) -> None:
        wait = self._first
        while not self._stop.wait(wait):
            self.run_once()
            wait = self._seconds
