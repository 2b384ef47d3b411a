"""Scheduled exports on every engine: each closed period written once to the archive
location (restarts neither repeat nor skip one), what the files hold, how each is recorded,
and ``serve``'s timer driven by a fake clock."""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from activitylog import ActivityLog
from activitylog.archives import open_location
from activitylog.archives.locations import DirectoryLocation
from activitylog.errors import ConfigurationError
from activitylog.exporter import Exporter
from activitylog.scheduled_exports import ExportName, export_names, run_scheduled_exports
from activitylog.schedules import SETTLE, period_of
from activitylog.settings import Settings
from activitylog.web.app import create_app
from reports._pdf import pdf_text

#: Day 0 of the tests: eight days ago (entries may not be in the future).
DAY0 = period_of("daily", datetime.now(UTC)).start - timedelta(days=8)


def day(n: int, hours: float = 0) -> datetime:
    return DAY0 + timedelta(days=n, hours=hours)


class Clock:
    """A clock moved by hand, for the timer."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return tmp_path / "archive"


@pytest.fixture
def settings(tmp_path: Path, archive: Path) -> Settings:
    return Settings(signing_key=tmp_path / "signing-key.pem", archive=str(archive))


@pytest.fixture
def log(db_url: str, settings: Settings) -> Iterator[ActivityLog]:
    """acme: three entries a day on days 0 to 6 (one in the platform layer, one at
    midnight), globex the same; nothing scheduled yet."""
    with ActivityLog(db_url, settings=settings) as opened:
        for workspace in ("acme", "globex"):
            opened.record_many(
                [
                    {
                        "workspace": workspace,
                        "action": "contact.updated",
                        "actor": {"id": "u_1", "name": "Ava"},
                        "layer": "platform" if hour == 12 else "workspace",
                        "occurred_at": day(n, hour).isoformat(),
                        "subject": {"type": "contact", "id": f"c_{n}_{hour}"},
                    }
                    for n in range(7)
                    for hour in (0, 12, 23.99)
                ]
            )
        yield opened


def schedule(log: ActivityLog, at: datetime, workspace: str = "acme", **values: str) -> None:
    log.accounts().change_workspace_settings(workspace, values, by="test", now=at)


def recorded(log: ActivityLog, workspace: str = "acme") -> list[dict[str, Any]]:
    page = log.query(
        workspace=workspace, events=["activity_log.exported"], since="1970-01-01", per_page=100
    )
    return sorted(page.items, key=lambda e: e["details"]["period"])


def csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def entries_of(log: ActivityLog, n: int) -> list[str]:
    """The ids of acme's entries of day ``n``, oldest first, every layer."""
    found = log.export(workspace="acme", since=day(n), until=day(n + 1), order="time")
    return [e["id"] for e in found]


def test_each_closed_day_is_written_once_with_its_entries(log: ActivityLog, archive: Path) -> None:
    schedule(log, day(1, 15), export_schedule="daily")  # set in the afternoon of day 1
    written = run_scheduled_exports(log, now=day(4) + SETTLE)
    names = [w.name for w in written]
    label = [period_of("daily", day(n)).label for n in range(7)]
    assert names == [f"acme/exports/acme-daily-{label[n]}.csv" for n in (1, 2, 3)]
    for n, outcome in zip((1, 2, 3), written, strict=True):
        path = archive / f"acme/exports/acme-daily-{label[n]}.csv"
        rows = csv_rows(path)
        assert [r["id"] for r in rows] == entries_of(log, n)  # the whole day, oldest first
        assert len(rows) == 3
        assert {r["workspace"] for r in rows} == {"acme"}
        assert {r["layer"] for r in rows} == {"workspace", "platform"}  # the operator's view
        assert outcome.rows == 3
        assert outcome.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    # recorded like any export, with the file's hash
    entries = recorded(log)
    assert [e["details"]["period"] for e in entries] == [label[1], label[2], label[3]]
    first = entries[0]
    assert first["actor"]["type"] == "system"
    assert first["subject"] == {
        "type": "activity_log",
        "id": "acme",
        "name": "Activity log of acme",
    }
    assert first["details"] == {
        "format": "csv",
        "filters": {
            "since": day(1).isoformat().replace("+00:00", "Z"),
            "until": day(2).isoformat().replace("+00:00", "Z"),
        },
        "rows": 3,
        "schedule": "daily",
        "period": label[1],
        "name": f"acme/exports/acme-daily-{label[1]}.csv",
        "sha256": written[0].sha256,
    }
    assert "Scheduled daily export" in first["description"]
    # nothing is due again until the next day closes; globex has no schedule
    assert run_scheduled_exports(log, now=day(4, 12)) == []
    assert recorded(log, "globex") == []
    assert not (archive / "globex").exists()


