"""Scheduled exports from the command line: ``workspace set --export-schedule
--export-format``, ``export-scheduled`` (dry run, JSON, run twice) and ``archive list``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from activitylog import ActivityLog
from activitylog.cli import main
from activitylog.schedules import SETTLE, period_of
from activitylog.settings import Settings

#: The day not yet closed (a day closes SETTLE after its end).
TODAY = period_of("daily", datetime.now(UTC) - SETTLE)
#: The three days before it, oldest first: the days closed since the schedule was set.
DAYS = [period_of("daily", TODAY.start - timedelta(days=n)) for n in (3, 2, 1)]


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    for name in ("DB", "ARCHIVE", "RETENTION_DAYS", "WITNESS_DIR", "CONFIG"):
        monkeypatch.delenv(f"ACTIVITYLOG_{name}", raising=False)


@pytest.fixture
def stored(db_url: str) -> Iterator[ActivityLog]:
    """acme and globex: two entries on each of the last three days; globex exports daily
    since three days ago (set then, as the log's clock had it)."""
    with ActivityLog(db_url, settings=Settings.from_env()) as log:
        for workspace in ("acme", "globex"):
            log.record_many(
                [
                    {
                        "workspace": workspace,
                        "action": "contact.updated",
                        "actor": {"id": "u_1"},
                        "occurred_at": (period.start + timedelta(hours=hour)).isoformat(),
                    }
                    for period in DAYS
                    for hour in (6, 18)
                ]
            )
        log.accounts().change_workspace_settings(
            "globex", {"export_schedule": "daily"}, by="test", now=DAYS[0].start
        )
        yield log


def run(db_url: str, *args: str) -> Result:
    result = CliRunner().invoke(main, [*args, "--db", db_url])
    assert "Traceback" not in result.output, result.output
    return result


def test_workspace_set_schedules_exports_and_records_it(db_url: str, stored: ActivityLog) -> None:
    result = run(
        db_url,
        "workspace",
        "set",
        "acme",
        "--export-schedule",
        "weekly",
        "--export-format",
        "pdf",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    shown = orjson.loads(result.output)
    assert (shown["export_schedule"], shown["export_format"]) == ("weekly", "pdf")
    [change] = stored.query(workspace="acme", events=["workspace.settings_updated"]).items
    assert change["changes"] == {
        "export_schedule": {"before": "off", "after": "weekly"},
        "export_format": {"before": "csv", "after": "pdf"},
    }
    table = run(db_url, "workspace", "show", "acme").output
    assert "export_schedule  weekly" in table
    assert "export_format    pdf" in table
    # the week just set has not closed: nothing is due yet
    assert run(db_url, "export-scheduled", "--workspace", "acme", "--archive", "x").output == (
        "no scheduled export is due\n"
    )


@pytest.mark.parametrize(
    ("flag", "value"), [("--export-schedule", "hourly"), ("--export-format", "xlsx")]
)
def test_bad_values_are_refused_naming_the_flag(
    db_url: str, stored: ActivityLog, flag: str, value: str
) -> None:
    result = run(db_url, "workspace", "set", "acme", flag, value)
    assert result.exit_code == 2
    assert flag in result.output
    assert stored.accounts().workspace_settings("acme").export_schedule == "off"


def test_export_scheduled_writes_each_closed_day_once(
    db_url: str, stored: ActivityLog, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    names = [f"globex/exports/globex-daily-{day.label}.csv" for day in DAYS]
    dry = run(db_url, "export-scheduled", "--dry-run", "--archive", str(archive))
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines() == [
        f"globex: would export daily {day.label} as {name}"
        for day, name in zip(DAYS, names, strict=True)
    ]
    assert not archive.exists()

    done = run(db_url, "export-scheduled", "--archive", str(archive), "--format", "json")
    assert done.exit_code == 0, done.output
    outcomes = orjson.loads(done.output)
    assert [(o["name"], o["rows"], o["format"]) for o in outcomes] == [
        (name, 2, "csv") for name in names
    ]
    for name in names:
        lines = (archive / name).read_text().splitlines()
        assert len(lines) == 3  # the header and the day's two entries
    again = run(db_url, "export-scheduled", "--archive", str(archive))
    assert again.output == "no scheduled export is due\n"
    recorded = stored.query(workspace="globex", events=["activity_log.exported"]).items
    assert sorted(e["details"]["name"] for e in recorded) == names

    listed = run(db_url, "archive", "list", "--archive", str(archive))
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == [
        "0 archives at " + str(archive),
        *(
            f"{name}  workspace globex: daily export of {day.label} (CSV)"
            for day, name in zip(DAYS, names, strict=True)
        ),
        f"3 scheduled exports at {archive}",
    ]
    as_json = orjson.loads(
        run(db_url, "archive", "list", "--archive", str(archive), "--json").output
    )
    assert as_json["archives"] == []
    assert [e["name"] for e in as_json["exports"]] == names
    assert as_json["exports"][0]["period"] == DAYS[0].label
    other = run(db_url, "archive", "list", "--archive", str(archive), "--workspace", "acme")
    assert "scheduled exports" not in other.output


def test_export_scheduled_says_why_nothing_is_written(db_url: str, stored: ActivityLog) -> None:
    result = run(db_url, "export-scheduled")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "globex: nothing exported: no archive location is set (ACTIVITYLOG_ARCHIVE)\n"
    )
    acme = run(db_url, "export-scheduled", "--workspace", "acme", "--archive", "x")
    assert acme.output == "acme: nothing exported: no export schedule\n"


def test_export_scheduled_uses_the_archive_setting(
    db_url: str, stored: ActivityLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIVITYLOG_ARCHIVE", str(tmp_path / "from-env"))
    result = run(db_url, "export-scheduled", "--workspace", "globex")
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 3
    assert "globex: exported daily" in result.output
    assert len(list((tmp_path / "from-env" / "globex" / "exports").iterdir())) == 3
