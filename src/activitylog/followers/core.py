"""What a follower is, and one step of following: the next batch of each workspace.

A follower reads each workspace's entries in seq order once they are committed (seqs of
one workspace are assigned and committed in order under the head's lock) and keeps a
durable cursor per workspace. Its ``handle`` either advances the cursor inside its own
transaction (:meth:`Batch.advance`: effects and cursor commit together, exactly once) or
returns and lets :class:`Following` advance it (at least once: after a kill between the two,
the batch is handled again, with the same event ids). A batch that raises stays where it
is and is tried again with exponential backoff; the error is kept for ``streams status``.
Deleted entries (tombstones) and purged ones are not handed to followers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Protocol

from sqlalchemy import Connection

from activitylog.followers.cursors import Cursor, Cursors
from activitylog.store.base import now_us, row_to_event

if TYPE_CHECKING:
    from activitylog.client import ActivityLog

logger = logging.getLogger("activitylog.followers")

#: Entries handed to a follower at once.
BATCH = 1000


@dataclass(eq=False)
class Batch:
    """Entries of one workspace after the follower's cursor, in seq order: the store's
    ``rows`` (seq, body, content hash, chain hash), as readers see them (``entries``, the
    dicts ``query`` returns) and as stored (``bodies``, the exact canonical JSON that was
    hashed, for matching and for sending on unchanged). ``entries`` and ``bodies`` are
    decoded when first asked for: a follower that sends the stored bodies on never pays
    for decoding them (about half of a stream's time per entry)."""

    workspace: str
    rows: list[tuple[Any, ...]]
    _advance: Callable[[Connection], None] = field(repr=False)
    advanced: bool = False

    @cached_property
    def entries(self) -> list[dict[str, Any]]:
        return [row_to_event(row) for row in self.rows]

    @cached_property
    def bodies(self) -> list[bytes]:
        return [bytes(row[1]) for row in self.rows]

    @property
    def first_seq(self) -> int:
        return int(self.rows[0][0])

    @property
    def last_seq(self) -> int:
        return int(self.rows[-1][0])

    def advance(self, conn: Connection) -> None:
        """Move the cursor past this batch inside ``conn``'s transaction."""
        self._advance(conn)
        self.advanced = True


class Follower(Protocol):
    """Reads the log in order. ``name`` is unique and durable (its cursors are kept under
    it); ``workspace`` None follows every workspace; ``start`` is where a new follower's
    cursors begin in the workspaces that exist when it first runs (workspaces created
    later are followed from their first entry)."""

    @property
    def name(self) -> str: ...

    @property
    def workspace(self) -> str | None: ...

    @property
    def start(self) -> Literal["beginning", "end"]: ...

    def handle(self, batch: Batch) -> None: ...


@dataclass(frozen=True)
class StepResult:
    handled: int = 0
    failed: tuple[tuple[str, str], ...] = ()  # (workspace, error) of batches that raised
    behind: bool = False  # something is left to read (the next step has work)


class Following:
    """Steps followers forward over one log; used by the runner's threads and ``follow``."""

    def __init__(self, log: ActivityLog, batch: int = BATCH) -> None:
        self.log = log
        self.cursors = Cursors(log.store.engine)
        self.batch = batch

    def heads(self, follower: Follower) -> dict[str, int]:
        heads = self.log.store.head_seqs()
        if follower.workspace is not None:
            return {w: s for w, s in heads.items() if w == follower.workspace}
        return heads

    def step(
        self,
        follower: Follower,
        *,
        retry_now: bool = False,
        heads: dict[str, int] | None = None,
        skip: frozenset[str] = frozenset(),
    ) -> StepResult:
        """One batch for each workspace where ``follower`` is behind ``heads`` (default:
        the heads now), but those in ``skip`` or waiting out a backoff (unless
        ``retry_now``)."""
        heads = self.heads(follower) if heads is None else heads
        now = now_us()
        cursors = self.cursors.load(follower.name)
        if cursors is None:
            start = heads if follower.start == "end" else {}
            self.cursors.register(follower.name, start, now)
            cursors = {w: Cursor(w, seq) for w, seq in start.items()}
        handled, failed, behind = 0, [], False
        for workspace, head in sorted(heads.items()):
            cursor = cursors.get(workspace, Cursor(workspace, 0))
            if cursor.seq >= head or workspace in skip:
                continue
            if not retry_now and cursor.retry_us is not None and cursor.retry_us > now:
                behind = True
                continue
            try:
                count, last = self._batch(follower, cursor, head)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                logger.warning("follower %s, workspace %s: %s", follower.name, workspace, error)
                self.cursors.failed(follower.name, cursor, error, now_us())
                failed.append((workspace, error))
                continue
            handled += count
            behind = behind or last < head
        return StepResult(handled, tuple(failed), behind)

    def _batch(self, follower: Follower, cursor: Cursor, head: int) -> tuple[int, int]:
        rows = self.log.store.after(cursor.workspace, cursor.seq, self.batch)
        if not rows:  # everything up to the head was deleted or purged
            with self.log.store.write_unsynced() as conn:
                self.cursors.advance(
                    conn, follower.name, cursor.workspace, head, now_us(), expected=cursor.seq
                )
            return 0, head
        last = int(rows[-1][0])

        def advance(conn: Connection) -> None:
            self.cursors.advance(
                conn, follower.name, cursor.workspace, last, now_us(), expected=cursor.seq
            )

        batch = Batch(cursor.workspace, rows, advance)
        follower.handle(batch)
        if not batch.advanced:  # at least once: a move lost to a power cut repeats the batch
            with self.log.store.write_unsynced() as conn:
                advance(conn)
        return len(rows), last

    def catch_up(self, followers: list[Follower]) -> list[tuple[str, str, str]]:
        """Handle everything up to the end of the log, once; the batches that failed
        (follower, workspace, error) are left where they are and returned."""
        failures: list[tuple[str, str, str]] = []
        for follower in followers:
            end = self.heads(follower)  # the end of the log when we began
            given_up: frozenset[str] = frozenset()
            while True:
                result = self.step(follower, retry_now=True, heads=end, skip=given_up)
                given_up |= {workspace for workspace, _ in result.failed}
                failures.extend((follower.name, w, error) for w, error in result.failed)
                if not result.behind:
                    break
        return failures
