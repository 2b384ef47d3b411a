"""What opening a ClickHouse log does to its tables.

chdb is one machine: opening a log there creates its tables when they are missing, as the
other engines migrate theirs. A server may be one node of a cluster, whose tables must be
the replicated and Distributed ones ``activitylog migrate --cluster NAME`` makes; tables
a store made on opening would be one node's plain MergeTree tables, which that ``migrate``
then skips (``IF NOT EXISTS``), leaving a log that lives on one node. So opening a log on
a server creates nothing, and refuses one whose tables are missing, naming the command.
"""

from __future__ import annotations

from collections.abc import Iterable

from activitylog.errors import ConfigurationError
from activitylog.store.clickhouse.connection import Database, Location
from activitylog.store.clickhouse.schema import TABLES, statements


def prepare(db: Database, location: Location) -> None:
    """Make the log's tables on chdb; on a server, a ConfigurationError unless they
    exist (made by ``activitylog migrate``)."""
    if location.path is not None:
        for statement in statements(location.database):
            db.run(statement)
        return
    found = db.rows(
        "SELECT name FROM system.tables WHERE database = %(d)s", {"d": location.database}
    )
    refuse_unmigrated(location.database, (str(name) for (name,) in found))


def refuse_unmigrated(database: str, found: Iterable[str]) -> None:
    """A ConfigurationError when a table of the log is not among ``found``, the tables
    of ``database`` on a server."""
    have = set(found)
    missing = [name for name in TABLES if name not in have]
    if missing:
        raise ConfigurationError(
            f"the ClickHouse database {database!r} lacks the log's tables"
            f" ({', '.join(missing)}): create them first with `activitylog migrate`"
            " (one server) or `activitylog migrate --cluster NAME` (a cluster), run once"
            " with the same --db URL"
        )
