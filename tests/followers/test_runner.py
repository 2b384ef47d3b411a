from __future__ import annotations

import time

from activitylog.client import ActivityLog
from activitylog.followers import FollowerRunner

from ._support import Recorder


def _until(condition: object, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the runner did not get there"
        time.sleep(0.02)


def test_the_runner_follows_new_entries_in_the_background_and_picks_up_new_followers(
    log: ActivityLog,
) -> None:
    first = Recorder(name="first")
    followers = [first]
    runner = FollowerRunner(log, lambda: list(followers), poll=0.01, refresh=0.05)
    runner.start()
    try:
        log.record_many([{"workspace": "acme", "action": "contact.updated"}] * 5)
        _until(lambda: len(first.seen) == 5)
        second = Recorder(name="second")
        followers.append(second)  # a stream added while serving
        _until(lambda: len(second.seen) == 5)
        followers.remove(first)  # and one removed: its worker stops
        time.sleep(0.2)
        log.record(workspace="acme", action="contact.updated")
        _until(lambda: len(second.seen) == 6)
        assert len(first.seen) == 5
    finally:
        runner.stop()


def test_a_failing_follower_does_not_hold_up_the_others(log: ActivityLog) -> None:
    broken = Recorder(name="broken", fail_with=ConnectionError("down"))
    healthy = Recorder(name="healthy")
    runner = FollowerRunner(log, lambda: [broken, healthy], poll=0.01, refresh=0.05)
    runner.start()
    try:
        log.record_many([{"workspace": "acme", "action": "contact.updated"}] * 3)
        _until(lambda: len(healthy.seen) == 3)
        assert broken.seen == []
    finally:
        runner.stop()
