"""Rollups: counts kept at ingest, and the planner that answers counts from them.

A window is cut into whole UTC days, whole hours at either end, and the minutes left over.
Each piece is read from the narrowest rollup of its grain that has every dimension the
question needs (filters, visibility, grouping); what no rollup covers is counted from raw
events, which the time-ordered ``rid`` index bounds to those few minutes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Literal

from activitylog.access import Visibility
from activitylog.query import Filters
from activitylog.store.schema import Rollup

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
#: Each filter on a dimension, and the column it tests.
FILTER_DIMS = (
    ("actor_ids", "actor_id"),
    ("categories", "category"),
    ("verbs", "verb"),
    ("actions", "action"),
    ("results", "result"),
    ("layers", "layer"),
)


@dataclass(frozen=True)
class Segment:
    """Part of a window: ``[lo, hi)`` in days or hours since the epoch, or microseconds
    for ``raw``; None is unbounded."""

    grain: Literal["day", "hour", "raw"]
    lo: int | None
    hi: int | None


def segments(since_us: int | None, until_us: int | None, *, hourly: bool) -> list[Segment]:
    """Cut ``[since_us, until_us)`` into day, hour and raw pieces (no days if ``hourly``)."""
    if not hourly:
        first = _ceil(since_us, DAY_US)
        end = None if until_us is None else until_us // DAY_US
        if first is None or end is None or first < end:
            out = [Segment("day", first, end)]
            if since_us is not None and first is not None:
                out += _hours(since_us, first * DAY_US)
            if until_us is not None and end is not None:
                out += _hours(end * DAY_US, until_us)
            return [s for s in out if s.lo is None or s.hi is None or s.lo < s.hi]
    if since_us is None or until_us is None:
        lo = None if since_us is None else _ceil(since_us, HOUR_US)
        hi = None if until_us is None else until_us // HOUR_US
        out = [Segment("hour", lo, hi)]
        if since_us is not None and lo is not None and since_us < lo * HOUR_US:
            out.append(Segment("raw", since_us, lo * HOUR_US))
        if until_us is not None and hi is not None and hi * HOUR_US < until_us:
            out.append(Segment("raw", hi * HOUR_US, until_us))
        return out
    return _hours(since_us, until_us)


def _hours(lo_us: int, hi_us: int) -> list[Segment]:
    if lo_us >= hi_us:
        return []
    first = -(-lo_us // HOUR_US)
    end = hi_us // HOUR_US
    if first >= end:
        return [Segment("raw", lo_us, hi_us)]
    out = [Segment("hour", first, end)]
    if lo_us < first * HOUR_US:
        out.append(Segment("raw", lo_us, first * HOUR_US))
    if end * HOUR_US < hi_us:
        out.append(Segment("raw", end * HOUR_US, hi_us))
    return out


def _ceil(value: int | None, unit: int) -> int | None:
    return None if value is None else -(-value // unit)


def needed_dims(vis: Visibility, filters: Filters, group_by: Iterable[str]) -> set[str]:
    """The rollup dimensions a question touches."""
    need = {d for d in group_by if d not in ("hour", "quarter")}
    need.update(dim for attr, dim in FILTER_DIMS if getattr(filters, attr))
    if vis.actor_id is not None:
        need.add("actor_id")
    if vis.layers == "workspace":
        need.add("layer")
    elif vis.layers == "workspace_and_impersonation":
        need.update(("layer", "category"))
    return need


def choose(rollups: Sequence[Rollup], grain: str, need: set[str]) -> Rollup | None:
    """The first (narrowest) rollup of ``grain`` with every needed dimension."""
    return next((r for r in rollups if r.grain == grain and need <= set(r.dims)), None)


class Accumulator:
    """Sums one batch's events per rollup key before a single upsert per rollup."""

    def __init__(self, rollups: Sequence[Rollup]) -> None:
        self.rollups = rollups
        self.counts: list[Counter[tuple[Any, ...]]] = [Counter() for _ in rollups]
        self._plan = [
            (rollup.grain == "hour", _getter(rollup.dims), counts)
            for rollup, counts in zip(rollups, self.counts, strict=True)
        ]

    def add(
        self, workspace: str, occurred_us: int, values: Mapping[str, Any], sign: int = 1
    ) -> None:
        hour = occurred_us // HOUR_US
        day = occurred_us // DAY_US
        for hourly, dims_of, counts in self._plan:
            counts[(workspace, hour if hourly else day, *dims_of(values))] += sign

    def rows(self) -> Iterable[tuple[Rollup, list[tuple[Any, ...]]]]:
        for rollup, counts in zip(self.rollups, self.counts, strict=True):
            if counts:
                yield rollup, [(*key, n) for key, n in counts.items()]


def _getter(dims: Sequence[str]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    pick = itemgetter(*dims)
    if len(dims) == 1:
        return lambda values: (pick(values),)
    return pick
