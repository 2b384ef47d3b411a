"""``activitylog migrate`` on the SQL engines (tests/store/test_clickhouse_migrate.py runs
it on chdb)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from activitylog import ActivityLog
from activitylog.cli import main
from activitylog.settings import Settings
from activitylog.store.migrate import head_revisions

#: migrations from the first revision: a new schema on PostgreSQL
pytestmark = pytest.mark.empty_database


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    monkeypatch.delenv("ACTIVITYLOG_DB", raising=False)


def test_migrate_creates_the_schema_and_says_its_revision(db_url: str) -> None:
    for _ in range(2):  # a second run finds it current
        result = CliRunner().invoke(main, ["--db", db_url, "migrate"])
        assert result.exit_code == 0, result.output
        assert result.output == f"log schema at revision {', '.join(sorted(head_revisions()))}\n"
    with ActivityLog(db_url, settings=Settings.from_env()) as log:
        tables = inspect(log.store.engine).get_table_names()
    assert {"entries", "chain_heads", "alembic_version"} <= set(tables)


@pytest.mark.parametrize("flag", [["--cluster", "logs"], ["--sql"]])
def test_the_clickhouse_options_are_refused_on_sql_engines(tmp_path: Path, flag: list[str]) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    result = CliRunner().invoke(main, ["--db", url, "migrate", *flag])
    assert result.exit_code == 2
    assert "for ClickHouse URLs, not sqlite://" in result.output
    assert not (tmp_path / "log.db").exists()
