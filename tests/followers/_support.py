"""Followers for the tests: one that remembers what it saw, one that fails on demand; where
the indexer and a follower run elsewhere have got to."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import text

from activitylog import ActivityLog
from activitylog.followers import Batch


@dataclass(eq=False)
class Recorder:
    name: str = "recorder"
    workspace: str | None = None
    start: Literal["beginning", "end"] = "beginning"
    seen: list[tuple[str, int, str]] = field(default_factory=list)
    fail_with: Exception | None = None

    def handle(self, batch: Batch) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.seen += [(batch.workspace, e["seq"], e["id"]) for e in batch.entries]


@dataclass(eq=False)
class Effects:
    """Writes one row per entry and moves its cursor in the same transaction; can fail
    after both (the transaction must roll back, the cursor stay)."""

    engine: object
    name: str = "effects"
    workspace: str | None = None
    start: Literal["beginning", "end"] = "beginning"
    fail_after_advance: bool = False

    def handle(self, batch: Batch) -> None:
        with self.engine.begin() as conn:  # type: ignore[attr-defined]
            for entry in batch.entries:
                conn.execute(text("INSERT INTO effects (id) VALUES (:id)"), {"id": entry["id"]})
            batch.advance(conn)
            if self.fail_after_advance:
                raise RuntimeError("crashed before commit")


def positions(log: ActivityLog, workspace: str = "acme") -> tuple[int, int, int]:
    """``(head, indexed, followed)`` of ``workspace``: its chain head's seq, the indexer's mark
    and the ``alerts`` follower's cursor, read as they are (nothing settles first)."""

    def seq(query: str) -> int:
        with log.store.engine.connect() as conn:
            found = conn.execute(text(query), {"w": workspace}).scalar()
        return int(found or 0)

    return (
        seq("SELECT seq FROM chain_heads WHERE workspace = :w"),
        seq("SELECT seq FROM derived_heads WHERE workspace = :w"),
        seq("SELECT seq FROM follower_cursors WHERE follower = 'alerts' AND workspace = :w"),
    )


def wait_until_followed(log: ActivityLog, entries: int, seconds: float = 20.0) -> None:
    """Wait until the head holds at least ``entries`` and the indexer and the ``alerts``
    follower (run elsewhere) have both reached it."""
    deadline = time.monotonic() + seconds
    while True:
        head, indexed, followed = now = positions(log)
        if head >= entries and indexed == head and followed == head:
            return
        assert time.monotonic() < deadline, f"(head, indexed, followed) stayed at {now}"
        time.sleep(0.05)
