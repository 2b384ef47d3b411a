"""A full database or disk: an append stores nothing, says so by name (StorageFull), and
once space is freed appends go on and the log verifies."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from activitylog import ActivityLog, StorageFull
from activitylog.errors import is_storage_full
from activitylog.settings import Settings

from ._disk import full_disk
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


def test_the_errors_a_full_disk_gives_are_recognised() -> None:
    assert is_storage_full(OSError(errno.ENOSPC, "No space left on device"))
    assert not is_storage_full(OSError(errno.EACCES, "Permission denied"))
    assert is_storage_full(psycopg.errors.DiskFull("could not extend file"))
    assert not is_storage_full(psycopg.errors.UniqueViolation("duplicate key"))
    assert not is_storage_full(ValueError("database is locked"))
