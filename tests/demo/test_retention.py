"""The demo's workspaces keep 90 days of entries: set when the demo starts, recorded as any
settings change, and left alone once an owner chose otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from activitylog import ActivityLog
from activitylog.cli import main
from activitylog.demo import RETENTION_DAYS, ensure_retention
from activitylog.settings import Settings


def test_the_demo_sets_90_days_of_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    monkeypatch.setenv("ACTIVITYLOG_SECRET_KEY", str(tmp_path / "secret-key"))
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    result = CliRunner().invoke(main, ["demo", "--db", db, "--events", "300", "--no-serve"])
    assert result.exit_code == 0, result.output
    with ActivityLog(db, settings=Settings.from_env()) as log:
        accounts = log.accounts()
        for workspace in ("acme", "globex", "initech"):
            assert accounts.workspace_settings(workspace).retention_days == RETENTION_DAYS == 90
        [change] = log.query(workspace="acme", events=["workspace.settings_updated"]).items
        assert change["changes"] == {"retention_days": {"before": None, "after": 90}}
        assert change["actor"]["type"] == "system"


def test_an_owners_choice_is_kept(log: ActivityLog) -> None:
    accounts = log.accounts()
    accounts.change_workspace_settings("globex", {"retention_days": "forever"}, by="u_jonas")
    assert ensure_retention(log) == ["acme", "initech"]
    assert accounts.workspace_settings("globex").retention_days == "forever"
    accounts.change_workspace_settings("acme", {"retention_days": None}, by="u_ava")
    assert ensure_retention(log) == []  # acme's owner chose the platform default
    assert accounts.workspace_settings("acme").retention_days is None
    assert accounts.workspace_settings("initech").retention_days == 90
