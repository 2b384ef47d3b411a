"""Reading on ClickHouse: one event, pages, streams and counts, always under a Visibility.

The conditions are the SQL engines' (:func:`~activitylog.store.clauses.event_clauses` on
the copies, the same sort orders and cursors), sent as ClickHouse SQL. Counts are answered
from the table's projections by hour and day for a window's whole hours and days
(:mod:`.counting`), else by aggregations of the matching rows, which a column store reads a
few columns of. Search matches the query's words at the start of a stored word (the
rule :mod:`activitylog.search_words` states), narrowed by the n-gram skip index. A
subject's history in time order takes its page's rids from the ``by_subject`` projection,
then reads those rows (:meth:`ClickHouseReads.query`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnClause, ColumnElement, column, func, or_, select, tuple_
from sqlalchemy.sql import visitors

from activitylog.access import Visibility
from activitylog.events import EVENT_FIELDS, format_micros
from activitylog.query import Filters, Page, QuerySpec
from activitylog.stats import Dim
from activitylog.store.base import chunks, row_to_event
from activitylog.store.clauses import Window, event_clauses
from activitylog.store.clickhouse import counting
from activitylog.store.clickhouse.base import ClickHouseBase
from activitylog.store.clickhouse.schema import SUBJECT_COLUMNS
from activitylog.store.count_memo import memo_of, reusing, settle_once
from activitylog.store.reads import SORT_COLUMNS, STEP_US, _beyond, _order, _page
from activitylog.store.schema import RID_SLOTS, events
from activitylog.timeranges import previous_window

#: What an event is read from, as ``base.READ_COLUMNS`` on the SQL engines.
READ: tuple[ColumnClause[Any], ...] = (
    column("seq"),
    column("body"),
    column("content_hash"),
    column("chain_hash"),
)


def search(query: str, lo: int | None, hi: int | None, scope: object = None) -> ColumnElement[bool]:
    """The query's words at the start of the stored words or after a space (words hold
    no LIKE wildcard); the time bounds and the scope are the other clauses'."""
    stored = events.c.search_text
    return or_(stored.like(f"{query}%"), stored.like(f"% {query}%"))


def visible(vis: Visibility, filters: Filters, window: Window) -> list[ColumnElement[bool]]:
    """Every condition on ``events`` for a visibility, filters and window (ids through
    the id column, which the table has)."""
    clauses = event_clauses(events, vis, replace(filters, ids=()), window, search)
    if filters.ids:
        clauses.append(column("id").in_(filters.ids))
    return clauses


def hexed(row: Sequence[Any]) -> tuple[int, bytes, str, str]:
    """A row of :data:`READ` as the package reads it: the hashes as hex."""
    seq, body, content_hash, chain_hash = row
    return int(seq), body, bytes(content_hash).hex(), bytes(chain_hash).hex()


#: The grouping sets of :meth:`ClickHouseReads._page_counts` by their ``grouping()`` of
#: (time step, kind, category).
_BY_TIME, _BY_KIND, _BY_CATEGORY, _IN_ALL = _SETS = (0b001, 0b101, 0b110, 0b111)


