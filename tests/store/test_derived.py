"""The copies kept beside the bodies (columns, search index, rollups): every change to
one is reported with the entry's seq, and reindex puts them back (each engine)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from activitylog import ActivityLog
from activitylog.demo.seed import generate_events
from activitylog.settings import Settings
from activitylog.store import derived, derived_pass, search_index
from activitylog.store.copies import copies
from activitylog.store.schema import IP_ROLLUPS, ROLLUPS

from ._support import sql

NOW = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)
WORKSPACES = ("acme", "globex", "initech")


@pytest.fixture
def seeded(log: ActivityLog) -> ActivityLog:
    """Realistic entries over 10 days in three workspaces (users, System, API keys,
    devices, IPs, subjects), and one deletion."""
    events = list(generate_events(400, seed=3, now=NOW, days=10))
    for start in range(0, len(events), 100):
        log.record_many(events[start : start + 100])
    victim = sql(log, "SELECT id FROM entries WHERE workspace = 'globex' AND seq = 3")[0]["id"]
    log.delete([victim], by="u_owner", reason="test")
    return log


def breaks(log: ActivityLog, workspace: str) -> list[tuple[int, str]]:
    return list(log.store.derived_breaks(workspace))


def everything(log: ActivityLog) -> dict[str, list[tuple[int, str]]]:
    found = {w: breaks(log, w) for w in log.store.workspaces_with_copies()}
    return {w: b for w, b in found.items() if b}


def target(log: ActivityLog, workspace: str = "acme") -> dict[str, Any]:
    """An entry with every copy set (an IP, a subject, a named actor): its copies, with
    the seq and id of its row in the log."""
    rows = sql(
        log,
        "SELECT e.*, b.seq, b.id FROM events AS e JOIN entries AS b ON b.rid = e.rid"
        " WHERE e.workspace = :w AND ip IS NOT NULL AND subject_id IS NOT NULL"
        " AND actor_name IS NOT NULL ORDER BY b.seq LIMIT 1 OFFSET 5",
        w=workspace,
    )
    return dict(rows[0])


def move(log: ActivityLog, rid: int, by: int) -> None:
    """Move an entry in time: its row key in the log and in its copies."""
    for table in ("entries", "events"):
        sql(log, f"UPDATE {table} SET rid = rid + :by WHERE rid = :r", by=by, r=rid)


def is_sqlite(log: ActivityLog) -> bool:
    return bool(log.store.engine.dialect.name == "sqlite")


def test_a_true_log_reports_nothing(seeded: ActivityLog) -> None:
    assert set(seeded.store.workspaces_with_copies()) >= set(WORKSPACES)
    assert everything(seeded) == {}
    assert list(seeded.store.search_index_breaks()) == []


def test_appends_go_on_while_the_search_index_is_checked(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite's whole-index check reads every body (seconds on a large log): it must not
    # hold the log's write lock meanwhile. An append made during it commits at once.
    seeded = ActivityLog(f"sqlite:///{tmp_path / 'log.db'}", settings=settings)
    seeded.record_many(list(generate_events(200, seed=3, now=NOW, days=10)))
    check = derived.unlike_words
    appended: list[dict[str, Any]] = []

    def with_an_append(conn: Any, bodies: Any) -> list[str]:
        writer = threading.Thread(
            target=lambda: appended.append(seeded.record(workspace="acme", action="note.created"))
        )
        writer.start()
        writer.join(20)
        assert appended, "an append waited for the search index's check"
        return check(conn, bodies)

    monkeypatch.setattr(derived, "unlike_words", with_an_append)
    assert list(seeded.store.search_index_breaks()) == []
    monkeypatch.undo()
    assert seeded.get(appended[0]["id"]) == appended[0]
    assert list(seeded.store.search_index_breaks()) == []  # and indexed by the next check
    assert seeded.verify().ok
    seeded.close()


FORGED: dict[str, Any] = {
    "layer": "platform",
    "actor_id": "u_mallory",
    "actor_name": "Mallory",
    "action": "contact.deleted",
    "category": "settings",
    "verb": "deleted",
    "kind": "read",
    "result": "failure",
    "ip": "198.51.100.66",
    "subject_type": "webhook",
    "subject_id": "c_1",
    "search_text": "nothing to see here",
    "country": "ZZ",
    "actor_role": "platform_admin",
}
FORGED_ID = "00000000-0000-7000-8000-00000000beef"
EMPTIED = ("actor_name", "ip", "subject_type", "subject_id", "country", "actor_role")


@pytest.mark.parametrize("column", [*FORGED, *(f"{c}=null" for c in EMPTIED)])
def test_a_changed_column_is_named_with_its_seq(seeded: ActivityLog, column: str) -> None:
    row = target(seeded)
    name = column.removesuffix("=null")
    value = None if column.endswith("=null") else FORGED[name]
    if value == row[name]:
        value = "write" if name == "kind" else f"{value}2"
    sql(seeded, f"UPDATE events SET {name} = :v WHERE rid = :r", v=value, r=row["rid"])
    found = breaks(seeded, "acme")
    assert (row["seq"], f"{name} differs from content") in found
    assert found[0][0] == row["seq"]  # the entry comes before the counts it moved


def test_several_columns_are_named_together(seeded: ActivityLog) -> None:
    row = target(seeded)
    sql(seeded, "UPDATE events SET actor_name = 'x', actor_id = 'u_x' WHERE rid = :r", r=row["rid"])
    assert breaks(seeded, "acme")[0] == (row["seq"], "actor_name, actor_id differ from content")


def test_a_moved_row_is_reported_where_it_now_is(seeded: ActivityLog) -> None:
    row = target(seeded)
    sql(seeded, "UPDATE events SET workspace = 'evil' WHERE rid = :r", r=row["rid"])
    move(seeded, target(seeded)["rid"], 86400000000000)
    assert (row["seq"], "workspace differs from content") in breaks(seeded, "evil")
    moved = [b for b in breaks(seeded, "acme") if b[1] == "rid differs from content"]
    assert len(moved) == 1


def test_an_entry_without_copies_is_reported_and_reindexed(seeded: ActivityLog) -> None:
    row = target(seeded)
    sql(seeded, "DELETE FROM events WHERE rid = :r", r=row["rid"])
    found = breaks(seeded, "acme")
    assert (row["seq"], "has no copies (events row): pages and counts leave it out") in found
    assert seeded.store.reindex("acme") == 1
    assert breaks(seeded, "acme") == []
    assert seeded.get(row["id"])["seq"] == row["seq"]


def test_a_copy_of_no_entry_is_reported_and_removed(seeded: ActivityLog) -> None:
    row = target(seeded)
    copy = {k: v for k, v in row.items() if k not in ("seq", "id")}  # the log's, not copied
    forged = {**copy, "rid": row["rid"] + 1}
    columns = ", ".join(forged)
    marks = ", ".join(f":{name}" for name in forged)
    sql(seeded, f"INSERT INTO events ({columns}) VALUES ({marks})", **forged)
    detail = f"a copy (events row, rid {row['rid'] + 1}) of no entry: counted, never shown"
    assert (0, detail) in breaks(seeded, "acme")
    assert seeded.store.reindex("acme") == 1
    assert breaks(seeded, "acme") == []
    assert not sql(seeded, "SELECT 1 FROM events WHERE rid = :r", r=row["rid"] + 1)


# PostgreSQL's columns hold only their own type, and its trigram index is the server's own
# (searched as search_text): these two kinds of tampering exist on SQLite only.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_copy_holding_bytes_is_reported(seeded: ActivityLog) -> None:
    row = target(seeded)
    sql(
        seeded,
        "UPDATE events SET actor_name = :v WHERE rid = :r",
        v=row["actor_name"].encode(),
        r=row["rid"],
    )
    assert breaks(seeded, "acme") == [(row["seq"], "actor_name differs from content")]
    assert seeded.store.reindex("acme") == 1
    assert breaks(seeded, "acme") == []


def test_an_unreadable_body_is_reported(seeded: ActivityLog) -> None:
    row = target(seeded)
    sql(seeded, "UPDATE entries SET body = :b WHERE rid = :r", b=b"{not json", r=row["rid"])
    assert (row["seq"], "body is not a readable event, so its copies cannot be checked") in (
        breaks(seeded, "acme")
    )


@pytest.mark.parametrize("rollup", [r.table.name for r in (*ROLLUPS, *IP_ROLLUPS)])
def test_a_changed_count_is_named_with_a_seq_it_counts(seeded: ActivityLog, rollup: str) -> None:
    row = sql(seeded, f"SELECT * FROM {rollup} WHERE workspace = 'acme' ORDER BY n DESC LIMIT 1")[0]
    keys = {k: v for k, v in row.items() if k != "n"}
    match = " AND ".join(f"{k} = :{k}" for k in keys)
    sql(seeded, f"UPDATE {rollup} SET n = n + 1 WHERE {match}", **keys)
    found = breaks(seeded, "acme")
    assert len(found) == 1
    seq, detail = found[0]
    assert detail.startswith(f"{rollup} ")
    assert detail.endswith(f"counts {row['n'] + 1}, the entries {row['n']}")
    counted = sql(
        seeded,
        "SELECT e.* FROM events AS e JOIN entries AS b ON b.rid = e.rid"
        " WHERE b.workspace = 'acme' AND b.seq = :s",
        s=seq,
    )[0]
    assert all(counted[k] == v for k, v in keys.items() if k not in ("workspace", "bucket"))


def test_removed_and_forged_counts_are_caught(seeded: ActivityLog) -> None:
    sql(seeded, "DELETE FROM rollup_day_category WHERE workspace = 'globex'")
    sql(
        seeded,
        "INSERT INTO rollup_hour_category (workspace, bucket, layer, category, kind, n)"
        " VALUES ('initech', 1, 'workspace', 'auth', 'auth', 5)",
    )
    removed = breaks(seeded, "globex")
    assert removed
    assert all(seq > 0 for seq, _ in removed)
    assert breaks(seeded, "initech") == [
        (
            0,
            "rollup_hour_category 1970-01-01T01 (layer=workspace, category=auth, kind=auth)"
            " counts 5, the entries 0",
        )
    ]


def test_a_workspace_with_only_counts_is_caught(seeded: ActivityLog) -> None:
    sql(
        seeded,
        "INSERT INTO rollup_day (workspace, bucket, layer, actor_id, category, action, verb,"
        " kind, result, n) VALUES ('ghost', 20000, 'workspace', 'u', 'inbox', 'a.b', 'b',"
        " 'write', 'success', 3)",
    )
    assert "ghost" in seeded.store.workspaces_with_copies()
    assert [seq for seq, _ in breaks(seeded, "ghost")] == [0]


def indexed(log: ActivityLog, row: dict[str, Any]) -> str:
    """What the search index holds for the entry of ``row``, by its body."""
    body = sql(log, "SELECT body FROM entries WHERE rid = :r", r=row["rid"])[0]["body"]
    values = copies(log.store.bodies.decode(bytes(body)))
    where = (values["workspace"], values["layer"], values["category"])
    return search_index.indexed(*where, values["search_text"])


def forge_index(log: ActivityLog, rid: int, text: str | None) -> None:
    """Replace (or, with None, remove) an entry's row of the search index."""
    sql(log, "DELETE FROM events_fts WHERE rowid = :r", r=rid)
    if text is not None:
        sql(log, "INSERT INTO events_fts (rowid, words) VALUES (:r, :t)", r=rid, t=text)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_search_index_is_checked(seeded: ActivityLog) -> None:
    hidden, swapped, same_size = (target(seeded, w) for w in WORKSPACES)
    scope, *words = indexed(seeded, same_size).split()
    forge_index(seeded, same_size["rid"], " ".join([scope, *("x" * len(w) for w in words)]))
    # as many words: only the counts of the index's words against the bodies' tell
    assert everything(seeded) == {}
    counted = list(seeded.store.search_index_breaks())
    assert counted
    assert all(c.startswith("search index (events_fts) counts ") for c in counted)
    forge_index(seeded, hidden["rid"], None)
    forge_index(seeded, swapped["rid"], "short")
    moved = sql(
        seeded,
        "SELECT e.rid, b.seq, b.id FROM events AS e JOIN entries AS b ON b.rid = e.rid"
        " WHERE e.workspace = 'initech' AND e.layer = 'workspace' AND e.rid <> :r"
        " ORDER BY e.rid LIMIT 1",
        r=same_size["rid"],
    )[0]
    other_scope = search_index.token("acme", "w")  # found by acme's searches instead
    forge_index(seeded, moved["rid"], indexed(seeded, moved).replace(scope, other_scope))
    unindexed = "search index (events_fts) does not hold this entry's words"
    assert breaks(seeded, "acme") == [(hidden["seq"], unindexed)]
    assert breaks(seeded, "globex") == [(swapped["seq"], unindexed)]
    assert breaks(seeded, "initech") == [(moved["seq"], unindexed)]
    assert len(list(seeded.store.search_index_breaks())) == 1  # a row fewer than copies
    assert seeded.store.reindex() == 3
    assert everything(seeded) == {}
    assert list(seeded.store.search_index_breaks()) == []
    window = {"since": NOW - timedelta(days=30), "until": NOW + timedelta(days=1)}
    words = indexed(seeded, moved).split(" ", 1)[1]  # found again in its own workspace
    found = seeded.query(workspace="initech", search=words, **window)
    assert moved["id"] in {e["id"] for e in found.items}


