"""The SQL store both engines share: writes, reads, and the one entry point for appends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy.exc

from activitylog.access import OPERATOR, visibility_for
from activitylog.enrich import Prepared
from activitylog.errors import IntegrityError
from activitylog.store.base import CheckpointPolicy
from activitylog.store.reads import SQLReads
from activitylog.store.writes import SQLWrites


class SQLStore(SQLWrites, SQLReads):
    """Both SQL engines; subclasses supply locking, bulk insert and search."""

    def append(self, batch: Sequence[Prepared]) -> list[dict[str, Any]]:
        """Store a batch atomically; returns every event of it as stored, in order
        (for an id stored before, the event stored then)."""
        try:
            written, repeated = self._append(batch)
        except sqlalchemy.exc.IntegrityError:
            # A time slot or an id was taken meanwhile: redo the batch checking everything.
            written, repeated = self._append(batch, careful=True)
        everything = visibility_for(OPERATOR, "workspace", None)
        stored = self.get_many(list(dict.fromkeys(repeated)), everything) if repeated else {}
        missing = set(repeated) - set(stored)
        if missing:
            raise IntegrityError(f"events {sorted(missing)} vanished while being recorded again")
        return [written.get(p.content["id"]) or stored[p.content["id"]] for p in batch]


__all__ = ["CheckpointPolicy", "SQLStore"]
