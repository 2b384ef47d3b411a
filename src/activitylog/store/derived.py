"""The copies of entries checked against, and rebuilt from, their hashed bodies.

Copies are everything the store keeps besides the bodies, seqs and hashes so that pages
are fast: the other ``events`` columns (filters, sorting, search text), SQLite's FTS5
index of the search text, and the rollups' counts. Someone who can write the database
can change them without touching a hash; :meth:`SQLDerived.derived_breaks` finds that,
:meth:`SQLDerived.reindex` repairs it.

One pass per workspace, in ``rid`` (time) order and one snapshot: each chunk of rows is
compared with its bodies (:class:`~activitylog.store.copies.RowCheck`), and every
``WINDOW`` entries or so, at a whole UTC day, the rollup rows of the days seen are
compared with what those entries' bodies count. An entry whose ``rid`` puts it on another
day than its body (a moved row) is counted on its body's day, which is compared again at
the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from activitylog.store.derived_pass import (
    ALL_ROLLUPS,
    CopyPass,
    Reindexed,
    describe,
    diff_order,
)
from activitylog.store.ledger import WORKSPACE_TABLES, SQLLedger
from activitylog.store.search_check import fts_problem, rebuild_search, unindexed_rows, unlike_words


class SQLDerived(SQLLedger):
    def derived_breaks(self, workspace: str) -> Iterator[tuple[int, str]]:
        """``(seq, detail)`` for each copy of ``workspace``'s entries that differs from
        what their bodies say: the entries whose columns differ (by seq), the entries the
        search index holds wrongly (SQLite), then the rollup counts that differ (with the
        seq of an entry they count); 0 for a copy of no entry, or counts of none. Nothing
        when every copy is true.

        Read in one snapshot, after indexing what is pending; entries appended since
        (past the indexer's mark in the snapshot) are not counted yet and not compared.
        About as costly as reading every entry once. The search index's own structure is
        checked by :meth:`search_index_breaks`.
        """
        self.settle()
        with self.engine.connect() as conn:
            conn = conn.execution_options(**self._snapshot_options())
            with conn.begin():
                run = CopyPass(conn, self.MARK, workspace, repair=False, bodies=self.bodies)
                run.run()
        for seq in run.uncopied:
            yield seq, "has no copies (events row): pages and counts leave it out"
        for rid, _ in run.orphans:
            yield 0, f"a copy (events row, rid {rid}) of no entry: counted, never shown"
        for broken in sorted(run.check.broken, key=lambda b: b.seq):
            yield broken.seq, describe(broken.names)
        for seq in sorted(run.check.unindexed):
            yield seq, "search index (events_fts) does not hold this entry's words"
        for diff in sorted(run.diffs, key=diff_order):
            yield diff.seq, diff.detail()
        if run.more_diffs:
            yield 0, f"and {run.more_diffs} more rollup counts differ from the entries"

    def search_index_breaks(self) -> Iterator[str]:
        """What is wrong with the search index as a whole: on SQLite, FTS5's own
        ``integrity-check`` of its structure, rows of no entry's copies, then each token
        counted (rows, occurrences) against what the bodies give, and when the counts
        agree, a fingerprint of where every token instance sits (row and position)
        against the bodies' (it reads every body again; the index keeps no text to
        compare rows with). Each entry's row is compared with its body by
        :meth:`derived_breaks` (its size and its scope token). PostgreSQL's trigram index
        is the server's own."""
        if self.engine.dialect.name != "sqlite":
            return
        # Under the index file's lock alone, as the indexer writes: appends go on meanwhile
        # (what they add has no copies yet, so no part in this check), while deletions and
        # the purges' removal of copies wait for it.
        with self._write_index() as conn:
            self._index_all(conn)  # every entry has its row
            problem = fts_problem(conn) or unindexed_rows(conn)
            found = [problem] if problem else unlike_words(conn, self.bodies)
        yield from found

    def reindex(
        self, workspace: str | None = None, *, on_step: Callable[[Reindexed], None] | None = None
    ) -> int:
        """Rebuild every copy of ``workspace``'s entries (all workspaces when None) from
        their bodies: the ``events`` columns that differ, moving a row back to the
        workspace and the microsecond (``rid``) its body says; the rollup counts; and on
        SQLite the search index, when it does not match. Never ``body``, ``seq``, the
        hashes or ``id``. One write transaction per workspace, holding its chain head (so
        no append interleaves); returns how many entries were rewritten. ``on_step`` is
        told what each workspace's transaction (and the search index's rebuild) changed.

        Counts are those of the rows stored under the workspace: a row moved to another
        workspace is counted back when that one is reindexed (all are, without
        ``workspace``)."""
        names = [workspace] if workspace is not None else self.workspaces_with_copies()
        rewritten = 0
        for name in names:
            with self._write() as conn:
                self._sql(
                    conn,
                    f"SELECT seq FROM chain_heads WHERE workspace = {self.MARK}{self.LOCK}",
                    (name,),
                )
                self._index_all(conn)  # counts are compared with every entry below
                run = CopyPass(conn, self.MARK, name, repair=True, bodies=self.bodies, store=self)
                run.run()
            rewritten += run.rewritten
            if on_step is not None:
                on_step(run.step())
        if self.engine.dialect.name == "sqlite":
            with self._write() as conn:
                self._index_all(conn)  # the rebuild indexes every row
                if fts_problem(conn) or unindexed_rows(conn) or unlike_words(conn, self.bodies):
                    rebuild_search(conn, self.bodies)
                    if on_step is not None:
                        on_step(Reindexed(None, search_index_rebuilt=True))
        return rewritten

    def workspaces_with_copies(self) -> list[str]:
        """Every workspace any table names, the rollups' included (one index seek per
        workspace and table)."""
        return self.all_workspaces(
            (*WORKSPACE_TABLES, *(rollup.table.name for rollup in ALL_ROLLUPS))
        )


__all__ = ["Reindexed", "SQLDerived"]