def vocabulary(log: ActivityLog) -> list[Any]:
    """Each token of the search index with its row and occurrence counts."""
    sql(log, "CREATE VIRTUAL TABLE temp.v USING fts5vocab('idx', 'events_fts', 'row')")
    try:
        return [tuple(r.values()) for r in sql(log, "SELECT term, doc, cnt FROM temp.v")]
    finally:
        sql(log, "DROP TABLE temp.v")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_words_exchanged_between_entries_are_caught(seeded: ActivityLog) -> None:
    first, second = target(seeded, "acme"), target(seeded, "globex")
    one, two = indexed(seeded, first).split(" "), indexed(seeded, second).split(" ")
    at = next(i for i in range(1, len(one)) if one[i] not in two and one.count(one[i]) == 1)
    word = next(w for w in two[1:] if w not in one and two.count(w) == 1)
    counts = vocabulary(seeded)
    exchanged = [w if w != one[at] else word for w in one]
    forge_index(seeded, first["rid"], " ".join(exchanged))
    forge_index(seeded, second["rid"], " ".join(w if w != word else one[at] for w in two))
    # every token's rows and occurrences as before, every row as long, its scope token
    # in place: only where the words sit tells
    assert vocabulary(seeded) == counts
    assert everything(seeded) == {}
    assert list(seeded.store.search_index_breaks()) == [
        "search index (events_fts) holds words at other entries (or positions) than the"
        " bodies give them"
    ]
    steps: list[derived.Reindexed] = []
    assert seeded.store.reindex(on_step=steps.append) == 0
    assert [s.search_index_rebuilt for s in steps if s.workspace is None] == [True]
    assert list(seeded.store.search_index_breaks()) == []


