"""``activitylog migrate``: create the log's schema, or bring it to this version's."""

from __future__ import annotations

import re

import click

from activitylog.cli.app import CliError, cli, current_settings, open_log
from activitylog.store import migrate as log_migrations
from activitylog.store.engines import engine_for, scheme_of

CLICKHOUSE_SCHEMES = frozenset({"chdb", "clickhouse", "clickhouses"})
_CREATED = re.compile(
    r"CREATE (?:DATABASE|TABLE) IF NOT EXISTS (?P<name>\S+)(?: ON CLUSTER (?P<cluster>\S+))?"
    r"(?:.*?ENGINE = (?P<engine>\w+))?",
    re.DOTALL,
)


@cli.command()
@click.option(
    "--cluster",
    metavar="NAME",
    help="ClickHouse: replicated tables on every node of cluster NAME, Distributed tables"
    " over them.",
)
@click.option("--sql", "show_sql", is_flag=True, help="ClickHouse: print the DDL and run nothing.")
def migrate(cluster: str | None, show_sql: bool) -> None:
    """Create the log's schema, or upgrade it to this version's; prints what it did.

    Opening a log on SQLite, PostgreSQL or chdb does the same, so for them this is for
    running it ahead of the servers, after an upgrade; a ClickHouse server's log (one node
    or a cluster) must be made by this command before it is opened. SQL databases get the log's
    migrations (and the accounts' where they are kept). ClickHouse gets its database and
    tables (CREATE ... IF NOT EXISTS), then its side database the log's migrations. With
    --cluster NAME (ClickHouse only) the tables are ReplicatedMergeTree tables named
    <table>_local on every node of the cluster (ON CLUSTER, Keeper paths by {shard} and
    {replica}) and Distributed tables of the plain names over them, sharded by workspace;
    run it once, before any server opens the log.
    """
    url = current_settings().db
    scheme = scheme_of(url)
    on_clickhouse = scheme in CLICKHOUSE_SCHEMES
    if (cluster is not None or show_sql) and not on_clickhouse:
        raise CliError(f"--cluster and --sql are for ClickHouse URLs, not {scheme}://")
    if on_clickhouse:
        engine_for(scheme).load(scheme)  # the clickhouse extra, or an error naming it
        from activitylog.store.clickhouse.connection import Location
        from activitylog.store.clickhouse.schema import statements

        ddl = statements(Location.parse(url).database, cluster)
        if show_sql:
            click.echo(";\n\n".join(ddl) + ";")
            return
        from activitylog.store.clickhouse.store import create

        for statement in create(url, cluster):
            click.echo(_summary(statement))
    log = open_log()
    log.accounts()
    with log.store.engine.connect() as conn:
        revisions = sorted(log_migrations.current_revisions(conn))
    where = "side database" if on_clickhouse else "schema"
    click.echo(f"log {where} at revision {', '.join(revisions)}")


def _summary(statement: str) -> str:
    """``created (if missing): NAME [ENGINE] [on cluster C]`` for a CREATE statement."""
    found = _CREATED.match(statement)
    if found is None:
        return statement
    line = f"created (if missing): {found['name']}"
    if found["engine"]:
        line += f" {found['engine']}"
    if found["cluster"]:
        line += f" on cluster {found['cluster']}"
    return line
