"""Retention from the command line: ``workspace set --retention-days``, ``workspace hold``
and ``release``, and ``purge`` (dry run, archive, JSON), on every engine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from activitylog import ActivityLog
from activitylog.cli import main
from activitylog.retention import PURGE_ACTION
from activitylog.settings import Settings

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    monkeypatch.setenv("ACTIVITYLOG_CHECKPOINT_EVERY", "10")
    for name in ("DB", "ARCHIVE", "RETENTION_DAYS", "WITNESS_DIR", "CONFIG"):
        monkeypatch.delenv(f"ACTIVITYLOG_{name}", raising=False)


@pytest.fixture
def stored(db_url: str) -> Iterator[ActivityLog]:
    """acme and globex: 25 entries 200 days old, then 5 from yesterday, each."""
    with ActivityLog(db_url, settings=Settings.from_env()) as log:
        for workspace in ("acme", "globex"):
            log.record_many(
                [
                    {
                        "workspace": workspace,
                        "action": "contact.updated",
                        "actor": {"id": "u_1"},
                        "occurred_at": (NOW - timedelta(days=200 if n < 25 else 1)).isoformat(),
                    }
                    for n in range(30)
                ]
            )
        yield log


def run(db_url: str, *args: str) -> Result:
    result = CliRunner().invoke(main, [*args, "--db", db_url])
    assert "Traceback" not in result.output, result.output
    return result


def purges(log: ActivityLog, workspace: str) -> list[dict[str, object]]:
    page = log.query(workspace=workspace, events=[PURGE_ACTION], range="last_24_hours")
    return [e["details"] for e in page.items]


def test_nothing_is_purged_by_default(db_url: str, stored: ActivityLog) -> None:
    result = run(db_url, "purge")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "acme: nothing purged: kept forever",
        "globex: nothing purged: kept forever",
    ]


def test_a_workspace_retention_is_set_recorded_and_purged_by(
    db_url: str, stored: ActivityLog
) -> None:
    result = run(db_url, "workspace", "set", "acme", "--retention-days", "90", "--format", "json")
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.output)["retention_days"] == 90
    change = stored.query(workspace="acme", events=["workspace.settings_updated"]).items[0]
    assert change["changes"]["retention_days"] == {"before": None, "after": 90}

    dry = run(db_url, "purge", "--dry-run")
    assert dry.output.splitlines()[0].startswith("acme: would purge 20 entries (seq 1 to 20)")
    assert stored.verify().workspaces[0].purged == 0

    done = run(db_url, "purge", "--workspace", "acme")
    assert done.exit_code == 0, done.output
    assert done.output.startswith("acme: purged 20 entries (seq 1 to 20)")
    (details,) = purges(stored, "acme")
    assert (details["first_seq"], details["last_seq"], details["count"]) == (1, 20, 20)
    report = stored.verify()
    assert report.ok, report.breaks
    assert {w.workspace: w.purged for w in report.workspaces} == {"acme": 20, "globex": 0}


def test_the_platform_default_and_forever(
    db_url: str, stored: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIVITYLOG_RETENTION_DAYS", "30")
    assert run(db_url, "workspace", "set", "globex", "--retention-days", "forever").exit_code == 0
    result = run(db_url, "purge", "--format", "json")
    outcomes = {o["workspace"]: o for o in orjson.loads(result.output)}
    assert outcomes["acme"]["count"] == 20
    assert outcomes["globex"]["skipped"] == "kept forever"
    assert run(db_url, "workspace", "set", "globex", "--retention-days", "default").exit_code == 0
    assert "globex: purged 20 entries" in run(db_url, "purge").output


def test_a_legal_hold_suspends_purging_until_released(db_url: str, stored: ActivityLog) -> None:
    run(db_url, "workspace", "set", "acme", "--retention-days", "90")
    held = run(db_url, "workspace", "hold", "acme", "--reason", "Litigation 2026-114")
    assert held.exit_code == 0, held.output
    assert "legal_hold       Litigation 2026-114" in held.output
    assert run(db_url, "purge", "--workspace", "acme").output.strip() == (
        "acme: nothing purged: under legal hold: Litigation 2026-114"
    )
    assert run(db_url, "workspace", "release", "acme").exit_code == 0
    assert "acme: purged 20 entries" in run(db_url, "purge", "--workspace", "acme").output
    changes = [
        e["changes"]["legal_hold"]
        for e in stored.query(workspace="acme", events=["workspace.settings_updated"]).items
        if "legal_hold" in e["changes"]
    ]
    assert changes == [
        {"before": "Litigation 2026-114", "after": None},
        {"before": None, "after": "Litigation 2026-114"},
    ]


def test_purging_archives_first(db_url: str, stored: ActivityLog, tmp_path: Path) -> None:
    archive = tmp_path / "archives"
    run(db_url, "workspace", "set", "acme", "--retention-days", "90")
    result = run(db_url, "purge", "--archive", str(archive))
    assert result.exit_code == 0, result.output
    (details,) = purges(stored, "acme")
    named = details["archive"]
    assert isinstance(named, dict)
    assert named["name"] in result.output
    listed = run(db_url, "archive", "list", "--archive", str(archive))
    assert named["name"] in listed.output
    public = tmp_path / "public.pem"
    public.write_text(run(db_url, "signing", "public-key").output)
    checked = run(
        db_url, "archive", "verify", str(archive / str(named["name"])), "--public-key", str(public)
    )
    assert checked.exit_code == 0, checked.output


@pytest.mark.parametrize("value", ["0", "soon", "40000"])
def test_a_bad_retention_is_refused_naming_the_field(
    db_url: str, stored: ActivityLog, value: str
) -> None:
    result = run(db_url, "workspace", "set", "acme", "--retention-days", value)
    assert result.exit_code != 0
    assert "retention_days" in result.output


def test_a_workspace_that_requires_an_archive_is_purged_only_with_one(
    db_url: str, stored: ActivityLog, tmp_path: Path
) -> None:
    run(db_url, "workspace", "set", "acme", "--retention-days", "90", "--require-archive", "yes")
    assert run(db_url, "purge", "--workspace", "acme").output.strip() == (
        "acme: nothing purged: the workspace requires an archive, and no archive location is set"
    )
    result = run(db_url, "purge", "--workspace", "acme", "--archive", str(tmp_path / "a"))
    assert "archived as acme/" in result.output
