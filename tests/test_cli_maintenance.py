"""``activitylog reindex``, run with click's CliRunner on every engine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from activitylog import ActivityLog
from activitylog.cli import main
from activitylog.settings import Settings

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: str) -> None:
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", f"{tmp_path}/signing-key.pem")
    monkeypatch.delenv("ACTIVITYLOG_DB", raising=False)


@pytest.fixture
def stored(db_url: str) -> Iterator[ActivityLog]:
    with ActivityLog(db_url, settings=Settings.from_env()) as log:
        log.record_many(
            [
                {
                    "workspace": workspace,
                    "action": "contact.updated",
                    "actor": {"id": f"u_{n % 3}", "name": f"User {n % 3}"},
                    "subject": {"type": "contact", "id": f"c_{n}"},
                    "occurred_at": (NOW - timedelta(hours=n)).isoformat(),
                    "ip": f"203.0.113.{n}",
                }
                for n in range(1, 21)
                for workspace in ("acme", "globex")
            ]
        )
        log.store.settle()  # counted and indexed, as a running indexer would have
        yield log


def run(db_url: str, *args: str) -> Result:
    result = CliRunner().invoke(main, ["--db", db_url, *args])
    assert "Traceback" not in result.output
    return result


def tamper(log: ActivityLog, statement: str) -> None:
    with log.store.engine.begin() as conn:
        conn.execute(text(statement))


def test_reindex_rewrites_what_differs(db_url: str, stored: ActivityLog) -> None:
    tamper(
        stored,
        "UPDATE events SET actor_name = 'Mallory'"
        " WHERE rid = (SELECT rid FROM entries WHERE workspace = 'acme' AND seq = 4)",
    )
    tamper(stored, "UPDATE rollup_day SET n = n + 5 WHERE workspace = 'globex'")
    result = run(db_url, "reindex")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("workspace acme: 20 entries read, 1 rewritten")
    assert lines[1].startswith("workspace globex: 20 entries read, 0 rewritten")
    assert not lines[1].startswith("workspace globex: 20 entries read, 0 rewritten, 0")
    assert lines[-1] == "reindexed 2 workspaces: 1 entries rewritten"
    assert [list(stored.store.derived_breaks(w)) for w in ("acme", "globex")] == [[], []]


def test_reindex_one_workspace(db_url: str, stored: ActivityLog) -> None:
    tamper(
        stored,
        "UPDATE events SET category = 'settings'"
        " WHERE rid IN (SELECT rid FROM entries WHERE seq = 2)",
    )
    result = run(db_url, "reindex", "--workspace", "globex")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "workspace globex: 20 entries read, 1 rewritten, 0 rollup counts set",
        "reindexed 1 workspaces: 1 entries rewritten",
    ]
    assert list(stored.store.derived_breaks("acme")) == [(2, "category differs from content")]


def test_reindex_exits_1_when_an_entry_stays_wrong(db_url: str, stored: ActivityLog) -> None:
    tamper(
        stored,
        "UPDATE entries SET id = '00000000-0000-7000-8000-0000000000ff'"
        " WHERE workspace = 'acme' AND seq = 5",
    )
    result = run(db_url, "reindex", "--workspace", "acme")
    assert result.exit_code == 1
    assert "left as they are (verify reports them): seq 5" in result.output


def test_reindex_of_an_unknown_workspace_is_an_error(db_url: str, stored: ActivityLog) -> None:
    result = run(db_url, "reindex", "--workspace", "nope")
    assert result.exit_code == 2
    assert result.output.startswith("error:")
