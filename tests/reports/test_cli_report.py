"""``activitylog export --format pdf --out FILE``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from activitylog import ActivityLog
from activitylog.cli import main
from activitylog.reports import report as report_module
from activitylog.settings import Settings

from ._pdf import pdf_text

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    monkeypatch.delenv("ACTIVITYLOG_DB", raising=False)
    url = f"sqlite:///{tmp_path / 'log.db'}"
    with ActivityLog(url, settings=Settings.from_env()) as log:
        log.record_many(
            [
                {
                    "workspace": "acme",
                    "action": "contact.updated",
                    "actor": {"id": f"u_{n}", "name": f"User {n}"},
                    "subject": {"type": "contact", "id": f"c_{n}", "name": f"Contact {n}"},
                    "occurred_at": (NOW - timedelta(minutes=n)).isoformat(),
                }
                for n in range(1, 6)
            ]
        )
    return url


def run(db: str, *args: str) -> Result:
    result = CliRunner().invoke(main, ["--db", db, "export", *args])
    assert "Traceback" not in result.output
    return result


def test_export_writes_a_pdf_report(db: str, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    result = run(db, "--format", "pdf", "--out", str(out), "--workspace", "acme")
    assert result.exit_code == 0, result.output
    assert "exported 5 events" in result.output
    text = " ".join(pdf_text(out.read_bytes()).split())
    assert "Activity report: acme" in text
    assert "User 3 updated Contact 3" in text
    assert "the operator (command line)" in text
    assert "Page 1 of" in text


def test_a_pdf_needs_a_file_and_the_limit_exits_2(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(db, "--format", "pdf")
    assert result.exit_code == 2
    assert "--out FILE" in result.output
    monkeypatch.setattr(report_module, "MAX_ENTRIES", 2)
    out = tmp_path / "report.pdf"
    result = run(db, "--format", "pdf", "--out", str(out))
    assert result.exit_code == 2
    assert "at most 2 entries" in result.output
    assert "CSV" in result.output
    assert not out.exists()