class ClickHouseReads(ClickHouseBase):
    #: Appends what callers' committed transactions left in the outbox (the writes').
    settle: Callable[[], int]

    def _settled(self) -> None:
        """Before a read: :meth:`settle`, once per :meth:`reusing_counts` block."""
        settle_once(self, self.settle)

    def get(self, event_id: str, visibility: Visibility) -> dict[str, Any] | None:
        return self.get_many([event_id], visibility).get(event_id)

    def get_many(self, ids: Sequence[str], visibility: Visibility) -> dict[str, dict[str, Any]]:
        """The events (or tombstones) with these ids that ``visibility`` allows, by id."""
        self._settled()
        return self._found(ids, visibility)

    def _found(self, ids: Sequence[str], visibility: Visibility) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunks(ids):
            where = visible(visibility, Filters(ids=tuple(chunk)), Window(None, None))
            stmt = select(column("id"), *READ).select_from(events).where(*where)
            for row in self.db.rows(stmt):
                found[row[0]] = row_to_event(hexed(row[1:]))
        missing = [i for i in ids if i not in found]
        for chunk in chunks(missing):
            found.update(self._tombstones(chunk, visibility))
        return found

    def _tombstones(self, ids: Sequence[str], vis: Visibility) -> dict[str, dict[str, Any]]:
        if vis.actor_id is not None:
            return {}  # a tombstone no longer says whose event it was
        rows = self.db.rows(
            "SELECT id, workspace, seq, occurred_at, content_hash, chain_hash, deleted_at,"
            " deleted_by, reason FROM tombstones FINAL WHERE id IN %(ids)s",
            {"ids": tuple(ids)},
        )
        found = {}
        for event_id, workspace, seq, occurred, content, chained, at, by, reason in rows:
            if vis.workspace is not None and workspace != vis.workspace:
                continue
            event: dict[str, Any] = dict.fromkeys(EVENT_FIELDS)
            event.update(
                id=event_id,
                workspace=workspace,
                seq=seq,
                occurred_at=format_micros(occurred),
                content_hash=content,
                chain_hash=chained,
                deleted_at=format_micros(at),
                deleted_by=by,
                delete_reason=reason,
            )
            found[event_id] = event
        return found

    def query(self, spec: QuerySpec) -> Page:
        self._settled()
        filters = spec.filters
        where = visible(spec.visibility, filters, Window.of(filters))
        sort_column = SORT_COLUMNS[spec.sort.key]
        backwards = spec.before is not None
        cursor = spec.before or spec.after
        if cursor is not None:
            where.append(_beyond(spec.sort, sort_column, cursor, backwards))
        order = _order(spec.sort, sort_column, backwards)
        stmt = select(events.c.rid, sort_column, *READ).where(*where).order_by(*order)
        page = stmt.limit(spec.size + 1).offset(spec.offset)
        if filters.subject_id is None or sort_column is not events.c.rid or not _by_subject(where):
            rows = self.db.rows(page)
        else:
            # the page's rids from the by_subject projection (reading in the table's order
            # would pick the table itself), then those rows: a granule or so each
            rids = select(events.c.rid).where(*where).order_by(*order)
            rids = rids.limit(spec.size + 1).offset(spec.offset)
            chosen = stmt.where(events.c.rid.in_(rids.scalar_subquery())).limit(spec.size + 1)
            rows = self.db.rows(chosen, settings={"optimize_read_in_order": 0})
        more = len(rows) > spec.size
        rows = rows[: spec.size][::-1] if backwards else rows[: spec.size]
        items = [row_to_event(hexed(row[2:])) for row in rows]
        total = self.count(spec.visibility, filters)
        return _page(spec, items, total, rows, more, backwards, sort_column is events.c.rid)

    def iter_events(
        self, visibility: Visibility, filters: Filters, order: str = "-time", chunk: int = 5000
    ) -> Iterator[dict[str, Any]]:
        for row in self.iter_rows(visibility, filters, order, chunk):
            yield row_to_event(row)

    def iter_rows(
        self, visibility: Visibility, filters: Filters, order: str = "-time", chunk: int = 5000
    ) -> Iterator[tuple[int, bytes, str, str]]:
        """Every matching entry as stored (seq, canonical body, hashes as hex), in time
        order, in keyset chunks (flat memory)."""
        self._settled()
        where = visible(visibility, filters, Window.of(filters))
        descending = order.startswith("-")
        rid = events.c.rid
        last: int | None = None
        while True:
            stmt = select(rid, *READ).where(*where)
            if last is not None:
                stmt = stmt.where(rid < last if descending else rid > last)
            rows = self.db.rows(stmt.order_by(rid.desc() if descending else rid).limit(chunk))
            yield from (hexed(row[1:]) for row in rows)
            if len(rows) < chunk:
                return
            last = rows[-1][0]

    def after(self, workspace: str, seq: int, limit: int) -> list[tuple[Any, ...]]:
        """Up to ``limit`` entries of ``workspace`` after ``seq``, in seq order (tombstones
        skipped): ``(seq, body, content_hash, chain_hash)``."""
        self._settled()
        rows = self.db.rows(
            "SELECT seq, body, content_hash, chain_hash FROM events"
            " WHERE workspace = %(w)s AND seq > %(s)s ORDER BY seq LIMIT %(n)s",
            {"w": workspace, "s": seq, "n": limit},
        )
        return [hexed(row) for row in rows]

    def count(self, visibility: Visibility, filters: Filters) -> int:
        return sum(row[-1] for row in self.counts(visibility, filters, ()))

    def counts(
        self, visibility: Visibility, filters: Filters, dims: Sequence[Dim]
    ) -> list[tuple[Any, ...]]:
        """``(dim values..., count)`` rows; ``hour`` as hours since the epoch, answered once
        per :meth:`reusing_counts` block: from the projections when they have every
        column the question names (:mod:`.counting`), else one aggregation of the matching
        rows. Within a block, a question by time step and kind (the Activity Log page's
        first) the projections cannot answer answers the page's other questions of the
        same rows in the same scan (:meth:`_page_counts`)."""
        memo = memo_of(self)
        key = (visibility, filters, tuple(dims))
        if memo is not None and key in memo:
            return list(memo[key])
        self._settled()
        if counting.projected(filters, dims):
            if memo is not None and tuple(dims) in (("hour", "kind"), ("actor_id",)):
                page_counts = self._page_kinds if dims[0] == "hour" else self._page_actors
                page_counts(visibility, filters, memo)
                return list(memo[key])
            stmt = counting.counts(_question(visibility, filters), dims)
            rows = [tuple(row) for row in self.db.rows(stmt) if row[-1]]
            if memo is not None:
                memo[key] = rows
            return list(rows)
        if memo is not None and len(dims) == 2 and dims[0] in STEP_US and dims[1] == "kind":
            self._page_counts(visibility, filters, dims[0], memo)
            return list(memo[key])
        columns = [
            func.intDiv(events.c.rid, STEP_US[d] * RID_SLOTS).label(d)
            if d in STEP_US
            else events.c[d]
            for d in dims
        ]
        stmt = (
            select(*columns, func.count())
            .select_from(events)
            .where(*visible(visibility, filters, Window.of(filters)))
        )
        rows = [tuple(row) for row in self.db.rows(stmt.group_by(*columns) if columns else stmt)]
        rows = [row for row in rows if row[-1]]
        if memo is not None:
            memo[key] = rows
        return list(rows)

    def _page_counts(
        self, vis: Visibility, filters: Filters, step: str, memo: dict[tuple[Any, ...], Any]
    ) -> None:
        """Answer in ``memo``, from two scans of the matching rows (``GROUPING SETS``), the
        counts by ``(step, kind)``, by kind, category and in all, the sign-ins by kind (when
        the filters leave sign-ins their own question: no verb or action named, or
        ``signed_in`` among the verbs); then the counts by actor, each actor's summary and
        the unique IPs (apart: computed per group, those would cost the first scan a set per
        time step)."""
        c = events.c
        where = visible(vis, filters, Window.of(filters))
        slot = func.intDiv(c.rid, STEP_US[step] * RID_SLOTS)
        counted = (
            select(func.grouping(slot, c.kind, c.category), slot, c.kind, c.category)
            .add_columns(func.count(), func.countIf(c.verb == "signed_in"))
            .where(*where)
            .group_by(
                func.grouping_sets(
                    tuple_(slot, c.kind), tuple_(c.kind), tuple_(c.category), tuple_()
                )
            )
        )
        # grouping(): a bit per argument, set when the row's grouping set leaves it out
        sets: dict[int, list[tuple[Any, ...]]] = {m: [] for m in _SETS}
        for mask, *row in self.db.rows(counted):
            sets[int(mask)].append(tuple(row))
        memo[(vis, filters, (step, "kind"))] = [(t, k, n) for t, k, _, n, _ in sets[_BY_TIME] if n]
        memo[(vis, filters, ("kind",))] = [(k, n) for _, k, _, n, _ in sets[_BY_KIND] if n]
        memo[(vis, filters, ("category",))] = [
            (cat, n) for _, _, cat, n, _ in sets[_BY_CATEGORY] if n
        ]
        memo[(vis, filters, ())] = [(n,) for _, _, _, n, _ in sets[_IN_ALL] if n]
        signed_in = _sign_ins(filters)
        if signed_in is not None:
            memo[(vis, signed_in, ("kind",))] = [(k, s) for _, k, _, _, s in sets[_BY_KIND] if s]
        # the actors (few beside the rows), and over all rows the unique IPs
        actors = (
            select(func.grouping(c.actor_id), c.actor_id, func.count(), func.uniqExact(c.ip))
            .add_columns(func.argMax(c.actor_name, c.rid), func.max(c.rid))
            .where(*where)
            .group_by(func.grouping_sets(tuple_(c.actor_id), tuple_()))
        )
        by_actor, ips = [], 0
        for mask, actor, n, unique, name, rid in self.db.rows(actors):
            if mask:
                ips = int(unique)
            elif n:
                by_actor.append((actor, name, n, rid))
        memo[(vis, filters, ("actor_id",))] = [(a, n) for a, _, n, _ in by_actor]
        memo[("unique_ips", vis, filters)] = ips
        memo[("actors", vis, filters)] = {
            a: {"name": name, "last_seen": format_micros(rid // RID_SLOTS)}
            for a, name, _, rid in by_actor
        }

    def _page_kinds(self, vis: Visibility, filters: Filters, memo: dict[Any, Any]) -> None:
        """Answer in ``memo``, from the projections in one statement
        (:func:`counting.page`), the counts by hour and kind, by kind, in all, by category,
        the sign-ins by kind (as :meth:`_page_counts`), and the page's other questions of
        the same rows: the counts by actor, each actor's summary and the unique IPs."""
        by_time: Counter[tuple[int, str]] = Counter()
        kinds: Counter[str] = Counter()
        signed: Counter[str] = Counter()
        categories, people, ips, before = [], [], 0, 0
        earlier = _earlier(filters)
        previous = None if earlier is None else _question(vis, earlier)
        for part, hour, kind, signed_in, key, name, rid, n in self.db.rows(
            counting.page(_question(vis, filters), previous)
        ):
            if part == counting.BY_HOUR_AND_KIND:
                by_time[(hour, kind)] += n
                kinds[kind] += n
                if signed_in:
                    signed[kind] += n
            elif part == counting.BY_CATEGORY:
                categories.append((key, int(n)))
            elif part == counting.BY_ACTOR:
                people.append((key, int(n), rid, name))
            elif part == counting.UNIQUE_IPS:
                ips = int(n)
            else:
                before = int(n or 0)
        memo[(vis, filters, ("hour", "kind"))] = [(t, k, n) for (t, k), n in by_time.items() if n]
        memo[(vis, filters, ("kind",))] = [(k, n) for k, n in kinds.items() if n]
        memo[(vis, filters, ())] = [(n,) for n in [sum(kinds.values())] if n]
        memo[(vis, filters, ("category",))] = [(c, n) for c, n in categories if n]
        sign_ins = _sign_ins(filters)
        if sign_ins is not None:
            memo[(vis, sign_ins, ("kind",))] = [(k, n) for k, n in signed.items() if n]
        memo[(vis, filters, ("actor_id",))] = [(a, n) for a, n, _, _ in people if n]
        memo[("actors", vis, filters)] = _summaries(people)
        memo[("unique_ips", vis, filters)] = ips
        if earlier is not None:
            memo[(vis, earlier, ())] = [(n,) for n in [before] if n]

    def _page_actors(self, vis: Visibility, filters: Filters, memo: dict[Any, Any]) -> None:
        """Answer in ``memo``, from the projections, the counts by actor and each actor's
        name and last-seen time (what :meth:`actor_summaries` asks)."""
        rows = self.db.rows(counting.actors(_question(vis, filters)))
        memo[(vis, filters, ("actor_id",))] = [(a, int(n)) for a, n, _, _ in rows if n]
        memo[("actors", vis, filters)] = _summaries(rows)

    @contextmanager
    def reusing_counts(self) -> Iterator[None]:
        """Answer the same counting question once within this block."""
        with reusing():
            yield

    def unique_ips(self, visibility: Visibility, filters: Filters) -> int:
        memo = memo_of(self)
        if memo is not None and ("unique_ips", visibility, filters) in memo:
            return int(memo[("unique_ips", visibility, filters)])
        self._settled()
        if counting.projected(filters):
            return int(self.db.rows(counting.unique_ips(_question(visibility, filters)))[0][0])
        where = visible(visibility, filters, Window.of(filters))
        stmt = select(func.uniqExact(events.c.ip)).where(events.c.ip.is_not(None), *where)
        return int(self.db.rows(stmt)[0][0])

    def actor_summaries(
        self, visibility: Visibility, filters: Filters, actor_ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """Name and last-seen time in the window of each actor: one aggregation (of the
        projections when they answer)."""
        if not actor_ids:
            return {}
        memo = memo_of(self)
        known = None if memo is None else memo.get(("actors", visibility, filters))
        if known is not None:
            return {a: known[a] for a in actor_ids if a in known}
        self._settled()
        if counting.projected(filters):
            question = _question(visibility, filters)
            return _summaries(self.db.rows(counting.actors(question, actor_ids)))
        where = visible(visibility, filters, Window.of(filters))
        stmt = (
            select(
                events.c.actor_id,
                func.argMax(events.c.actor_name, events.c.rid),
                func.max(events.c.rid),
            )
            .where(events.c.actor_id.in_(actor_ids), *where)
            .group_by(events.c.actor_id)
        )
        return {
            actor: {"name": name, "last_seen": format_micros(rid // RID_SLOTS)}
            for actor, name, rid in self.db.rows(stmt)
        }


def _by_subject(where: Sequence[ColumnElement[bool]]) -> bool:
    """Whether every column ``where`` names is one of the ``by_subject`` projection's."""
    named = {
        element.name
        for clause in where
        for element in visitors.iterate(clause)
        if isinstance(element, ColumnClause)
    }
    return named <= set(SUBJECT_COLUMNS)


def _summaries(rows: Sequence[Sequence[Any]]) -> dict[str, dict[str, Any]]:
    """``{actor: {name, last_seen}}`` of :func:`counting.actors` rows."""
    return {
        actor: {"name": name, "last_seen": format_micros(int(rid) // RID_SLOTS)}
        for actor, n, rid, name in rows
        if n
    }


def _sign_ins(filters: Filters) -> Filters | None:
    """The filters of the sign-ins among the rows of ``filters`` when the page asks them
    apart (no verb or action named, or ``signed_in`` among the verbs), else None."""
    if (not filters.verbs and not filters.actions) or "signed_in" in filters.verbs:
        return replace(filters, verbs=("signed_in",), actions=())
    return None


def _earlier(filters: Filters) -> Filters | None:
    """The filters of the window before ``filters``' (the page compares its total with
    that window's, :func:`activitylog.stats.compute`); None for an open window."""
    if filters.since is None or filters.until is None:
        return None
    since, until = previous_window(filters.since, filters.until)
    return replace(filters, since=since, until=until)


def _question(vis: Visibility, filters: Filters) -> counting.Question:
    """A question the projections answer, for :mod:`.counting`."""
    return counting.Question(visible(vis, filters, Window(None, None)), filters)
