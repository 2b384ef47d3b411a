"""Leases keep one writer per workspace among processes writing one ClickHouse log: two
writers (each with its own lock, as two processes have) appending to one workspace keep
its chain sequential, and a writer whose lease expired undoes its append."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from activitylog import ActivityLog
from activitylog.errors import IntegrityError
from activitylog.settings import Settings

from ._clickhouse import two_writers
from ._support import event

pytestmark = pytest.mark.clickhouse


@pytest.fixture
def writers(chdb_url: Callable[[], str], settings: Settings) -> Iterator[list[ActivityLog]]:
    """Two logs on one database, each its own writer (lock and leases)."""
    with two_writers(chdb_url(), settings) as logs:
        yield logs


def test_a_lease_is_one_writers_until_let_go_or_expired(tmp_path: Path) -> None:
    from activitylog.store.clickhouse.leases import Leases, create

    engine = create_engine(f"sqlite:///{tmp_path / 'side.db'}")
    create(engine)
    first, second = Leases(engine, seconds=0.2), Leases(engine, wait=0.05)
    with first.held(["acme", "globex"]):
        with pytest.raises(IntegrityError, match="another writer"), second.held(["globex"]):
            pass
        with second.held(["initech"]):  # another workspace is free
            pass
    with second.held(["globex"]):  # let go
        pass
    with first.held(["acme"]):
        time.sleep(0.3)  # expired: taken by another
        with second.held(["acme"]):
            with pytest.raises(IntegrityError, match="expired"):
                first.confirm(["acme"])
            second.confirm(["acme"])


def test_two_writers_keep_one_workspace_sequential(writers: list[ActivityLog]) -> None:
    def append(log: ActivityLog, who: int) -> None:
        for n in range(8):
            log.record_many([event(description=f"{who}-{n}-{i}") for i in range(5)])

    threads = [threading.Thread(target=append, args=(log, i)) for i, log in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db = writers[0].store.db  # type: ignore[attr-defined]
    [(count, distinct, top)] = db.rows("SELECT count(), uniqExact(seq), max(seq) FROM events")
    assert count == distinct == top == 80
    report = writers[1].verify()
    assert report.ok, report.breaks


def test_a_writer_whose_lease_expired_undoes_its_append(
    writers: list[ActivityLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    slow, fast = writers
    slow.record(**event())
    store: Any = slow.store
    store.leases.seconds = 0.2
    append_fresh = store._append_fresh
    written_slowly, fast_done = threading.Event(), threading.Event()

    def paused(*args: Any, **kwargs: Any) -> Any:
        written = append_fresh(*args, **kwargs)
        written_slowly.set()
        # past the lease: the other writer waits for it to expire and takes the workspace
        assert fast_done.wait(30)
        return written

    monkeypatch.setattr(store, "_append_fresh", paused)
    failed: list[BaseException] = []

    def append_slowly() -> None:
        try:
            slow.record_many([event(description="slow") for _ in range(3)])
        except IntegrityError as exc:
            failed.append(exc)

    thread = threading.Thread(target=append_slowly)
    thread.start()
    assert written_slowly.wait(30)
    assert fast.record(**event(description="fast"))["seq"] == 2
    fast_done.set()
    thread.join()
    assert len(failed) == 1
    assert "expired" in str(failed[0])
    assert [e["description"] for e in fast.export(order="time")] == [None, "fast"]
    report = fast.verify()
    assert report.ok, report.breaks
