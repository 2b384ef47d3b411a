"""Scheduled exports in an S3-compatible bucket (moto's server on loopback, through boto3
as in production): written once, found again by listing, listed by ``archive list``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
from click.testing import CliRunner

from activitylog import ActivityLog
from activitylog.cli import main
from activitylog.scheduled_exports import run_scheduled_exports
from activitylog.schedules import SETTLE, period_of
from activitylog.settings import Settings


def test_exports_to_a_bucket_once(bucket: str, tmp_path: Path) -> None:
    url = f"s3://{bucket}/compliance"
    day0 = period_of("daily", datetime.now(UTC)).start - timedelta(days=3)
    db = f"sqlite:///{tmp_path / 'log.db'}"
    settings = Settings(signing_key=tmp_path / "signing-key.pem", archive=url)
    with ActivityLog(db, settings=settings) as log:
        log.record_many(
            [
                {
                    "workspace": "acme",
                    "action": "contact.updated",
                    "occurred_at": (day0 + timedelta(hours=6 + 24 * n)).isoformat(),
                }
                for n in range(3)
            ]
        )
        log.accounts().change_workspace_settings(
            "acme", {"export_schedule": "daily"}, by="test", now=day0
        )
        now = day0 + timedelta(days=2) + SETTLE
        written = run_scheduled_exports(log, now=now)
        assert [o.rows for o in written] == [1, 1]
        assert run_scheduled_exports(log, now=now) == []  # found again in the bucket
    keys = [item["Key"] for item in boto3.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    labels = [period_of("daily", day0 + timedelta(days=n)).label for n in (0, 1)]
    assert keys == [f"compliance/acme/exports/acme-daily-{label}.csv" for label in labels]
    listed = CliRunner().invoke(main, ["archive", "list", "--archive", url, "--db", db])
    assert listed.exit_code == 0, listed.output
    assert f"acme/exports/acme-daily-{labels[0]}.csv  workspace acme: daily export" in (
        listed.output
    )
    assert listed.output.endswith(f"2 scheduled exports at {url}\n")
