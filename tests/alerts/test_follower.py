"""The alerts follower commits alerts, their log entries and its cursor together: a crash
before the commit (or a kill -9 of ``activitylog follow`` at any moment) loses nothing
and raises nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from activitylog import ActivityLog
from activitylog.alerts import engine as alert_engine
from activitylog.alerts.follower import alert_followers
from activitylog.alerts.schema import alerts
from activitylog.followers import registry
from activitylog.settings import Settings

from ._support import alerts_of, entries_with, failed, follow, start_following


def test_registered_and_starting_at_the_end(log: ActivityLog) -> None:
    assert "activitylog.alerts.follower:alert_followers" in registry.SOURCES
    [follower] = alert_followers(log)
    assert (follower.name, follower.workspace, follower.start) == ("alerts", None, "end")
    log.record_many([failed(m) for m in range(5)])  # before the follower ever ran
    start_following(log)
    assert alerts_of(log) == []


def test_a_crash_before_the_commit_leaves_nothing_half_done(
    log: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    start_following(log)
    log.record_many([failed(m) for m in range(6)])
    real = alert_engine.apply

    def crash_after_writing(*args: Any) -> None:
        real(*args)
        raise RuntimeError("killed before the commit")

    monkeypatch.setattr("activitylog.alerts.follower.apply", crash_after_writing)
    failures = follow(log)
    assert [error for _, _, error in failures] == ["RuntimeError: killed before the commit"]
    assert alerts_of(log) == []
    assert entries_with(log, "alert.raised") == []
    monkeypatch.setattr("activitylog.alerts.follower.apply", real)
    assert follow(log) == []
    [alert] = alerts_of(log)
    assert len(alert.event_ids) == 6
    assert len(entries_with(log, "alert.raised")) == 1
    follow(log)  # nothing left to do
    assert len(entries_with(log, "alert.raised")) == 1


@pytest.mark.slow
def test_kill_9_of_the_follower_mid_run_loses_and_repeats_nothing(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ACTIVITYLOG_DB": f"sqlite:///{tmp_path / 'log.db'}",
        "ACTIVITYLOG_SIGNING_KEY": str(tmp_path / "signing-key.pem"),
    }
    command = [sys.executable, "-m", "activitylog", "follow"]
    settings = Settings(db=env["ACTIVITYLOG_DB"], signing_key=tmp_path / "signing-key.pem")
    bursts = 600
    with ActivityLog(settings.db, settings=settings) as log:
        log.record(workspace="acme", action="contact.created")
        subprocess.run([*command, "--once"], env=env, check=True, timeout=120)
        for start in range(0, bursts, 200):
            log.record_many(
                failed(i / 100, email=f"user{i}@example.com", ip=f"10.0.{i // 250}.{i % 250}")
                for i in range(start, start + 200)
                for _ in range(5)
            )
        runner = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while _alert_count(log) == 0 and time.monotonic() < deadline:
                time.sleep(0.005)
        finally:
            runner.send_signal(signal.SIGKILL)
            runner.wait()
        subprocess.run([*command, "--once"], env=env, check=True, timeout=300)
        found = alerts_of(log)
        raised = entries_with(log, "alert.raised")
    assert len(found) == bursts
    assert all(len(alert.event_ids) == 5 for alert in found)
    every_id = [event_id for alert in found for event_id in alert.event_ids]
    assert len(set(every_id)) == bursts * 5
    assert len(raised) == bursts
    assert Counter(e["details"]["alert_id"] for e in raised) == Counter(a.id for a in found)


def _alert_count(log: ActivityLog) -> int:
    with log.store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(alerts)).scalar_one())
