"""What every part of the ClickHouse store shares: the database, the side SQL database,
the sealer and the writer lock."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from activitylog.sealing import Sealer, SealPolicy
from activitylog.store.clickhouse.connection import Database
from activitylog.store.clickhouse.in_flight import InFlight
from activitylog.store.clickhouse.leases import Leases
from activitylog.store.clickhouse.schema import quote_name


class ClickHouseBase:
    def __init__(
        self,
        db: Database,
        engine: Engine,
        policy: SealPolicy,
        leases: Leases | None = None,
        cluster: str | None = None,
    ) -> None:
        self.db = db
        #: The side SQL database (see :mod:`activitylog.store.clickhouse.store`).
        self.engine = engine
        self.policy = policy
        self.sealer = Sealer(policy)
        self.witness = policy.witness
        #: Held by every write of the log in this process (one writer per workspace).
        self.writer: threading.RLock = threading.RLock()
        #: Each head's newest revision as this process wrote or read it.
        self._revisions: dict[str, int] = {}
        #: Workspaces whose entries past the head were looked for by this process.
        self._cleared: set[str] = set()
        #: The rids the log holds in each microsecond an append stepped through.
        self._microseconds: dict[int, set[int]] = {}
        #: Each workspace's writer among processes (None: this process is the only one).
        self.leases = leases
        #: The cluster the tables are Distributed over (None: one server's tables).
        self.cluster = cluster
        #: The entries inserted since the last heads were written: (workspace, seq, chain
        #: hash) each; the checkpoints, as inserted: ``(workspace, size, note)``; and the
        #: heads being written: workspace -> (revision, chain hash).
        self._unsaved: list[tuple[str, int, bytes]] = []
        self._unsaved_checkpoints: list[tuple[str, int, str]] = []
        self._unsaved_heads: dict[str, tuple[int, str]] = {}
        #: Where an append names the workspaces it is writing (chdb; None: a server's log,
        #: whose other writers' appends may be under way).
        self.in_flight: InFlight | None = None

    def mutable(self, table: str) -> str:
        """Where a DELETE or ALTER of ``table`` goes: the table itself, or on a cluster its
        replicated ``<table>_local`` on every node (a Distributed table takes neither)."""
        if self.cluster is None:
            return table
        return f"{table}_local ON CLUSTER {quote_name(self.cluster)}"
