"""What only the ClickHouse engine does: its URLs, the cluster DDL, attacks made in
ClickHouse, an unfinished append (left by a process killed mid-append too) and a retried
insert (on chdb)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from activitylog import ActivityLog
from activitylog.chain import content_hash, link
from activitylog.errors import ConfigurationError
from activitylog.settings import Settings
from activitylog.store.clickhouse.writes import HEAD_COLUMNS

from ._support import ago, eid, event

pytestmark = pytest.mark.clickhouse


@pytest.fixture
def chlog(chdb_url: Callable[[], str], settings: Settings) -> Iterator[ActivityLog]:
    with ActivityLog(chdb_url(), settings=settings) as log:
        yield log


def filled(log: ActivityLog, n: int = 25) -> list[dict[str, object]]:
    return log.record_many(
        [event(occurred_at=ago(minutes=n - i), id=eid(i), description=f"#{i}") for i in range(n)]
    )


def test_a_server_url_must_name_its_side_database() -> None:
    from activitylog.store.clickhouse.connection import Location

    with pytest.raises(ConfigurationError, match="side_db"):
        Location.parse("clickhouse://u:p@ch.internal:8123/logs")
    where = Location.parse("clickhouses://u:p%40ss@ch.internal/logs?side_db=sqlite:///s.db")
    assert (where.host, where.port, where.password, where.database) == (
        "ch.internal",
        8443,
        "p@ss",
        "logs",
    )
    assert where.side_db == "sqlite:///s.db"


def test_chdb_runs_one_directory_per_process(
    chdb_url: Callable[[], str], settings: Settings, tmp_path: Path
) -> None:
    with (
        ActivityLog(chdb_url(), settings=settings),
        pytest.raises(ConfigurationError, match="one data directory per process"),
    ):
        ActivityLog(f"chdb://{tmp_path / 'elsewhere'}", settings=settings)


def test_a_chdb_directory_another_process_runs_is_refused_by_name(
    chlog: ActivityLog, tmp_path: Path
) -> None:
    url = chlog.store.db.location  # type: ignore[attr-defined]  # this process runs chdb there
    opening = (
        "import sys\n"
        "from activitylog import ActivityLog\n"
        "from activitylog.errors import ConfigurationError\n"
        "from activitylog.settings import Settings\n"
        "try:\n"
        "    ActivityLog(sys.argv[1], settings=Settings(signing_key=sys.argv[2]))\n"
        "except ConfigurationError as exc:\n"
        "    print(exc)\n"
    )
    where = f"chdb://{url.path}?database={url.database}"
    run = [sys.executable, "-c", opening, where, str(tmp_path / "key.pem")]
    done = subprocess.run(run, timeout=120, check=True, capture_output=True, text=True)
    assert f"chdb's directory {url.path} is open in another process" in done.stdout


def test_clickhouse_parses_the_cluster_ddl(chdb_url: Callable[[], str]) -> None:
    from activitylog.store.clickhouse.connection import Database, Location
    from activitylog.store.clickhouse.schema import statements

    db = Database(Location.parse(chdb_url()))
    ddl = statements("activitylog", cluster="logs")
    assert sum("ReplicatedMergeTree" in s or "ReplicatedReplacingMergeTree" in s for s in ddl) == 4
    assert sum("Distributed(`logs`" in s for s in ddl) == 4
    for statement in ddl:
        [(formatted,)] = db.rows("SELECT formatQuery(%(q)s)", {"q": statement})
        assert "ON CLUSTER logs" in formatted


def test_a_body_changed_in_clickhouse_breaks_verify(chlog: ActivityLog) -> None:
    filled(chlog)
    assert chlog.verify().ok
    db = chlog.store.db  # type: ignore[attr-defined]
    db.run(
        "ALTER TABLE events UPDATE body = replaceOne(body, '#7', '#0') WHERE seq = 8"
        " SETTINGS mutations_sync = 2"
    )
    brk = chlog.verify().first_break
    assert brk is not None
    assert (brk.workspace, brk.seq) == ("acme", 8)


def test_a_deleted_row_breaks_verify(chlog: ActivityLog) -> None:
    filled(chlog)
    chlog.store.db.run("DELETE FROM events WHERE seq = 5")  # type: ignore[attr-defined]
    brk = chlog.verify().first_break
    assert brk is not None
    assert (brk.seq, brk.kind) == (5, "missing")


def test_entries_past_the_head_are_removed_by_the_next_writer(
    chdb_url: Callable[[], str], settings: Settings
) -> None:
    url = chdb_url()
    with ActivityLog(url, settings=settings) as log:
        filled(log, 3)
        db = log.store.db  # type: ignore[attr-defined]
        # an append that stopped after its entries, before its head: copy seq 3 as seq 4
        db.run(
            "INSERT INTO events SELECT * REPLACE (4 AS seq, rid + 1 AS rid, 'x' AS id)"
            " FROM (SELECT * FROM events WHERE seq = 3)"
        )
        [(count,)] = db.rows("SELECT count() FROM events")
        assert count == 4
    with ActivityLog(url, settings=settings) as log:
        assert log.record(**event())["seq"] == 4
        assert log.verify().ok
        assert log.count() == 4


#: A process appending to a chdb log, killed (SIGKILL) right after its append number
#: argv[4]'s insert into the table argv[3]: its entries are in, its heads are not.
_KILLED_APPEND = """
import os, signal, sys
from activitylog import ActivityLog
from activitylog.settings import Settings

