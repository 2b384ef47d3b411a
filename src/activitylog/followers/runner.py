"""Runs followers in the background (``serve``, ``activitylog follow``): one thread per
follower, so a slow destination holds up only its own stream; the set of followers is
asked for again every few seconds (streams are added and removed while running). A thread
of its own keeps the store's counts and search index up with the log (the indexer: see
:mod:`activitylog.store.indexing`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from activitylog.followers.core import Follower, Following

if TYPE_CHECKING:
    from activitylog.client import ActivityLog

logger = logging.getLogger("activitylog.followers")

POLL_S = 0.2
REFRESH_S = 2.0


class _Worker:
    def __init__(self, following: Following, follower: Follower, poll: float) -> None:
        self.follower = follower
        self._following = following
        self._poll = poll
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"activitylog-follow-{follower.name}", daemon=True
        )
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self._following.step(self.follower).handled
            except Exception:  # the database is away, say: try again after a pause
                logger.exception("follower %s failed", self.follower.name)
                handled = 0
            if handled == 0:
                self._stop.wait(self._poll)

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None) -> None:
        self._thread.join(timeout)


class _Indexer:
    """Indexes what appends leave pending, a slice at a time, pausing when nothing is."""

    def __init__(self, log: ActivityLog, poll: float) -> None:
        self._log = log
        self._poll = poll
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="activitylog-index", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                indexed = self._log.store.index_pending(slices=1)
            except Exception:  # the database is away, say: try again after a pause
                logger.exception("indexing failed")
                indexed = 0
            if indexed == 0:
                self._stop.wait(self._poll)

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None) -> None:
        self._thread.join(timeout)


class FollowerRunner:
    """Keeps one worker thread per registered follower until stopped."""

    def __init__(
        self,
        log: ActivityLog,
        followers: Callable[[], list[Follower]] | None = None,
        *,
        poll: float = POLL_S,
        refresh: float = REFRESH_S,
    ) -> None:
        from activitylog.followers.registry import registered

        self._following = Following(log)
        self._followers = followers or (lambda: registered(log))
        self._poll = poll
        self._refresh = refresh
        self._workers: dict[str, _Worker] = {}
        self._indexer: _Indexer | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="activitylog-followers")
        self._thread.daemon = True

    def start(self) -> None:
        self._indexer = _Indexer(self._following.log, self._poll)
        self._thread.start()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop every worker; a batch underway finishes (or, if the process exits first,
        is handled again by the next run: the cursor moves only after it)."""
        self._stop.set()
        self._thread.join(timeout)
        workers: list[_Worker | _Indexer] = list(self._workers.values())
        if self._indexer is not None:
            workers.append(self._indexer)
        for worker in workers:
            worker.stop()
        for worker in workers:
            worker.join(timeout)

    def wait(self) -> None:
        """Block until stopped (``activitylog follow`` in the foreground)."""
        while self._thread.is_alive():
            self._thread.join(0.5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._sync(self._followers())
            except Exception:
                logger.exception("listing followers failed")
            self._stop.wait(self._refresh)

    def _sync(self, followers: list[Follower]) -> None:
        wanted = {follower.name: follower for follower in followers}
        for name in [name for name in self._workers if name not in wanted]:
            self._workers.pop(name).stop()
        for name, follower in wanted.items():
            worker = self._workers.get(name)
            if worker is None:
                self._workers[name] = _Worker(self._following, follower, self._poll)
            elif worker.follower != follower:
                worker.follower = follower  # changed settings (a stream's filter, say)
