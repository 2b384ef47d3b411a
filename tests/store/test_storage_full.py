"""A full database or disk: an append stores nothing, says so by name (StorageFull), and
once space is freed appends go on and the log verifies. On SQLite and on ClickHouse
(chdb), where an append is several inserts and the disk may fill between them."""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from activitylog import ActivityLog, StorageFull
from activitylog.errors import is_storage_full
from activitylog.settings import Settings

from ._disk import clickhouse_table_full, full_disk
from ._support import event as an_event

_BIG = {"blob": "y" * 8000}  # several pages a body, whatever the compression


@pytest.fixture
def sqlite_log(tmp_path: Path, settings: Settings) -> Iterator[ActivityLog]:
    with ActivityLog(f"sqlite:///{tmp_path / 'log.db'}", settings=settings) as log:
        yield log


def test_an_append_on_a_full_disk_stores_nothing_and_says_why(sqlite_log: ActivityLog) -> None:
    log = sqlite_log
    log.record_many([an_event(details=_BIG) for _ in range(3)])
    with full_disk(log):
        with pytest.raises(StorageFull, match="full: nothing of this batch was stored") as caught:
            log.record_many([an_event(details=_BIG, description=f"#{i}") for i in range(40)])
        assert caught.value.status == 507
        assert log.count() == 3
    stored = log.record_many([an_event(details=_BIG) for _ in range(40)])
    assert [e["seq"] for e in stored] == list(range(4, 44))
    assert log.verify().ok


@pytest.fixture
def chdb_log(chdb_url: Callable[[], str], settings: Settings) -> Iterator[ActivityLog]:
    with ActivityLog(chdb_url(), settings=settings) as log:
        yield log


@pytest.mark.clickhouse
@pytest.mark.parametrize("table", ["events", "checkpoints", "chain_heads"])
def test_an_append_on_a_full_clickhouse_disk_stores_nothing(
    chdb_log: ActivityLog, table: str
) -> None:
    """The disk full at the entries' insert, or after it (at the checkpoints' or the
    heads'): nothing of the batch is read or verified, at once, not only after the next
    append has cleared it away."""
    log = chdb_log
    log.record_many([an_event(description=f"#{i}") for i in range(3)])
    checkpoints = log.store.kept_checkpoints("acme")
    with clickhouse_table_full(log, table):
        with pytest.raises(StorageFull, match="full: nothing of this batch was stored") as caught:
            log.record_many([an_event(description=f"#{i}") for i in range(3, 15)])  # 10 kept
        assert caught.value.status == 507
        assert log.count() == 3
        assert log.query(workspace="acme").total == 3
        assert log.store.kept_checkpoints("acme") == checkpoints
        assert log.verify().ok
    stored = log.record_many([an_event(description=f"#{i}") for i in range(12)])
    assert [e["seq"] for e in stored] == list(range(4, 16))
    assert [size for size, _ in log.store.kept_checkpoints("acme")] == [10]
    assert log.verify().ok


@pytest.mark.clickhouse
def test_a_batch_refused_on_clickhouse_is_stored_when_appended_again(chdb_log: ActivityLog) -> None:
    """The same batch again, from the outbox (the entries exactly as before, the same
    chain hashes): stored, not taken for a retry of the insert undone."""
    log, store = chdb_log, chdb_log.store
    with store.engine.begin() as conn:  # type: ignore[attr-defined]
        log.record_many([an_event(description=f"#{i}") for i in range(3)], connection=conn)
    with clickhouse_table_full(log, "chain_heads"):
        assert store.settle() == 0  # type: ignore[attr-defined]  # refused, kept
        assert log.count() == 0
    assert store.settle() == 3  # type: ignore[attr-defined]
    assert log.count() == 3
    assert log.verify().ok


