"""Checks of SQLite's search index as a whole against the bodies (FTS5's own structure
check, rows of no entry, each word's counts and where each word sits), and its rebuild
from the bodies. Each entry's own row is checked by
:class:`~activitylog.store.derived_pass.CopyPass`."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection

from activitylog.store import index_schema, search_index, sqlite_driver
from activitylog.store.bodies import BodyCodec
from activitylog.store.copies import copies
from activitylog.store.derived_pass import CHUNK, FTS_SIZES, MAX_DIFFS, driver_rows

#: Entries with copies, in rid order from a rid on.
_WITH_COPIES = (
    "SELECT b.rid, b.body FROM entries AS b JOIN events AS e ON e.rid = b.rid"
    " WHERE b.rid > ? ORDER BY b.rid LIMIT ?"
)
#: What the search index counts of each token (rows, occurrences).
_VOCABULARY = (
    "CREATE VIRTUAL TABLE temp.events_fts_terms USING fts5vocab('idx', 'events_fts', 'row')"
)
#: Where the search index holds each instance of a token (row, position).
_INSTANCES = (
    "CREATE VIRTUAL TABLE temp.events_fts_instances"
    " USING fts5vocab('idx', 'events_fts', 'instance')"
)


def fts_problem(conn: Connection) -> str | None:
    """FTS5's integrity check of the search index's structure."""
    try:
        driver_rows(conn, "INSERT INTO events_fts (events_fts, rank) VALUES ('integrity-check', 1)")
    except sqlite_driver.DatabaseError as exc:
        return f"search index (events_fts) is damaged: {exc}"
    return None


def unindexed_rows(conn: Connection) -> str | None:
    """Rows of the search index of no entry's copies (an index row per copy, none else)."""
    copied = driver_rows(conn, "SELECT count(*) FROM events")[0][0]
    indexed = driver_rows(conn, f"SELECT count(*) FROM {FTS_SIZES}")[0][0]
    if indexed == copied:
        return None
    return f"search index (events_fts) holds {indexed:,} rows for {copied:,} entries' copies"


def unlike_words(conn: Connection, bodies: BodyCodec) -> list[str]:
    """The tokens the search index counts otherwise than the bodies of the entries with
    copies give them: in how many rows, how many times (FTS5's ``fts5vocab``); when every
    count agrees, whether each token sits in the row and at the position the bodies give
    it (:class:`~activitylog.store.search_index.Placements` of every instance the index
    holds against the bodies'): words exchanged between entries, or within one, keep
    every count and show only there."""
    rows: Counter[str] = Counter()
    times: Counter[str] = Counter()
    placements = search_index.Placements()
    placed = 0
    last = -1
    while chunk := driver_rows(conn, _WITH_COPIES, (last, CHUNK)):
        for rid, body in chunk:
            try:
                tokens = _indexed(copies(bodies.decode(body))).split(" ")
            except ValueError:
                continue  # verify reports it
            times.update(tokens)
            rows.update(set(tokens))
            placed += placements.of_row(rid, tokens)
        last = chunk[-1][0]
    driver_rows(conn, _VOCABULARY)
    try:
        stored = {
            term: (int(n), int(m))
            for term, n, m in driver_rows(conn, "SELECT term, doc, cnt FROM temp.events_fts_terms")
        }
    finally:
        driver_rows(conn, "DROP TABLE temp.events_fts_terms")
    found = []
    for term in sorted(stored.keys() | rows.keys()):
        counted = (rows.get(term, 0), times.get(term, 0))
        if stored.get(term, (0, 0)) != counted:
            index, bodies_say = stored.get(term, (0, 0)), counted
            found.append(
                f"{term!r} in {index[0]:,} rows ({index[1]:,} times), the bodies"
                f" {bodies_say[0]:,} ({bodies_say[1]:,})"
            )
    if found:
        return [f"search index (events_fts) counts {f}" for f in found[:MAX_DIFFS]]
    if _index_placements(conn, placements) != placed % 2**64:
        return [
            "search index (events_fts) holds words at other entries (or positions) than"
            " the bodies give them"
        ]
    return []


def _index_placements(conn: Connection, placements: search_index.Placements) -> int:
    """The fingerprint of every token instance the search index holds (``fts5vocab``'s
    ``instance`` table, read a chunk at a time)."""
    driver_rows(conn, _INSTANCES)
    try:
        driver: Any = conn.connection.driver_connection
        cursor = driver.execute("SELECT term, doc, offset FROM temp.events_fts_instances")
        total = 0
        while chunk := cursor.fetchmany(CHUNK * 10):
            total += placements.of_instances(chunk)
    finally:
        driver_rows(conn, "DROP TABLE temp.events_fts_instances")
    return total % 2**64


def _indexed(values: dict[str, Any]) -> str:
    words = values["search_text"]
    return search_index.indexed(values["workspace"], values["layer"], values["category"], words)


def rebuild_search(conn: Connection, bodies: BodyCodec) -> None:
    """Make the search index again, from the bodies of every entry with copies (for an
    index whose structure is damaged: FTS5 cannot rebuild one that keeps no text)."""
    driver_rows(conn, "DROP TABLE idx.events_fts")
    index_schema.make_search(conn.connection.driver_connection)
    last = -1
    while rows := driver_rows(conn, _WITH_COPIES, (last, CHUNK)):
        indexed = []
        for rid, body in rows:
            try:
                values = copies(bodies.decode(body))
            except ValueError:
                continue  # verify reports it
            indexed.append((rid, _indexed(values)))
        driver_rows(conn, search_index.INSERT, indexed)
        last = rows[-1][0]
