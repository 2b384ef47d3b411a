"""Purge records: what they state and how a malformed one is refused."""

from __future__ import annotations

import orjson
import pytest

from activitylog.merkle import Frontier, leaf_hash
from activitylog.retention import (
    PURGE_ACTION,
    ArchiveRef,
    PurgePlan,
    purge_start,
    record_details,
)


def frontier(size: int) -> Frontier:
    tree = Frontier()
    tree.extend([leaf_hash(bytes([i])) for i in range(size)])
    return tree


def body(**details: object) -> bytes:
    plan = PurgePlan("acme", 1, 30, 30, 0)
    stated = record_details(plan, frontier(30), bytes(range(32)), ArchiveRef("a", "b"), "t")
    return orjson.dumps({"action": PURGE_ACTION, "details": {**stated, **details}})


def test_a_record_states_where_the_log_starts() -> None:
    start = purge_start(41, body())
    assert (start.record_seq, start.first, start.last) == (41, 1, 30)
    assert start.chain == bytes(range(32))
    assert start.frontier.root() == frontier(30).root()


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"first_seq": 0}, "seq range"),
        ({"last_seq": "30"}, "seq range"),
        ({"last_seq": 41}, "comes before"),
        ({"frontier": ["00"]}, "frontier"),
        ({"chain_hash": "zz"}, "chain hash"),
        ({"chain_hash": "00" * 31}, "chain hash"),
    ],
)
def test_a_malformed_record_is_refused(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        purge_start(41, body(**changes))


def test_only_a_purge_record_states_a_start() -> None:
    with pytest.raises(ValueError, match="not a purge record"):
        purge_start(41, orjson.dumps({"action": "note.created", "details": {}}))
    with pytest.raises(ValueError, match="not JSON"):
        purge_start(41, b"{")
