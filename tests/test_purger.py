"""The purger ``serve`` runs: each workspace purged by its retention, on a timer."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from activitylog import ActivityLog
from activitylog.purger import Purger
from activitylog.settings import Settings


def test_the_purger_purges_by_the_platform_retention(tmp_path: Path) -> None:
    settings = Settings(signing_key=tmp_path / "key.pem", checkpoint_every=10, retention_days=30)
    old = (datetime.now(UTC) - timedelta(days=90)).isoformat()
    with ActivityLog(f"sqlite:///{tmp_path / 'log.db'}", settings=settings) as log:
        log.record_many([{"workspace": "acme", "action": "note.created", "occurred_at": old}] * 10)
        log.record(workspace="acme", action="note.created")
        purger = Purger(log, seconds=3600, first=0.0)
        purger.start()
        try:
            for _ in range(200):
                if log.verify().workspaces[0].purged:
                    break
                threading.Event().wait(0.05)
        finally:
            purger.stop()
        report = log.verify()
        assert report.ok, report.breaks
        assert report.workspaces[0].purged == 10
