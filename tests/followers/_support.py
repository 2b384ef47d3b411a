"""Followers for the tests: one that remembers what it saw, one that fails on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import text

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
