from __future__ import annotations

from datetime import UTC, datetime, timedelta

from activitylog.client import ActivityLog
from activitylog.followers import Following, status

from ._support import Recorder


def _at(minutes_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


def test_status_shows_position_entries_behind_and_the_age_of_the_oldest_unhandled(
    log: ActivityLog,
) -> None:
    log.record_many(
        [
            {"workspace": "acme", "action": "contact.updated", "occurred_at": _at(m)}
            for m in (10, 5, 1)
        ]
    )
    follower = Recorder()
    before = status(log, [follower])[0]
    assert not before.started
    assert before.behind == 3
    assert 9 * 60 < before.delay_s < 11 * 60  # the oldest entry not handled: 10 minutes
    Following(log, batch=1).step(follower)
    after = status(log, [follower])[0]
    assert after.started
    [acme] = after.workspaces
    assert (acme.position, acme.head, acme.behind) == (1, 3, 2)
    assert 4 * 60 < acme.delay_s < 6 * 60
    Following(log).catch_up([follower])
    caught_up = status(log, [follower])[0]
    assert caught_up.behind == 0
    assert caught_up.delay_s == 0.0
    assert caught_up.as_json()["workspaces"] == [
        {
            "workspace": "acme",
            "position": 3,
            "head": 3,
            "behind": 0,
            "delay_seconds": 0.0,
            "last_error": None,
            "error_at": None,
            "retry_at": None,
        }
    ]


def test_status_keeps_the_last_error_and_when_the_next_attempt_is(log: ActivityLog) -> None:
    log.record(workspace="acme", action="contact.updated")
    follower = Recorder(fail_with=TimeoutError("receiver timed out"))
    Following(log).step(follower)
    [state] = status(log, [follower])
    assert state.last_error == "TimeoutError: receiver timed out"
    [acme] = state.workspaces
    assert acme.error_at is not None
    assert acme.retry_at is not None
    assert acme.retry_at > acme.error_at