def test_a_restart_neither_repeats_nor_skips_a_period(
    db_url: str, settings: Settings, log: ActivityLog, archive: Path
) -> None:
    schedule(log, day(0, 9), export_schedule="daily")
    clock = Clock(day(2) + SETTLE)
    first = Exporter(log, clock=clock)
    assert [o.period.label for o in first.run() if o.period] == [
        period_of("daily", day(n)).label for n in (0, 1)
    ]
    assert first.run() == []  # the next tick: nothing new
    before = {p: p.stat().st_mtime_ns for p in archive.rglob("*.csv")}
    # the server stops for three days, then starts again in a new process
    with ActivityLog(db_url, settings=settings) as reopened:
        clock.now = day(5, 7)
        again = Exporter(reopened, clock=clock)
        assert [o.period.label for o in again.run() if o.period] == [
            period_of("daily", day(n)).label for n in (2, 3, 4)
        ]
        assert again.run() == []
        periods = [e["details"]["period"] for e in recorded(reopened)]
    assert periods == [period_of("daily", day(n)).label for n in range(5)]  # each once
    assert {p: p.stat().st_mtime_ns for p in before} == before  # earlier files untouched


def test_a_failed_write_is_written_by_the_next_run(
    log: ActivityLog, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule(log, day(0), export_schedule="daily")
    real_put = DirectoryLocation.put
    calls: list[str] = []

    def failing_put(self: DirectoryLocation, name: str, source: Path) -> None:
        calls.append(name)
        if len(calls) == 2:
            raise ConfigurationError(f"archive: cannot write {name} (disk full)")
        real_put(self, name, source)

    monkeypatch.setattr(DirectoryLocation, "put", failing_put)
    clock = Clock(day(3) + SETTLE)
    exporter = Exporter(log, clock=clock)
    with pytest.raises(ConfigurationError, match="disk full"):
        exporter.run()
    assert len(recorded(log)) == 1  # the failed period is not recorded
    assert not any(p.name.endswith(".part") for p in archive.rglob("*"))
    monkeypatch.setattr(DirectoryLocation, "put", real_put)
    assert [o.period.label for o in exporter.run() if o.period] == [
        period_of("daily", day(n)).label for n in (1, 2)
    ]
    assert [e["details"]["period"] for e in recorded(log)] == [
        period_of("daily", day(n)).label for n in (0, 1, 2)
    ]


def test_weekly_and_monthly_exports(log: ActivityLog, archive: Path) -> None:
    schedule(log, day(0), export_schedule="weekly", export_format="json")
    schedule(log, day(0), "globex", export_schedule="monthly")
    now = day(0) + timedelta(days=70)  # a clock far ahead: the entries stay where they are
    written = run_scheduled_exports(log, now=now)
    weeks = [o for o in written if o.workspace == "acme"]
    months = [o for o in written if o.workspace == "globex"]
    assert len(weeks) >= 9
    assert len(months) >= 2
    first_week = period_of("weekly", day(0))
    assert weeks[0].name == f"acme/exports/acme-weekly-{first_week.label}.json"
    exported = orjson.loads((archive / str(weeks[0].name)).read_bytes())
    ids = log.export(workspace="acme", since=first_week.start, until=first_week.end, order="time")
    assert [e["id"] for e in exported] == [e["id"] for e in ids]
    assert exported[0]["workspace"] == "acme"
    month = period_of("monthly", day(0))
    assert months[0].name == f"globex/exports/globex-monthly-{month.label}.csv"
    # every entry in one period (the clock is ahead: the records of the first files are
    # entries of a later period, in it)
    monthly = [r for o in months for r in csv_rows(archive / str(o.name))]
    weekly = [e for o in weeks for e in orjson.loads((archive / str(o.name)).read_bytes())]
    for found in (monthly, weekly):
        updates = [e["id"] for e in found if e["action"] == "contact.updated"]
        assert len(updates) == len(set(updates)) == 21


def test_pdf_reports_and_the_csv_they_give_way_to(
    log: ActivityLog, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule(log, day(0), export_schedule="daily", export_format="pdf")
    [report] = run_scheduled_exports(log, now=day(1) + SETTLE)
    assert report.format == "pdf"
    pdf = (archive / str(report.name)).read_bytes()
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "acme" in text
    assert "the scheduled daily export" in text
    # a period with more entries than a PDF report holds is exported as CSV, and says so
    import activitylog.reports

    monkeypatch.setattr(activitylog.reports, "MAX_ENTRIES", 2)
    [fallback] = run_scheduled_exports(log, now=day(2) + SETTLE)
    assert fallback.format == "csv"
    assert str(fallback.name).endswith(".csv")
    assert len(csv_rows(archive / str(fallback.name))) == 3
    entry = recorded(log)[-1]
    assert entry["details"]["format"] == "csv"
    assert entry["details"]["requested_format"] == "pdf"
    assert "a PDF report holds fewer entries" in entry["description"]


def test_a_period_in_any_format_is_done(log: ActivityLog, archive: Path) -> None:
    schedule(log, day(0), export_schedule="daily")
    run_scheduled_exports(log, now=day(1) + SETTLE)
    schedule(log, day(0, 1), export_format="json")  # the format changes; day 0 stays done
    [later] = run_scheduled_exports(log, now=day(2) + SETTLE)
    assert str(later.name).endswith(".json")
    assert sorted(p.suffix for p in (archive / "acme/exports").iterdir()) == [".csv", ".json"]


def test_the_schedule_counts_from_when_it_was_last_set(log: ActivityLog) -> None:
    schedule(log, day(0), export_schedule="daily")
    schedule(log, day(1, 1), export_schedule="off")
    assert run_scheduled_exports(log, now=day(3)) == []
    schedule(log, day(4, 2), export_schedule="daily")  # days 1 to 3 were not scheduled
    labels = [o.period.label for o in run_scheduled_exports(log, now=day(6) + SETTLE) if o.period]
    assert labels == [period_of("daily", day(n)).label for n in (4, 5)]


def test_dry_runs_and_reasons(log: ActivityLog, archive: Path, tmp_path: Path) -> None:
    schedule(log, day(0), export_schedule="daily")
    due = run_scheduled_exports(log, now=day(2) + SETTLE, dry_run=True)
    assert [(o.name, o.dry_run, o.rows) for o in due] == [
        (f"acme/exports/acme-daily-{period_of('daily', day(n)).label}.csv", True, 0) for n in (0, 1)
    ]
    assert not archive.exists()
    assert recorded(log) == []
    [off] = run_scheduled_exports(log, workspace="globex", now=day(2))
    assert off.skipped == "no export schedule"
    other = tmp_path / "elsewhere"
    written = run_scheduled_exports(log, now=day(1) + SETTLE, archive=str(other))
    assert [o.name for o in written] == [due[0].name]
    assert (other / str(due[0].name)).is_file()


def test_without_an_archive_location_nothing_is_written(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(signing_key=tmp_path / "signing-key.pem")
    with ActivityLog(db_url, settings=settings) as log:
        schedule(log, day(0), export_schedule="daily")
        exporter = Exporter(log, clock=Clock(day(2)))
        [waiting] = exporter.run()
        assert waiting.skipped == "no archive location is set (ACTIVITYLOG_ARCHIVE)"
        exporter.run()
        assert recorded(log) == []
    warnings = [r for r in caplog.records if "wait" in r.getMessage()]
    assert len(warnings) == 1  # said once, not every five minutes


def test_long_workspace_names_are_found_again(log: ActivityLog, archive: Path) -> None:
    long = "Zürich GmbH " * 16  # 192 characters, over 200 once percent-encoded
    log.record(workspace=long, action="contact.updated", occurred_at=day(0, 3).isoformat())
    schedule(log, day(0), long, export_schedule="daily")
    [written] = run_scheduled_exports(log, now=day(1) + SETTLE)
    assert written.rows == 1
    assert "~" in str(written.name)  # the directory and file name end in a hash
    assert run_scheduled_exports(log, now=day(1) + SETTLE) == []
    [listed] = export_names(open_location(str(archive)))
    assert listed.workspace is None
    assert listed.period.label == period_of("daily", day(0)).label


@pytest.mark.parametrize(
    "name",
    [
        "acme/exports/acme-daily-2026-12-05.ndjson",
        "acme/exports/globex-daily-2026-12-05.csv",
        "acme/exports/acme-daily-2026-12-32.csv",
        "acme/exports/acme-hourly-2026-12-05.csv",
        "acme/000000000001-000000000010.ndjson.zst",
    ],
)
def test_other_files_are_not_scheduled_exports(name: str) -> None:
    assert ExportName.parse(name) is None


def test_names_say_what_they_hold() -> None:
    parsed = ExportName.parse("acme%2Feu/exports/acme%2Feu-weekly-2026-W49.pdf")
    assert parsed is not None
    assert parsed.to_dict() == {
        "name": "acme%2Feu/exports/acme%2Feu-weekly-2026-W49.pdf",
        "workspace": "acme/eu",
        "schedule": "weekly",
        "period": "2026-W49",
        "start": "2026-11-30T00:00:00Z",
        "end": "2026-12-07T00:00:00Z",
        "format": "pdf",
    }


def test_serve_runs_the_exporter_while_it_serves(tmp_path: Path) -> None:
    settings = Settings(
        db=f"sqlite:///{tmp_path / 'log.db'}",
        signing_key=tmp_path / "signing-key.pem",
        secret_key=tmp_path / "secret-key",
    )

    def timers() -> set[str]:
        return {t.name for t in threading.enumerate()}

    with TestClient(create_app(settings)):
        assert "activitylog-exporter" in timers()
    assert "activitylog-exporter" not in timers()
