"""Statistics for a window: KPIs, volume series, split, top actors, events by category.

Stores answer one primitive, :meth:`Aggregates.counts` (event counts grouped by some of
``hour``, ``kind``, ``category``, ``actor_id``, read from rollups when the filters allow);
this module turns those counts into what the Activity Log page shows.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, get_args

from activitylog.access import Visibility
from activitylog.errors import FieldError, ValidationError
from activitylog.events import format_time
from activitylog.query import Filters
from activitylog.timeranges import previous_window, zone

Group = Literal["hourly", "daily", "weekly"]
GROUPS: tuple[str, ...] = get_args(Group)
Dim = Literal["hour", "quarter", "kind", "category", "actor_id", "verb", "action", "country"]
TOP_ACTORS = 4
STEP_SECONDS: dict[str, int] = {"hour": 3600, "quarter": 900}
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class Aggregates(Protocol):
    """What a store offers the statistics."""

    def counts(
        self, visibility: Visibility, filters: Filters, dims: Sequence[Dim]
    ) -> list[tuple[Any, ...]]:
        """``(dim values..., count)`` rows for events matching; ``hour`` as epoch hours."""
        ...

    def unique_ips(self, visibility: Visibility, filters: Filters) -> int: ...

    def actor_summaries(
        self, visibility: Visibility, filters: Filters, actor_ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """``{actor_id: {"name", "last_seen"}}`` for the given actors in the window."""
        ...


@dataclass(frozen=True)
class StatsSpec:
    visibility: Visibility
    filters: Filters
    group: Group = "daily"
    tz: str = "UTC"

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValidationError([FieldError("group", f"must be one of {', '.join(GROUPS)}")])
        if self.filters.since is None or self.filters.until is None:
            raise ValidationError([FieldError("range", "stats need a window (since and until)")])
        zone(self.tz)

    @property
    def window(self) -> tuple[datetime, datetime]:
        since, until = self.filters.since, self.filters.until
        if since is None or until is None:
            raise ValidationError([FieldError("range", "stats need a window (since and until)")])
        return since, until


@dataclass
class Stats:
    kpis: dict[str, Any]
    volume: list[dict[str, Any]]
    #: ``sign_ins``, ``writes``, ``reads_other``: the KPI cards' counts, adding up to the total.
    split: dict[str, int]
    top_actors: list[dict[str, Any]]
    by_category: list[dict[str, Any]] = field(default_factory=list)
    #: The split in whole percent, adding up to 100 (largest remainders; all 0 without events).
    split_percent: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compute(spec: StatsSpec, store: Aggregates) -> Stats:
    vis, filters = spec.visibility, spec.filters
    since, until = spec.window
    # Hourly rollups place events by UTC hour; in zones offset by :30 or :45 the local day
    # starts mid-hour, so there the series is counted by quarter hour from raw events.
    step: Dim = "hour" if _whole_hours(zone(spec.tz), since, until) else "quarter"
    by_time_kind = store.counts(vis, filters, (step, "kind"))
    kinds: Counter[str] = Counter()
    for _time, kind, n in by_time_kind:
        kinds[kind] += n
    total = sum(kinds.values())
    prev_since, prev_until = previous_window(since, until)
    previous = sum(
        row[-1]
        for row in store.counts(vis, replace(filters, since=prev_since, until=prev_until), ())
    )
    split = _split(store, vis, filters, total, kinds["write"])
    by_category = sorted(
        ({"category": c, "count": n} for c, n in store.counts(vis, filters, ("category",)) if n),
        key=lambda item: (-item["count"], item["category"]),
    )
    kpis = {
        "total": total,
        "total_change_pct": _change_pct(total, previous),
        "previous_total": previous,
        **split,
        "unique_ips": store.unique_ips(vis, filters),
    }
    return Stats(
        kpis=kpis,
        volume=_volume(by_time_kind, STEP_SECONDS[step], since, until, spec.group, spec.tz),
        split=split,
        split_percent=dict(zip(split, whole_percentages(list(split.values())), strict=True)),
        top_actors=_top_actors(store, vis, filters),
        by_category=by_category,
    )


def _split(
    store: Aggregates, vis: Visibility, filters: Filters, total: int, writes: int
) -> dict[str, int]:
    """The KPI cards' three classes, which add up to ``total``: sign-ins (verb
    ``signed_in``), writes (kind ``write``, sign-ins left out), and reads / other: everything
    else (reads, sign-outs, failed sign-ins, MFA, impersonation...)."""
    sign_in_filters = _sign_in_filters(filters)
    sign_ins: Counter[str] = Counter()
    if sign_in_filters is not None:
        for kind, n in store.counts(vis, sign_in_filters, ("kind",)):
            sign_ins[kind] += n
    signed_in = sum(sign_ins.values())
    writes -= sign_ins["write"]  # an application's own sign-in action may be a write
    return {"sign_ins": signed_in, "writes": writes, "reads_other": total - signed_in - writes}


def whole_percentages(values: Sequence[int]) -> list[int]:
    """Each value's share of their sum in whole percent, adding up to exactly 100 (all 0
    when the sum is 0): largest remainders get the points rounding down left over."""
    total = sum(values)
    if total <= 0:
        return [0] * len(values)
    exact = [value * 100 / total for value in values]
    whole = [math.floor(share) for share in exact]
    by_remainder = sorted(range(len(values)), key=lambda i: (whole[i] - exact[i], i))
    for i in by_remainder[: 100 - sum(whole)]:
        whole[i] += 1
    return whole


def groups_for(since: datetime | None, until: datetime | None) -> tuple[Group, ...]:
    """The groupings that draw more than one bar over ``[since, until)``: daily above one
    day (a day has 25 hours when clocks go back), weekly from 14 days; hourly always."""
    if since is None or until is None:
        return ("hourly", "daily", "weekly")
    span = until - since
    offered: list[Group] = ["hourly"]
    if span > DAY + HOUR:
        offered.append("daily")
    if span >= 14 * DAY - HOUR:
        offered.append("weekly")
    return tuple(offered)


def fitting_group(group: str, since: datetime | None, until: datetime | None) -> Group:
    """``group`` if it draws more than one bar over the window, else the widest that does
    (weekly under 14 days becomes daily; daily for one day, hourly)."""
    offered = groups_for(since, until)  # hourly, then daily, then weekly: the widest last
    return next((g for g in offered if g == group), offered[-1])


def _sign_in_filters(filters: Filters) -> Filters | None:
    """The filters narrowed to sign-ins (verb ``signed_in``), or None when they exclude them.

    Verbs and actions of the events filter combine with OR.
    """
    if (not filters.verbs and not filters.actions) or "signed_in" in filters.verbs:
        return replace(filters, verbs=("signed_in",), actions=())
    actions = tuple(a for a in filters.actions if a.rsplit(".", 1)[-1] == "signed_in")
    return replace(filters, verbs=(), actions=actions) if actions else None


def _change_pct(current: int, previous: int) -> float | None:
    if previous == 0:
        return None
    return round((current - previous) * 100.0 / previous, 1)


def _top_actors(store: Aggregates, vis: Visibility, filters: Filters) -> list[dict[str, Any]]:
    # Actors without an id (allowed by the event schema) can't be named or filtered on.
    counts = [row for row in store.counts(vis, filters, ("actor_id",)) if row[0] is not None]
    top = sorted(counts, key=lambda row: (-row[1], row[0]))[:TOP_ACTORS]
    summaries = store.actor_summaries(vis, filters, [row[0] for row in top])
    out = []
    for actor_id, n in top:
        info = summaries.get(actor_id, {})
        name = info.get("name") or actor_id
        out.append(
            {
                "id": actor_id,
                "name": name,
                "initials": initials(name),
                "count": n,
                "last_seen": info.get("last_seen"),
            }
        )
    return out


def initials(name: str) -> str:
    """Up to two initials: "Ava Thompson" -> "AT", "System" -> "S"."""
    parts = [p for p in name.replace(".", " ").split() if p[:1].isalnum()]
    return "".join(p[0] for p in (parts[:1] + parts[1:][-1:])).upper() or "?"


def _whole_hours(zi: Any, since: datetime, until: datetime) -> bool:
    offsets = (since.astimezone(zi).utcoffset(), until.astimezone(zi).utcoffset())
    return all(o is not None and o.total_seconds() % 3600 == 0 for o in offsets)


def _volume(
    rows: Sequence[tuple[Any, ...]],
    step_seconds: int,
    since: datetime,
    until: datetime,
    group: Group,
    tz: str,
) -> list[dict[str, Any]]:
    zi = zone(tz)
    starts = _bucket_starts(since, until, group, tz)
    edges = [start.timestamp() for start in starts]
    first, end = since.timestamp(), until.timestamp()
    series = [Counter[str]() for _ in starts]
    for step, kind, n in rows:
        moment = step * step_seconds
        if moment < first < moment + step_seconds:
            # The window starts inside this step (zones at :30/:45 offsets): its counts
            # only hold events from ``since`` on, so they belong to the first bucket.
            moment = first
        index = bisect_right(edges, moment) - 1
        if index >= 0 and moment < end:
            series[index][kind] += n
    label = "%Y-%m-%d %H:%M" if group == "hourly" else "%Y-%m-%d"
    return [
        {
            "start": format_time(start),
            "label": start.astimezone(zi).strftime(label),
            "auth": counts["auth"],
            "writes": counts["write"],
            "other": counts["read"],
        }
        for start, counts in zip(starts, series, strict=True)
    ]


def _bucket_of(moment: datetime, group: Group, zi: Any) -> datetime:
    local = moment.astimezone(zi)
    if group == "hourly":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    if group == "weekly":
        day = day - timedelta(days=day.weekday())
    return datetime(day.year, day.month, day.day, tzinfo=zi).astimezone(UTC)


def _bucket_starts(since: datetime, until: datetime, group: Group, tz: str) -> list[datetime]:
    zi = zone(tz)
    # No truncation to the UTC hour first: in a :30 zone that lands in the day before.
    first = _bucket_of(since.astimezone(UTC), group, zi)
    starts = []
    cursor = first
    while cursor < until:
        starts.append(cursor)
        if group == "hourly":
            cursor += HOUR
        else:
            step = 7 if group == "weekly" else 1
            local = cursor.astimezone(zi) + timedelta(days=step)
            cursor = datetime(local.year, local.month, local.day, tzinfo=zi).astimezone(UTC)
    return starts