url, key, table, killed_at = sys.argv[1:]
log = ActivityLog(url, settings=Settings(signing_key=key, checkpoint_every=10, followers=False))
insert, calls = log.store.db.insert, []

def killed(into, rows, columns, **options):
    insert(into, rows, columns, **options)
    if into == table:
        calls.append(into)
        if len(calls) == int(killed_at):
            os.kill(os.getpid(), signal.SIGKILL)

log.store.db.insert = killed
log.record_many([{"workspace": "acme", "action": "contact.updated"} for _ in range(3)])
log.record_many([{"workspace": "acme", "action": "contact.updated"} for _ in range(12)])
"""

#: The next process: what it reads and verifies at once, then after an append.
_OPENED_AFTER = """
import json, sys
from activitylog import ActivityLog
from activitylog.settings import Settings

url, key = sys.argv[1:]
log = ActivityLog(url, settings=Settings(signing_key=key, checkpoint_every=10, followers=False))
report = log.verify()
seen = {"count": log.count(), "ok": report.ok, "breaks": [str(b) for b in report.breaks]}
seen["next"] = log.record(workspace="acme", action="contact.updated")["seq"]
seen["ok_after"] = log.verify().ok
print(json.dumps(seen))
"""


@pytest.mark.parametrize(
    ("table", "append", "kept"),
    [("events", 1, 0), ("events", 2, 3), ("checkpoints", 2, 3)],
    ids=["first_append", "after_its_entries", "after_its_checkpoints"],
)
def test_an_append_killed_before_its_head_leaves_nothing_once_the_log_is_opened(
    tmp_path: Path, table: str, append: int, kept: int
) -> None:
    """Nothing of the killed append is read, nor reported as tampering: opening the log
    removes it (as the next append of the workspace would), before anything reads. Its
    workspace's first append, cut short, leaves a workspace that appends go on in."""
    url, key = f"chdb://{tmp_path / 'ch'}", str(tmp_path / "key.pem")
    run = [sys.executable, "-c", _KILLED_APPEND, url, key, table, str(append)]
    assert subprocess.run(run, timeout=120, check=False).returncode == -signal.SIGKILL
    assert (tmp_path / "ch" / "activitylog.appending").read_text() == "acme\n"
    opened = subprocess.run(
        [sys.executable, "-c", _OPENED_AFTER, url, key],
        timeout=120,
        check=True,
        capture_output=True,
    )
    seen = json.loads(opened.stdout)
    assert seen == {"count": kept, "ok": True, "breaks": [], "next": kept + 1, "ok_after": True}
    assert not (tmp_path / "ch" / "activitylog.appending").exists()


def rolled_back_as_if_cut_short(log: ActivityLog) -> Any:
    """15 entries recorded (a checkpoint kept at 10), then the attacker's rollback: the
    head put back to the one signed at 3, as a newer revision, and acme named as being
    appended to (the file beside the log), so that it looks like an append cut short.
    Returns the log's database."""
    log.record_many([event() for _ in range(3)])
    db: Any = log.store.db  # type: ignore[attr-defined]
    [older] = db.rows("SELECT * FROM chain_heads FINAL WHERE workspace = 'acme'")
    log.record_many([event() for _ in range(12)])
    [(revision,)] = db.rows("SELECT max(revision) FROM chain_heads")
    db.insert("chain_heads", [(older[0], revision + 1, *older[2:])], HEAD_COLUMNS)
    log.store.in_flight.begin(["acme"])  # type: ignore[attr-defined]
    return db


