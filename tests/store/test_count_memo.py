"""The count memo every engine shares: answers kept per store inside a block, nested
blocks sharing the outer one's, settling once per store and block."""

from __future__ import annotations

from typing import Any

from activitylog import ActivityLog
from activitylog.access import Visibility
from activitylog.query import Filters
from activitylog.store.count_memo import memo_of, reusing, settle_once

from ._support import event, user


class Store:
    def __init__(self) -> None:
        self.settled = 0

    def settle(self) -> None:
        self.settled += 1


def test_outside_a_block_nothing_is_kept_and_every_read_settles() -> None:
    store = Store()
    assert memo_of(store) is None
    settle_once(store, store.settle)
    settle_once(store, store.settle)
    assert store.settled == 2


def test_a_block_keeps_each_stores_answers_apart_and_settles_each_once() -> None:
    first, second = Store(), Store()
    with reusing():
        memo = memo_of(first)
        assert memo is not None
        memo[("counts",)] = [(1,)]
        assert memo_of(first) is memo
        assert memo_of(second) == {}
        for _ in range(3):
            settle_once(first, first.settle)
            settle_once(second, second.settle)
        with reusing():  # nested: the outer block's answers
            assert memo_of(first) is memo
            settle_once(first, first.settle)
    assert (first.settled, second.settled) == (1, 1)
    assert memo_of(first) is None
    with reusing():  # a new block starts empty
        assert memo_of(first) == {}


def test_in_a_block_each_viewer_gets_the_counts_its_access_allows(log: ActivityLog) -> None:
    # A member's "my activity" count asked after the owner's whole-workspace count, and
    # the owner's again, in one block: no answer is handed to the other viewer.
    log.record_many([event(actor=user("u_ana", "Ana")) for _ in range(3)])
    log.record_many([event(actor=user("u_bo", "Bo")) for _ in range(2)])
    store: Any = log.store
    everyone = Visibility("acme", None, "workspace")
    ana_only = Visibility("acme", "u_ana", "workspace")
    with store.reusing_counts():
        assert store.counts(everyone, Filters(), ()) == [(5,)]
        assert store.counts(ana_only, Filters(), ()) == [(3,)]
        assert store.counts(everyone, Filters(), ()) == [(5,)]
