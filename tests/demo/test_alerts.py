"""The demo runs the alert rules over its story once, so the Alerts page has alerts."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from activitylog import ActivityLog
from activitylog.alerts import Alerts
from activitylog.cli import main
from activitylog.demo import review_alerts
from activitylog.settings import Settings


def test_the_demo_raises_the_alerts_its_story_holds_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    monkeypatch.setenv("ACTIVITYLOG_SECRET_KEY", str(tmp_path / "secret-key"))
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    result = CliRunner().invoke(main, ["demo", "--db", db, "--events", "3000", "--no-serve"])
    assert result.exit_code == 0, result.output
    with ActivityLog(db, settings=Settings.from_env()) as log:
        raised = Alerts(log).list(None, None)
        assert raised, "the seeded story raised no alert"
        assert f"found {len(raised):,} open alerts" in result.output
        assert {a.rule for a in raised} >= {"permission_change", "impersonation"}
        assert review_alerts(log) == 0  # once: the follower has run
        assert len(Alerts(log).list(None, None)) == len(raised)
