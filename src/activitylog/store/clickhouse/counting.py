"""Counts on ClickHouse from the projections by hour and day, the window's ends from the
rows.

``events`` keeps aggregate projections by hour and by day (:data:`~.schema.PROJECTIONS`).
ClickHouse answers a query from one only when every condition and grouping is on its
columns, so a window is cut as the SQL engines cut theirs for the rollups
(:func:`~activitylog.store.rollups.segments`): its whole hours are asked on the
projections' hour (:data:`~.schema.HOUR`), for the actors and the unique IPs its whole days
on the day when the day projections have the filters' columns, the minutes left at either
end on the rid. Each question is one statement, its pieces added up in ``UNION ALL``.
Filters naming a column the projections lack
(:func:`~activitylog.store.clauses.rollup_covers`) and groupings by quarter hour or country
read the whole window's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select, tuple_, union_all

from activitylog.query import Filters
from activitylog.stats import Dim
from activitylog.store.clauses import Window, rollup_covers
from activitylog.store.clickhouse.schema import BY_DAY, PROJECTED
from activitylog.store.rollups import DAY_US, FILTER_DIMS, HOUR_US, segments
from activitylog.store.schema import RID_SLOTS, events

#: The projections' hour and day of a row's rid (:data:`~.schema.HOUR`, ``DAY``).
hour: ColumnElement[int] = func.intDiv(events.c.rid, HOUR_US * RID_SLOTS)
day: ColumnElement[int] = func.intDiv(events.c.rid, DAY_US * RID_SLOTS)


def projected(filters: Filters, dims: Sequence[Dim] = ()) -> bool:
    """Whether the projections answer counts under ``filters`` grouped by ``dims``."""
    return rollup_covers(filters) and all(d == "hour" or d in PROJECTED for d in dims)


class Question:
    """A :func:`projected` question: its conditions but the window (``where``: the
    visibility's and the filters'), and the window, cut in pieces (:meth:`pieces`)."""

    def __init__(self, where: list[ColumnElement[bool]], filters: Filters) -> None:
        self.where = where
        self.window = Window.of(filters)
        #: Whether the day projections have every column the filters name.
        self.daily = all(
            not getattr(filters, attr) or column in BY_DAY for attr, column in FILTER_DIMS
        )

    def pieces(self, *, daily: bool = False) -> list[list[ColumnElement[bool]]]:
        """The conditions of each piece of the window: its whole days on :data:`day`
        when ``daily`` (for questions of the day projections' columns only), its whole
        hours on :data:`hour`, the minutes at either end on the rid."""
        out = []
        window = self.window
        for segment in segments(window.since_us, window.until_us, hourly=not daily):
            on, unit = _GRAINS[segment.grain]
            bounds = []
            if segment.lo is not None:
                bounds.append(on >= segment.lo * unit)
            if segment.hi is not None:
                bounds.append(on < segment.hi * unit)
            out.append(self.where + bounds)
        return out


#: Each piece's grain: what its bounds are on, and in what unit.
_GRAINS: dict[str, tuple[ColumnElement[int], int]] = {
    "day": (day, 1),
    "hour": (hour, 1),
    "raw": (events.c.rid, RID_SLOTS),
}


def counts(question: Question, dims: Sequence[Dim]) -> Select[Any]:
    """``(dim values..., count)`` of a :func:`projected` question; ``hour`` as hours since
    the epoch."""
    columns = [(hour if d == "hour" else events.c[d]).label(d) for d in dims]
    parts = [
        select(*columns, func.count().label("n"))
        .select_from(events)
        .where(*where)
        .group_by(*columns)
        for where in question.pieces()
    ]
    summed = _union(parts)
    keys = [summed.c[d] for d in dims]
    stmt = select(*keys, func.sum(summed.c.n))
    return stmt.group_by(*keys) if keys else stmt


def by_hour_and_kind(question: Question) -> Select[Any]:
    """The Activity Log page's counts by kind in one statement: ``(by category, hour,
    kind, signed in, category, count)`` rows, counted by hour, kind and whether the verb
    is ``signed_in`` (by category false), and by category (true)."""
    c = events.c
    columns = [
        hour.label("hour"),
        c.kind.label("kind"),
        (c.verb == "signed_in").label("signed_in"),
        c.category.label("category"),
    ]
    parts = [
        select(*columns, func.count().label("n")).where(*where).group_by(*columns)
        for where in question.pieces()
    ]
    found = _union(parts)
    by_kind = tuple_(found.c.hour, found.c.kind, found.c.signed_in)
    return select(
        (func.grouping(found.c.category) == 0).label("by_category"),
        found.c.hour,
        found.c.kind,
        found.c.signed_in,
        found.c.category,
        func.sum(found.c.n).label("n"),
    ).group_by(func.grouping_sets(by_kind, tuple_(found.c.category)))


def actors(question: Question, actor_ids: Sequence[str] | None = None) -> Select[Any]:
    """``(actor_id, count, newest rid, name there)`` of a :func:`projected` question (of
    these actors only, when given)."""
    c = events.c
    named = [c.actor_id.in_(actor_ids)] if actor_ids is not None else []
    parts = [
        select(
            c.actor_id.label("actor_id"),
            func.count().label("n"),
            func.max(c.rid).label("rid"),
            func.argMax(c.actor_name, c.rid).label("name"),
        )
        .where(*named, *where)
        .group_by(c.actor_id)
        for where in question.pieces(daily=question.daily)
    ]
    found = _union(parts)
    return select(
        found.c.actor_id,
        func.sum(found.c.n).label("n"),
        func.max(found.c.rid).label("rid"),
        func.argMax(found.c.name, found.c.rid).label("name"),
    ).group_by(found.c.actor_id)


def unique_ips(question: Question) -> Select[Any]:
    """The number of distinct IPs of a :func:`projected` question: each piece's IPs
    (distinct), then those of all pieces."""
    ip = events.c.ip
    parts = [
        select(ip.label("ip")).where(ip.is_not(None), *where).group_by(ip)
        for where in question.pieces(daily=question.daily)
    ]
    return select(func.uniqExact(_union(parts).c.ip).label("n"))


#: The parts of :func:`page`'s rows, its first column.
BY_HOUR_AND_KIND, BY_CATEGORY, BY_ACTOR, UNIQUE_IPS, PREVIOUS_TOTAL = range(5)


def page(question: Question, previous: Question | None = None) -> Any:
    """The Activity Log page's counts of a :func:`projected` question in one statement
    (a statement costs chdb some milliseconds whatever it reads, and ClickHouse runs the
    parts side by side): ``(part, hour, kind, signed in, key, name, rid, count)`` rows,

    - :data:`BY_HOUR_AND_KIND`: ``hour``, ``kind``, ``signed in`` (as :func:`by_hour_and_kind`);
    - :data:`BY_CATEGORY`: the category as ``key``;
    - :data:`BY_ACTOR`: the actor id as ``key``, the name at the newest ``rid``
      (as :func:`actors`);
    - :data:`UNIQUE_IPS`: the count alone (as :func:`unique_ips`);
    - :data:`PREVIOUS_TOTAL`: the count of ``previous`` (the window before, which the
      page compares the total with), when given.
    """
    kinds = by_hour_and_kind(question).subquery()
    people = actors(question).subquery()
    ips = unique_ips(question).subquery()
    k, a = kinds.c, people.c
    none: ColumnElement[Any] = literal_column("''")
    zero: ColumnElement[Any] = literal_column("0")
    parts = [
        select(
            literal_column(f"if({k.by_category.name}, {BY_CATEGORY}, {BY_HOUR_AND_KIND})"),
            k.hour,
            k.kind,
            k.signed_in,
            k.category,
            none,
            zero,
            k.n,
        ).select_from(kinds),
        select(literal_column(str(BY_ACTOR)), zero, none, zero, a.actor_id, a.name, a.rid, a.n),
        select(literal_column(str(UNIQUE_IPS)), zero, none, zero, none, none, zero, ips.c.n),
    ]
    if previous is not None:
        total = counts(previous, ()).subquery()
        tag: ColumnElement[Any] = literal_column(str(PREVIOUS_TOTAL))
        parts.append(select(tag, zero, none, zero, none, none, zero, *total.c))
    return union_all(*parts)


def _union(parts: list[Select[Any]]) -> Any:
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
