"""``verify --jobs``: workspaces checked in several processes make the report one makes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from activitylog import ActivityLog
from activitylog.cli import main
from activitylog.cli.integrity import report_json
from activitylog.errors import ConfigurationError
from activitylog.settings import Settings
from activitylog.verify_jobs import process_verifier

SIZES = {"acme": 40, "beta": 7, "gamma": 15, "delta": 1}


def _fill(log: ActivityLog) -> None:
    ids = {}
    for workspace, n in SIZES.items():
        events = [{"workspace": workspace, "action": "contact.updated"} for _ in range(n)]
        ids[workspace] = [e["id"] for e in log.record_many(events)]
    log.delete([ids["gamma"][2]], by="u_owner", reason="test")
    log.store.settle()


def _tamper(log: ActivityLog, workspace: str, seq: int) -> None:
    with log.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(
            text("UPDATE entries SET body = :body WHERE workspace = :w AND seq = :seq"),
            {"body": b'{"forged":true}', "w": workspace, "seq": seq},
        )


def test_jobs_make_the_same_report(log: ActivityLog) -> None:
    _fill(log)
    alone = log.verify()
    together = log.verify(jobs=3)
    assert alone.ok
    assert report_json(together) == report_json(alone)
    assert [w.workspace for w in together.workspaces] == sorted(SIZES)


def test_jobs_find_the_same_breaks(log: ActivityLog) -> None:
    _fill(log)
    _tamper(log, "beta", 3)
    _tamper(log, "acme", 17)
    alone, together = log.verify(), log.verify(jobs=2)
    assert not together.ok
    assert report_json(together) == report_json(alone)
    assert {(b.workspace, b.seq) for b in together.breaks} >= {("beta", 3), ("acme", 17)}


def test_jobs_report_progress_per_workspace(log: ActivityLog) -> None:
    _fill(log)
    seen: list[int] = []
    log.verify(jobs=2, on_progress=seen.append)
    assert sorted(seen) == sorted(w.entries for w in log.verify().workspaces)


def test_jobs_refuse_an_embedded_clickhouse_log(settings: Settings) -> None:
    with pytest.raises(ConfigurationError, match="jobs"):
        process_verifier(
            "chdb:///tmp/x", settings, jobs=2, public_keys=None, witness_dir=None, copies=True
        )


def test_cli_verify_with_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    monkeypatch.setenv("ACTIVITYLOG_DB", url)
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "key.pem"))
    with ActivityLog(url, settings=Settings.from_env()) as log:
        _fill(log)
    runner = CliRunner()
    ok = runner.invoke(main, ["verify", "--jobs", "2", "--json"])
    assert ok.exit_code == 0, ok.output
    with ActivityLog(url, settings=Settings.from_env()) as log:
        _tamper(log, "gamma", 4)
    broken = runner.invoke(main, ["verify", "--jobs", "2"])
    assert broken.exit_code == 1
    assert "gamma" in broken.output
    assert runner.invoke(main, ["verify", "--jobs", "0"]).exit_code == 2
