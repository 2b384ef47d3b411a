"""What every part of the ClickHouse store shares: the database, the side SQL database,
the sealer and the writer lock."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from activitylog.sealing import Sealer, SealPolicy
from activitylog.store.clickhouse.connection import Database
from activitylog.store.clickhouse.leases import Leases


class ClickHouseBase:
    def __init__(
        self, db: Database, engine: Engine, policy: SealPolicy, leases: Leases | None = None
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
        #: The chain hashes of the entries inserted since the last heads were written.
        self._unsaved: list[bytes] = []
