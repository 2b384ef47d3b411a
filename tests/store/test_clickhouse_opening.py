"""Opening a ClickHouse log: chdb makes its tables, a server's log must have been made by
``activitylog migrate`` (a cluster's by ``migrate --cluster``), or opening it fails
saying so. No server runs here: the server's decision is taken on a chdb database."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from activitylog.errors import ConfigurationError

pytestmark = pytest.mark.clickhouse


def test_a_server_log_without_its_tables_is_refused_naming_migrate() -> None:
    from activitylog.store.clickhouse.opening import refuse_unmigrated

    with pytest.raises(ConfigurationError) as refused:
        refuse_unmigrated("logs", [])
    message = str(refused.value)
    assert "activitylog migrate`" in message
    assert "migrate --cluster NAME" in message
    assert "events, chain_heads, checkpoints, tombstones" in message
    with pytest.raises(ConfigurationError, match=r"\(tombstones\)"):
        refuse_unmigrated("logs", ["events", "chain_heads", "checkpoints", "other"])


def test_a_server_log_with_its_tables_or_a_clusters_opens() -> None:
    from activitylog.store.clickhouse.opening import refuse_unmigrated
    from activitylog.store.clickhouse.schema import TABLES

    refuse_unmigrated("logs", TABLES)
    refuse_unmigrated("logs", [*TABLES, *(f"{t}_local" for t in TABLES)])


def test_opening_creates_tables_on_chdb_and_none_on_a_server(
    chdb_url: Callable[[], str],
) -> None:
    from activitylog.store.clickhouse.connection import Database, Location
    from activitylog.store.clickhouse.opening import prepare
    from activitylog.store.clickhouse.schema import TABLES, statements

    embedded = Location.parse(chdb_url())
    db = Database(embedded)
    server = dataclasses.replace(embedded, path=None, host="ch.internal", side_db="sqlite://")

    def tables() -> set[str]:
        rows = db.rows(
            "SELECT name FROM system.tables WHERE database = %(d)s", {"d": embedded.database}
        )
        return {str(name) for (name,) in rows}

    with pytest.raises(ConfigurationError, match="activitylog migrate"):
        prepare(db, server)
    assert tables() == set()  # nothing made on the server
    for statement in statements(embedded.database)[:2]:  # a migrate cut short
        db.run(statement)
    with pytest.raises(ConfigurationError, match="chain_heads, checkpoints, tombstones"):
        prepare(db, server)
    prepare(db, embedded)  # chdb makes what is missing
    assert tables() == set(TABLES)
    prepare(db, server)
    db.close()
