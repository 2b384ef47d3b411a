"""Group commit: appends that wait for the writer are written together, in one transaction.

A store's appends take turns: one transaction at a time, each ending in a sync to disk and
a signature of every head it moved. When several threads append at once (a web server's
requests, an application's threads each recording one event), those waiting while one
writes queue here; the next to write takes every batch queued behind it (up to
:data:`MAX_EVENTS` events) and writes them as one transaction: one sync, one signature
per workspace, one round of locking for the lot. A caller appending alone writes at once,
as before.

Each batch keeps its own outcome. The group is written by ``write_many``, which returns
one result per batch; if it raises (one batch conflicts with a stored event, the disk is
full...), every batch of the group is written again alone by ``write_one``, so a batch
fails only for its own reason and nothing is acknowledged that was not committed.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

#: Most events one group's transaction takes (a single batch may be larger: it is
#: written alone).
MAX_EVENTS = 1000

B = TypeVar("B", bound=Sequence[object])
R = TypeVar("R")


class _Waiter(Generic[B, R]):
    __slots__ = ("batch", "done", "error", "result")

    def __init__(self, batch: B) -> None:
        self.batch = batch
        self.done = False
        self.result: R | None = None
        self.error: Exception | None = None

    def settle(self, result: R | None, error: Exception | None) -> None:
        self.result, self.error, self.done = result, error, True


class GroupCommit(Generic[B, R]):
    """Writes each submitted batch, queued batches together (see the module's text)."""

    def __init__(
        self,
        write_one: Callable[[B], R],
        write_many: Callable[[list[B]], list[R]],
        *,
        max_events: int = MAX_EVENTS,
    ) -> None:
        self._write_one = write_one
        self._write_many = write_many
        self._max_events = max_events
        self._changed = threading.Condition()
        self._queue: deque[_Waiter[B, R]] = deque()
        #: The thread writing a group now, if any.
        self._writer: int | None = None
        #: Transactions written, and batches they held (for tests and benchmarks).
        self.transactions = 0
        self.batches = 0

    def submit(self, batch: B) -> R:
        """Write ``batch`` (with those queued behind it when it is its turn to write) and
        return its result, or raise its own error."""
        if self._writer == threading.get_ident():
            # an append made while this thread writes a group (a hook of its write): it
            # cannot wait for itself, so it is written at once, as before group commit
            return self._write_one(batch)
        me: _Waiter[B, R] = _Waiter(batch)
        with self._changed:
            self._queue.append(me)
            while not me.done and self._queue[0] is not me:
                self._changed.wait()
            group = None if me.done else self._take()
        if group is not None:
            self._writer = threading.get_ident()
            try:
                self._write(group)
            finally:
                self._writer = None
                with self._changed:
                    # the group is the queue's head; a leader interrupted before its
                    # group was written leaves the rest queued for the next writer
                    self._queue.remove(me)
                    while self._queue and self._queue[0].done:
                        self._queue.popleft()
                    self._changed.notify_all()
        if me.error is not None:
            raise me.error
        return me.result  # type: ignore[return-value]

    def _take(self) -> list[_Waiter[B, R]]:
        """The batches the writer at the queue's head writes: its own, then those queued
        behind it while they fit in :data:`MAX_EVENTS`."""
        group = [self._queue[0]]
        events = len(group[0].batch)
        for waiter in list(self._queue)[1:]:
            events += len(waiter.batch)
            if events > self._max_events:
                break
            group.append(waiter)
        return group

    def _write(self, group: list[_Waiter[B, R]]) -> None:
        self.batches += len(group)
        if len(group) > 1:
            self.transactions += 1
            try:
                results = self._write_many([w.batch for w in group])
            except Exception:  # each batch again alone: it fails only for its own reason
                pass
            else:
                for waiter, result in zip(group, results, strict=True):
                    waiter.settle(result, None)
                return
        for waiter in group:
            self.transactions += 1
            try:
                result = self._write_one(waiter.batch)
            except Exception as exc:
                waiter.settle(None, exc)
            else:
                waiter.settle(result, None)


__all__ = ["MAX_EVENTS", "GroupCommit"]
