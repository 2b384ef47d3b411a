"""A full database or disk: an append stores nothing, says so by name (StorageFull), and
once space is freed appends go on and the log verifies. On SQLite and on ClickHouse
(chdb), where an append is several inserts and the disk may fill between them."""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from pathlib import Path

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
