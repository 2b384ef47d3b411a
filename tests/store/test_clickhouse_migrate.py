"""``activitylog migrate`` on chdb: the tables, the side database, the cluster's DDL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from activitylog.cli import main
from activitylog.store.migrate import head_revisions

pytestmark = pytest.mark.clickhouse


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    monkeypatch.delenv("ACTIVITYLOG_DB", raising=False)


def test_migrate_creates_the_tables_and_migrates_the_side_database(
    chdb_url: Callable[[], str],
) -> None:
    from activitylog.store.clickhouse.connection import Database, Location
    from activitylog.store.clickhouse.schema import TABLES

    url = chdb_url()
    result = CliRunner().invoke(main, ["--db", url, "migrate"])
    assert result.exit_code == 0, result.output
    database = Location.parse(url).database
    lines = result.output.splitlines()
    assert lines[0] == f"created (if missing): `{database}`"
    assert lines[1] == f"created (if missing): `{database}`.events MergeTree"
    revision = ", ".join(sorted(head_revisions()))
    assert lines[-1] == f"log side database at revision {revision}"
    db = Database(Location.parse(url))
    found = db.rows(
        "SELECT name FROM system.tables WHERE database = %(d)s ORDER BY name", {"d": database}
    )
    assert sorted(name for (name,) in found) == sorted(TABLES)


def test_migrate_prints_the_cluster_ddl_clickhouse_parses(chdb_url: Callable[[], str]) -> None:
    from activitylog.store.clickhouse.connection import Database, Location
    from activitylog.store.clickhouse.schema import statements

    url = chdb_url()
    result = CliRunner().invoke(main, ["--db", url, "migrate", "--cluster", "logs", "--sql"])
    assert result.exit_code == 0, result.output
    database = Location.parse(url).database
    assert result.output == ";\n\n".join(statements(database, "logs")) + ";\n"
    db = Database(Location.parse(url))
    for statement in result.output.rstrip(";\n").split(";\n\n"):
        [(formatted,)] = db.rows("SELECT formatQuery(%(q)s)", {"q": statement})
        assert " ON CLUSTER logs" in formatted
    [(exists,)] = db.rows(
        "SELECT count() FROM system.tables WHERE database = %(d)s", {"d": database}
    )
    assert exists == 0  # --sql ran nothing
