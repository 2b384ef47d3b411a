"""The read side's copies, counts and search index, kept by an indexer that trails the log.

An append writes what must be true when it is acknowledged: the entry (its body, hashes,
seq and keys) in ``entries``, the chain head and its signature. What exists for reading is
written after, by :meth:`SQLIndexing.index_pending`: the copies of each body that pages
filter and sort on (``events``, under the entry's rid), the rollups (the page's counts)
and, on SQLite, the FTS5 search index. In one transaction per slice it reads the entries
of each workspace past ``derived_heads.seq``, derives all of it from their bodies and
moves the mark, so each entry is copied and counted exactly once whoever runs it and
whenever it is interrupted.

It runs in the background beside the followers (``serve``, ``activitylog follow``), and
every read but ``after`` (the followers' own) settles first (:meth:`SQLIndexing.settle`):
it indexes what is pending itself, so a read sees every entry acknowledged before it
began, whether or not an indexer runs. Deletions and purges index what is pending in
their own transaction before they take entries out.

Once the log holds enough bodies, the indexer also trains the dictionary appends then
compress bodies with (:mod:`activitylog.store.bodies`), after its own transaction.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy.exc
import zstandard
from sqlalchemy import Connection

from activitylog.store.base import IN_CHUNK, SQLBase, logger
from activitylog.store.bodies import BodyError, train
from activitylog.store.copies import copies
from activitylog.store.dictionaries import SAMPLE, body_dictionaries, newest_dictionary
from activitylog.store.rollups import Accumulator
from activitylog.store.schema import IP_ROLLUPS, ROLLUPS, Rollup, events

#: Entries indexed in one transaction at most (a slice); the write lock is given up
#: between slices, at once when an append of this process waits.
INDEX_SLICE = 5000
#: The copies' columns after ``rid``, in table order.
_COPIED = tuple(c.name for c in events.columns if c.name != "rid")
_PENDING = (
    "SELECT h.workspace, COALESCE(d.seq, 0), h.seq FROM chain_heads AS h"
    " LEFT JOIN derived_heads AS d ON d.workspace = h.workspace"
    " WHERE h.seq > COALESCE(d.seq, 0) ORDER BY h.workspace"
)


class SQLIndexing(SQLBase):
    def settle(self) -> int:
        """Index every entry acknowledged before this call that is not yet counted and
        searchable (nothing when an indexer keeps up); returns how many were indexed."""
        with self.engine.connect() as conn:
            pending = self._sql(conn, _PENDING)
        if not pending:
            return 0
        return self.index_pending(until={str(w): int(head) for w, _, head in pending})

    def index_pending(
        self, *, until: dict[str, int] | None = None, slices: int | None = None
    ) -> int:
        """Index the entries past each workspace's mark, up to the heads in ``until``
        (default: the heads as each slice begins), in slices of :data:`INDEX_SLICE`;
        at most ``slices`` of them. Returns how many entries were indexed."""
        indexed, done = 0, 0
        while slices is None or done < slices:
            with self._write_index() as conn:
                count = self._index_slice(conn, until, INDEX_SLICE)
            indexed += count
            done += 1
            if count < INDEX_SLICE:
                break
        if indexed and self.bodies.newest is None:
            with self.engine.connect() as conn:
                self._look_for_dictionary(conn)
            self._train_when_due()
        return indexed

    def _train_when_due(self) -> None:
        """Train the log's first dictionary once it holds :data:`TRAIN_AFTER` bodies
        (about 0.3 s: after an append committed or behind the log, never inside an
        append's transaction). A failure is logged: what was appended stands."""
        if not self._training_due():
            return
        try:
            self.train_dictionary()
        except Exception:  # (the append before it is acknowledged: it must not look failed)
            logger.exception("no dictionary was trained")

    def train_dictionary(self) -> int | None:
        """Train a dictionary on the newest :data:`SAMPLE` bodies and store it under the
        next id; appends compress with it from then on (those of other processes within
        ``DICTIONARY_CHECK`` seconds), and bodies stored with older ones stay readable.
        Returns its id; None when the bodies are too few to train on (tried again once the
        log holds twice as many) or another process stored one at the same moment."""
        with self.engine.connect() as conn:
            stored = self._sql(conn, f"SELECT body FROM entries ORDER BY rid DESC LIMIT {SAMPLE}")
            # its zstd id too (bodies then name it inside their frames); another process
            # storing one first takes the id, and this one is dropped
            dictionary_id = (newest_dictionary(conn) or 0) + 1
        decode = self.bodies.decode
        samples = []
        for (body,) in stored:
            try:
                samples.append(decode(body))
            except BodyError:
                continue  # verify reports it
        try:
            data = train(samples, dictionary_id)
        except zstandard.ZstdError as exc:
            self._train_at = 2 * max(self._train_at, len(samples))
            logger.warning("no dictionary trained on %d bodies: %s", len(samples), exc)
            return None
        try:
            with self.writer_turn, self._write_log() as conn:
                conn.execute(
                    body_dictionaries.insert().values(
                        id=dictionary_id, data=data, created_at=time.time_ns() // 1000
                    )
                )
        except sqlalchemy.exc.IntegrityError:
            return None
        self._use_dictionary(dictionary_id, data)
        return dictionary_id

    def _index_all(self, conn: Connection) -> None:
        """Index everything pending inside ``conn``'s write transaction (before entries
        are taken out of the counts: they must be in them first)."""
        while self._index_slice(conn, None, INDEX_SLICE) == INDEX_SLICE:
            pass

    def _index_slice(self, conn: Connection, until: dict[str, int] | None, budget: int) -> int:
        """Index up to ``budget`` pending entries in ``conn``'s write transaction."""
        indexed = 0
        for workspace, _, head in self._sql(conn, _PENDING):
            if until is not None:
                head = min(int(head), until.get(workspace, 0))
            after = self._lock_mark(conn, workspace)
            if after >= head:
                continue
            upto = min(int(head), after + budget - indexed)
            indexed += self._index_range(conn, workspace, after, upto)
            if indexed >= budget:
                break
        return indexed

    def _lock_mark(self, conn: Connection, workspace: str) -> int:
        """``workspace``'s mark, locked until commit where the engine locks rows (two
        indexers must not count the same entries)."""
        mark = self.MARK
        self._sql(
            conn,
            f"INSERT INTO derived_heads (workspace, seq) VALUES ({mark}, 0)"
            " ON CONFLICT (workspace) DO NOTHING",
            (workspace,),
        )
        rows = self._sql(
            conn, f"SELECT seq FROM derived_heads WHERE workspace = {mark}{self.LOCK}", (workspace,)
        )
        return int(rows[0][0])

    def _index_range(self, conn: Connection, workspace: str, after: int, upto: int) -> int:
        """Write the copies of ``workspace``'s entries ``after < seq <= upto`` (with their
        search index entries), add them to the rollups, and move its mark to ``upto``."""
        mark = self.MARK
        entries = self._sql(
            conn,
            f"SELECT rid, seq, body FROM entries"
            f" WHERE workspace = {mark} AND seq > {mark} AND seq <= {mark}",
            (workspace, after, upto),
        )
        rows = []
        counts, ip_counts = Accumulator(ROLLUPS), Accumulator(IP_ROLLUPS)
        taken = self._copied(conn, [row[0] for row in entries])
        decode = self.bodies.decode
        for rid, seq, body in entries:
            if rid in taken:  # a row someone wrote there: verify reports it, reads go on
                logger.warning("workspace %s, seq %s: a copy is in its place", workspace, seq)
                continue
            try:
                values = copies(decode(body))
            except ValueError:  # not a body we wrote: verify reports it; pages skip it
                logger.warning("workspace %s, seq %s: entry body unreadable", workspace, seq)
                continue
            rows.append(copy_row(rid, values))
            counts.add(values["workspace"], values["occurred_at"], values)
            if values["ip"]:
                ip_counts.add(values["workspace"], values["occurred_at"], values)
        self._insert_copies(conn, rows)
        self._add_rollups(conn, counts, ip_counts)
        move = f"UPDATE derived_heads SET seq = {mark} WHERE workspace = {mark}"
        self._sql(conn, move, (upto, workspace))
        return upto - after

    def _copied(self, conn: Connection, rids: list[int]) -> set[int]:
        """Those of ``rids`` that have copies already (none, unless written outside)."""
        taken: set[int] = set()
        for start in range(0, len(rids), IN_CHUNK):
            chunk = rids[start : start + IN_CHUNK]
            marks = ", ".join([self.MARK] * len(chunk))
            found = self._sql(conn, f"SELECT rid FROM events WHERE rid IN ({marks})", tuple(chunk))
            taken.update(int(row[0]) for row in found)
        return taken

    def _add_rollups(self, conn: Connection, *accumulators: Accumulator) -> None:
        for accumulator in accumulators:
            for rollup, rows in accumulator.rows():
                self._upsert_rollup(conn, rollup, rows)

    def _upsert_rollup(self, conn: Connection, rollup: Rollup, rows: list[tuple[Any, ...]]) -> None:
        """Add ``(workspace, bucket, dims..., n)`` rows to a rollup's counts."""
        marks = ", ".join(["?"] * (len(rollup.key_columns) + 1))
        self._sql(conn, upsert_sql(rollup, f"VALUES ({marks})"), rows)


def upsert_sql(rollup: Rollup, source: str) -> str:
    """Add the counts from ``source`` (VALUES or a SELECT) to ``rollup``."""
    name = rollup.table.name
    keys = ", ".join(rollup.key_columns)
    return (
        f"INSERT INTO {name} ({keys}, n) {source} "
        f"ON CONFLICT ({keys}) DO UPDATE SET n = {name}.n + excluded.n"
    )


def copy_row(rid: int, values: dict[str, Any]) -> tuple[Any, ...]:
    """The ``events`` row of an entry's copies (:func:`~activitylog.store.copies.copies`
    of its body), columns in table order."""
    return (rid, *(values[c] for c in _COPIED))
