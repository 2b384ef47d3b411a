"""Cursor pages (``limit`` with ``after`` / ``before``): the same entries in the same
order as numbered pages, for every sort, and none seen twice or skipped while entries
are recorded between pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from activitylog import ActivityLog, ValidationError
from activitylog.query import Cursor, Sort

from ._support import NOW, all_pages, eid, ids, user

WINDOW = {"since": NOW - timedelta(days=30), "until": NOW + timedelta(hours=1)}
SORTS = ["-time", "time", "actor:asc", "actor:desc", "ip:asc", "ip:desc", "result:asc", "verb"]


def _events(start: int, count: int, *, minutes: int = 37) -> list[dict[str, Any]]:
    """Events spread over the window; some without an actor name or an IP (they sort
    last), several sharing each sort value (ties broken by rid)."""
    names = ["Ava", "ben", None, "Chloé", "Ava"]
    out = []
    for i in range(start, start + count):
        name = names[i % len(names)]
        out.append(
            {
                "id": eid(i),
                "workspace": "acme",
                "action": ["contact.updated", "auth.signed_in", "note.created"][i % 3],
                "occurred_at": NOW - timedelta(minutes=minutes * (i % 97) + i),
                "actor": user(f"u{i % 4}", name) if name else {"id": f"u{i % 4}"},
                "result": ["success", "failure", "warning"][i % 3],
                "ip": None if i % 4 == 0 else f"10.0.{i % 3}.1",
            }
        )
    return out


def _forward(log: ActivityLog, sort: str, limit: int, **filters: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        page = log.query(sort=sort, limit=limit, after=after, **WINDOW, **filters)
        pages.append(ids(page.items))
        if page.next_cursor is None:
            return pages
        after = page.next_cursor


@pytest.fixture(scope="module")
def paged(module_log: ActivityLog) -> ActivityLog:
    """40 events recorded once per engine, read by every sort."""
    module_log.record_many(_events(1, 40))
    return module_log


@pytest.mark.parametrize("sort", SORTS)
def test_cursor_pages_match_numbered_pages_both_ways(paged: ActivityLog, sort: str) -> None:
    log = paged
    expected = ids(all_pages(log, sort=sort, **WINDOW))
    pages = _forward(log, sort, 7)
    assert [i for p in pages for i in p] == expected
    assert [len(p) for p in pages] == [7, 7, 7, 7, 7, 5]

    first = log.query(sort=sort, limit=7, **WINDOW)
    assert first.prev_cursor is None
    last = log.query(sort=sort, limit=7, after=_after_page(log, sort, 4), **WINDOW)
    assert ids(last.items) == pages[-1]
    assert last.next_cursor is None
    back = [ids(last.items)]
    before = last.prev_cursor
    while before is not None:
        page = log.query(sort=sort, limit=7, before=before, **WINDOW)
        back.insert(0, ids(page.items))
        before = page.prev_cursor
    assert back == pages


def _after_page(log: ActivityLog, sort: str, index: int) -> str:
    """The ``next_cursor`` of the page at ``index`` (from 0) of 7 entries."""
    after = None
    for _ in range(index + 1):
        after = log.query(sort=sort, limit=7, after=after, **WINDOW).next_cursor
    assert after is not None
    return after


@pytest.mark.parametrize("sort", ["-time", "time", "actor:asc", "ip:desc"])
def test_recording_while_paging_neither_repeats_nor_skips(log: ActivityLog, sort: str) -> None:
    original = ids(log.record_many(_events(1, 30)))
    seen: list[str] = []
    after = None
    extra = 1000
    while True:
        page = log.query(sort=sort, limit=4, after=after, **WINDOW)
        seen += ids(page.items)
        # Between pages: entries newer than all, older than all and in between, with
        # sort values on both sides of the cursor.
        log.record_many(_events(extra, 3, minutes=5))
        extra += 3
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert len(seen) == len(set(seen)), "an entry was seen twice"
    assert set(original) <= set(seen), "an entry was skipped"


def test_offset_pages_drift_where_cursors_do_not(log: ActivityLog) -> None:
    log.record_many(_events(1, 20))
    first = log.query(per_page=10, **WINDOW)
    newest = [
        {**e, "occurred_at": NOW - timedelta(seconds=i)} for i, e in enumerate(_events(500, 3))
    ]
    log.record_many(newest)  # newer than every entry: numbered pages shift by 3
    second_by_number = log.query(page=2, per_page=10, **WINDOW)
    second_by_cursor = log.query(limit=10, after=first.next_cursor, **WINDOW)
    assert set(ids(first.items)) & set(ids(second_by_number.items))  # the drift
    assert not set(ids(first.items)) & set(ids(second_by_cursor.items))
    assert first.next_cursor is not None
    assert first.prev_cursor is None


def test_a_numbered_page_carries_cursors(log: ActivityLog) -> None:
    log.record_many(_events(1, 25))
    second = log.query(page=2, per_page=10, **WINDOW)
    assert second.next_cursor is not None
    assert second.prev_cursor is not None
    before = log.query(limit=10, before=second.prev_cursor, **WINDOW)
    assert ids(before.items) == ids(log.query(page=1, per_page=10, **WINDOW).items)
    assert before.prev_cursor is None


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": 10, "page": 2}, "page"),
        ({"after": Cursor("-time", None, 1).encode()}, "limit"),
        ({"limit": 5, "after": "not-a-cursor"}, "after"),
        ({"limit": 5, "before": "e30"}, "before"),  # base64 of {}
        ({"limit": 5, "after": Cursor("actor:asc", "x", 1).encode()}, "after"),
        (
            {
                "limit": 5,
                "after": Cursor("-time", None, 1).encode(),
                "before": Cursor("-time", None, 9).encode(),
            },
            "before",
        ),
    ],
)
def test_bad_cursor_arguments_name_the_field(
    paged: ActivityLog, args: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        paged.query(**WINDOW, **args)
    assert field in {e.field for e in caught.value.errors}


def test_a_cursor_round_trips_and_is_bound_to_its_sort() -> None:
    cursor = Cursor("actor", "ava", 123456789)
    assert Cursor.decode(cursor.encode(), Sort.parse("actor:asc")) == cursor
    with pytest.raises(ValidationError, match="sort=actor;"):
        Cursor.decode(cursor.encode(), Sort.parse("-time"))