def test_reindex_repairs_every_copy(seeded: ActivityLog) -> None:
    rows = {w: target(seeded, w) for w in WORKSPACES}
    sql(
        seeded,
        "UPDATE events SET actor_name = 'x', category = 'settings' WHERE rid = :r",
        r=rows["acme"]["rid"],
    )
    sql(
        seeded,
        "UPDATE events SET actor_id = 'u_x', actor_role = 'owner' WHERE rid = :r",
        r=rows["globex"]["rid"],
    )
    sql(seeded, "UPDATE events SET search_text = 'x' WHERE rid = :r", r=rows["initech"]["rid"])
    sql(seeded, "UPDATE rollup_hour SET n = n + 2 WHERE workspace = 'initech'")
    sql(seeded, "DELETE FROM rollup_day_ip WHERE workspace = 'acme'")
    if is_sqlite(seeded):  # a row of the search index of no entry
        forge_index(seeded, 1, "forged")
    assert set(everything(seeded)) == set(WORKSPACES)
    steps: list[derived.Reindexed] = []
    assert seeded.store.reindex(on_step=steps.append) == 3
    assert everything(seeded) == {}
    assert list(seeded.store.search_index_breaks()) == []
    assert [s.workspace for s in steps if s.workspace] == sorted(
        seeded.store.workspaces_with_copies()
    )
    assert sum(s.counts_set for s in steps) > 0
    assert [s.search_index_rebuilt for s in steps if s.workspace is None] == (
        [True] if is_sqlite(seeded) else []
    )
    assert seeded.store.reindex() == 0


