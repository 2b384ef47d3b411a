"""The SQLite library under the store: pysqlite3's recent SQLite where its wheel exists,
else Python's own; purges checkpoint between their slices only where that is safe."""

from __future__ import annotations

import platform
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from activitylog import ActivityLog
from activitylog.events import micros
from activitylog.purging import purge_workspace
from activitylog.settings import Settings
from activitylog.store import purges, sqlite_driver

from ._support import ago, eid, event, iso


def test_where_pysqlite3_ships_a_wheel_the_store_runs_on_an_sqlite_without_the_wal_reset_race() -> (
    None
):
    if sys.platform == "linux" and platform.machine() != "x86_64":
        pytest.skip("pysqlite3 ships no wheel here: the store uses Python's own SQLite")
    assert sqlite_driver.dbapi.__name__ == "pysqlite3.dbapi2"
    assert sqlite_driver.VERSION >= sqlite_driver.WAL_RESET_FIXED
    assert sqlite_driver.BACKGROUND_CHECKPOINTS


@pytest.fixture(params=["bundled", "system"])
def library(request: pytest.FixtureRequest) -> Iterator[str]:
    original = sqlite_driver.dbapi
    if request.param == "system":
        sqlite_driver.use(sqlite3)
    try:
        yield request.param
    finally:
        sqlite_driver.use(original)


def test_a_purge_in_many_slices_verifies_on_either_library(
    library: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(purges, "PURGE_PAUSE", 0.0)
    url = f"sqlite:///{tmp_path / 'log.db'}"
    settings = Settings(signing_key=tmp_path / "key.pem", checkpoint_every=10)
    with ActivityLog(url, settings=settings) as log:
        assert log.store.engine.dialect.dbapi is sqlite_driver.dbapi
        log.record_many(
            [event(id=eid(i), occurred_at=iso(ago(days=200, minutes=-i))) for i in range(1, 301)]
        )
        log.record(**event(id=eid(1000), occurred_at=iso(ago(days=1))))
        slices = []
        between = log.store._between_slices
        monkeypatch.setattr(log.store, "_between_slices", lambda: slices.append(between()))
        outcome = purge_workspace(log.store, log.catalog, "acme", micros(ago(days=100)))
        assert outcome.removed == 300
        assert len(slices) >= 2  # 300 entries go in transactions of at most 100
        report = log.verify()
        assert report.ok, report.breaks
