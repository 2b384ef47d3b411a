"""``timers.Every``: runs on its period, survives a failing run, stops."""

from __future__ import annotations

import threading

import pytest

from activitylog.timers import Every


def test_runs_until_stopped_and_survives_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    runs: list[int] = []
    third = threading.Event()

    def task() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("first run fails")
        if len(runs) >= 3:
            third.set()

    timer = Every("test", 0.01, task, first=0.0)
    timer.start()
    assert third.wait(5)
    timer.stop()
    count = len(runs)
    assert timer.stopping
    assert "test failed" in caplog.text
    threading.Event().wait(0.05)
    assert len(runs) == count  # nothing runs after stop


def test_the_first_run_waits_for_first() -> None:
    ran = threading.Event()
    timer = Every("later", 60.0, ran.set, first=60.0)
    timer.start()
    assert not ran.wait(0.05)
    timer.stop()
    timer.run_once()
    assert ran.is_set()
