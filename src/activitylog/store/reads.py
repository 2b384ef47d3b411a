"""Reading: one event, pages, streams, counts and the chain, always under a Visibility."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Table, and_, func, or_, select

from activitylog.access import Visibility
from activitylog.events import EVENT_FIELDS, format_micros
from activitylog.query import Cursor, Filters, Page, QuerySpec, Sort
from activitylog.search_words import words
from activitylog.stats import Dim
from activitylog.store.base import READ_COLUMNS, chunks, row_to_event
from activitylog.store.clauses import (
    Window,
    dimension_clauses,
    event_clauses,
    rollup_covers,
    search_alone,
    visibility_clauses,
)
from activitylog.store.count_memo import memo_of, reusing, settle_once
from activitylog.store.indexing import SQLIndexing
from activitylog.store.rollups import (
    DAY_US,
    FILTER_DIMS,
    HOUR_US,
    Segment,
    choose,
    needed_dims,
    segments,
)
from activitylog.store.schema import (
    IP_DIMS,
    IP_ROLLUPS,
    RID_SLOTS,
    ROLLUPS,
    Rollup,
    entries,
    events,
    tombstones,
)
from activitylog.store.search_index import SearchScope, scope_of

SORT_COLUMNS: dict[str, ColumnElement[Any]] = {
    "time": events.c.rid,
    # People read names case-insensitively: "ava.thompson" sorts beside "Ava Thompson".
    "actor": func.lower(events.c.actor_name),
    "category": events.c.category,
    "verb": events.c.verb,
    "ip": events.c.ip,
    "result": events.c.result,
}
_UNIT = {"day": DAY_US, "hour": HOUR_US, "raw": 1}
STEP_US = {"hour": HOUR_US, "quarter": HOUR_US // 4}


#: An entry and its copies.
_SAME_RID = entries.c.rid == events.c.rid


class SQLReads(SQLIndexing):
    """Reads of entries, pages and counts. All but :meth:`after` settle first
    (:meth:`_settled`): the copies, the rollups and the search index include every entry
    acknowledged before the read began."""

    #: The copies have an index of each workspace's rows in the actor sort's order.
    ACTOR_ORDER = False

    def _settled(self) -> None:
        """Index what is pending, once per :meth:`reusing_counts` block."""
        settle_once(self, self.settle)

    def get(self, event_id: str, visibility: Visibility) -> dict[str, Any] | None:
        """One event (or its tombstone) if ``visibility`` allows it."""
        return self.get_many([event_id], visibility).get(event_id)

    def get_many(self, ids: Sequence[str], visibility: Visibility) -> dict[str, dict[str, Any]]:
        """The events (or tombstones) with these ids that ``visibility`` allows, by id."""
        self._settled()  # the access rules read the copies
        found: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(ids):
                where = event_clauses(
                    events, visibility, Filters(ids=tuple(chunk)), Window(None, None), self._search
                )
                stmt = select(entries.c.id, *READ_COLUMNS).join_from(events, entries, _SAME_RID)
                for row in conn.execute(stmt.where(*where)):
                    found[row[0]] = self._event(row[1:])
            for event_id in ids:
                if event_id not in found:
                    tombstone = self._tombstone(conn, event_id, visibility)
                    if tombstone is not None:
                        found[event_id] = tombstone
        return found

    def _tombstone(self, conn: Connection, event_id: str, vis: Visibility) -> dict[str, Any] | None:
        row = conn.execute(select(tombstones).where(tombstones.c.id == event_id)).mappings().first()
        if row is None or (vis.workspace is not None and row["workspace"] != vis.workspace):
            return None
        if vis.actor_id is not None:
            return None  # a tombstone no longer says whose event it was
        event: dict[str, Any] = dict.fromkeys(EVENT_FIELDS)
        event.update(
            id=row["id"],
            workspace=row["workspace"],
            seq=row["seq"],
            occurred_at=format_micros(row["occurred_at"]),
            content_hash=row["content_hash"],
            chain_hash=row["chain_hash"],
            deleted_at=format_micros(row["deleted_at"]),
            deleted_by=row["deleted_by"],
            delete_reason=row["reason"],
        )
        return event

    def query(self, spec: QuerySpec) -> Page:
        self._settled()
        filters = spec.filters
        window = Window.of(filters)
        if self._walks_actor_order(spec):
            # The window tested on each key instead of ranging over rid: the planner then
            # walks the index in the sort's order and reads only as far as the page.
            where = event_clauses(
                events, spec.visibility, filters, Window(None, None), self._search
            )
            lo, hi = window.rids()
            where += [events.c.rid + 0 >= lo] if lo is not None else []
            where += [events.c.rid + 0 < hi] if hi is not None else []
        else:
            where = event_clauses(events, spec.visibility, filters, window, self._search)
        column = SORT_COLUMNS[spec.sort.key]
        backwards = spec.before is not None  # read in reverse from the cursor, then turn
        cursor = spec.before or spec.after
        if cursor is not None:
            where.append(_beyond(spec.sort, column, cursor, backwards))
        # Page through the narrow index first (one more key: is there a next page?),
        # then fetch only the rows shown.
        searched = self._keys_from_search(spec, cursor, backwards)
        keys_stmt: Select[Any] = (
            (
                select(events.c.rid, column)
                .where(*where)
                .order_by(*_order(spec.sort, column, backwards))
                if searched is None
                else searched
            )
            .limit(spec.size + 1)
            .offset(spec.offset)
        )
        with self.engine.connect() as conn:
            keys = [tuple(row) for row in conn.execute(keys_stmt)]
            more = len(keys) > spec.size
            keys = keys[: spec.size][::-1] if backwards else keys[: spec.size]
            rows: dict[int, dict[str, Any]] = {}
            for chunk in chunks([rid for rid, _ in keys]):
                stmt = select(entries.c.rid, *READ_COLUMNS).where(entries.c.rid.in_(chunk))
                rows.update((row[0], self._event(row[1:])) for row in conn.execute(stmt))
            total = self._count(conn, spec.visibility, filters)
        items = [rows[rid] for rid, _ in keys if rid in rows]
        return _page(spec, items, total, keys, more, backwards, column is events.c.rid)

    def _walks_actor_order(self, spec: QuerySpec) -> bool:
        """Whether a page sorted by actor walks the copies' index in that order
        (:attr:`ACTOR_ORDER`): within one workspace, unless a filter with an index of its
        own (or a search) narrows the rows more than a walk skips."""
        vis, filters = spec.visibility, spec.filters
        return (
            self.ACTOR_ORDER
            and spec.sort.key == "actor"
            and vis.workspace is not None
            and vis.actor_id is None
            and not (
                filters.actor_ids
                or filters.subject_type
                or filters.subject_id
                or filters.ip
                or filters.countries
                or filters.search
                or filters.ids
            )
        )

    def _keys_from_search(
        self, spec: QuerySpec, cursor: Cursor | None, backwards: bool
    ) -> Select[Any] | None:
        """A page's ``(rid, rid)`` keys in time order, read from the search index alone
        when it answers every condition (:meth:`_search_alone`); else None."""
        if spec.sort.key != "time":
            return None
        window = Window.of(spec.filters)
        lo, hi = window.rids()
        descending = spec.sort.descending != backwards
        if cursor is not None:
            if descending:
                hi = cursor.rid if hi is None else min(hi, cursor.rid)
            else:
                lo = cursor.rid + 1 if lo is None else max(lo, cursor.rid + 1)
        rids = self._search_alone(spec.visibility, spec.filters, lo, hi)
        if rids is None:
            return None
        rid = rids.selected_columns[0]
        return rids.add_columns(rid).order_by(rid.desc() if descending else rid.asc())

    def _search_alone(
        self, vis: Visibility, filters: Filters, lo: int | None, hi: int | None
    ) -> Select[Any] | None:
        """The rids of the entries matching ``filters`` in ``[lo, hi)`` from the search
        index alone, when the engine's index knows scopes and they and the rid range are
        every condition (:func:`~activitylog.store.clauses.search_alone`); else None."""
        query = words(filters.search) if filters.search else ""
        if not query or not search_alone(vis, filters):
            return None
        return self._search_rids(query, lo, hi, scope_of(vis, filters))

    def _search_rids(
        self, query: str, lo: int | None, hi: int | None, scope: SearchScope | None
    ) -> Select[Any] | None:
        """The rids of the entries of ``scope`` in ``[lo, hi)`` whose words match
        ``query``, from a search index that knows scopes; None where the engine's does
        not."""
        return None

    def iter_events(
        self, visibility: Visibility, filters: Filters, order: str = "-time", chunk: int = 5000
    ) -> Iterator[dict[str, Any]]:
        """Every matching event in time order, fetched in keyset chunks: flat memory."""
        for row in self.iter_rows(visibility, filters, order, chunk):
            yield row_to_event(row)

    def iter_rows(
        self, visibility: Visibility, filters: Filters, order: str = "-time", chunk: int = 5000
    ) -> Iterator[tuple[int, bytes, str, str]]:
        """Every matching entry, ``(seq, body, content_hash, chain_hash)`` with the body
        the exact canonical JSON that was hashed (decoded from its stored form) and the
        hashes as hex, in time order, fetched in keyset chunks (flat memory): what exports
        splice rather than parse and re-encode."""
        self._settled()
        where = event_clauses(events, visibility, filters, Window.of(filters), self._search)
        descending = order.startswith("-")
        last: int | None = None
        while True:
            stmt = select(events.c.rid, *READ_COLUMNS).join_from(events, entries, _SAME_RID)
            stmt = stmt.where(*where)
            if last is not None:
                stmt = stmt.where(events.c.rid < last if descending else events.c.rid > last)
            stmt = stmt.order_by(events.c.rid.desc() if descending else events.c.rid).limit(chunk)
            with self.engine.connect() as conn:
                rows = self._all(conn, stmt)
            yield from self._read_many(rows, 1)
            if len(rows) < chunk:
                return
            last = rows[-1][0]

    def after(self, workspace: str, seq: int, limit: int) -> list[tuple[Any, ...]]:
        """Up to ``limit`` rows of :data:`READ_COLUMNS` (seq, body, hashes; decoded as
        :meth:`_read` does) of ``workspace`` after ``seq``, in seq order: what a follower
        reads next (committed entries only; tombstones are skipped)."""
        stmt = (
            select(*READ_COLUMNS)
            .where(entries.c.workspace == workspace, entries.c.seq > seq)
            .order_by(entries.c.seq)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [self._read(row) for row in conn.execute(stmt)]

    def count(self, visibility: Visibility, filters: Filters) -> int:
        with self.engine.connect() as conn:
            return self._count(conn, visibility, filters)

    def _count(self, conn: Connection, vis: Visibility, filters: Filters) -> int:
        return sum(row[-1] for row in self._answer(vis, filters, (), conn))

    def counts(
        self, visibility: Visibility, filters: Filters, dims: Sequence[Dim]
    ) -> list[tuple[Any, ...]]:
        """``(dim values..., count)`` rows; ``hour`` as hours since the epoch."""
        return self._answer(visibility, filters, dims, None)

    def _answer(
        self, visibility: Visibility, filters: Filters, dims: Sequence[Dim], conn: Connection | None
    ) -> list[tuple[Any, ...]]:
        """:meth:`counts`, reusing this block's answers (:meth:`reusing_counts`), on
        ``conn`` when the caller has one open."""
        memo = memo_of(self)
        key = (visibility, filters, tuple(dims))
        if memo is not None and key in memo:
            return list(memo[key])
        self._settled()
        if memo is not None and not rollup_covers(filters) and _GRAIN_DIMS.issuperset(dims):
            rows = _from_grain(self._grain(memo, visibility, filters), filters, dims)
        elif conn is not None:
            rows = self._counts(conn, visibility, filters, dims)
        else:
            with self.engine.connect() as own:
                rows = self._counts(own, visibility, filters, dims)
        if memo is not None:
            memo[key] = rows
        return list(rows)

    def _grain(
        self, memo: dict[tuple[Any, ...], list[tuple[Any, ...]]], vis: Visibility, filters: Filters
    ) -> list[tuple[Any, ...]]:
        """``(GRAIN values..., newest rid, count)`` of the matching rows: read once per
        block for the filters less those on the grain's columns (questions that differ only
        in them are answered from it, see :func:`_kept`). For rows no rollup covers."""
        unfiltered: dict[str, Any] = {attr: () for attr, _ in FILTER_DIMS}
        base = replace(filters, **unfiltered)
        key = ("grain", vis, base)
        if key not in memo:
            columns = _columns(GRAIN)
            where = event_clauses(events, vis, base, Window.of(base), self._search)
            stmt = select(*columns, func.max(events.c.rid), func.count()).where(*where)
            with self.engine.connect() as conn:
                memo[key] = [tuple(row) for row in conn.execute(stmt.group_by(*columns))]
        return memo[key]

    @contextmanager
    def reusing_counts(self) -> Iterator[None]:
        """Answer the same counting question once within this block: a page asks several
        parts (KPIs, charts, the filters' live counts) some of the same questions, and
        without a rollup to read (a search) each answer is a scan of the matching rows.
        Inside another such block, that block's answers are shared."""
        with reusing():
            yield

    def _counts(
        self, conn: Connection, vis: Visibility, filters: Filters, dims: Sequence[Dim]
    ) -> list[tuple[Any, ...]]:
        totals: Counter[tuple[Any, ...]] = Counter()
        need = needed_dims(vis, filters, dims)
        raw = "quarter" in dims
        for segment in self._segments(filters, hourly="hour" in dims, raw=raw):
            rollup = choose(ROLLUPS, segment.grain, need)
            if rollup is None:
                stmt = self._raw_counts(vis, filters, _window(segment), dims)
            else:
                stmt = self._rollup_counts(rollup, vis, filters, segment, dims)
            for row in conn.execute(stmt):
                if row[-1]:
                    totals[tuple(row[:-1])] += int(row[-1])
        return [(*key, n) for key, n in totals.items() if n]

    def _segments(self, filters: Filters, *, hourly: bool, raw: bool = False) -> list[Segment]:
        window = Window.of(filters)
        if raw or not rollup_covers(filters):
            return [Segment("raw", window.since_us, window.until_us)]
        return segments(window.since_us, window.until_us, hourly=hourly)

    def _rollup_counts(
        self,
        rollup: Rollup,
        vis: Visibility,
        filters: Filters,
        segment: Segment,
        dims: Sequence[Dim],
    ) -> Select[Any]:
        t = rollup.table
        columns = [t.c.bucket.label("hour") if d == "hour" else t.c[d] for d in dims]
        stmt = select(*columns, func.sum(t.c.n)).where(*_rollup_where(t, vis, filters, segment))
        return stmt.group_by(*columns) if columns else stmt

    def _raw_counts(
        self, vis: Visibility, filters: Filters, window: Window, dims: Sequence[Dim]
    ) -> Select[Any]:
        """Counts of raw events by ``dims``."""
        if not dims:
            rids = self._search_alone(vis, filters, *window.rids())
            if rids is not None:
                return select(func.count()).select_from(rids.subquery())
        columns = _columns(dims)
        stmt = select(*columns, func.count()).where(
            *event_clauses(events, vis, filters, window, self._search)
        )
        return stmt.group_by(*columns) if columns else stmt

    def unique_ips(self, visibility: Visibility, filters: Filters) -> int:
        self._settled()
        need = needed_dims(visibility, filters, ())
        ips: set[str] = set()
        with self.engine.connect() as conn:
            for segment in self._segments(filters, hourly=False):
                rollup = choose(IP_ROLLUPS, segment.grain, need) if need <= set(IP_DIMS) else None
                if rollup is None:
                    where = event_clauses(
                        events, visibility, filters, _window(segment), self._search
                    )
                    stmt = select(events.c.ip).where(events.c.ip.is_not(None), *where)
                else:
                    t = rollup.table
                    stmt = select(t.c.ip).where(*_rollup_where(t, visibility, filters, segment))
                ips.update(conn.execute(stmt.distinct()).scalars())
        return len(ips)

    def actor_summaries(
        self, visibility: Visibility, filters: Filters, actor_ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """Name and last-seen time in the window of each actor (one index seek each)."""
        self._settled()
        memo = memo_of(self)
        if memo is not None and not rollup_covers(filters):
            return self._summaries_from_grain(memo, visibility, filters, actor_ids)
        out: dict[str, dict[str, Any]] = {}
        where = event_clauses(events, visibility, filters, Window.of(filters), self._search)
        with self.engine.connect() as conn:
            for actor_id in actor_ids:
                stmt = (
                    select(events.c.actor_name, events.c.rid // RID_SLOTS)
                    .where(events.c.actor_id == actor_id, *where)
                    .order_by(events.c.rid.desc())
                    .limit(1)
                )
                row = conn.execute(stmt).first()
                if row is not None:
                    out[actor_id] = {"name": row[0], "last_seen": format_micros(row[1])}
        return out

    def _summaries_from_grain(
        self,
        memo: dict[tuple[Any, ...], list[tuple[Any, ...]]],
        vis: Visibility,
        filters: Filters,
        actor_ids: Sequence[str],
    ) -> dict[str, dict[str, Any]]:
        """:meth:`actor_summaries` from the grain: each actor's newest rid there, then its
        row's name (one primary-key seek each)."""
        wanted = set(actor_ids)
        newest: dict[str, int] = {}
        for row in _kept(self._grain(memo, vis, filters), filters):
            actor = row[_AT["actor_id"]]
            if actor in wanted and row[_NEWEST] > newest.get(actor, -1):
                newest[actor] = row[_NEWEST]
        out: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for actor_id in actor_ids:
                rid = newest.get(actor_id)
                if rid is None:
                    continue
                name = conn.execute(select(events.c.actor_name).where(events.c.rid == rid))
                out[actor_id] = {
                    "name": name.scalar(),
                    "last_seen": format_micros(rid // RID_SLOTS),
                }
        return out


#: The grain :meth:`SQLReads._grain` counts by: quarter hours (hours are four of them),
#: the dimensions questions group by, and the columns their filters test.
GRAIN = ("quarter", "kind", "category", "actor_id", "verb", "action", "result", "layer")


_AT = {name: i for i, name in enumerate(GRAIN)}
#: What the grain can count by (else the rows are counted, e.g. by ``country``).
_GRAIN_DIMS = frozenset((*GRAIN, "hour"))
_NEWEST = len(GRAIN)  # the grain row's newest rid
_QUARTERS_PER_HOUR = STEP_US["hour"] // STEP_US["quarter"]


def _columns(dims: Sequence[str]) -> list[ColumnElement[Any]]:
    """The events table's columns for ``dims``; time steps as steps since the epoch."""
    return [
        (events.c.rid // (STEP_US[d] * RID_SLOTS)).label(d) if d in STEP_US else events.c[d]
        for d in dims
    ]


def _kept(grain: Sequence[tuple[Any, ...]], filters: Filters) -> Iterator[tuple[Any, ...]]:
    """The grain's rows that pass the filters on its columns (as ``dimension_clauses``:
    a verb or an action may match)."""
    tests = [
        (_AT[column], set(getattr(filters, attr)))
        for attr, column in FILTER_DIMS
        if getattr(filters, attr) and column not in ("verb", "action")
    ]
    verbs, actions = set(filters.verbs), set(filters.actions)
    verb, action = _AT["verb"], _AT["action"]
    for row in grain:
        if any(row[i] not in allowed for i, allowed in tests):
            continue
        if (verbs or actions) and row[verb] not in verbs and row[action] not in actions:
            continue
        yield row


def _from_grain(
    grain: Sequence[tuple[Any, ...]], filters: Filters, dims: Sequence[Dim]
) -> list[tuple[Any, ...]]:
    """The answer to ``counts(filters, dims)`` from the grain's rows."""
    totals: Counter[tuple[Any, ...]] = Counter()
    for row in _kept(grain, filters):
        key = (row[0] // _QUARTERS_PER_HOUR if d == "hour" else row[_AT[d]] for d in dims)
        totals[tuple(key)] += row[-1]
    return [(*key, n) for key, n in totals.items() if n]


def _window(segment: Segment) -> Window:
    unit = _UNIT[segment.grain]
    return Window(
        None if segment.lo is None else segment.lo * unit,
        None if segment.hi is None else segment.hi * unit,
    )


def _rollup_where(
    t: Table, vis: Visibility, filters: Filters, segment: Segment
) -> list[ColumnElement[bool]]:
    clauses = visibility_clauses(t, vis) + dimension_clauses(t, filters) + [t.c.n > 0]
    if segment.lo is not None:
        clauses.append(t.c.bucket >= segment.lo)
    if segment.hi is not None:
        clauses.append(t.c.bucket < segment.hi)
    return clauses


def _page(
    spec: QuerySpec,
    items: list[dict[str, Any]],
    total: int,
    keys: Sequence[Sequence[Any]],
    more: bool,
    backwards: bool,
    by_time: bool,
) -> Page:
    """The page of ``items``, whose ``(rid, sort value)`` ``keys`` give its cursors
    (``by_time``: the rid alone); ``more``: rows beyond it in the direction read."""

    def at(key: Sequence[Any]) -> str:
        return Cursor(str(spec.sort), None if by_time else key[1], key[0]).encode()

    earlier = more if backwards else spec.after is not None or spec.offset > 0
    later = more if not backwards else True
    return Page(
        items=items,
        total=total,
        page=spec.page,
        per_page=spec.size,
        next_cursor=at(keys[-1]) if keys and later else None,
        prev_cursor=at(keys[0]) if keys and earlier else None,
        limit=spec.limit,
    )


def _order(sort: Sort, column: ColumnElement[Any], backwards: bool) -> list[Any]:
    """The ORDER BY of ``sort`` (turned round when reading ``backwards``). Missing names
    and IPs sort last on both engines; rid breaks ties, newest first, and is never null: a
    NULLS clause on it would keep PostgreSQL from walking the index in order."""
    descending = sort.descending != backwards
    if column is events.c.rid:
        return [events.c.rid.desc() if descending else events.c.rid.asc()]
    primary = column.desc() if descending else column.asc()
    primary = primary.nulls_first() if backwards else primary.nulls_last()
    return [primary, events.c.rid.asc() if backwards else events.c.rid.desc()]


def _beyond(
    sort: Sort, column: ColumnElement[Any], cursor: Cursor, backwards: bool
) -> ColumnElement[bool]:
    """Rows past ``cursor`` in ``sort``'s order (before it when ``backwards``)."""
    rid = events.c.rid
    if column is rid:
        return rid < cursor.rid if sort.descending != backwards else rid > cursor.rid
    tie = rid > cursor.rid if backwards else rid < cursor.rid
    if cursor.value is None:  # among the missing values, which sort last
        return or_(column.is_not(None), tie) if backwards else and_(column.is_(None), tie)
    value = cursor.value
    past = (
        (column > value if sort.descending else column < value)
        if backwards
        else (column < value if sort.descending else column > value)
    )
    ahead = or_(past, and_(column == value, tie))
    return ahead if backwards else or_(ahead, column.is_(None))
