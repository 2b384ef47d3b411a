"""Visibility and filters -> SQL WHERE clauses, and the rollup planner.

Time bounds become ``rid`` bounds (``rid = occurred_at_us * 1000 + slot``), so a time range
is an index range of the events table and of its full-text index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, Table, and_, or_, select

from activitylog.access import Visibility
from activitylog.events import micros
from activitylog.query import Filters
from activitylog.search_words import words
from activitylog.store.schema import RID_SLOTS, entries
from activitylog.store.search_index import SearchScope, scope_of

#: Builds the dialect's search condition for a query's words
#: (:func:`activitylog.search_words.words`) within ``[lo_rid, hi_rid)``, among the
#: entries of a scope (None: any workspace) where its search index knows scopes.
SearchClause = Callable[[str, int | None, int | None, SearchScope | None], ColumnElement[bool]]


@dataclass(frozen=True)
class Window:
    """A time window in microseconds; None = unbounded on that side."""

    since_us: int | None
    until_us: int | None

    @classmethod
    def of(cls, filters: Filters) -> Window:
        return cls(
            micros(filters.since) if filters.since else None,
            micros(filters.until) if filters.until else None,
        )

    def rids(self) -> tuple[int | None, int | None]:
        """The window as ``[lo, hi)`` bounds of ``rid``."""
        return (
            self.since_us * RID_SLOTS if self.since_us is not None else None,
            self.until_us * RID_SLOTS if self.until_us is not None else None,
        )


def visibility_clauses(t: Table, vis: Visibility) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if vis.workspace is not None:
        clauses.append(t.c.workspace == vis.workspace)
    if vis.actor_id is not None:
        clauses.append(t.c.actor_id == vis.actor_id)
    if vis.layers == "workspace":
        clauses.append(t.c.layer == "workspace")
    elif vis.layers == "workspace_and_impersonation":
        clauses.append(
            or_(
                t.c.layer == "workspace",
                and_(t.c.layer == "platform", t.c.category == "impersonation"),
            )
        )
    return clauses


def dimension_clauses(t: Table, filters: Filters) -> list[ColumnElement[bool]]:
    """Clauses on columns both the events table and the rollups have."""
    clauses: list[ColumnElement[bool]] = []
    for column, values in (
        ("actor_id", filters.actor_ids),
        ("category", filters.categories),
        ("result", filters.results),
        ("layer", filters.layers),
    ):
        if values:
            clauses.append(t.c[column].in_(values))
    # "events" may name verbs and dotted actions at once: either one matches.
    events_match = [
        t.c[column].in_(values)
        for column, values in (("verb", filters.verbs), ("action", filters.actions))
        if values
    ]
    if events_match:
        clauses.append(or_(*events_match) if len(events_match) > 1 else events_match[0])
    return clauses


def event_clauses(
    t: Table, vis: Visibility, filters: Filters, window: Window, search: SearchClause
) -> list[ColumnElement[bool]]:
    """Every condition on the events table for a visibility, filters and window."""
    clauses = visibility_clauses(t, vis) + dimension_clauses(t, filters)
    lo, hi = window.rids()
    if lo is not None:
        clauses.append(t.c.rid >= lo)
    if hi is not None:
        clauses.append(t.c.rid < hi)
    if filters.subject_type:
        clauses.append(t.c.subject_type == filters.subject_type)
    if filters.subject_id:
        clauses.append(t.c.subject_id == filters.subject_id)
    if filters.ip:
        clauses.append(t.c.ip == filters.ip)
    if filters.countries:
        clauses.append(t.c.country.in_(filters.countries))
    if filters.ids:  # through the log's key (the copies have no index of ids)
        clauses.append(t.c.rid.in_(select(entries.c.rid).where(entries.c.id.in_(filters.ids))))
    if filters.roles:  # rare: no index, no rollup; the other conditions narrow it first
        clauses.append(t.c.actor_role.in_(filters.roles))
    query = words(filters.search) if filters.search else ""
    if query:
        clauses.append(search(query, lo, hi, scope_of(vis, filters)))
    return clauses


def search_alone(vis: Visibility, filters: Filters) -> bool:
    """True when a search's scope (:func:`~activitylog.store.search_index.scope_of`) and
    its time window are every condition: a search index that knows scopes then answers
    alone, without the events table."""
    unscoped = replace(filters, search=None, since=None, until=None, layers=())
    return (
        bool(filters.search)
        and vis.workspace is not None
        and vis.actor_id is None
        and unscoped == Filters()
    )


def rollup_covers(filters: Filters) -> bool:
    """True when the hourly rollup can answer counts under these filters."""
    return not (
        filters.subject_type
        or filters.subject_id
        or filters.ip
        or filters.countries
        or filters.search
        or filters.ids
        or filters.roles
    )
