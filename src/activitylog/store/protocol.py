"""What the rest of the package asks of a storage engine: :class:`Store`.

The facade (``client.py``), purges, verification, archives, proofs, reports, followers,
alerts, streams, accounts, the CLI and the web layer reach the store only through these
members; a test keeps the list equal to what they use, and mypy checks that every built-in
engine satisfies it (``store/__init__.py``).

What still ties the package to SQL (an engine that is not SQLAlchemy's must offer these
too, until they move behind the protocol):

- ``engine``: the features that keep tables of their own beside the log (alert rules and
  channels, deliveries, streams, follower cursors) build their services on the store's
  SQLAlchemy engine (and the accounts do when ``accounts_db`` is the log's database), and
  followers whose effects live in the database commit them
  with the cursor's move in one transaction of it;
- ``append_batch(connection=...)`` and ``write_unsynced()`` hand out or take a SQLAlchemy
  ``Connection`` (an append inside the caller's transaction; a follower's cursor move);
- ``purge_start(conn, ...)`` reads inside a connection the caller opened;
- ``after`` returns rows of :data:`activitylog.store.base.READ_COLUMNS`, which followers
  turn into events with :func:`activitylog.store.base.row_to_event`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from activitylog.access import Visibility
    from activitylog.chain import Head, Row
    from activitylog.enrich import Prepared
    from activitylog.idempotency import Recorded
    from activitylog.notes import Checkpoint
    from activitylog.query import Filters, Page, QuerySpec
    from activitylog.retention import PurgePlan, PurgeStart
    from activitylog.stats import Dim
    from activitylog.store.derived import Reindexed
    from activitylog.store.ledger import Snapshot
    from activitylog.store.purges import Purged, PurgeRecord
    from activitylog.store.writes import DeletionRecord


class Store(Protocol):
    """A log's storage: appends, reads under a :class:`~activitylog.access.Visibility`,
    the ledger verification and proofs read, purges, and the copies kept for reading."""

    #: The SQLAlchemy engine of the log's database (see the module docstring).
    engine: Engine

    # -- writing ---------------------------------------------------------------------------
    def append_batch(
        self, batch: Sequence[Prepared], *, connection: Connection | None = None
    ) -> list[Recorded]:
        """Store a batch atomically (in ``connection``'s transaction when given); each
        event as stored, and whether it was stored before."""
        ...

    def delete(
        self,
        ids: Sequence[str],
        *,
        by: str,
        reason: str,
        visibility: Visibility,
        record: DeletionRecord,
    ) -> list[str]:
        """Tombstone the visible events of ``ids`` and append their deletion records; the
        ids done."""
        ...

    def checkpoint_now(self, workspace: str) -> Checkpoint | None:
        """Keep a checkpoint of ``workspace``'s head if it moved since the last one."""
        ...

    def witness_catch_up(self, workspace: str) -> Checkpoint | None:
        """Copy the newest kept checkpoint to the witness when it lacks it."""
        ...

    def write_unsynced(self) -> AbstractContextManager[Connection]:
        """A write transaction whose commit need not reach the disk at once."""
        ...

    # -- reading ---------------------------------------------------------------------------
    def get(self, event_id: str, visibility: Visibility) -> dict[str, Any] | None:
        """One event (or its tombstone) if ``visibility`` allows it."""
        ...

    def query(self, spec: QuerySpec) -> Page:
        """One page of events, by number or by cursor."""
        ...

    def iter_events(
        self, visibility: Visibility, filters: Filters, order: str = "-time", chunk: int = 5000
    ) -> Iterator[dict[str, Any]]:
        """Every matching event in time order, streamed in chunks."""
        ...

    def iter_rows(
        self, visibility: Visibility, filters: Filters, order: str = "-time", chunk: int = 5000
    ) -> Iterator[tuple[int, bytes, str, str]]:
        """Every matching entry as stored (seq, canonical body, hashes), in time order."""
        ...

    def count(self, visibility: Visibility, filters: Filters) -> int:
        """How many events match."""
        ...

    def counts(
        self, visibility: Visibility, filters: Filters, dims: Sequence[Dim]
    ) -> list[tuple[Any, ...]]:
        """``(dim values..., count)`` rows; ``hour`` as hours since the epoch."""
        ...

    def unique_ips(self, visibility: Visibility, filters: Filters) -> int:
        """How many distinct IP addresses the matching events come from."""
        ...

    def actor_summaries(
        self, visibility: Visibility, filters: Filters, actor_ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """``{actor_id: {"name", "last_seen"}}`` of these actors in the events matching."""
        ...

    def reusing_counts(self) -> AbstractContextManager[None]:
        """A block in which each counting question is answered once."""
        ...

    def after(self, workspace: str, seq: int, limit: int) -> list[tuple[Any, ...]]:
        """Up to ``limit`` committed entries of ``workspace`` after ``seq``, in seq order."""
        ...

    # -- the ledger ------------------------------------------------------------------------
    def workspaces(self) -> list[str]:
        """The workspaces with a chain head."""
        ...

    def all_workspaces(self) -> list[str]:
        """Every workspace any table of the log names."""
        ...

    def head(self, workspace: str) -> Head | None:
        """``workspace``'s chain head (None: nothing recorded)."""
        ...

    def head_seqs(self) -> dict[str, int]:
        """Each workspace's last seq."""
        ...

    def covering(self, workspace: str, seq: int) -> tuple[int, str] | None:
        """``(size, note)`` of the first signed checkpoint covering ``seq``."""
        ...

    def entries_of(self, workspace: str, first: int = 1, last: int | None = None) -> list[Row]:
        """``workspace``'s entries (tombstones included) from ``first`` to ``last``."""
        ...

    def tombstones_of(self, workspace: str) -> list[tuple[int, str, str, str, str]]:
        """``(seq, id, deleted_by, reason, deleted_at)`` of ``workspace``'s tombstones."""
        ...

    def live_seq(self, workspace: str, event_id: str) -> int | None:
        """The seq of ``workspace``'s live entry with this id, read from the log itself
        (not its copies); None when there is none."""
        ...

    def snapshot(self, workspace: str, *, hashes: bool = True) -> AbstractContextManager[Snapshot]:
        """Head, checkpoints, purge records and entries of ``workspace`` read in one
        snapshot."""
        ...

    # -- purges ----------------------------------------------------------------------------
    def purge_start(self, conn: Connection, workspace: str) -> PurgeStart | None:
        """Where ``workspace``'s log starts after its purges (None: at seq 1)."""
        ...

    def plan_purge(self, workspace: str, cutoff_us: int) -> PurgePlan | None:
        """The entries a purge at ``cutoff_us`` would remove now (None: none)."""
        ...

    def purge(self, plan: PurgePlan, record: PurgeRecord) -> Purged:
        """Carry out ``plan``: check, record, then remove its entries."""
        ...

    def finish_purge(self, workspace: str) -> int:
        """Remove what the latest purge record covers and is still stored; rows removed."""
        ...

    # -- the copies kept for reading -------------------------------------------------------
    def settle(self) -> int:
        """Index every entry acknowledged before this call that is not yet counted and
        searchable; how many were indexed."""
        ...

    def index_pending(
        self, *, until: dict[str, int] | None = None, slices: int | None = None
    ) -> int:
        """Index the entries past each workspace's mark (up to ``until``), at most
        ``slices`` slices; how many were indexed."""
        ...

    def workspaces_with_copies(self) -> list[str]:
        """Every workspace any table names, the rollups' included."""
        ...

    def derived_breaks(self, workspace: str) -> Iterator[tuple[int, str]]:
        """``(seq, detail)`` of each copy of ``workspace``'s entries that differs from
        their bodies."""
        ...

    def search_index_breaks(self) -> Iterator[str]:
        """What is wrong with the search index as a whole."""
        ...

    def reindex(
        self, workspace: str | None = None, *, on_step: Callable[[Reindexed], None] | None = None
    ) -> int:
        """Rebuild every copy of ``workspace``'s entries (all when None) from their bodies;
        the number of entries rewritten."""
        ...

    def close(self) -> None:
        """Release the engine's connections."""
        ...


__all__ = ["Store"]
