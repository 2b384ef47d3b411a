"""deploy/clickhouse/: the docker-compose cluster (two shards of two replicas, Keeper) is
consistent with its configuration files, and its DDL is what `activitylog migrate
--cluster logs` runs; the mutations a store sends on a cluster go to the replicated
tables ON CLUSTER. Docker does not run here: the files and statements are checked by
parsing them (test_clickhouse_migrate.py has ClickHouse parse the DDL)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from activitylog import ActivityLog
from activitylog.settings import Settings
from activitylog.store.clickhouse.schema import quote_name, statements

from ._support import ago, eid, event, iso

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "clickhouse"
#: Each server and its shard.
NODES = {"ch-s1r1": "1", "ch-s1r2": "1", "ch-s2r1": "2", "ch-s2r2": "2"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with the test extra")
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return loaded


def test_the_ddl_is_what_migrate_runs() -> None:
    expected = ";\n\n".join(statements("activitylog", "logs")) + ";\n"
    assert (DEPLOY / "ddl.sql").read_text() == expected


def test_every_node_mounts_the_cluster_its_macros_and_the_profile(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert {"keeper", "postgres", *NODES} == set(services)
    for node, shard in NODES.items():
        mounts = dict(v.rsplit(":", 1)[0].split(":", 1) for v in services[node]["volumes"][:3])
        assert set(mounts.values()) == {
            "/etc/clickhouse-server/config.d/cluster.xml",
            "/etc/clickhouse-server/config.d/macros.xml",
            "/etc/clickhouse-server/users.d/profiles.xml",
        }
        for source in mounts:
            assert (DEPLOY / source).is_file(), source
        macros = ET.parse(DEPLOY / f"config/macros-{node.removeprefix('ch-')}.xml").getroot()
        assert macros.findtext("macros/shard") == shard
        assert macros.findtext("macros/replica") == node
        assert services[node]["image"].startswith("clickhouse/clickhouse-server:")


def test_the_cluster_is_two_shards_of_two_replicas_with_keeper(compose: dict[str, Any]) -> None:
    cluster = ET.parse(DEPLOY / "config/cluster.xml").getroot()
    shards = cluster.findall("remote_servers/logs/shard")
    hosts = [[r.findtext("host") for r in shard.findall("replica")] for shard in shards]
    assert hosts == [["ch-s1r1", "ch-s1r2"], ["ch-s2r1", "ch-s2r2"]]
    assert all(shard.findtext("internal_replication") == "true" for shard in shards)
    keeper = ET.parse(DEPLOY / "config/keeper.xml").getroot()
    assert cluster.findtext("zookeeper/node/host") == "keeper" in compose["services"]
    assert cluster.findtext("zookeeper/node/port") == keeper.findtext("keeper_server/tcp_port")
    profile = ET.parse(DEPLOY / "config/profiles.xml").getroot()
    assert profile.findtext("profiles/default/distributed_foreground_insert") == "1"


#: Statements that change stored rows or parts: what a Distributed table does not take.
_MUTATION = re.compile(r"\s*(DELETE|ALTER|OPTIMIZE|TRUNCATE|DROP|UPDATE)\b", re.IGNORECASE)


def test_every_mutation_on_a_cluster_goes_to_the_replicated_tables_on_cluster(
    chdb_url: Callable[[], str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deletion, a purge, a reindex, an unfinished append's removal and an undone
    append, run by a store that believes its tables are Distributed over cluster
    ``logs``: ClickHouse parses each mutation it sends, each names a ``_local`` table ON
    CLUSTER, and none is left for the Distributed table (OPTIMIZE included). chdb then
    runs each on its one server's tables, so the operations complete and verify."""
    from clickhouse_connect.driver.binding import finalize_query

    from activitylog.events import micros
    from activitylog.purging import purge_workspace

    with ActivityLog(chdb_url(), settings=settings) as log:
        log.record_many(
            [event(id=eid(i), occurred_at=f"2025-06-15T12:{i:02d}:00Z") for i in range(1, 21)]
        )
        log.record_many([event(id=eid(100 + i), occurred_at=iso(ago(days=1))) for i in range(3)])
        store: Any = log.store
        db = store.db
        db.run(
            "ALTER TABLE events UPDATE action = 'x.y' WHERE seq = 21 SETTINGS mutations_sync = 2"
        )
        sent: list[str] = []
        run = db.run

        def on_one_server(statement: Any, params: dict[str, Any] | None = None) -> None:
            if isinstance(statement, str) and _MUTATION.match(statement):
                [(formatted,)] = db.rows(
                    "SELECT formatQuery(%(q)s)", {"q": finalize_query(statement, params or {})}
                )
                sent.append(formatted)
                statement = statement.replace(f"_local ON CLUSTER {quote_name('logs')}", "")
            run(statement, params)

        monkeypatch.setattr(db, "run", on_one_server)
        store.cluster = "logs"
        log.delete([eid(3)], by="ava@acme.example", reason="asked")  # a deletion
        assert store.reindex() == 1  # the copies of seq 21, rewritten
        purged = purge_workspace(store, log.catalog, "acme", micros(ago(days=100)))
        assert purged.removed == 19 + 1  # the entries and seq 3's tombstone
        # an append that stopped before its head: its entry past the head is removed
        run(
            "INSERT INTO events SELECT * REPLACE (seq + 1 AS seq, rid + 1 AS rid, 'x' AS id)"
            " FROM (SELECT * FROM events WHERE seq = 25)"  # the purge's record
        )
        store._cleared.clear()
        assert log.record(**event())["seq"] == 26
        [(chained,)] = db.rows("SELECT chain_hash FROM events WHERE seq = 26")
        [(note,)] = db.rows("SELECT note FROM checkpoints FINAL ORDER BY size DESC LIMIT 1")
        # an append whose lease expired: undone, entries and checkpoints (none is kept at
        # 26: the statement is what is looked at)
        store._unsaved = [("acme", 26, chained)]
        store._unsaved_checkpoints = [("acme", 26, note)]
        store._undo_unsaved()
        store.cluster = None
        monkeypatch.undo()
        assert log.verify().first_break is not None  # seq 26 undone: its head stays
        shapes = {re.sub(r"\s*(WHERE|\().*", "", s, flags=re.DOTALL) for s in sent}
        assert shapes == {
            "DELETE FROM events_local ON CLUSTER logs",
            "DELETE FROM tombstones_local ON CLUSTER logs",
            "DELETE FROM checkpoints_local ON CLUSTER logs",
            "ALTER TABLE events_local ON CLUSTER logs",
        }, sent
        assert len(sent) == 9  # deletion, reindex (its deleted rows, then the copies), purge x2,
        # unfinished (its checkpoints, its entries), undo (its checkpoints, its entries)
