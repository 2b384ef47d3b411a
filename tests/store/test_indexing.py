"""The indexer that keeps the counts and the search index behind the log: appends leave
them pending, every counting or searching read settles first, each entry is counted once
whoever indexes it, and an interrupted slice leaves nothing half counted."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import text

from activitylog import ActivityLog
from activitylog.followers import FollowerRunner
from activitylog.store import indexing

from ._support import ago, event, user


def sql(log: ActivityLog, statement: str, **params: Any) -> list[Any]:
    """Raw SQL on the log's database, leaving what is pending as it is."""
    with log.store.engine.begin() as conn:
        result = conn.execute(text(statement), params)
        return list(result.mappings()) if result.returns_rows else []


def record(log: ActivityLog, n: int, workspace: str = "acme", **fields: Any) -> None:
    log.record_many(
        [
            event(
                workspace=workspace,
                actor=user(f"u_{i % 4}"),
                occurred_at=ago(minutes=n - i),
                ip=f"203.0.113.{i % 50}",
                **fields,
            )
            for i in range(n)
        ]
    )


def mark(log: ActivityLog, workspace: str = "acme") -> int:
    rows = sql(log, "SELECT seq FROM derived_heads WHERE workspace = :w", w=workspace)
    return int(rows[0]["seq"]) if rows else 0


def counted(log: ActivityLog, workspace: str = "acme") -> int:
    rows = sql(log, "SELECT sum(n) AS n FROM rollup_day WHERE workspace = :w", w=workspace)
    return int(rows[0]["n"] or 0)


def test_an_append_leaves_the_counts_to_the_indexer(log: ActivityLog) -> None:
    record(log, 5)
    assert mark(log) == 0
    assert counted(log) == 0

    assert log.count(workspace="acme") == 5  # a read settles first
    assert mark(log) == 5
    assert counted(log) == 5


def test_a_search_right_after_an_append_finds_it(log: ActivityLog) -> None:
    record(log, 3)
    log.record(**event(subject={"type": "contact", "id": "c_1", "name": "Zebedee Quill"}))
    page = log.query(workspace="acme", search="zebedee")
    assert [e["subject"]["name"] for e in page.items] == ["Zebedee Quill"]
    assert page.total == 1


def test_indexing_again_counts_nothing_twice(log: ActivityLog) -> None:
    record(log, 40)
    assert log.store.index_pending() == 40
    assert log.store.index_pending() == 0
    assert log.store.settle() == 0
    assert counted(log) == 40
    assert list(log.store.derived_breaks("acme")) == []


def test_slices_index_at_most_their_size(log: ActivityLog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indexing, "INDEX_SLICE", 7)
    record(log, 20)
    assert log.store.index_pending(slices=1) == 7
    assert mark(log) == 7
    assert log.store.index_pending(slices=2) == 13
    assert counted(log) == 20


def test_indexers_at_once_count_each_entry_once(log: ActivityLog) -> None:
    for workspace in ("acme", "globex"):
        record(log, 600, workspace=workspace)
    errors: list[BaseException] = []

    def index() -> None:
        try:
            log.store.index_pending()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=index) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert (counted(log, "acme"), counted(log, "globex")) == (600, 600)
    assert mark(log, "acme") == mark(log, "globex") == 600
    assert log.verify().ok


def test_an_interrupted_slice_leaves_nothing_half_counted(
    log: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(log, 10)
    store: Any = log.store
    writes: list[str] = []
    real = store._add_rollups

    def fail(conn: Any, *accumulators: Any) -> None:
        real(conn, *accumulators)  # counted (and searchable), then the process dies
        writes.append("rollups")
        raise RuntimeError("killed")

    monkeypatch.setattr(store, "_add_rollups", fail)
    with pytest.raises(RuntimeError, match="killed"):
        log.store.index_pending()
    monkeypatch.undo()

    assert writes == ["rollups"]
    assert (mark(log), counted(log)) == (0, 0)  # the whole slice rolled back
    assert log.count(workspace="acme") == 10
    assert counted(log) == 10
    assert list(log.store.derived_breaks("acme")) == []
    assert list(log.store.search_index_breaks()) == []


def test_an_entry_deleted_before_it_was_indexed(log: ActivityLog) -> None:
    record(log, 3)
    gone = log.record(**event(occurred_at=ago(minutes=1)))["id"]
    record(log, 2, action="note.created")
    assert mark(log) == 0  # nothing indexed yet
    log.delete([gone], by="u_0", reason="GDPR request 7")

    assert log.count(workspace="acme", events=("contact.updated",)) == 3
    assert list(log.store.derived_breaks("acme")) == []
    assert log.verify().ok


def test_a_mark_moved_back_counts_nothing_twice(log: ActivityLog) -> None:
    record(log, 12)
    log.store.settle()
    sql(log, "UPDATE derived_heads SET seq = 3 WHERE workspace = 'acme'")
    assert log.verify().ok  # entries 4-12 have their copies: indexed again, not counted
    assert (mark(log), counted(log)) == (12, 12)


def test_a_mark_moved_on_is_caught(log: ActivityLog) -> None:
    record(log, 6)
    sql(log, "INSERT INTO derived_heads (workspace, seq) VALUES ('acme', 6)")
    report = log.verify()
    assert not report.ok  # six entries never counted
    assert any("counts" in str(b) for b in report.workspaces[0].breaks)


def test_the_followers_runner_indexes_in_the_background(log: ActivityLog) -> None:
    runner = FollowerRunner(log, followers=lambda: [], poll=0.05)
    runner.start()
    try:
        record(log, 25)
        deadline = time.monotonic() + 20
        while mark(log) < 25 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runner.stop()
    assert mark(log) == 25
    assert counted(log) == 25
