"""The SQL store both engines share: writes, reads, and the one entry point for appends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy.exc
from sqlalchemy import Connection, Engine, select

from activitylog.access import OPERATOR, visibility_for
from activitylog.enrich import Prepared
from activitylog.errors import IntegrityError, full_storage_raised
from activitylog.idempotency import Recorded
from activitylog.sealing import SealPolicy
from activitylog.store.base import READ_COLUMNS, chunks
from activitylog.store.derived import SQLDerived
from activitylog.store.group_commit import GroupCommit
from activitylog.store.ledger import SQLLedger
from activitylog.store.purges import SQLPurges
from activitylog.store.reads import SQLReads
from activitylog.store.schema import entries


class SQLStore(SQLPurges, SQLReads, SQLDerived, SQLLedger):
    """Both SQL engines; subclasses supply locking, bulk insert and search."""

    def __init__(self, engine: Engine, policy: SealPolicy) -> None:
        super().__init__(engine, policy)
        #: Where this store's own appends queue (see :meth:`append_batch`).
        self.group_commit: GroupCommit[Sequence[Prepared], list[Recorded]] = GroupCommit(
            lambda batch: self._append_batches([batch])[0], self._append_batches
        )

    def append_batch(
        self, batch: Sequence[Prepared], *, connection: Connection | None = None
    ) -> list[Recorded]:
        """Store a batch atomically; returns every event of it as stored, in order, and
        whether it was a duplicate (its id stored before, or earlier in the batch, with the
        same content: the event stored then). An id repeated with other content raises
        :class:`~activitylog.errors.Conflict` and nothing is stored.

        Batches appended at once by several threads are written together, one
        transaction for those that waited (:mod:`activitylog.store.group_commit`); each
        keeps its own outcome.

        With ``connection`` (open on this store's database, inside the caller's transaction)
        the batch is written in that transaction, locking and sequencing as usual, and is
        stored exactly when the caller commits; nothing is begun or committed here. The
        chain heads of the batch's workspaces stay locked until then: commit soon.
        """
        if connection is None:
            return self.group_commit.submit(batch)
        return self._append_batches([batch], connection)[0]

    def _append_batches(
        self, batches: list[Sequence[Prepared]], connection: Connection | None = None
    ) -> list[list[Recorded]]:
        """Store ``batches`` in one transaction: :meth:`append_batch`'s result for each
        (an event whose id an earlier batch holds is a duplicate of it)."""
        batch = batches[0] if len(batches) == 1 else [p for b in batches for p in b]
        written, repeated = self._append_or_full(batch, connection)
        wanted = list(dict.fromkeys(repeated))
        stored: dict[str, dict[str, Any]] = {}
        if wanted and connection is None:
            stored = self.get_many(wanted, visibility_for(OPERATOR, "workspace", None))
        elif wanted and connection is not None:
            # perhaps stored earlier in the caller's transaction: read them there
            stored = self._stored_on(connection, wanted)
        missing = set(repeated) - set(stored)
        if missing:
            raise IntegrityError(f"events {sorted(missing)} vanished while being recorded again")
        seen: set[str] = set()
        results = []
        for each in batches:
            recorded = []
            for p in each:
                event_id = p.content["id"]
                new = written.get(event_id)
                if new is None:
                    recorded.append(Recorded(stored[event_id], True))
                elif event_id in seen:  # sent twice: stored once
                    recorded.append(Recorded(new.event, True))
                else:
                    recorded.append(new)
                seen.add(event_id)
            results.append(recorded)
        return results

    def _append_or_full(
        self, batch: Sequence[Prepared], connection: Connection | None
    ) -> tuple[dict[str, Recorded], list[str]]:
        """:meth:`_append`, redone carefully after a unique key was hit; a full database or
        disk raised as :class:`~activitylog.errors.StorageFull`."""
        with full_storage_raised():
            try:
                return self._append(batch, connection=connection)
            except sqlalchemy.exc.IntegrityError:
                # A time slot or an id was taken meanwhile: redo the batch checking everything.
                return self._append(batch, careful=True, connection=connection)

    def _stored_on(self, conn: Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
        everything = visibility_for(OPERATOR, "workspace", None)
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunks(ids):
            query = select(entries.c.id, *READ_COLUMNS).where(entries.c.id.in_(chunk))
            found.update((row[0], self._event(row[1:])) for row in conn.execute(query))
        for event_id in ids:
            tombstone = None if event_id in found else self._tombstone(conn, event_id, everything)
            if tombstone is not None:
                found[event_id] = tombstone
        return found


__all__ = ["SQLStore"]