def test_reindex_of_one_workspace(seeded: ActivityLog) -> None:
    for w in ("acme", "globex"):
        sql(seeded, "UPDATE events SET actor_name = 'x' WHERE rid = :r", r=target(seeded, w)["rid"])
    assert seeded.store.reindex("acme") == 1
    assert set(everything(seeded)) == {"globex"}


def test_reindex_moves_rows_back(seeded: ActivityLog) -> None:
    moved, shifted = target(seeded, "acme"), target(seeded, "globex")
    sql(seeded, "UPDATE events SET workspace = 'evil' WHERE rid = :r", r=moved["rid"])
    move(seeded, shifted["rid"], 86400000000000)
    assert seeded.store.reindex() == 2
    assert everything(seeded) == {}
    assert list(seeded.store.search_index_breaks()) == []
    assert sql(seeded, "SELECT workspace, rid FROM events WHERE rid = :r", r=moved["rid"]) == [
        {"workspace": "acme", "rid": moved["rid"]}
    ]
    assert seeded.get(shifted["id"])["workspace"] == "globex"


def test_reindex_leaves_a_changed_id_for_verify(seeded: ActivityLog) -> None:
    row = target(seeded)
    sql(
        seeded,
        "UPDATE entries SET id = :i WHERE rid = :r",
        i=FORGED_ID,
        r=row["rid"],
    )
    sql(seeded, "UPDATE events SET actor_name = 'x' WHERE rid = :r", r=row["rid"])
    steps: list[derived.Reindexed] = []
    assert seeded.store.reindex("acme", on_step=steps.append) == 1
    assert steps[0].left == (row["seq"],)
    assert breaks(seeded, "acme") == [(row["seq"], "id differs from content")]


