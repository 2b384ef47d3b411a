"""deploy/clickhouse/: the docker-compose cluster (two shards of two replicas, Keeper) is
consistent with its configuration files, and its DDL is what `activitylog migrate
--cluster logs` runs. Docker does not run here: the files are checked by parsing them
(test_clickhouse_migrate.py has ClickHouse parse the DDL)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from activitylog.store.clickhouse.schema import statements

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
