"""The rows exports splice, read through the engine's fastest path (on SQLite, sqlite3's own
tuples), are exactly those SQLAlchemy's rows give, whatever the filters."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest

from activitylog import ActivityLog
from activitylog.access import OPERATOR, visibility_for
from activitylog.query import Filters
from activitylog.store.base import SQLBase

from ._support import NOW, ago, event, user

_FILTERS = [
    Filters(),
    Filters(categories=("contacts", "users"), results=("success", "failure")),
    Filters(actor_ids=("u-1", "u-3")),
    Filters(since=NOW - timedelta(hours=5), until=NOW - timedelta(hours=1)),
    Filters(search="refund"),
    Filters(search="refund", layers=("workspace",)),
    Filters(subject_type="contact", subject_id="c-2"),
    Filters(ip="203.0.113.7"),
    Filters(countries=("GB", "US")),
    Filters(actions=("contact.updated", "user.signed_in"), verbs=("updated", "signed_in")),
]


@pytest.fixture
def varied(log: ActivityLog) -> ActivityLog:
    log.record_many(
        event(
            action=("contact.updated", "user.signed_in", "contact.deleted")[i % 3],
            actor=user(f"u-{i % 4}"),
            occurred_at=ago(minutes=17 * i),
            subject={"type": "contact", "id": f"c-{i % 5}", "name": f"Contact {i}"},
            description="refund asked" if i % 4 == 0 else None,
            ip=("203.0.113.7", "81.2.69.160", "2001:db8::1")[i % 3],
            result="failure" if i % 7 == 0 else "success",
        )
        for i in range(60)
    )
    return log


@pytest.mark.parametrize("filters", _FILTERS, ids=[str(i) for i in range(len(_FILTERS))])
@pytest.mark.parametrize("order", ["-time", "time"])
def test_rows_are_those_sqlalchemy_reads(
    varied: ActivityLog, filters: Filters, order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = varied.store
    visibility = visibility_for(OPERATOR, "workspace", None)
    fast = list(store.iter_rows(visibility, filters, order, chunk=7))  # several chunks
    monkeypatch.setattr(store, "_all", partial(SQLBase._all, store))
    assert fast == list(store.iter_rows(visibility, filters, order, chunk=7))
    assert fast, "each filter matches some entries"
    assert len(fast) == store.count(visibility, filters)
