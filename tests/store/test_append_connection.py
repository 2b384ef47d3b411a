"""SQLite appends run on a connection the store keeps open for them (no pool checkout per
append), and a failed append gives it up for a new one (the rolled-back driver connection
may come back from the pool)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from activitylog import ActivityLog, Conflict
from activitylog.settings import Settings

from ._support import event


@pytest.fixture
def sqlite_log(tmp_path: Path, settings: Settings) -> ActivityLog:
    return ActivityLog(f"sqlite:///{tmp_path / 'log.db'}", settings=settings)


def _driver_of(log: ActivityLog) -> object:
    kept = log.store._appender  # type: ignore[attr-defined]
    assert kept is not None
    return kept.connection.driver_connection


def test_appends_share_one_kept_connection(sqlite_log: ActivityLog) -> None:
    with sqlite_log as log:
        log.record(**event())
        first = _driver_of(log)
        log.record_many([event(), event(workspace="globex")])
        assert _driver_of(log) is first
        assert log.store.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    assert log.store._appender is None  # type: ignore[attr-defined]
    assert log.store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_failed_append_leaves_its_connection_for_a_fresh_one(sqlite_log: ActivityLog) -> None:
    with sqlite_log as log:
        stored = log.record(**event(description="first"))
        before = log.store._appender  # type: ignore[attr-defined]
        with pytest.raises(Conflict):
            log.record(**event(id=stored["id"], description="other content"))
        assert log.store._appender is None  # type: ignore[attr-defined]
        assert log.record(**event())["seq"] == 2
        assert log.store._appender not in (None, before)  # type: ignore[attr-defined]
        assert log.verify().ok


def test_appends_from_threads_at_once_all_land(sqlite_log: ActivityLog) -> None:
    """While one thread appends on the kept connection, the others use pooled ones."""
    with sqlite_log as log:
        errors: list[BaseException] = []

        def append(i: int) -> None:
            try:
                for _ in range(10):
                    log.record_many([event(description=f"thread {i}") for _ in range(5)])
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=append, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert log.count() == 200
        assert log.verify().ok