def test_an_unfinished_append_behind_the_witness_is_left_for_verify(
    chdb_url: Callable[[], str], tmp_path: Path
) -> None:
    """A head rolled back to an older one we signed, its later entries left in place, looks
    like an append cut short; but the witness holds a checkpoint past it: those entries
    were acknowledged. Opening the log leaves them, for verify to report."""
    url = chdb_url()
    settings = Settings(
        signing_key=tmp_path / "key.pem", checkpoint_every=10, witness_dir=tmp_path / "witness"
    )
    with ActivityLog(url, settings=settings) as log:
        rolled_back_as_if_cut_short(log)
        log.store.recover()  # type: ignore[attr-defined]
        assert log.count() == 15
        report = log.verify()
        assert "inserted" in {b.kind for b in report.breaks}  # past the head, kept


def test_a_head_row_deleted_with_the_workspace_named_is_not_taken_for_a_first_append(
    chdb_url: Callable[[], str], tmp_path: Path
) -> None:
    """The attacker deletes a workspace's head row and names it in the file beside the
    log, so that opening takes its entries for a first append cut short and removes them.
    The witness knows the workspace had more: opening leaves them for verify to report."""
    url = chdb_url()
    keyed = {"signing_key": tmp_path / "key.pem", "checkpoint_every": 10}
    with ActivityLog(url, settings=Settings(**keyed, witness_dir=tmp_path / "witness")) as log:
        log.record_many([event() for _ in range(12)])  # a checkpoint at 10, witnessed
        db: Any = log.store.db  # type: ignore[attr-defined]
        db.run("DELETE FROM chain_heads WHERE workspace = 'acme'")
        log.store.in_flight.begin(["acme"])  # type: ignore[attr-defined]
        log.store.recover()  # type: ignore[attr-defined]  # what opening the log does
        assert db.rows("SELECT count() FROM events") == [(12,)]
        assert not log.verify().ok


def test_verify_with_a_witness_opens_the_log_holding_it_to_that_witness(
    chdb_url: Callable[[], str], tmp_path: Path
) -> None:
    """``verify --witness-dir`` on a log whose settings name no witness: what opening the
    log tidies is held to the witness given (a rolled-back head's entries are kept, and
    reported), not only the verification."""
    from click.testing import CliRunner

    from activitylog.cli import main

    url, witness = chdb_url(), tmp_path / "witness"
    keyed = {"signing_key": tmp_path / "key.pem", "checkpoint_every": 10}
    with ActivityLog(url, settings=Settings(**keyed, witness_dir=witness)) as log:
        db = rolled_back_as_if_cut_short(log)
    done = CliRunner().invoke(
        main,
        ["--db", url, "verify", "--witness-dir", str(witness)],
        env={"ACTIVITYLOG_SIGNING_KEY": str(tmp_path / "key.pem")},
    )
    assert done.exit_code == 1, done.output
    assert db.rows("SELECT count() FROM events") == [(15,)]  # kept, for verify to report