@pytest.fixture
def small_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compare counts every few entries, so a pass crosses many windows."""
    monkeypatch.setattr(derived_pass, "CHUNK", 7)
    monkeypatch.setattr(derived_pass, "WINDOW", 10)


@pytest.mark.usefixtures("small_windows")
def test_windows_cover_every_day(seeded: ActivityLog) -> None:
    assert everything(seeded) == {}
    first = sql(seeded, "SELECT min(bucket) AS b FROM rollup_day WHERE workspace = 'acme'")[0]["b"]
    last = sql(seeded, "SELECT max(bucket) AS b FROM rollup_hour WHERE workspace = 'acme'")[0]["b"]
    sql(seeded, "UPDATE rollup_day SET n = n + 1 WHERE workspace = 'acme' AND bucket = :b", b=first)
    sql(seeded, "UPDATE rollup_hour SET n = n + 1 WHERE workspace = 'acme' AND bucket = :b", b=last)
    details = [d for _, d in breaks(seeded, "acme")]
    assert sum(d.startswith("rollup_day ") for d in details) >= 1
    assert sum(d.startswith("rollup_hour ") for d in details) >= 1


@pytest.mark.usefixtures("small_windows")
def test_a_row_moved_to_another_day_is_counted_on_its_own(seeded: ActivityLog) -> None:
    rows = "SELECT rid, seq FROM entries WHERE workspace = 'acme' ORDER BY rid"
    early = sql(seeded, f"{rows} LIMIT 1")[0]
    late = sql(seeded, f"{rows} DESC LIMIT 1")[0]
    move(seeded, early["rid"], late["rid"] + 5 - early["rid"])
    move(seeded, late["rid"], early["rid"] - 5 - late["rid"])
    found = [b for b in breaks(seeded, "acme") if "search index" not in b[1]]
    assert found == [
        (min(early["seq"], late["seq"]), "rid differs from content"),
        (max(early["seq"], late["seq"]), "rid differs from content"),
    ]
    assert seeded.store.reindex("acme") == 2
    assert breaks(seeded, "acme") == []
