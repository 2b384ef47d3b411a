"""What every part of the ClickHouse store shares: the database, the side SQL database,
the sealer and the writer lock."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from activitylog.sealing import Sealer, SealPolicy
from activitylog.store.clickhouse.connection import Database


class ClickHouseBase:
    def __init__(self, db: Database, engine: Engine, policy: SealPolicy) -> None:
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
