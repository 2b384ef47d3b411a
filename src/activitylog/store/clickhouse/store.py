"""The ClickHouse store: the log in ClickHouse, the features' own tables in a side SQL
database.

The log (entries with their copies, heads, checkpoints, tombstones) lives in ClickHouse
(:mod:`.schema`). What other features keep beside it (alert rules and deliveries,
streams, follower cursors, and the accounts when ``accounts_db`` is the log's) needs SQL
transactions, so it lives in a side database, the store's :attr:`engine`: ``side_db=URL``
in the log's URL, by default for chdb a SQLite file in its directory
(``<database>.side.db``). It is migrated with the log's migrations; the log's own tables
in it stay empty.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import Connection, create_engine

from activitylog.sealing import SealPolicy
from activitylog.store import migrate
from activitylog.store.clickhouse import leases, outbox
from activitylog.store.clickhouse.connection import Database, Location
from activitylog.store.clickhouse.in_flight import in_flight_at
from activitylog.store.clickhouse.ledger import ClickHouseLedger
from activitylog.store.clickhouse.opening import prepare
from activitylog.store.clickhouse.schema import statements, upgrades
from activitylog.store.clickhouse.writes import writer_lock


class ClickHouseStore(ClickHouseLedger):
    """A log on ClickHouse (``clickhouse://``, ``clickhouses://``) or chdb
    (``chdb:///path``); see :meth:`Location.parse` for the URLs."""

    def __init__(self, url: str, policy: SealPolicy) -> None:
        location = Location.parse(url)
        db = Database(location)
        prepare(db, location)
        if location.path is not None:  # a server's log is upgraded by activitylog migrate
            for statement in upgrades(location.database, content_hash_stored(db), projections(db)):
                db.run(statement)
        cluster = distributed_over(db)
        side = location.side_db
        if side is None:  # chdb (a server's URL must name one)
            side = f"sqlite:///{Path(location.path or '.') / f'{location.database}.side.db'}"
        engine = create_engine(side, pool_size=8, max_overflow=8)
        with engine.begin() as conn:
            migrate.upgrade(conn)
        outbox.create(engine)
        leases.create(engine)
        # chdb holds its directory for one process; servers may have several writers
        writers = None if location.path is not None else leases.Leases(engine)
        super().__init__(db, engine, policy, writers, cluster)
        self.writer = writer_lock(location.key)
        if location.path is not None:  # no other process writes this log
            self.in_flight = in_flight_at(Path(location.path) / f"{location.database}.appending")
            self.recover()

    def write_unsynced(self) -> AbstractContextManager[Connection]:
        """A transaction of the side database (a follower's cursor move)."""
        return self.engine.begin()

    def close(self) -> None:
        self.engine.dispose()
        self.db.close()


def distributed_over(db: Database) -> str | None:
    """The cluster the log's ``events`` table is Distributed over (made by ``activitylog
    migrate --cluster``), or None."""
    found = db.rows(
        "SELECT engine_full FROM system.tables WHERE database = currentDatabase()"
        " AND name = 'events'"
    )
    return cluster_of(str(found[0][0])) if found else None


def content_hash_stored(db: Database) -> bool:
    """Whether the log's ``events`` stores the content hash (layout 1) rather than
    computing it from the body."""
    found = db.rows(
        "SELECT default_kind FROM system.columns WHERE database = currentDatabase()"
        " AND table = 'events' AND name = 'content_hash'"
    )
    return bool(found) and str(found[0][0]) != "ALIAS"


def projections(db: Database, table: str = "events") -> set[str]:
    """The projections ``table`` of the log's database has."""
    found = db.rows(
        "SELECT name FROM system.projections WHERE database = currentDatabase() AND table = %(t)s",
        {"t": table},
    )
    return {str(name) for (name,) in found}


def cluster_of(engine_full: str) -> str | None:
    """The cluster a table's ``engine_full`` names, None unless it is Distributed."""
    named = re.match(r"Distributed\(\s*'((?:[^'\\]|\\.)*)'", engine_full)
    return None if named is None else re.sub(r"\\(.)", r"\1", named[1])


def create(url: str, cluster: str | None = None) -> list[str]:
    """Create the log's database and tables at ``url`` (on every node of ``cluster``:
    replicated and distributed tables), or bring those there to this version's layout
    (:func:`~activitylog.store.clickhouse.schema.upgrades`); the statements run."""
    location = Location.parse(url)
    db = Database(location)
    done = statements(location.database, cluster)
    for statement in done:
        db.run(statement)
    more: list[str] = []
    if cluster is not None:
        more = upgrades(location.database, False, projections(db, "events_local"), cluster)
    elif distributed_over(db) is None:
        more = upgrades(location.database, content_hash_stored(db), projections(db))
    for statement in more:
        db.run(statement)
    done += more
    db.close()
    return done
