"""The background writer of ``ACTIVITYLOG["WRITE"] = "background"``: committed events are
handed to one thread per process, which stores whatever has arrived as one batch, so
changes committed one by one (Django's autocommit) share store transactions instead of
paying one each, and requests do not wait for the store.

The price is a longer window: events wait in memory until the thread has stored them —
up to 50 ms (it lingers that long for more after the first of a batch), longer while the
store is slow. :func:`flush` waits for them; it
runs at interpreter exit (10 seconds at most). A killed process loses what is waiting. The
queue holds at most 10,000 hand-overs: past that, committing threads wait (back-pressure,
not loss).
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("activitylog.contrib.django")

Events = list[dict[str, Any]]

#: The most events stored in one batch.
BATCH_MAX = 1000
#: How long the writer waits for more events after the first of a batch (seconds): a
#: store transaction costs milliseconds, so a busy process stores ~20 batches a second.
LINGER = 0.05
QUEUE_MAX = 10_000


class Writer:
    """Stores the events it is given with ``store`` (which must not raise), in a thread."""

    def __init__(self, store: Callable[[Events], None]) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._queue: queue.Queue[Events | threading.Event] = queue.Queue(QUEUE_MAX)
        self._thread: threading.Thread | None = None
        self._pid = 0

    def put(self, events: Events) -> None:
        self._started().put(events)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything handed over so far is stored; False if ``timeout``
        seconds pass first."""
        if self._thread is None or self._pid != os.getpid():
            return True
        done = threading.Event()
        try:
            self._queue.put(done, timeout=timeout)
        except queue.Full:
            return False
        return done.wait(timeout)

    def _started(self) -> queue.Queue[Events | threading.Event]:
        if self._thread is None or self._pid != os.getpid():
            with self._lock:
                if self._thread is None or self._pid != os.getpid():
                    self._queue = queue.Queue(QUEUE_MAX)  # a forked child starts afresh
                    self._pid = os.getpid()
                    self._thread = threading.Thread(
                        target=self._run, name="activitylog-django-writer", daemon=True
                    )
                    self._thread.start()
        return self._queue

    def _run(self) -> None:
        pending = self._queue
        while True:
            batch: Events = []
            waiting: list[threading.Event] = []
            item = pending.get()
            deadline = time.monotonic() + LINGER
            while True:
                if isinstance(item, threading.Event):
                    waiting.append(item)
                else:
                    batch.extend(item)
                if len(batch) >= BATCH_MAX:
                    break
                try:
                    # Someone waiting for a flush: take only what is there already.
                    left = 0.0 if waiting else deadline - time.monotonic()
                    item = pending.get(timeout=left) if left > 0 else pending.get_nowait()
                except queue.Empty:
                    break
            if batch:
                try:
                    self._store(batch)
                except Exception:  # the store logs its own failures; never die here
                    logger.exception("activitylog: the background writer failed")
            for done in waiting:
                done.set()


_writer: Writer | None = None


def writer(store: Callable[[Events], None]) -> Writer:
    """The process's writer (created on first use, flushed at exit)."""
    global _writer
    if _writer is None:
        _writer = Writer(store)
        atexit.register(_writer.flush, 10.0)
    return _writer


def flush(timeout: float | None = None) -> bool:
    """Wait until the events handed to the background writer so far are stored (True), or
    ``timeout`` seconds pass (False). Without a background writer: True at once."""
    return True if _writer is None else _writer.flush(timeout)