@pytest.mark.clickhouse
def test_an_undo_refused_too_is_finished_when_the_log_is_opened(
    chdb_log: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk full at the heads, and removing what the append inserted refused as well:
    the workspace stays named beside the log, and opening it next removes the entries."""
    log, store = chdb_log, chdb_log.store
    db: Any = store.db  # type: ignore[attr-defined]
    log.record_many([an_event() for _ in range(3)])
    run = db.run

    def refusing_deletes(statement: Any, params: Any = None) -> None:
        if str(statement).startswith("DELETE"):
            raise OSError(errno.ENOSPC, "No space left on device")
        run(statement, params)

    with clickhouse_table_full(log, "chain_heads"):
        monkeypatch.setattr(db, "run", refusing_deletes)
        with pytest.raises(StorageFull):
            log.record_many([an_event() for _ in range(4)])
        monkeypatch.setattr(db, "run", run)
    assert log.count() == 7  # left: readers see them until they are removed
    assert store.in_flight.left() == ["acme"]  # type: ignore[attr-defined]
    store.recover()  # type: ignore[attr-defined]  # what opening the log does
    assert log.count() == 3
    assert store.in_flight.left() == []  # type: ignore[attr-defined]
    assert log.verify().ok


@pytest.mark.clickhouse
def test_a_head_stored_though_its_insert_failed_keeps_its_entries(
    chdb_log: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that stores the heads and then loses the reply: the append fails, but
    its head stands, so the entries it covers are not removed (verify would report
    them missing under a signed head)."""
    log, store = chdb_log, chdb_log.store
    db: Any = store.db  # type: ignore[attr-defined]
    log.record_many([an_event() for _ in range(3)])
    insert = db.insert

    def reply_lost(table: str, *args: Any, **options: Any) -> None:
        insert(table, *args, **options)
        if table == "chain_heads":
            raise ConnectionResetError("the server went away before its reply")

    monkeypatch.setattr(db, "insert", reply_lost)
    with pytest.raises(ConnectionResetError):
        log.record_many([an_event() for _ in range(4)])
    monkeypatch.setattr(db, "insert", insert)
    assert log.count() == 7
    assert log.verify().ok
    assert log.record(**an_event())["seq"] == 8


@pytest.mark.clickhouse
def test_a_deletion_cut_short_by_a_full_disk_is_finished_by_deleting_again(
    chdb_log: ActivityLog,
) -> None:
    """On ClickHouse a deletion is several statements: refused at its records, after its
    tombstones, it says so (StorageFull) and verify reports the deletion unrecorded;
    the same deletion again writes the records, with the time the tombstones hold."""
    log = chdb_log
    stored = log.record_many([an_event(description=f"#{i}") for i in range(5)])
    ids = [stored[1]["id"], stored[2]["id"]]
    with (
        clickhouse_table_full(log, "chain_heads"),
        pytest.raises(StorageFull, match="delete the same ids again"),
    ):
        log.delete(ids, by="ava@acme.example", reason="asked")
    assert {b.kind for b in log.verify().breaks} == {"unaccounted_deletion"}
    assert log.delete(ids, by="ava@acme.example", reason="asked") == ids
    report = log.verify()
    assert report.ok, [str(b) for b in report.breaks]
    assert log.delete(ids, by="ava@acme.example", reason="asked") == []  # nothing left to do


def test_the_errors_a_full_disk_gives_are_recognised() -> None:
    assert is_storage_full(OSError(errno.ENOSPC, "No space left on device"))
    assert not is_storage_full(OSError(errno.EACCES, "Permission denied"))
    assert is_storage_full(psycopg.errors.DiskFull("could not extend file"))
    assert not is_storage_full(psycopg.errors.UniqueViolation("duplicate key"))
    assert not is_storage_full(ValueError("database is locked"))


@pytest.mark.clickhouse
def test_the_errors_clickhouse_gives_on_a_full_disk_are_recognised(chdb_directory: Path) -> None:
    from clickhouse_connect.driver.exceptions import DatabaseError  # the clickhouse extra's

    assert is_storage_full(
        DatabaseError(
            "Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space."
            " (NOT_ENOUGH_SPACE)"
        )
    )
    assert is_storage_full(
        DatabaseError(
            "Code: 74. DB::ErrnoException: Cannot write to file (errno: 28, strerror: No space"
            " left on device). (CANNOT_WRITE_TO_FILE_DESCRIPTOR)"
        )
    )
    assert not is_storage_full(
        DatabaseError(
            "Code: 60. DB::Exception: Unknown table expression identifier 'events'. (UNKNOWN_TABLE)"
        )
    )
