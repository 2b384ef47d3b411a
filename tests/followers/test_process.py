"""The followers and the indexer in a child process: started, watched, started again, stopped."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from activitylog import ActivityLog
from activitylog.followers import FollowerProcess
from activitylog.followers.process import describe_exit
from activitylog.settings import Settings

from ._support import positions, wait_until_followed

EVENT = {"workspace": "acme", "action": "contact.updated"}


def test_exit_codes_are_said_in_words() -> None:
    assert describe_exit(None) == "is still running"
    assert describe_exit(0) == "exited with code 0"
    assert describe_exit(1) == "exited with code 1"
    assert describe_exit(-signal.SIGKILL) == "was killed by SIGKILL"
    assert describe_exit(-200) == "was killed by signal 200"


@pytest.mark.parametrize("backoff", [(), (1.0, -1.0)])
def test_a_backoff_without_pauses_or_with_a_negative_one_is_refused(
    settings: Settings, backoff: tuple[float, ...]
) -> None:
    with pytest.raises(ValueError, match="backoff must be one or more pauses"):
        FollowerProcess(settings, backoff=backoff)


def test_stop_before_start_does_nothing(settings: Settings) -> None:
    child = FollowerProcess(settings)
    child.stop()
    assert (child.pid, child.exitcode) == (None, None)


@pytest.mark.slow
def test_the_child_indexes_and_follows_and_is_started_again_when_killed(
    db_url: str, settings: Settings
) -> None:
    settings = settings.replace(db=db_url, followers=True)
    with ActivityLog(db_url, settings=settings) as log:
        log.record_many([EVENT] * 5)
        assert positions(log) == (5, 0, 0)  # no indexer and no follower in this process
        child = FollowerProcess(settings, backoff=(0.1,))
        child.start()
        try:
            first = child.pid
            assert first is not None
            assert first != os.getpid()
            wait_until_followed(log, 5)
            with pytest.raises(RuntimeError, match="activitylog follow was started already"):
                child.start()

            os.kill(first, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while child.restarts == 0:
                assert time.monotonic() < deadline, "the child was not started again"
                time.sleep(0.05)
            assert child.pid not in (None, first)
            log.record_many([EVENT] * 3)
            wait_until_followed(log, 8)
        finally:
            child.stop()
    assert child.restarts == 1
    assert child.exitcode == 0  # stopped by SIGTERM, its batches finished
    last = child.pid
    assert last is not None
    with pytest.raises(ProcessLookupError):  # and reaped
        os.kill(last, 0)


@pytest.mark.slow
def test_a_child_stopped_on_purpose_is_not_started_again(
    settings: Settings, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'activitylog.db'}"
    settings = settings.replace(db=db, followers=True)
    with ActivityLog(db, settings=settings) as log:
        log.record(**EVENT)
        child = FollowerProcess(settings, backoff=(0.1,))
        child.start()
        try:
            wait_until_followed(log, 1)  # running: SIGTERM lets its batches finish
            pid = child.pid
            assert pid is not None
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while child.exitcode is None:
                assert time.monotonic() < deadline, "the child did not stop on SIGTERM"
                time.sleep(0.05)
            time.sleep(1.0)  # the watchdog looks every 0.5 s and would wait 0.1 s
            assert (child.exitcode, child.restarts, child.pid) == (0, 0, pid)
        finally:
            child.stop()
