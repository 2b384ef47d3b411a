"""Process entry points for the concurrency tests (importable by spawned children)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from activitylog import ActivityLog
from activitylog.settings import Settings

ACTIONS = ("contact.updated", "note.created", "auth.signed_in", "contact.viewed")


def append_events(
    url: str, key_path: str, worker: int, total: int, batch: int, start: Any, results: Any
) -> None:
    """Record ``total`` events into workspace ``shared``: per 1,000, nine batches of
    ``batch`` events then single records; report ``(worker, seqs)`` or ``(worker, error)``."""
    try:
        settings = Settings(signing_key=Path(key_path), checkpoint_every=10)
        with ActivityLog(url, settings=settings) as log:
            start.wait(120)
            seqs: list[int] = []
            n = 0
            while n < total:
                if n % 1000 < 900:
                    size = min(batch, total - n)
                    stored = log.record_many([_event(worker, n + i) for i in range(size)])
                    n += size
                else:
                    stored = [log.record(**_event(worker, n))]
                    n += 1
                seqs.extend(e["seq"] for e in stored)
        results.put((worker, seqs))
    except BaseException as exc:  # report, don't hang the parent
        results.put((worker, f"{type(exc).__name__}: {exc}"))
        raise


def _event(worker: int, n: int) -> dict[str, Any]:
    return {
        "workspace": "shared",
        "action": ACTIONS[n % len(ACTIONS)],
        "actor": {"id": f"u_{worker}", "name": f"Worker {worker}"},
        "description": f"{worker}:{n}",
        "ip": f"10.{worker}.0.{n % 250 + 1}",
    }