def test_a_deletion_cut_short_before_its_entries_went_is_finished_by_deleting_again(
    chlog: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = filled(chlog, 5)
    ids = [str(stored[1]["id"]), str(stored[2]["id"])]
    db = chlog.store.db  # type: ignore[attr-defined]
    run = db.run

    def cut(statement: Any, params: Any = None) -> None:
        if str(statement).startswith("DELETE FROM events"):
            raise ConnectionResetError("the server went away")
        run(statement, params)

    monkeypatch.setattr(db, "run", cut)
    with pytest.raises(ConnectionResetError):  # after the tombstones, before the rest
        chlog.delete(ids, by="ava@acme.example", reason="asked")
    monkeypatch.setattr(db, "run", run)
    assert chlog.delete(ids, by="ava@acme.example", reason="asked") == ids
    report = chlog.verify()
    assert report.ok, [str(b) for b in report.breaks]
    assert chlog.count() == 5 - 2 + 1  # and the deletion's record


def test_a_retried_insert_is_stored_once(chlog: ActivityLog) -> None:
    filled(chlog, 2)
    db = chlog.store.db  # type: ignore[attr-defined]
    rows = db.rows("SELECT * FROM events ORDER BY seq")
    columns = [
        name
        for (name,) in db.rows(
            "SELECT name FROM system.columns WHERE database = currentDatabase()"
            " AND table = 'events' AND default_kind != 'ALIAS' ORDER BY position"
        )
    ]
    db.insert("events", rows, columns, token="same")
    db.insert("events", rows, columns, token="same")
    [(count,)] = db.rows("SELECT count() FROM events")
    assert count == 4


def test_the_content_hash_is_the_bodys_not_stored(chlog: ActivityLog) -> None:
    recorded = filled(chlog, 3)
    db = chlog.store.db  # type: ignore[attr-defined]
    rows = db.rows("SELECT body, lower(hex(content_hash)) FROM events ORDER BY seq")
    assert [digest for _, digest in rows] == [e["content_hash"] for e in recorded]
    assert all(content_hash(body) == digest for body, digest in rows)
    [(kind,)] = db.rows(
        "SELECT default_kind FROM system.columns WHERE database = currentDatabase()"
        " AND table = 'events' AND name = 'content_hash'"
    )
    assert kind == "ALIAS"


def test_a_log_of_the_first_layout_is_upgraded_when_opened(
    chdb_url: Callable[[], str], settings: Settings
) -> None:
    url = chdb_url()
    with ActivityLog(url, settings=settings) as log:
        recorded = filled(log, 5)
        db = log.store.db  # type: ignore[attr-defined]
        # layout 1 stored the content hash (and compressed bodies with ZSTD(3))
        for statement in (
            "ALTER TABLE events DROP COLUMN content_hash",
            "ALTER TABLE events ADD COLUMN content_hash FixedString(32) CODEC(NONE) AFTER body",
            "ALTER TABLE events UPDATE content_hash = SHA256(concat('\\0', body)) WHERE 1"
            " SETTINGS mutations_sync = 2",
            "ALTER TABLE events MODIFY COLUMN body String CODEC(ZSTD(3))",
        ):
            db.run(statement)
        assert store_module().content_hash_stored(db)
    with ActivityLog(url, settings=settings) as log:
        db = log.store.db  # type: ignore[attr-defined]
        assert not store_module().content_hash_stored(db)
        [(codec,)] = db.rows(
            "SELECT compression_codec FROM system.columns WHERE database = currentDatabase()"
            " AND table = 'events' AND name = 'body'"
        )
        assert codec == "CODEC(ZSTD(9))"
        assert log.record(**event())["seq"] == 6
        assert log.verify().ok
        got = log.get(str(recorded[2]["id"]))
        assert got is not None
        assert got["content_hash"] == recorded[2]["content_hash"]


def test_appends_copy_the_prepared_content_as_verify_reads_the_body() -> None:
    from activitylog.enrich import prepare
    from activitylog.events import validate
    from activitylog.store.clickhouse.writes import copied
    from activitylog.store.copies import COPY_COLUMNS, copies

    inputs = [
        event(actor={"id": "u_1", "name": "Ana", "role": "admin"}, ip="81.2.69.160"),
        event(actor={"name": "cron"}, subject={"type": "contact", "id": "c_1", "name": "Bo"}),
        event("user.signed_in", actor={"id": "u_2"}, description="Zürich café", result="failure"),
    ]
    for given in inputs:
        p = prepare(validate(given))
        values = copies(p.body)
        assert copied(p) == tuple(values[c] for c in COPY_COLUMNS)


def store_module() -> Any:
    from activitylog.store.clickhouse import store

    return store


def test_a_forged_row_past_the_head_is_reported(chlog: ActivityLog) -> None:
    filled(chlog)
    db = chlog.store.db  # type: ignore[attr-defined]
    [(body, chained)] = db.rows("SELECT body, lower(hex(chain_hash)) FROM events WHERE seq = 25")
    forged = body.replace(eid(24).encode(), eid(999).encode())
    digest = content_hash(forged)
    db.run(
        "INSERT INTO events SELECT * REPLACE (26 AS seq, rid + 1 AS rid, %(id)s AS id,"
        " %(body)s AS body, unhex(%(h)s) AS chain_hash)"
        " FROM (SELECT * FROM events WHERE seq = 25)",
        {"id": eid(999), "body": forged, "h": link(chained, digest)},
    )
    report = chlog.verify()
    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.kind) == (26, "inserted")
    assert ("unsigned", 26) in {(b.kind, b.seq) for b in report.breaks}


