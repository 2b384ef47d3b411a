"""Row keys: ``rid = occurred_at_us * RID_SLOTS + slot``, time-ordered and unique per log.

Each event starts at a slot taken from its id's random tail and steps past the slots
already used in its batch and, when the engine is asked (``taken``), in the log. Shared
by every engine that keys rows by time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from activitylog.enrich import Prepared
from activitylog.errors import IntegrityError
from activitylog.store.schema import RID_SLOTS

#: The rids among those given that the log holds already.
Taken = Callable[[Sequence[int]], set[int]]


def assign_rids(batch: Sequence[Prepared], taken: Taken | None = None) -> list[int]:
    """A distinct rid per event of ``batch``; with ``taken``, none the log holds either
    (an IntegrityError when more than :data:`RID_SLOTS` events share a microsecond)."""
    wanted = [p.occurred_us * RID_SLOTS + int(p.content["id"][-3:], 16) % RID_SLOTS for p in batch]
    held = taken(wanted) if taken is not None else set()
    used: set[int] = set()
    rids = []
    for p, first in zip(batch, wanted, strict=True):
        base = p.occurred_us * RID_SLOTS
        rid = first
        for _ in range(RID_SLOTS):
            if rid not in used and rid not in held:
                break
            rid = base + (rid - base + 1) % RID_SLOTS
            if taken is not None and rid not in used:
                held |= taken([rid])
        else:
            raise IntegrityError(
                f"more than {RID_SLOTS} events share occurred_at {p.content['occurred_at']}"
            )
        used.add(rid)
        rids.append(rid)
    return rids
