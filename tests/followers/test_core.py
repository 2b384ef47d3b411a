from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from activitylog.client import ActivityLog
from activitylog.followers import Following
from activitylog.followers.cursors import CursorMoved, Cursors, retry_delay
from activitylog.store.base import now_us

from ._support import Effects, Recorder


def _record(log: ActivityLog, workspace: str, n: int) -> list[dict[str, Any]]:
    return log.record_many(
        [{"workspace": workspace, "action": "contact.updated", "actor": {"id": "u1"}}] * n
    )


def test_every_entry_is_handed_over_once_in_seq_order_per_workspace(log: ActivityLog) -> None:
    _record(log, "acme", 7)
    _record(log, "beta", 3)
    follower = Recorder()
    following = Following(log, batch=3)
    assert following.catch_up([follower]) == []
    assert [s for w, s, _ in follower.seen if w == "acme"] == list(range(1, 8))
    assert [s for w, s, _ in follower.seen if w == "beta"] == [1, 2, 3]
    _record(log, "acme", 2)
    assert following.step(follower).handled == 2
    assert [s for w, s, _ in follower.seen if w == "acme"][-2:] == [8, 9]
    assert following.step(follower).handled == 0


def test_the_cursor_is_durable_across_instances(log: ActivityLog) -> None:
    _record(log, "acme", 4)
    first = Recorder()
    Following(log).catch_up([first])
    _record(log, "acme", 2)
    again = Recorder()  # a new process: same name, cursors read from the database
    Following(log).catch_up([again])
    assert [s for _, s, _ in again.seen] == [5, 6]


def test_a_new_follower_starting_at_the_end_skips_history_but_not_new_workspaces(
    log: ActivityLog,
) -> None:
    _record(log, "acme", 5)
    follower = Recorder(start="end")
    following = Following(log)
    following.catch_up([follower])
    assert follower.seen == []
    _record(log, "acme", 1)
    _record(log, "newco", 2)
    following.catch_up([follower])
    assert sorted((w, s) for w, s, _ in follower.seen) == [("acme", 6), ("newco", 1), ("newco", 2)]


def test_a_workspace_follower_reads_only_its_workspace(log: ActivityLog) -> None:
    _record(log, "acme", 2)
    _record(log, "beta", 2)
    follower = Recorder(workspace="beta")
    Following(log).catch_up([follower])
    assert {w for w, _, _ in follower.seen} == {"beta"}


def test_a_failing_batch_stays_and_is_retried_after_a_backoff_with_the_same_ids(
    log: ActivityLog,
) -> None:
    ids = [e["id"] for e in _record(log, "acme", 3)]
    follower = Recorder(fail_with=ConnectionError("receiver down"))
    following = Following(log)
    result = following.step(follower)
    assert result.handled == 0
    assert result.failed == (("acme", "ConnectionError: receiver down"),)
    cursor = Cursors(log.store.engine).load("recorder")
    assert cursor is not None
    assert cursor["acme"].seq == 0
    assert cursor["acme"].failures == 1
    assert cursor["acme"].retry_us is not None
    assert cursor["acme"].retry_us > now_us()
    assert following.step(follower).failed == ()  # waiting out the backoff: not tried
    follower.fail_with = None
    assert following.step(follower).handled == 0  # still waiting
    assert following.step(follower, retry_now=True).handled == 3
    assert [i for _, _, i in follower.seen] == ids
    after = Cursors(log.store.engine).load("recorder")
    assert after is not None
    assert after["acme"].failures == 0
    assert after["acme"].last_error is None


def test_backoff_doubles_up_to_five_minutes() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert retry_delay(30) == 300.0


def _effects_table(log: ActivityLog) -> None:
    with log.store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE effects (id VARCHAR(36) PRIMARY KEY)"))


def _effects(log: ActivityLog) -> list[str]:
    with log.store.engine.connect() as conn:
        return sorted(conn.execute(text("SELECT id FROM effects")).scalars())


def test_effects_and_cursor_commit_together_or_not_at_all(log: ActivityLog) -> None:
    _effects_table(log)
    ids = sorted(e["id"] for e in _record(log, "acme", 3))
    crashing = Effects(log.store.engine, fail_after_advance=True)
    following = Following(log)
    assert following.step(crashing).failed  # rolled back: no effects, cursor unmoved
    assert _effects(log) == []
    cursors = Cursors(log.store.engine).load("effects")
    assert cursors is not None
    assert cursors["acme"].seq == 0
    following.step(Effects(log.store.engine), retry_now=True)
    assert _effects(log) == ids
    assert following.step(Effects(log.store.engine), retry_now=True).handled == 0
    assert _effects(log) == ids  # exactly once


def test_a_second_runner_of_the_same_follower_cannot_act_on_the_same_batch(
    log: ActivityLog,
) -> None:
    _effects_table(log)
    _record(log, "acme", 2)
    following = Following(log)
    following.step(Recorder(name="effects"))  # registers the cursor row, moves it to 2
    _record(log, "acme", 2)
    cursors = Cursors(log.store.engine)
    with log.store.engine.begin() as conn, pytest.raises(CursorMoved):
        cursors.advance(conn, "effects", "acme", 4, now_us(), expected=0)


def test_entries_deleted_before_the_follower_came_are_skipped(log: ActivityLog) -> None:
    recorded = _record(log, "acme", 3)
    follower = Recorder()
    log.delete([recorded[1]["id"]], by="owner@acme.io", reason="test")
    Following(log).catch_up([follower])
    seqs = [s for _, s, _ in follower.seen]
    assert 2 not in seqs
    assert seqs[:2] == [1, 3]
    assert follower.seen[-1][1] == 4


def test_catch_up_reports_failures_and_still_catches_up_the_other_workspaces(
    log: ActivityLog,
) -> None:
    _record(log, "acme", 2)
    _record(log, "beta", 2)

    class FailsOnAcme(Recorder):
        def handle(self, batch: Any) -> None:
            if batch.workspace == "acme":
                raise ValueError("bad acme")
            super().handle(batch)

    follower = FailsOnAcme()
    failures = Following(log).catch_up([follower])
    assert failures == [("recorder", "acme", "ValueError: bad acme")]
    assert [(w, s) for w, s, _ in follower.seen] == [("beta", 1), ("beta", 2)]