def test_an_append_in_flight_is_not_reported(
    chlog: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    filled(chlog, 3)
    store: Any = chlog.store
    inserted, release = threading.Event(), threading.Event()
    save_heads = store._save_heads

    def slow_heads(*args: Any, **kwargs: Any) -> None:
        inserted.set()  # the entries are in, the head is not yet
        release.wait(5)
        save_heads(*args, **kwargs)

    monkeypatch.setattr(store, "_save_heads", slow_heads)
    appending = threading.Thread(target=lambda: chlog.record(**event()))
    appending.start()
    assert inserted.wait(5)
    threading.Timer(0.2, release.set).start()
    report = chlog.verify()
    appending.join()
    assert report.ok, report.breaks
    assert report.entries == 4


def test_on_a_cluster_mutations_go_to_the_replicated_tables(chlog: ActivityLog) -> None:
    from activitylog.store.clickhouse.store import cluster_of

    assert cluster_of("Distributed('logs', 'activitylog', 'events_local', cityHash64(workspace))")
    assert cluster_of("Distributed('it\\'s', 'db', 'events_local', rand())") == "it's"
    assert cluster_of("MergeTree PARTITION BY x ORDER BY (workspace, rid)") is None
    store: Any = chlog.store
    assert store.cluster is None
    assert store.mutable("events") == "events"
    store.cluster = "logs"
    for statement in (
        f"DELETE FROM {store.mutable('events')} WHERE rid IN (1, 2)",
        f"ALTER TABLE {store.mutable('events')} UPDATE action = 'a' WHERE rid = 1",
    ):
        [(formatted,)] = store.db.rows("SELECT formatQuery(%(q)s)", {"q": statement})
        assert "events_local ON CLUSTER logs" in formatted
    store.cluster = None


def test_deleting_an_entry_leaves_another_workspaces_row_with_its_rid(chlog: ActivityLog) -> None:
    """Writers on several servers pick rids apart, so two workspaces can hold one rid: a
    deletion removes the row of the deleted entry's workspace only."""
    [mine] = chlog.record_many([event(id=eid(1))])
    chlog.record_many([event(workspace="globex", id=eid(2))])
    db = chlog.store.db  # type: ignore[attr-defined]
    [(rid,)] = db.rows("SELECT rid FROM events WHERE id = %(id)s", {"id": eid(1)})
    db.run(  # globex's entry moved onto acme's rid, as a collision would leave it
        "INSERT INTO events SELECT * REPLACE (%(rid)s AS rid) FROM events WHERE id = %(id)s",
        {"rid": rid, "id": eid(2)},
    )
    db.run("DELETE FROM events WHERE id = %(id)s AND rid != %(rid)s", {"id": eid(2), "rid": rid})
    assert chlog.delete([mine["id"]], by="owner@acme.example", reason="test") == [mine["id"]]
    left = db.rows("SELECT workspace, id FROM events WHERE rid = %(rid)s", {"rid": rid})
    assert left == [("globex", eid(2))]


def test_entries_are_read_a_bounded_window_of_seqs_at_a_time(
    chlog: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verify and exports read a workspace in windows of seqs (the seq index then reads
    only their granules): every entry and tombstone once, in order, a seq held twice
    twice, across windows."""
    from activitylog.store.clickhouse import ledger

    stored = filled(chlog)
    chlog.delete([str(stored[9]["id"])], by="owner@acme.example", reason="test")
    monkeypatch.setattr(ledger, "CHUNK", 4)
    rows = chlog.store.entries_of("acme")  # type: ignore[attr-defined]
    assert [row[0] for row in rows] == list(range(1, 27))  # 25 and the deletion's record
    assert rows[9][1] is None  # the tombstone, in its place
    assert chlog.verify().ok
    db = chlog.store.db  # type: ignore[attr-defined]
    db.run("INSERT INTO events SELECT * REPLACE (rid + 1 AS rid) FROM events WHERE seq = 14")
    assert [row[0] for row in chlog.store.entries_of("acme")].count(14) == 2  # type: ignore[attr-defined]
    report = chlog.verify()
    assert ("inserted", 14) in {(b.kind, b.seq) for b in report.breaks}


def test_a_row_far_past_the_others_is_reported_without_reading_every_seq_between(
    chlog: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading goes a window of seqs at a time; a row written with a seq far past the
    others (a trillion) is jumped to, not reached a window at a time, and reported."""
    from activitylog.store.clickhouse import ledger

    filled(chlog, 5)
    db = chlog.store.db  # type: ignore[attr-defined]
    db.run(
        "INSERT INTO events SELECT * REPLACE (1000000000000 AS seq, rid + 1 AS rid, %(id)s AS id)"
        " FROM (SELECT * FROM events WHERE seq = 5)",
        {"id": eid(999)},
    )
    queries: list[str] = []
    rows = db.rows
    monkeypatch.setattr(db, "rows", lambda sql, *a: queries.append(sql) or rows(sql, *a))
    monkeypatch.setattr(ledger, "CHUNK", 2)
    seqs = [row[0] for row in chlog.store.entries_of("acme")]  # type: ignore[attr-defined]
    assert seqs == [1, 2, 3, 4, 5, 1_000_000_000_000]
    assert len(queries) < 10
    assert not chlog.verify().ok
