"""A subject's history on ClickHouse: the page's rids are taken from the ``by_subject``
projection, and every page (by number, by cursor either way, under each visibility, after a
deletion and a purge) is the one reading the table's rows gives."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy.sql import visitors
from sqlalchemy.sql.selectable import ScalarSelect

from activitylog import ActivityLog
from activitylog.access import Visibility
from activitylog.events import micros
from activitylog.purging import purge_workspace
from activitylog.query import Cursor, Filters, Page, QuerySpec, Sort
from activitylog.settings import Settings

from ._support import ago, eid, event, iso, user

pytestmark = pytest.mark.clickhouse

VISIBILITIES = [
    Visibility("acme", None, "all"),
    Visibility("acme", None, "workspace"),
    Visibility("acme", "u_bo", "workspace"),
    Visibility(None, None, "all"),
]
OLD = 20
SUBJECTS = [
    Filters(subject_type="contact", subject_id="c_1"),
    Filters(subject_id="c_2"),
    Filters(subject_type="conversation", subject_id="cv_0", categories=("contacts",)),
]


def history(first: int, n: int) -> list[dict[str, Any]]:
    """``n`` events 7 minutes apart over a few subjects, two actors, both layers and two
    workspaces; entries of one subject sit far apart among the others. The first 20 are
    of June 2025 (what a purge removes)."""
    out = []
    for i in range(first, first + n):
        kind, prefix = ("contact", "c") if i % 3 else ("conversation", "cv")
        out.append(
            event(
                id=eid(i),
                workspace="acme" if i % 5 else "globex",
                occurred_at=f"2025-06-15T{i:02d}:00:00Z" if i < OLD else iso(ago(minutes=7 * i)),
                actor=user("u_bo", "Bo") if i % 2 else user("u_ana", "Ana"),
                subject={"type": kind, "id": f"{prefix}_{i % 4}", "name": f"{kind} {i % 4}"},
                layer="platform" if i % 11 == 0 else "workspace",
            )
        )
    return out


@pytest.fixture
def chlog(chdb_url: Callable[[], str], settings: Settings) -> Iterator[ActivityLog]:
    with ActivityLog(chdb_url(), settings=settings) as log:
        log.record_many(history(0, OLD))  # first: a purge takes the oldest seqs
        log.record_many(history(OLD, 120))
        yield log


@contextmanager
def from_the_rows(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The store reading a subject's page from the table's rows, as other pages."""
    from activitylog.store.clickhouse import reads

    with monkeypatch.context() as patched:
        patched.setattr(reads, "_by_subject", lambda where: False)
        yield


def walk(log: ActivityLog, vis: Visibility, filters: Filters) -> list[Any]:
    """Every page of ``filters`` by number (10 a page), then by cursor forwards to the end
    and back from there, as (ids, total, cursors) of each."""
    store: Any = log.store
    pages: list[Page] = []
    for number in (1, 2, 3):
        pages.append(store.query(QuerySpec(vis, filters, page=number, per_page=10)))
    spec = QuerySpec(vis, filters, limit=4)
    page = store.query(spec)
    pages.append(page)
    while page.next_cursor is not None:
        page = store.query(
            QuerySpec(vis, filters, limit=4, after=Cursor.decode(page.next_cursor, Sort()))
        )
        pages.append(page)
    if page.prev_cursor is not None:
        back = Cursor.decode(page.prev_cursor, Sort())
        pages.append(store.query(QuerySpec(vis, filters, limit=4, before=back)))
    return [([e["id"] for e in p.items], p.total, p.next_cursor, p.prev_cursor) for p in pages]


def assert_same_as_the_rows(log: ActivityLog, monkeypatch: pytest.MonkeyPatch) -> None:
    for vis in VISIBILITIES:
        for filters in SUBJECTS:
            projected = walk(log, vis, filters)
            with from_the_rows(monkeypatch):
                assert projected == walk(log, vis, filters), (vis, filters)


def test_a_subjects_pages_are_the_rows_pages(
    chlog: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    store: Any = chlog.store
    first = store.query(QuerySpec(VISIBILITIES[0], SUBJECTS[0], per_page=100))
    assert first.total == len(first.items) > 10
    assert {e["subject"]["id"] for e in first.items} == {"c_1"}
    assert_same_as_the_rows(chlog, monkeypatch)


def test_after_a_deletion_and_a_purge(chlog: ActivityLog, monkeypatch: pytest.MonkeyPatch) -> None:
    store: Any = chlog.store
    everyone = VISIBILITIES[3]
    chlog.delete([eid(25), eid(37), eid(41)], by="ava@acme.example", reason="asked")
    assert_same_as_the_rows(chlog, monkeypatch)
    purged = purge_workspace(store, chlog.catalog, "acme", micros(ago(days=100)))
    assert purged.removed > 0
    gone = [eid(i) for i in range(OLD) if i % 5][: purged.removed]  # globex holds every fifth
    assert_same_as_the_rows(chlog, monkeypatch)
    ids = {e["id"] for e in store.query(QuerySpec(everyone, SUBJECTS[0], per_page=100)).items}
    assert ids
    assert ids.isdisjoint({eid(25), eid(37), eid(41), *gone})


def test_the_page_and_its_count_read_the_projection(
    chdb_url: Callable[[], str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ActivityLog(chdb_url(), settings=settings) as log:
        # granules enough that a subject's few rows are worth finding through it
        log.record_many(
            event(
                occurred_at=iso(ago(seconds=9 * i)),
                actor=user("u_bo", "Bo"),
                subject={"type": "contact", "id": f"c_{i % 1000}"},
            )
            for i in range(30_000)
        )
        store: Any = log.store
        db = store.db
        sent: list[tuple[Any, Any]] = []
        rows = db.rows

        def recording(statement: Any, params: Any = None, settings: Any = None) -> Any:
            sent.append((statement, settings))
            return rows(statement, params, settings)

        monkeypatch.setattr(db, "rows", recording)
        page = store.query(QuerySpec(VISIBILITIES[1], Filters(subject_id="c_7"), per_page=10))
        monkeypatch.undo()
        assert page.total == 30
        assert len(page.items) == 10
        [(page_statement, chosen), (count_statement, _)] = sent
        [rids] = [
            e.element for e in visitors.iterate(page_statement) if isinstance(e, ScalarSelect)
        ]
        # ClickHouse refuses a query that does not read the projection named
        forced = {**chosen, "force_optimize_projection_name": "by_subject"}
        assert len(db.rows(rids, None, forced)) == 11
        assert db.rows(count_statement, None, forced) == [(30,)]
