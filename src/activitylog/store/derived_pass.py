"""One workspace's pass over its entries' copies: each chunk of rows compared with its
bodies (:class:`~activitylog.store.copies.RowCheck`), and every ``WINDOW`` entries or so,
at a whole UTC day, the rollup rows of the days seen compared with what those entries'
bodies count; repairing, the fixes. An entry whose ``rid`` puts it on another day than its
body (a moved row) is counted on its body's day, which is compared again at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy.exc
from sqlalchemy import Connection

from activitylog.events import format_micros
from activitylog.store import search_index, sqlite_driver
from activitylog.store.bodies import BodyCodec
from activitylog.store.copies import (
    COPY_COLUMNS,
    KEY_FIELDS,
    LOGGED,
    ROW_COLUMNS,
    Broken,
    Key,
    RowCheck,
    copies,
    project,
    rollup_counts,
)
from activitylog.store.indexing import SQLIndexing, copy_row, upsert_sql
from activitylog.store.rollups import DAY_US, HOUR_US, Accumulator
from activitylog.store.schema import IP_ROLLUPS, RID_SLOTS, ROLLUPS, Rollup

#: The mark of a workspace the indexer never saw (rows moved there): compare every row.
_NO_MARK = 2**62
#: Rows read per query (keyset pages on ``(workspace, rid)``).
CHUNK = 5000
#: Entries gathered before their rollup counts are compared (at the next whole day).
WINDOW = 50_000
#: Rollup differences kept per workspace for the report (a repair fixes them all).
MAX_DIFFS = 1000
#: Copy columns a repair rewrites in place; a row whose ``workspace`` or ``rid`` differ is
#: moved back at the end of its pass, and one whose ``id`` differs is left to verify.
REWRITTEN = tuple(c for c in COPY_COLUMNS if c != "workspace")
ALL_ROLLUPS = (*ROLLUPS, *IP_ROLLUPS)
FTS_SIZES = "events_fts_docsize"
_DAY = KEY_FIELDS.index("day")
#: The rids in a range whose row of the search index holds a token.
_HOLDING = "SELECT rowid FROM events_fts WHERE events_fts MATCH ? AND rowid BETWEEN ? AND ?"
#: Columns that say where an entry is rather than what it says.
_PLACE = {"workspace", "rid"}


@dataclass(frozen=True)
class Reindexed:
    """What :meth:`SQLDerived.reindex` changed in one workspace (``workspace`` None: the
    search index, all workspaces at once)."""

    workspace: str | None
    entries: int = 0
    rewritten: int = 0
    #: Rollup rows set to what the entries count (or removed).
    counts_set: int = 0
    #: Seqs of entries not wholly repaired, which verify keeps reporting: the body is
    #: unreadable, the ``id`` differs from it (never rewritten), or the place the body
    #: says (its workspace's seq, a slot of its microsecond) is taken by another row.
    left: tuple[int, ...] = ()
    search_index_rebuilt: bool = False


@dataclass
class _Diff:
    """A rollup row whose count is not what the entries' bodies count."""

    rollup: Rollup
    key: Key  # (bucket, *dims)
    stored: int
    counted: int
    seq: int = 0

    @property
    def day(self) -> int:
        bucket = int(self.key[0])
        return bucket // 24 if self.rollup.grain == "hour" else bucket

    def detail(self) -> str:
        bucket = int(self.key[0])
        unit = HOUR_US if self.rollup.grain == "hour" else DAY_US
        at = format_micros(bucket * unit)[: 13 if self.rollup.grain == "hour" else 10]
        dims = ", ".join(f"{d}={v}" for d, v in zip(self.rollup.dims, self.key[1:], strict=True))
        return (
            f"{self.rollup.table.name} {at} ({dims}) counts {self.stored},"
            f" the entries {self.counted}"
        )


