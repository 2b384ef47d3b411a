"""SQLite keeps what the indexer writes in a file of its own: appends never wait for the
indexer, the file is rebuilt when it is lost, and databases from before it had a file of
its own have those tables moved there when they open."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from activitylog import ActivityLog
from activitylog.settings import Settings
from activitylog.store import sqlite_driver
from activitylog.store.sqlite import index_path

from ._support import event, user


def ago(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "activitylog.db"


def connect(path: Path, **options: object) -> Any:
    """A connection through the store's own SQLite library (two libraries in one process
    break each other's file locks)."""
    return sqlite_driver.dbapi.connect(str(path), **options)


def open_log(db: Path, tmp_path: Path) -> ActivityLog:
    settings = Settings(signing_key=tmp_path / "signing-key.pem")
    return ActivityLog(f"sqlite:///{db}", settings=settings)


def record(log: ActivityLog, n: int) -> None:
    log.record_many(
        [
            event(actor=user(f"u_{i % 3}"), occurred_at=ago(minutes=n - i), description=f"n{i}")
            for i in range(n)
        ]
    )


def test_the_index_lives_beside_the_database(db: Path, tmp_path: Path) -> None:
    with open_log(db, tmp_path) as log:
        record(log, 5)
        assert log.count(workspace="acme") == 5
    assert index_path(db) == tmp_path / "activitylog.index.db"
    tables = {row[0] for row in connect(index_path(db)).execute("SELECT name FROM sqlite_master")}
    assert {"events", "events_fts", "derived_heads", "rollup_day"} <= tables
    in_main = {row[0] for row in connect(db).execute("SELECT name FROM sqlite_master")}
    assert {"entries", "chain_heads"} <= in_main
    assert not {"events", "events_fts", "derived_heads", "rollup_day"} & in_main


def test_an_append_does_not_wait_for_the_indexer(db: Path, tmp_path: Path) -> None:
    with open_log(db, tmp_path) as log:
        record(log, 3)
        indexer = connect(index_path(db), isolation_level=None, check_same_thread=False)
        indexer.execute("BEGIN IMMEDIATE")  # the index file's write lock, held
        try:
            done = threading.Event()
            thread = threading.Thread(target=lambda: (record(log, 2), done.set()))
            thread.start()
            assert done.wait(10), "the append waited for the index file's lock"
            thread.join()
        finally:
            indexer.execute("ROLLBACK")
            indexer.close()
        assert log.count(workspace="acme") == 5


def test_a_lost_index_file_is_rebuilt_from_the_bodies(db: Path, tmp_path: Path) -> None:
    with open_log(db, tmp_path) as log:
        record(log, 30)
        before = log.stats(workspace="acme", range="last_30_days").kpis
        assert log.query(workspace="acme", search="n17").total == 1
    for suffix in ("", "-wal", "-shm"):
        Path(f"{index_path(db)}{suffix}").unlink(missing_ok=True)

    with open_log(db, tmp_path) as log:
        assert log.count(workspace="acme") == 30
        assert log.stats(workspace="acme", range="last_30_days").kpis == before
        assert log.query(workspace="acme", search="n17").total == 1
        assert log.verify().ok


def test_tables_built_in_the_database_file_are_moved_to_the_index_file(
    db: Path, tmp_path: Path
) -> None:
    with open_log(db, tmp_path) as log:
        record(log, 12)
        log.store.settle()
    # As migrations built them before the index had a file of its own.
    main = connect(db, isolation_level=None)
    main.execute("ATTACH DATABASE ? AS idx", (str(index_path(db)),))
    names = [
        row[0]
        for row in main.execute(
            "SELECT name FROM idx.sqlite_master"
            " WHERE type = 'table' AND name NOT LIKE 'events_fts%'"
        )
    ]
    for name in names:
        main.execute(f"CREATE TABLE main.{name} AS SELECT * FROM idx.{name}")
    main.execute("DROP TABLE idx.events_fts")
    for name in names:
        main.execute(f"DROP TABLE idx.{name}")
    main.close()

    started = time.monotonic()
    with open_log(db, tmp_path) as log:
        assert time.monotonic() - started < 30
        assert log.count(workspace="acme") == 12
        assert log.query(workspace="acme", search="n7").total == 1
        assert log.verify().ok
    in_main = {row[0] for row in connect(db).execute("SELECT name FROM sqlite_master")}
    assert "events" not in in_main


def _older_index(db: Path, tmp_path: Path, *, marks_at_head: bool) -> ActivityLog:
    """A log of 20 entries whose index file was put back as it was after the first 10
    (``marks_at_head``: with its marks moved to the heads, hiding the last 10)."""
    kept = tmp_path / "older.index.db"
    with open_log(db, tmp_path) as log:
        record(log, 10)
        log.store.settle()
        with log.store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA idx.wal_checkpoint(TRUNCATE)")
        kept.write_bytes(index_path(db).read_bytes())
        record(log, 10)
        log.store.settle()
    for suffix in ("-wal", "-shm"):
        Path(f"{index_path(db)}{suffix}").unlink(missing_ok=True)
    index_path(db).write_bytes(kept.read_bytes())
    if marks_at_head:
        index = connect(index_path(db), isolation_level=None)
        index.execute("UPDATE derived_heads SET seq = 20")
        index.close()
    return open_log(db, tmp_path)


def test_an_older_index_file_is_caught_up_not_trusted(db: Path, tmp_path: Path) -> None:
    with _older_index(db, tmp_path, marks_at_head=False) as log:
        assert log.count(workspace="acme") == 20
        assert log.query(workspace="acme", search="n9").total == 2  # n9 in each batch
        assert log.verify().ok


def test_an_older_index_file_claiming_to_be_current_is_caught(db: Path, tmp_path: Path) -> None:
    with _older_index(db, tmp_path, marks_at_head=True) as log:
        report = log.verify()
        assert not report.ok
        hidden = [b for b in report.breaks if "has no copies" in str(b)]
        assert [b.seq for b in hidden] == list(range(11, 21))
        log.store.reindex()
        assert log.count(workspace="acme") == 20
        assert log.verify().ok
