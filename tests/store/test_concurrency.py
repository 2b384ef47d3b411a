"""Concurrent appends: many processes on one workspace, and races the store must absorb."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from activitylog import ActivityLog
from activitylog.settings import Settings

from ._support import ago, eid, sql, user
from ._workers import append_events

WORKERS = 4
PER_WORKER = 2000


@pytest.mark.slow
def test_processes_appending_to_one_workspace(
    log: ActivityLog, db_url: str, settings: Settings
) -> None:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    processes = [
        ctx.Process(
            target=append_events,
            args=(db_url, str(settings.signing_key), w, PER_WORKER, 100, start, results),
            daemon=True,
        )
        for w in range(WORKERS)
    ]
    for process in processes:
        process.start()
    try:
        reported = dict(results.get(timeout=300) for _ in processes)
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.terminate()
                process.join()
    assert [p.exitcode for p in processes] == [0] * WORKERS, reported

    total = WORKERS * PER_WORKER
    for worker, seqs in reported.items():
        assert isinstance(seqs, list), seqs
        assert len(seqs) == PER_WORKER
        assert seqs == sorted(seqs), f"worker {worker} saw its own events out of order"
    every = sorted(s for seqs in reported.values() for s in seqs)
    assert every == list(range(1, total + 1))
    stored = [
        r["seq"]
        for r in sql(
            log,
            "SELECT b.seq FROM events AS e JOIN entries AS b ON b.rid = e.rid"
            " WHERE e.workspace = 'shared' ORDER BY b.seq",
        )
    ]
    assert stored == list(range(1, total + 1))
    assert log.store.head("shared").seq == total  # type: ignore[union-attr]
    assert log.count() == total
    for worker in range(WORKERS):
        assert log.count(users=[f"u_{worker}"]) == PER_WORKER
    report = log.verify()
    assert report.ok, report.first_break
    assert report.entries == total
    assert report.workspaces[0].checkpoints >= total // 100 // WORKERS


def test_threads_appending_to_one_workspace(log: ActivityLog) -> None:
    def work(n: int) -> list[int]:
        seqs = []
        for i in range(20):
            if i % 4:
                seqs.append(
                    log.record(workspace="shared", action="note.created", actor=user(f"u_{n}"))[
                        "seq"
                    ]
                )
            else:
                batch = [
                    {"workspace": "shared", "action": "note.created", "actor": user(f"u_{n}")}
                ] * 5
                seqs += [e["seq"] for e in log.record_many(batch)]
        return seqs

    with ThreadPoolExecutor(6) as pool:
        per_thread = list(pool.map(work, range(6)))

    assert all(seqs == sorted(seqs) for seqs in per_thread)
    assert sorted(s for seqs in per_thread for s in seqs) == list(range(1, 6 * 40 + 1))
    assert log.verify().ok
    assert log.store.group_commit.batches == 6 * 20  # type: ignore[attr-defined]


# -- PostgreSQL races, made deterministic by holding row locks from another connection -----
def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def race(postgres_url: str, settings: Settings) -> Iterator[tuple[ActivityLog, ActivityLog, str]]:
    """Two writers on one PostgreSQL log (as two servers are: within one, appends that
    wait are written together), whose connections carry an application_name to watch
    them by."""
    app = f"race_{uuid.uuid4().hex[:10]}"
    url = f"{postgres_url}&application_name={app}"
    with ActivityLog(url, settings=settings) as log, ActivityLog(url, settings=settings) as other:
        yield log, other, app


def wait_for_lock_waits(blocker: psycopg.Connection[Any], app: str, n: int) -> None:
    """Block until ``n`` of the log's connections wait on a lock."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with psycopg.connect(blocker.info.dsn, autocommit=True) as watcher:
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
                " AND wait_event_type = 'Lock'",
                (app,),
            ).fetchone()
        if row is not None and row[0] >= n:
            return
        time.sleep(0.02)
    pytest.fail(f"never saw {n} lock waits")


@pytest.mark.postgres
def test_same_id_recorded_concurrently_is_stored_once(
    race: tuple[ActivityLog, ActivityLog, str], postgres_url: str
) -> None:
    log, other, app = race
    log.record(workspace="acme", action="note.created")  # the chain head exists
    with psycopg.connect(libpq(postgres_url)) as blocker, ThreadPoolExecutor(2) as pool:
        blocker.execute("SELECT seq FROM chain_heads WHERE workspace = 'acme' FOR UPDATE")
        futures = [
            pool.submit(writer.record, id=eid(7), workspace="acme", action="contact.updated")
            for writer in (log, other)
        ]
        wait_for_lock_waits(blocker, app, 2)  # both checked the id before the head lock
        blocker.rollback()
        first, second = (f.result(timeout=30) for f in futures)

    assert first == second
    assert log.count() == 2
    assert log.verify().ok


#: A trigger that holds an insert into workspace ``a`` (its row written, uncommitted)
#: until the advisory lock 4242 is free.
PAUSE_AFTER_INSERT = """
CREATE FUNCTION pause_workspace_a() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.workspace = 'a' THEN PERFORM pg_advisory_xact_lock(4242); END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER pause_workspace_a AFTER INSERT ON entries
    FOR EACH ROW EXECUTE FUNCTION pause_workspace_a();
"""


@pytest.mark.postgres
def test_same_microsecond_in_two_workspaces_concurrently(
    race: tuple[ActivityLog, ActivityLog, str], postgres_url: str
) -> None:
    # Both events want the same row key (same occurred_at, same id tail "123"), one per
    # workspace, so they take different chain-head locks and run side by side.
    log, other, app = race
    moment = ago(minutes=5)
    same = {"action": "contact.updated", "actor": user("u_1"), "occurred_at": moment}
    earlier = {**same, "occurred_at": moment - timedelta(seconds=1)}
    log.record(workspace="a", **earlier)
    with psycopg.connect(libpq(postgres_url), autocommit=True) as admin:
        admin.execute(PAUSE_AFTER_INSERT)  # workspace a's inserts wait for lock 4242
    with psycopg.connect(libpq(postgres_url)) as blocker, ThreadPoolExecutor(2) as pool:
        blocker.execute("SELECT pg_advisory_xact_lock(4242)")
        one = pool.submit(log.record, workspace="a", id=eid(0x123), **same)
        wait_for_lock_waits(blocker, app, 1)  # inserted its event, waits in the trigger
        two = pool.submit(other.record, workspace="b", id=eid(0x1123), **same)
        wait_for_lock_waits(blocker, app, 2)  # chose the same row key, waits on the first
        blocker.rollback()
        stored = [one.result(timeout=30), two.result(timeout=30)]

    assert [e["workspace"] for e in stored] == ["a", "b"]
    assert log.count() == 3
    assert log.verify().ok