class CopyPass:
    """One workspace's pass over its entries: what differs, and (repairing) the fixes."""

    def __init__(
        self,
        conn: Connection,
        mark: str,
        workspace: str,
        *,
        repair: bool,
        bodies: BodyCodec,
        store: SQLIndexing | None = None,
    ) -> None:
        self.conn, self.mark, self.workspace, self.repair = conn, mark, workspace, repair
        #: Reads the stored bodies (as is, or compressed with a dictionary).
        self.bodies = bodies
        #: Writes copies and removes them, repairing.
        self.store = store
        #: Seqs of entries (up to the mark) without copies; copies of no entry
        #: ``(rid, search_text)``.
        self.uncopied: list[int] = []
        self.orphans: list[tuple[int, str]] = []
        self.sqlite = conn.dialect.name == "sqlite"
        self.check = RowCheck(workspace, as_json=self.sqlite, search_index=self.sqlite)
        #: The indexer's mark: entries past it are not in the counts or the search index yet.
        marks = driver_rows(
            conn, f"SELECT seq FROM derived_heads WHERE workspace = {mark}", (workspace,)
        )
        self.indexed = int(marks[0][0]) if marks else _NO_MARK
        self.diffs: list[_Diff] = []
        self.more_diffs = 0
        #: The first day not compared yet (None: nothing compared yet).
        self.compared_to: int | None = None
        #: Entries whose rid is on another day than their body's: ``(key, seq)``.
        self.strays: list[tuple[Key, int]] = []
        self.entries = 0
        self.rewritten = 0
        self.counts_set = 0
        #: Seqs of rows left as they are (unreadable body, id differs, place taken).
        self.left: list[int] = []
        #: Rows to move back to their body's workspace or rid, at the end of the pass.
        self.moves: list[Broken] = []

    def step(self) -> Reindexed:
        return Reindexed(
            self.workspace, self.entries, self.rewritten, self.counts_set, tuple(sorted(self.left))
        )

    def run(self) -> None:
        if self.repair:
            self._pair()  # the copies then pair with the entries one to one
        statement = self._scan_sql(as_json=self.sqlite, search_index=self.sqlite)
        check, last, indexed = self.check, -1, 0
        while True:
            try:
                rows = driver_rows(
                    self.conn, statement, (self.workspace, last, self.indexed, CHUNK)
                )
            except sqlite_driver.OperationalError:
                if not check.as_json:
                    raise
                # a copy holds a BLOB, which SQLite's JSON cannot: read them one by one
                check.as_json, check.search_index = False, True
                statement = self._scan_sql(as_json=False, search_index=True)
                continue
            if not rows:
                break
            rows = self.bodies.readable_rows(rows, 2)
            start = len(check.broken)
            check.feed(rows)
            if check.suspects:
                check.exact(self._rows_at(check.suspects))
                check.suspects.clear()
            if check.scoped:
                check.check_scopes(self._holding(rows[0][1], rows[-1][1]))
            self.entries += len(rows)
            last = rows[-1][1]
            if self.repair:
                self._rewrite(check.broken[start:])
                self._reindex(check.reindexed[indexed:])
            indexed = len(check.reindexed)
            day = last // (DAY_US * RID_SLOTS)
            if len(check.keys) >= WINDOW and day > check.keys[0][_DAY]:
                self._compare(day)
        self._compare(None)
        if not self.repair:
            self.uncopied, self.orphans = self._unpaired()
        if self.strays:
            self._recount_stray_days()
        if self.moves:
            self._move()

    def _holding(self, first: int, last: int) -> dict[str, set[int]]:
        """The rids in ``[first, last]`` whose row of the search index holds each of
        this workspace's scope tokens, by class."""
        return {
            klass: {
                int(row[0])
                for row in driver_rows(
                    self.conn,
                    _HOLDING,
                    (f'"{search_index.token(self.workspace, klass)}"', first, last),
                )
            }
            for klass in search_index.CLASSES
        }

    def _unpaired(self) -> tuple[list[int], list[tuple[int, str]]]:
        """The entries up to the mark that have no copies, and the copies of no entry
        (looked for only when the pass paired fewer rows than the counts say)."""
        mark, workspace = self.mark, self.workspace
        copied = driver_rows(
            self.conn, f"SELECT count(*) FROM events WHERE workspace = {mark}", (workspace,)
        )[0][0]
        logged = driver_rows(
            self.conn,
            f"SELECT count(*) FROM entries WHERE workspace = {mark} AND seq <= {mark}",
            (workspace, self.indexed),
        )[0][0]
        if copied == logged == self.entries:
            return [], []
        uncopied = driver_rows(
            self.conn,
            "SELECT b.seq FROM entries AS b LEFT JOIN events AS e ON e.rid = b.rid"
            f" WHERE b.workspace = {mark} AND b.seq <= {mark} AND e.rid IS NULL ORDER BY b.seq",
            (workspace, self.indexed),
        )
        orphans = driver_rows(
            self.conn,
            "SELECT e.rid, e.search_text FROM events AS e"
            " LEFT JOIN entries AS b ON b.rid = e.rid"
            f" WHERE e.workspace = {mark} AND b.rid IS NULL ORDER BY e.rid",
            (workspace,),
        )
        return [int(row[0]) for row in uncopied], [(int(r), t) for r, t in orphans]

    def _pair(self) -> None:
        """Remove the copies of no entry and write the missing copies from the bodies
        (the counts are then compared as usual)."""
        uncopied, orphans = self._unpaired()
        if self.store is None or not (uncopied or orphans):
            return
        mark = self.mark
        if orphans:
            self.store._delete_search(self.conn, orphans)
            gone = [(rid,) for rid, _ in orphans]
            driver_rows(self.conn, f"DELETE FROM events WHERE rid = {mark}", gone)
        for seq in uncopied:
            rows = driver_rows(
                self.conn,
                f"SELECT rid, body FROM entries WHERE workspace = {mark} AND seq = {mark}",
                (self.workspace, seq),
            )
            try:
                values = copies(self.bodies.decode(rows[0][1]))
            except ValueError:
                self.left.append(seq)  # an unreadable body: verify reports it
                continue
            rid = int(rows[0][0])
            self.store._delete_search(self.conn, [(rid, "")])  # a row left in its place
            self.store._insert_copies(self.conn, [copy_row(rid, values)])
        self.rewritten += len(uncopied) + len(orphans)

    def _scan_sql(self, *, as_json: bool = False, search_index: bool = False) -> str:
        """The rows :class:`RowCheck` reads (SQLite: :data:`JSON_ROW`, or the columns with
        the search index's size), keyset-paged on ``(workspace, rid)``."""
        mark = self.mark
        columns = [("b." if c in LOGGED else "e.") + c for c in ROW_COLUMNS]
        source = "events AS e"
        if as_json:
            columns = [*columns[:3], f"CAST(json_array({', '.join(columns[3:])}) AS BLOB)"]
        if search_index:
            columns.append("d.sz")
            # the (workspace, rid) index, not another starting with workspace: rows then
            # come in table order
            source += " INDEXED BY ix_events_workspace_rid"
            source += f" LEFT JOIN {FTS_SIZES} AS d ON d.id = e.rid"
        source += " JOIN entries AS b ON b.rid = e.rid"
        return (
            f"SELECT {', '.join(columns)} FROM {source}"
            f" WHERE e.workspace = {mark} AND e.rid > {mark} AND b.seq <= {mark}"
            f" ORDER BY e.rid LIMIT {mark}"
        )

    def _rows_at(self, rids: list[int]) -> list[Any]:
        """The rows of ``rids`` as :data:`ROW_COLUMNS`."""
        columns = ", ".join(("b." if c in LOGGED else "e.") + c for c in ROW_COLUMNS)
        marks = ", ".join([self.mark] * len(rids))
        rows = driver_rows(
            self.conn,
            f"SELECT {columns} FROM events AS e JOIN entries AS b ON b.rid = e.rid"
            f" WHERE e.rid IN ({marks})",
            tuple(rids),
        )
        return self.bodies.readable_rows(rows, 2)

    def _rewrite(self, broken: Sequence[Broken]) -> None:
        """Rewrite the copy columns of ``broken`` rows from their bodies; rows in the
        wrong place (workspace or rid) are moved at the end of the pass."""
        mark = self.mark
        assignments = ", ".join(f"{c} = {mark}" for c in REWRITTEN)
        rows = []
        for item in broken:
            names = set(item.names)
            if item.values is None or "id" in names:
                self.left.append(item.seq)
            if item.values is None:
                continue
            if _PLACE & names:
                self.moves.append(item)
            if names - _PLACE - {"id"}:
                rows.append((*(item.values[c] for c in REWRITTEN), item.rid))
        if rows:
            driver_rows(self.conn, f"UPDATE events SET {assignments} WHERE rid = {mark}", rows)
            self.rewritten += len(rows)

    def _reindex(self, rows: Sequence[tuple[int, int, str]]) -> None:
        """Write the search index's row of each ``(rid, seq, indexed text)`` again."""
        if not rows:
            return
        broken = {item.rid for item in self.check.broken}
        driver_rows(self.conn, search_index.DELETE, [(rid,) for rid, _, _ in rows])
        driver_rows(self.conn, search_index.INSERT, [(rid, text) for rid, _, text in rows])
        self.rewritten += sum(rid not in broken for rid, _, _ in rows)

    def _move(self) -> None:
        """Put rows back where their bodies say: their workspace (counted there too) and
        the rid of their microsecond (a free slot of it). A place another row holds is
        left for verify to report."""
        mark, conn = self.mark, self.conn
        counts, ip_counts = Accumulator(ROLLUPS), Accumulator(IP_ROLLUPS)
        for item in self.moves:
            values = item.values
            if values is None:  # never: only rows with readable bodies move
                continue
            workspace, occurred = values["workspace"], values["occurred_at"]
            rid: int | None = item.rid
            if item.rid // RID_SLOTS != occurred:
                rid = self._free_rid(occurred, item.rid % RID_SLOTS)
            if rid is None:
                self.left.append(item.seq)
                continue
            driver_rows(
                conn,
                f"UPDATE events SET workspace = {mark}, rid = {mark} WHERE rid = {mark}",
                [(workspace, rid, item.rid)],
            )
            if rid != item.rid:  # the entry's own row key: its place in time
                driver_rows(
                    conn, f"UPDATE entries SET rid = {mark} WHERE rid = {mark}", [(rid, item.rid)]
                )
            if self.sqlite:  # the index's row under the rid, with the workspace's token
                driver_rows(conn, search_index.DELETE, [(item.rid,)])
                driver_rows(conn, search_index.INSERT, [(rid, values["indexed"])])
            self.rewritten += not set(item.names) - _PLACE - {"id"}  # else counted already
            if workspace != self.workspace:
                counts.add(workspace, occurred, values)
                if values["ip"]:
                    ip_counts.add(workspace, occurred, values)
        for accumulator in (counts, ip_counts):
            for rollup, rows in accumulator.rows():
                marks = ", ".join([mark] * (len(rollup.key_columns) + 1))
                driver_rows(conn, upsert_sql(rollup, f"VALUES ({marks})"), rows)

    def _free_rid(self, occurred: int, slot: int) -> int | None:
        base = occurred * RID_SLOTS
        used = {
            row[0]
            for row in driver_rows(
                self.conn,
                f"SELECT rid FROM events WHERE rid >= {self.mark} AND rid < {self.mark}",
                (base, base + RID_SLOTS),
            )
        }
        return next(
            (
                base + (slot + i) % RID_SLOTS
                for i in range(RID_SLOTS)
                if base + (slot + i) % RID_SLOTS not in used
            ),
            None,
        )

    # -- rollups -------------------------------------------------------------------------
    def _compare(self, hi: int | None) -> None:
        """Compare the rollup rows of the days before ``hi`` (the day being read; None:
        every day) with what the gathered entries count, keeping the entries of later
        days for the next window."""
        check = self.check
        keys, seqs = check.keys, check.seqs
        if hi is None:
            window, window_seqs = keys, seqs
            check.keys, check.seqs = [], []
        else:
            window = [k for k in keys if k[_DAY] < hi]
            window_seqs = [s for k, s in zip(keys, seqs, strict=True) if k[_DAY] < hi]
            check.keys = [k for k in keys if k[_DAY] >= hi]
            check.seqs = [s for k, s in zip(keys, seqs, strict=True) if k[_DAY] >= hi]
        lo = self.compared_to
        if lo is not None and any(k[_DAY] < lo for k in window):
            # entries of days compared already (moved rows): counted there at the end
            pairs = list(zip(window, window_seqs, strict=True))
            self.strays += [(k, s) for k, s in pairs if k[_DAY] < lo]
            window = [k for k, _ in pairs if k[_DAY] >= lo]
            window_seqs = [s for k, s in pairs if k[_DAY] >= lo]
        if window or hi is None:
            self._settle(window, window_seqs, lo, hi)
            self.compared_to = hi

    def _settle(
        self,
        keys: list[Key],
        seqs: list[int],
        lo: int | None,
        hi: int | None,
        only: set[int] | None = None,
    ) -> None:
        """Compare (or, repairing, set) every rollup's rows of days ``[lo, hi)`` (or of
        the days in ``only``) with what ``keys`` count."""
        for rollup, counted in zip(ALL_ROLLUPS, rollup_counts(keys, ALL_ROLLUPS), strict=True):
            stored = self._stored_counts(rollup, lo, hi)
            if only is not None:
                hourly = rollup.grain == "hour"
                stored = {
                    k: n for k, n in stored.items() if (k[0] // 24 if hourly else k[0]) in only
                }
            if counted == stored:
                continue
            diffs = [
                _Diff(rollup, key, stored.get(key, 0), counted.get(key, 0))
                for key in counted.keys() | stored.keys()
                if counted.get(key, 0) != stored.get(key, 0)
            ]
            if self.repair:
                self._set_counts(rollup, diffs)
                self.counts_set += len(diffs)
            _locate(diffs, project(rollup.dims, rollup.grain), keys, seqs, self.check.broken)
            room = max(MAX_DIFFS - len(self.diffs), 0)
            self.diffs += diffs[:room]
            self.more_diffs += max(len(diffs) - room, 0)

    def _bucket_range(
        self, rollup: Rollup, lo: int | None, hi: int | None
    ) -> tuple[str, tuple[Any, ...]]:
        mark, scale = self.mark, 24 if rollup.grain == "hour" else 1
        where = [f"workspace = {mark}", "n <> 0"]
        params: list[Any] = [self.workspace]
        if lo is not None:
            where.append(f"bucket >= {mark}")
            params.append(lo * scale)
        if hi is not None:
            where.append(f"bucket < {mark}")
            params.append(hi * scale)
        return " AND ".join(where), tuple(params)

    def _stored_counts(self, rollup: Rollup, lo: int | None, hi: int | None) -> dict[Key, int]:
        where, params = self._bucket_range(rollup, lo, hi)
        rows = driver_rows(
            self.conn,
            f"SELECT bucket, {', '.join(rollup.dims)}, n FROM {rollup.table.name} WHERE {where}",
            params,
        )
        return {tuple(row[:-1]): int(row[-1]) for row in rows}

    def _set_counts(self, rollup: Rollup, diffs: list[_Diff]) -> None:
        mark, name = self.mark, rollup.table.name
        keys = ", ".join(rollup.key_columns)
        marks = ", ".join([mark] * (len(rollup.key_columns) + 1))
        upserts = [(self.workspace, *d.key, d.counted) for d in diffs if d.counted]
        if upserts:
            driver_rows(
                self.conn,
                f"INSERT INTO {name} ({keys}, n) VALUES ({marks})"
                f" ON CONFLICT ({keys}) DO UPDATE SET n = excluded.n",
                upserts,
            )
        gone = [(self.workspace, *d.key) for d in diffs if not d.counted]
        if gone:
            match = " AND ".join(f"{c} = {mark}" for c in rollup.key_columns)
            driver_rows(self.conn, f"DELETE FROM {name} WHERE {match}", gone)

    def _recount_stray_days(self) -> None:
        """Compare again the days that entries with a moved ``rid`` belong to, counting
        those entries there."""
        days = {key[_DAY] for key, _ in self.strays}
        self.diffs = [d for d in self.diffs if d.day not in days]
        keys = [k for k, _ in self.strays]
        seqs = [s for _, s in self.strays]
        span = DAY_US * RID_SLOTS
        statement = self._scan_sql()
        for day in sorted(days):
            recheck = RowCheck(self.workspace)
            last = day * span - 1
            params = (self.workspace, last, self.indexed, CHUNK)
            while rows := driver_rows(self.conn, statement, params):
                rows = self.bodies.readable_rows([r for r in rows if r[1] < (day + 1) * span], 2)
                if not rows:
                    break
                recheck.feed(rows)
                last = rows[-1][1]
                params = (self.workspace, last, self.indexed, CHUNK)
            pairs = zip(recheck.keys, recheck.seqs, strict=True)
            for key, seq in pairs:
                if key[_DAY] == day:
                    keys.append(key)
                    seqs.append(seq)
        self._settle(keys, seqs, None, None, only=days)


def diff_order(diff: _Diff) -> tuple[bool, int, str, Key]:
    return diff.seq == 0, diff.seq, diff.rollup.table.name, diff.key


def describe(names: list[str]) -> str:
    if names == ["body"]:
        return "body is not a readable event, so its copies cannot be checked"
    return f"{', '.join(names)} {'differs' if len(names) == 1 else 'differ'} from content"


def _locate(
    diffs: list[_Diff],
    pick: Any,
    keys: list[Key],
    seqs: list[int],
    broken: list[Broken],
) -> None:
    """Give each diff the seq of the first entry counted under its key (by its body, or
    by its stored columns when those differ), if any."""
    first: dict[Key, int] = {}
    for key, seq in zip(keys, seqs, strict=True):
        first.setdefault(pick(key), seq)
    for item in broken:
        first.setdefault(pick(item.stored_key), item.seq)
    for diff in diffs:
        diff.seq = first.get(diff.key, 0)


def driver_rows(conn: Connection, statement: str, params: Any = ()) -> list[Any]:
    """Run SQL written for the driver on ``conn``'s own driver connection (no SQLAlchemy
    per row: verification reads every entry); a list of parameter tuples runs it once
    per tuple. Returns the rows of a query as tuples."""
    driver: Any = conn.connection.driver_connection
    if sqlite_driver.is_driver_connection(driver):
        if isinstance(params, list):
            driver.executemany(statement, params)
            return []
        rows: list[Any] = driver.execute(statement, params).fetchall()
        return rows
    if driver is None:
        raise sqlalchemy.exc.InvalidRequestError("the connection is closed")
    with driver.cursor(binary=True) as cursor:
        if isinstance(params, list):
            cursor.executemany(statement, params)
            return []
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description is not None else []
