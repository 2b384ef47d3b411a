"""Group commit: batches queued while one is written go together; each keeps its outcome."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from activitylog import ActivityLog
from activitylog.errors import Conflict
from activitylog.store.group_commit import GroupCommit

from ._support import eid


class Writer:
    """Writes batches of ints into ``stored``; the first write waits until ``release``
    is set, so that others queue behind it."""

    def __init__(self) -> None:
        self.stored: list[int] = []
        self.transactions: list[list[int]] = []
        self.release = threading.Event()
        self.first_started = threading.Event()

    def _hold_first(self) -> None:
        if not self.transactions:
            self.first_started.set()
            assert self.release.wait(10)

    def one(self, batch: list[int]) -> list[int]:
        self._hold_first()
        if any(n < 0 for n in batch):
            raise ValueError(f"negative in {batch}")
        self.transactions.append(list(batch))
        self.stored += batch
        return [n * 10 for n in batch]

    def many(self, batches: list[list[int]]) -> list[list[int]]:
        self._hold_first()
        if any(n < 0 for b in batches for n in b):
            raise ValueError("a negative number in the group")
        self.transactions.append([n for b in batches for n in b])
        self.stored += [n for b in batches for n in b]
        return [[n * 10 for n in b] for b in batches]


def _submit_all(
    group: GroupCommit[list[int], list[int]], writer: Writer, batches: list[list[int]]
) -> dict[int, list[int] | Exception]:
    """Submit the first batch, then, while it is being written, all the others."""
    results: dict[int, list[int] | Exception] = {}

    def run(index: int) -> None:
        try:
            results[index] = group.submit(batches[index])
        except Exception as exc:
            results[index] = exc

    first = threading.Thread(target=run, args=(0,))
    first.start()
    assert writer.first_started.wait(10)
    others = [threading.Thread(target=run, args=(i,)) for i in range(1, len(batches))]
    for thread in others:
        thread.start()
    _wait_until(lambda: len(group._queue) == len(batches))
    writer.release.set()
    for thread in [first, *others]:
        thread.join(10)
    return results


def _wait_until(condition: Callable[[], bool]) -> None:
    event = threading.Event()
    for _ in range(1000):
        if condition():
            return
        event.wait(0.01)
    raise AssertionError("timed out")


def test_alone_a_batch_is_written_at_once() -> None:
    writer = Writer()
    writer.release.set()
    group = GroupCommit(writer.one, writer.many)
    assert group.submit([1, 2]) == [10, 20]
    assert group.submit([3]) == [30]
    assert writer.transactions == [[1, 2], [3]]
    assert (group.transactions, group.batches) == (2, 2)


def test_batches_waiting_are_written_in_one_transaction() -> None:
    writer = Writer()
    group = GroupCommit(writer.one, writer.many)
    results = _submit_all(group, writer, [[1], [2], [3, 4], [5]])
    assert results == {0: [10], 1: [20], 2: [30, 40], 3: [50]}
    first, rest = writer.transactions
    assert first == [1]
    assert sorted(rest) == [2, 3, 4, 5]  # every waiting batch, together
    assert (group.transactions, group.batches) == (2, 4)
    assert not group._queue


def test_a_failing_batch_fails_alone() -> None:
    writer = Writer()
    group = GroupCommit(writer.one, writer.many)
    results = _submit_all(group, writer, [[1], [2], [-3], [4]])
    assert [results[0], results[1], results[3]] == [[10], [20], [40]]
    error = results[2]
    assert isinstance(error, ValueError)
    assert "negative in [-3]" in str(error)
    assert sorted(writer.stored) == [1, 2, 4]  # the group's write stored nothing
    assert not group._queue


def test_a_group_holds_at_most_max_events() -> None:
    writer = Writer()
    group = GroupCommit(writer.one, writer.many, max_events=3)
    results = _submit_all(group, writer, [[0], [1, 2], [3], [4], [5, 6, 7, 8]])
    assert results == {0: [0], 1: [10, 20], 2: [30], 3: [40], 4: [50, 60, 70, 80]}
    assert [t for t in writer.transactions if len(t) > 3] == [[5, 6, 7, 8]]  # alone
    assert sorted(writer.stored) == list(range(9))


def test_a_writer_interrupted_leaves_the_others_to_the_next() -> None:
    calls: list[list[int]] = []
    entered, go_on = threading.Event(), threading.Event()

    def one(batch: list[int]) -> list[int]:
        calls.append(batch)
        if batch == [1]:
            entered.set()
            assert go_on.wait(10)
            raise KeyboardInterrupt  # not an Exception: it leaves with the writer
        return batch

    def many(batches: list[list[int]]) -> list[list[int]]:
        calls.append([n for b in batches for n in b])
        return batches

    group: GroupCommit[list[int], list[int]] = GroupCommit(one, many)
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            group.submit([1])
        except KeyboardInterrupt:
            outcome["first"] = "interrupted"

    def second() -> None:
        outcome["second"] = group.submit([2])

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert entered.wait(10)
    threads[1].start()
    _wait_until(lambda: len(group._queue) == 2)
    go_on.set()
    for thread in threads:
        thread.join(10)
    assert outcome == {"first": "interrupted", "second": [2]}
    assert calls == [[1], [2]]
    assert not group._queue


@pytest.mark.parametrize("threads", [2, 8])
def test_every_batch_is_written_once_under_contention(threads: int) -> None:
    writer = Writer()
    writer.release.set()
    group = GroupCommit(writer.one, writer.many)

    def run(start: int) -> None:
        for n in range(start, start + 200):
            assert group.submit([n]) == [n * 10]

    workers = [threading.Thread(target=run, args=(t * 1000,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    expected = sorted(t * 1000 + n for t in range(threads) for n in range(200))
    assert sorted(writer.stored) == expected
    assert group.batches == len(expected)


# -- on a store: appends that wait are one transaction ----------------------------------


def test_appends_waiting_on_a_store_share_one_transaction_and_signature(
    log: ActivityLog,
) -> None:
    store: Any = log.store
    log.record(workspace="acme", action="note.created")  # the head exists
    before = store.group_commit.transactions
    held, release = threading.Event(), threading.Event()
    write = store._append
    signatures: list[str] = []
    seal = store.sealer.seal

    def first_waits(batch: Any, **kwargs: Any) -> Any:
        if not held.is_set():
            held.set()
            assert release.wait(10)
        return write(batch, **kwargs)

    def counted_seal(head: Any, now: float, **kwargs: Any) -> None:
        signatures.append(head.workspace)
        seal(head, now, **kwargs)

    store._append, store.sealer.seal = first_waits, counted_seal
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(log.record, workspace="acme", action="note.created", id=eid(1))
        assert held.wait(10)
        rest = [
            pool.submit(log.record, workspace="acme", action="note.created", id=eid(n))
            for n in range(2, 7)
        ]
        _wait_until(lambda: len(store.group_commit._queue) == 6)
        release.set()
        events = [f.result(timeout=30) for f in [first, *rest]]

    assert store.group_commit.transactions - before == 2  # the first, then the five
    assert signatures == ["acme", "acme"]
    assert sorted(e["seq"] for e in events) == [2, 3, 4, 5, 6, 7]
    assert all(log.get(e["id"]) == e for e in events)
    assert log.verify().ok


def test_a_conflict_in_a_group_refuses_only_its_own_batch(log: ActivityLog) -> None:
    store: Any = log.store
    log.record(workspace="acme", action="note.created", id=eid(99), description="first")
    held, release = threading.Event(), threading.Event()
    write = store._append

    def first_waits(batch: Any, **kwargs: Any) -> Any:
        if not held.is_set():
            held.set()
            assert release.wait(10)
        return write(batch, **kwargs)

    store._append = first_waits
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(log.record, workspace="acme", action="note.created", id=eid(1))
        assert held.wait(10)
        ok = pool.submit(log.record, workspace="acme", action="note.created", id=eid(2))
        clash = pool.submit(
            log.record, workspace="acme", action="note.created", id=eid(99), description="other"
        )
        again = pool.submit(
            log.record, workspace="acme", action="note.created", id=eid(99), description="first"
        )
        _wait_until(lambda: len(store.group_commit._queue) == 4)
        release.set()
        assert first.result(timeout=30)["id"] == eid(1)
        assert ok.result(timeout=30)["id"] == eid(2)
        with pytest.raises(Conflict):
            clash.result(timeout=30)
        assert again.result(timeout=30)["description"] == "first"  # recorded before: the same

    assert log.count() == 3
    assert log.verify().ok


def test_an_append_made_while_writing_is_written_at_once() -> None:
    written: list[list[int]] = []
    group: GroupCommit[list[int], list[int]]

    def one(batch: list[int]) -> list[int]:
        if batch == [1]:  # a hook of this write appends too
            assert group.submit([2]) == [2]
        written.append(batch)
        return batch

    group = GroupCommit(one, lambda batches: batches)
    assert group.submit([1]) == [1]
    assert written == [[2], [1]]
    assert not group._queue
