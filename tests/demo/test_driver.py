"""The helpdesk demo driver and ``activitylog demo --from-helpdesk``."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from activitylog import ActivityLog
from activitylog.accounts import Accounts
from activitylog.cli import main
from activitylog.demo import DEMO_PASSWORD
from activitylog.demo.driver import SimulatedClock, drive
from activitylog.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(signing_key=tmp_path / "signing-key.pem", secret_key=tmp_path / "secret")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    monkeypatch.setenv("ACTIVITYLOG_SECRET_KEY", str(tmp_path / "secret-key"))


def test_a_small_run_fills_a_verifiable_log_from_the_app(
    tmp_path: Path, settings: Settings
) -> None:
    url = f"sqlite:///{tmp_path / 'helpdesk.db'}"
    report = drive(url, settings, events=400, days=4, password=DEMO_PASSWORD)
    assert 200 <= report.events <= 800
    assert not [status for status in report.requests if status >= 500]
    with ActivityLog(url, settings=settings) as log:
        assert log.total_events() == report.events
        verified = log.verify()
        assert [w.workspace for w in verified.workspaces] == ["acme", "globex", "initech"]
        assert all(w.broken is None for w in verified.workspaces)
        events = list(log.export(order="time"))
    actions = Counter(e["action"] for e in events)
    for action in (
        "auth.signed_in",
        "auth.sign_in_failed",
        "contact.created",
        "conversation.created",
        "conversation.assigned",
        "conversation.resolved",
        "conversation.replied",
        "team.created",
        "team.updated",
        "webhook.created",
        "member.created",
    ):
        assert actions[action] > 0, action
    # Spread over the days simulated, never in the future, from many places and browsers.
    times = [datetime.fromisoformat(e["occurred_at"]) for e in events]
    assert max(times) - min(times) > timedelta(days=3)
    assert report.start is not None
    assert report.end is not None
    assert report.start <= min(times)
    assert max(times) <= report.end
    assert len({e["ip"] for e in events if e["ip"]}) > 10
    assert len({e["user_agent"] for e in events if e["user_agent"]}) > 3
    # Requests by people carry their session; the System's (jobs, inbound email) do not.
    by_people = [
        e for e in events if e["actor"]["type"] == "user" and e["verb"] != "sign_in_failed"
    ]
    assert all(e["session_id"] and e["request_id"] for e in by_people)
    # Within a workspace, time follows the chain.
    for workspace in ("acme", "globex", "initech"):
        chain = [e for e in events if e["workspace"] == workspace]
        assert [e["seq"] for e in chain] == list(range(1, len(chain) + 1))


def test_the_simulated_clock_ticks_within_a_step() -> None:
    start = datetime(2026, 3, 2, 9, 0)
    clock = SimulatedClock(start)
    first, second = clock.now(), clock.now()
    assert start < first < second < start + timedelta(milliseconds=1)
    clock.set(start + timedelta(hours=1))
    assert clock.naive() == (start + timedelta(hours=1, microseconds=1)).replace(tzinfo=None)


def test_demo_from_helpdesk_runs_once_and_prints_the_sign_ins(tmp_path: Path, env: None) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ["demo", "--db", db, "--from-helpdesk", "--events", "150", "--days", "2", "--no-serve"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "events from 2 days of helpdesk use" in first.output
    for role in ("owner", "admin", "member", "viewer", "platform_admin"):
        assert role in first.output
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert "using the events already" in again.output
    with ActivityLog(db) as log:
        owner = Accounts(log.store.engine).authenticate("ava.thompson@acme.example", DEMO_PASSWORD)
        assert owner.memberships == {"acme": "owner"}


def test_demo_from_helpdesk_refuses_a_log_with_other_events(tmp_path: Path, env: None) -> None:
    db = f"sqlite:///{tmp_path / 'seeded.db'}"
    seeded = CliRunner().invoke(main, ["demo", "--db", db, "--events", "50", "--no-serve"])
    assert seeded.exit_code == 0, seeded.output
    refused = CliRunner().invoke(main, ["demo", "--db", db, "--from-helpdesk", "--no-serve"])
    assert refused.exit_code == 2
    assert "did not come from the helpdesk" in refused.output
