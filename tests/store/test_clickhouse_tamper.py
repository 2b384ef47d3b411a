"""Attacks on a ClickHouse log (chdb) by someone who can write its tables and its side
database but holds no signing key: what they do to the leases, the outbox and the
MergeTree tables is reported by verify or refused by the next append, never taken for
genuine (docs/CLICKHOUSE.md, "What holds against an attacker")."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from activitylog import ActivityLog
from activitylog.errors import IntegrityError
from activitylog.merkle import Frontier
from activitylog.settings import Settings
from activitylog.store.copies import COPY_COLUMNS

from ._clickhouse import two_writers
from ._support import eid, event
from ._tamper import flip_signature

pytestmark = pytest.mark.clickhouse


@pytest.fixture
def chlog(chdb_url: Callable[[], str], settings: Settings) -> Iterator[ActivityLog]:
    with ActivityLog(chdb_url(), settings=settings) as log:
        yield log


@pytest.fixture
def writers(chdb_url: Callable[[], str], settings: Settings) -> Iterator[list[ActivityLog]]:
    """Two logs on one database, each its own writer (lock and leases), as two servers."""
    with two_writers(chdb_url(), settings, wait=2.0) as logs:
        yield logs


def kinds(log: ActivityLog) -> set[tuple[int, str]]:
    """``(seq, kind)`` of every break verify reports."""
    return {(b.seq, b.kind) for b in log.verify().breaks}


def side(log: ActivityLog, statement: str, **params: Any) -> None:
    """Run ``statement`` in the log's side database, as the attacker."""
    store: Any = log.store
    with store.engine.begin() as conn:
        conn.execute(text(statement), params)


def seqs(log: ActivityLog) -> list[tuple[int, int]]:
    """``(seq, how many rows hold it)`` for every seq in ``events``."""
    rows = log.store.db.rows(  # type: ignore[attr-defined]
        "SELECT seq, count() FROM events GROUP BY seq ORDER BY seq"
    )
    return [(int(s), int(n)) for s, n in rows]


# -- the leases -------------------------------------------------------------------------


def _lease_taken_away(attack: str) -> Callable[[ActivityLog, ActivityLog], None]:
    """An attack on the lease the first writer holds: the second writer then appends."""

    def run(holder: ActivityLog, other: ActivityLog) -> None:
        taker: Any = other.store
        if attack == "given":
            side(holder, "UPDATE clickhouse_leases SET holder = :h", h=taker.leases.holder)
        elif attack == "expired":
            side(holder, "UPDATE clickhouse_leases SET expires_us = 0")
        else:
            side(holder, "DELETE FROM clickhouse_leases")
        other.record_many([event(description=f"other {n}") for n in range(2)])

    return run


@pytest.mark.parametrize("attack", ["given", "expired", "deleted"])
@pytest.mark.parametrize("moment", ["before_confirm", "after_confirm"])
def test_a_lease_taken_from_its_holder_forks_nothing_silently(
    writers: list[ActivityLog], monkeypatch: pytest.MonkeyPatch, attack: str, moment: str
) -> None:
    """While the first writer appends (its entries inserted, its head not yet written),
    the attacker hands its lease to the second, which appends at the same seqs. The
    first finds out before writing its head (its lease, or a head revision it did not
    read) and fails with nothing acknowledged: the chain stays sequential and verifies."""
    first, second = writers
    first.record_many([event(description=f"#{n}") for n in range(3)])
    store: Any = first.store
    steal = _lease_taken_away(attack)
    if moment == "before_confirm":
        append_fresh = store._append_fresh

        def paused(*args: Any, **kwargs: Any) -> Any:
            written = append_fresh(*args, **kwargs)
            steal(first, second)
            return written

        monkeypatch.setattr(store, "_append_fresh", paused)
    else:
        confirm = store.leases.confirm

        def confirmed(workspaces: Any) -> None:
            confirm(workspaces)
            steal(first, second)

        monkeypatch.setattr(store.leases, "confirm", confirmed)
    with pytest.raises(IntegrityError, match=r"expired|another writer"):
        first.record_many([event(description=f"first {n}") for n in range(2)])
    monkeypatch.undo()
    # the first writer finds out before its heads and undoes its entries (nothing
    # acknowledged); the second's entries take seqs 4 and 5, once each
    assert seqs(first) == [(n, 1) for n in range(1, 6)]
    stored = sorted(first.export(), key=lambda e: int(e["seq"]))
    assert [e["description"] for e in stored] == ["#0", "#1", "#2", "other 0", "other 1"]
    report = first.verify()
    assert report.ok, report.breaks


def test_a_lease_handed_back_and_forth_loses_no_acknowledged_entry_silently(
    writers: list[ActivityLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attacker gives the first writer's lease to the second while the first's
    entries are in and its head is not: the second reads the old head (removing the
    first's entries as unfinished) and stops before its head. The lease goes back to the
    first, which writes its head (acknowledged), then to the second, which writes its
    head last. The first writer's entries are gone: verify must say so."""
    first, second = writers
    first.record_many([event(description=f"#{n}") for n in range(3)])
    one: Any = first.store
    two: Any = second.store
    second_waits, first_done = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def give(to: Any) -> None:
        side(first, "DELETE FROM clickhouse_leases")
        side(
            first,
            "INSERT INTO clickhouse_leases VALUES ('acme', :h, 9223372036854775000)",
            h=to.leases.holder,
        )

    save_heads = two._save_heads

    def second_heads(*args: Any, **kwargs: Any) -> None:
        second_waits.set()
        first_done.wait(10)
        give(two)
        save_heads(*args, **kwargs)

    def second_appends() -> None:
        try:
            second.record_many([event(description=f"second {n}") for n in range(2)])
        except IntegrityError as exc:
            failures.append(exc)

    append_fresh = one._append_fresh
    thread = threading.Thread(target=second_appends)

    def first_entries(*args: Any, **kwargs: Any) -> Any:
        written = append_fresh(*args, **kwargs)
        give(two)
        thread.start()
        assert second_waits.wait(10)
        give(one)
        return written

    monkeypatch.setattr(one, "_append_fresh", first_entries)
    monkeypatch.setattr(two, "_save_heads", second_heads)
    acknowledged = first.record_many([event(description=f"first {n}") for n in range(2)])
    first_done.set()
    thread.join()
    monkeypatch.undo()
    # the second writer saw the first's head before writing its own: it failed and undid
    # its entries; the first's acknowledged entries, which it removed as unfinished, are
    # reported missing
    assert len(failures) == 1
    assert "another writer" in str(failures[0])
    assert len(acknowledged) == 2
    assert seqs(first) == [(1, 1), (2, 1), (3, 1)]
    assert (4, "missing") in kinds(first)


def test_a_lease_moved_far_into_the_future_only_delays_other_writers(
    writers: list[ActivityLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = writers
    store: Any = first.store
    held = threading.Event()
    append_fresh = store._append_fresh

    def held_forever(*args: Any, **kwargs: Any) -> Any:
        written = append_fresh(*args, **kwargs)
        side(first, "UPDATE clickhouse_leases SET expires_us = 9223372036854775000, holder = 'x'")
        held.set()
        return written

    monkeypatch.setattr(store, "_append_fresh", held_forever)
    with pytest.raises(IntegrityError, match="expired"):  # its lease is not its own any more
        first.record(**event())
    monkeypatch.undo()
    second.store.leases.wait = 0.1  # type: ignore[attr-defined]
    with pytest.raises(IntegrityError, match="another writer"):
        second.record(**event())
    assert first.count() == 0
    side(first, "DELETE FROM clickhouse_leases")
    assert second.record(**event())["seq"] == 1
    assert first.verify().ok


# -- the outbox -------------------------------------------------------------------------


def _put(log: ActivityLog, *events: dict[str, Any]) -> None:
    """Record ``events`` inside a side-database transaction (kept in the outbox)."""
    store: Any = log.store
    with store.engine.begin() as conn:
        log.record_many(list(events), connection=conn)


def _outbox(log: ActivityLog) -> list[tuple[int, bytes]]:
    store: Any = log.store
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, batch FROM clickhouse_outbox ORDER BY id")).all()
    return [(int(i), bytes(b)) for i, b in rows]


def test_a_batch_changed_in_the_outbox_is_not_appended(
    chlog: ActivityLog, caplog: pytest.LogCaptureFixture
) -> None:
    _put(chlog, event(id=eid(1), description="genuine"))
    [(row, batch)] = _outbox(chlog)
    side(
        chlog,
        "UPDATE clickhouse_outbox SET batch = :b WHERE id = :i",
        b=batch.replace(b"genuine", b"forged!"),
        i=row,
    )
    assert chlog.count() == 0
    assert "outbox row 1 is not signed" in caplog.text
    assert chlog.record(**event(id=eid(2)))["seq"] == 1
    assert [e["id"] for e in chlog.export()] == [eid(2)]
    assert chlog.verify().ok


@pytest.mark.parametrize("signature", ["none", "copied"])
def test_a_batch_forged_into_the_outbox_is_not_appended(
    chlog: ActivityLog,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    signature: str,
) -> None:
    """The attacker adds a batch of their own in the outbox's format: unsigned, or with
    the signature of a genuine batch."""
    store: Any = chlog.store
    monkeypatch.setattr(store, "settle", lambda: 0)
    _put(chlog, event(id=eid(1), description="genuine"))
    [(_, genuine)] = _outbox(chlog)
    forged = genuine.replace(eid(1).encode(), eid(9).encode())
    if signature == "none":
        side(chlog, "INSERT INTO clickhouse_outbox (batch) VALUES (:b)", b=forged)
    else:
        side(
            chlog,
            "INSERT INTO clickhouse_outbox (batch, signature)"
            " SELECT :b, signature FROM clickhouse_outbox",
            b=forged,
        )
    monkeypatch.undo()
    assert chlog.count() == 1
    assert "not signed" in caplog.text
    assert [e["id"] for e in chlog.export()] == [eid(1)]
    assert chlog.verify().ok


def test_a_batch_duplicated_or_reordered_in_the_outbox_is_stored_once_each(
    chlog: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    store: Any = chlog.store
    monkeypatch.setattr(store, "settle", lambda: 0)  # the attacker acts before the append
    _put(chlog, event(id=eid(1)))
    _put(chlog, event(id=eid(2)))
    (one, first), (two, second) = _outbox(chlog)
    side(chlog, "UPDATE clickhouse_outbox SET id = id + 100")  # reordered: two first
    side(chlog, "UPDATE clickhouse_outbox SET id = :n WHERE id = :o", n=one, o=two + 100)
    side(chlog, "UPDATE clickhouse_outbox SET id = :n WHERE id = :o", n=two, o=one + 100)
    copies = _outbox(chlog)
    assert [b for _, b in copies] == [second, first]
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO clickhouse_outbox SELECT id + 10, batch, signature"
                " FROM clickhouse_outbox"
            )
        )
    monkeypatch.undo()
    assert store.settle() == 4  # both batches, each twice: the second time found
    assert sorted(e["id"] for e in chlog.export()) == [eid(1), eid(2)]
    assert seqs(chlog) == [(1, 1), (2, 1)]
    assert chlog.verify().ok


# -- the MergeTree tables ---------------------------------------------------------------


def _filled(log: ActivityLog, months: tuple[int, ...] = (9, 10, 11)) -> None:
    """Ten entries in each month of 2026 in ``months`` (one partition each)."""
    log.record_many(
        [
            event(
                id=eid(m * 100 + n),
                occurred_at=datetime(2026, m, 3, 12, n, tzinfo=UTC).isoformat(),
            )
            for m in months
            for n in range(10)
        ]
    )


def test_a_row_inserted_again_with_its_seq_is_reported(chlog: ActivityLog) -> None:
    _filled(chlog)
    db = chlog.store.db  # type: ignore[attr-defined]
    # MergeTree keeps both: a second row for seq 12 (another rid, the same body and hashes)
    db.run(
        "INSERT INTO events SELECT * REPLACE (rid + 1 AS rid) FROM (SELECT * FROM events"
        " WHERE seq = 12)"
    )
    assert (12, 2) in seqs(chlog)
    assert 12 in {s for s, _ in kinds(chlog)}


def test_a_row_with_a_taken_seq_and_other_content_is_reported(chlog: ActivityLog) -> None:
    _filled(chlog)
    db = chlog.store.db  # type: ignore[attr-defined]
    db.run(
        "INSERT INTO events SELECT * REPLACE (rid + 1 AS rid, 'forged' AS id,"
        " replaceOne(body, id, 'forged') AS body) FROM (SELECT * FROM events WHERE seq = 12)"
    )
    assert 12 in {s for s, _ in kinds(chlog)}


def test_a_row_moved_to_another_partition_is_reported(chlog: ActivityLog) -> None:
    _filled(chlog)
    db = chlog.store.db  # type: ignore[attr-defined]
    month = 30 * 24 * 3600 * 10**9 * 1000 // 1000  # about a month of rid
    db.run(
        "INSERT INTO events SELECT * REPLACE (rid - %(m)s AS rid) FROM (SELECT * FROM events"
        " WHERE seq = 15)",
        {"m": month},
    )
    db.run("DELETE FROM events WHERE seq = 15 AND rid > %(m)s", {"m": 0})
    [(partitions,)] = db.rows("SELECT uniqExact(_partition_id) FROM events")
    [(count,)] = db.rows("SELECT count() FROM events WHERE seq = 15")
    assert count in (0, 1)
    assert partitions >= 3
    assert 15 in {s for s, _ in kinds(chlog)}


def test_a_row_copied_into_another_partition_is_reported(chlog: ActivityLog) -> None:
    _filled(chlog)
    db = chlog.store.db  # type: ignore[attr-defined]
    month = 30 * 24 * 3600 * 10**9
    db.run(
        "INSERT INTO events SELECT * REPLACE (rid + %(m)s AS rid) FROM (SELECT * FROM events"
        " WHERE seq = 15)",
        {"m": month},
    )
    [(partitions,)] = db.rows("SELECT uniqExact(_partition_id) FROM events WHERE seq = 15")
    assert partitions == 2
    assert 15 in {s for s, _ in kinds(chlog)}


def test_a_detached_partition_is_reported_missing(chlog: ActivityLog) -> None:
    _filled(chlog)
    db = chlog.store.db  # type: ignore[attr-defined]
    db.run("ALTER TABLE events DETACH PARTITION 202610")
    assert [s for s, _ in seqs(chlog)] == [*range(1, 11), *range(21, 31)]
    assert (11, "missing") in kinds(chlog)  # a gap is reported at its first seq
    assert chlog.record(**event())["seq"] == 31  # appends go on, as on the other engines
    assert (11, "missing") in kinds(chlog)
    db.run("ALTER TABLE events ATTACH PARTITION 202610")
    assert chlog.verify().ok


def test_every_partition_detached_is_reported_missing(chlog: ActivityLog) -> None:
    _filled(chlog, (10,))
    db = chlog.store.db  # type: ignore[attr-defined]
    db.run("ALTER TABLE events DETACH PARTITION 202610")
    assert (1, "missing") in kinds(chlog)


# -- the columns kept beside the body ---------------------------------------------------
#: Every copy column but the workspace, a key column ClickHouse refuses to update.
FILTER_COLUMNS = tuple(c for c in COPY_COLUMNS if c != "workspace")


@pytest.mark.parametrize("column", FILTER_COLUMNS)
def test_a_column_kept_for_filtering_changed_in_place_is_reported(
    chlog: ActivityLog, column: str
) -> None:
    """What the page filters and shows by, kept beside the body, changed by a mutation
    (the entry moved to another member's "My activity", another category, a forged IP):
    verify names the entry and the column."""
    chlog.record_many(
        [
            event(
                description=f"#{n}",
                actor={"id": f"u_{n % 3}", "name": f"User {n % 3}", "role": "member"},
                subject={"type": "contact", "id": f"c_{n}", "name": f"Contact {n}"},
                ip="10.0.0.7",
            )
            for n in range(20)
        ]
    )
    assert chlog.verify().ok
    chlog.store.db.run(  # type: ignore[attr-defined]
        f"ALTER TABLE events UPDATE {column} = concat(ifNull(toString({column}), ''), 'x')"
        " WHERE seq = 12 SETTINGS mutations_sync = 2"
    )
    breaks = chlog.verify().breaks
    assert [(b.seq, b.kind) for b in breaks] == [(12, "index_differs")]
    assert column in breaks[0].detail


# -- the tamper suite's attacks, on ClickHouse's tables ---------------------------------
def _checkpoint_deleted(log: ActivityLog) -> None:
    log.store.db.run("DELETE FROM checkpoints WHERE workspace = 'acme' AND size = 20")  # type: ignore[attr-defined]


def _checkpoint_signature_flipped(log: ActivityLog) -> None:
    db: Any = log.store.db  # type: ignore[attr-defined]
    [(note,)] = db.rows("SELECT note FROM checkpoints FINAL WHERE workspace = 'acme' AND size = 20")
    db.run(
        "ALTER TABLE checkpoints UPDATE note = %(n)s WHERE workspace = 'acme' AND size = 20"
        " SETTINGS mutations_sync = 2",
        {"n": flip_signature(note)},
    )


def _head_deleted(log: ActivityLog) -> None:
    log.store.db.run("DELETE FROM chain_heads WHERE workspace = 'globex'")  # type: ignore[attr-defined]


def _mutation(statement: str) -> Callable[[ActivityLog], None]:
    def run(log: ActivityLog) -> None:
        log.store.db.run(f"{statement} SETTINGS mutations_sync = 2")  # type: ignore[attr-defined]

    return run


@pytest.mark.parametrize(
    ("attack", "expected"),
    [
        (_checkpoint_deleted, ("acme", 11, "checkpoint_missing")),
        (_checkpoint_signature_flipped, ("acme", 20, "bad_signature")),
        (_head_deleted, ("globex", 1, "head_missing")),
        (
            _mutation(
                "ALTER TABLE events UPDATE seq = if(seq = 7, 8, 7)"
                " WHERE workspace = 'acme' AND seq IN (7, 8)"
            ),
            ("acme", 7, "reordered"),
        ),
        (
            _mutation(
                "ALTER TABLE events UPDATE chain_hash = unhex(repeat('ab', 32))"
                " WHERE workspace = 'acme' AND seq = 12"
            ),
            ("acme", 12, "modified"),
        ),
        (
            _mutation("ALTER TABLE events DELETE WHERE workspace = 'acme' AND seq > 43"),
            ("acme", 44, "missing"),
        ),
    ],
    ids=[
        "checkpoint_deleted",
        "checkpoint_signature_flipped",
        "head_deleted",
        "swapped",
        "chain_hash_rewritten",
        "tail_cut_head_left",
    ],
)
def test_the_tamper_suites_attacks_are_reported(
    chlog: ActivityLog, attack: Callable[[ActivityLog], None], expected: tuple[str, int, str]
) -> None:
    """As the SQL engines' tamper suite (test_tamper.py) does to their tables: a kept
    checkpoint deleted, one's signature changed, a workspace's head deleted, two entries
    swapped, a stored chain hash rewritten, the tail cut with the head left."""
    for start in range(0, 45, 10):  # checkpoints kept at 10, 20, 30, 40
        chlog.record_many([event(description=f"#{n}") for n in range(start, min(45, start + 10))])
    chlog.record_many([event(workspace="globex") for _ in range(5)])
    assert chlog.verify().ok
    attack(chlog)
    brk = chlog.verify().first_break
    assert brk is not None
    assert (brk.workspace, brk.seq, brk.kind) == expected


def test_a_tail_cut_with_the_head_moved_back_is_reported_and_refused(
    chdb_url: Callable[[], str], settings: Settings
) -> None:
    """The last two entries deleted and the head moved back onto seq 43, its chain and tree
    recomputed from the bodies as an attacker can (its note, which signs seq 45, left):
    verify reports the signed entries missing, and no append builds on the forged head."""
    url = chdb_url()
    with ActivityLog(url, settings=settings) as log:
        for start in range(0, 45, 10):
            log.record_many([event(description=f"#{n}") for n in range(start, min(45, start + 10))])
        db: Any = log.store.db  # type: ignore[attr-defined]
        chain, tree = bytes(32), Frontier()
        for _, body in db.rows(
            "SELECT seq, body FROM events WHERE workspace = 'acme' AND seq <= 43 ORDER BY seq"
        ):
            leaf = hashlib.sha256(b"\0" + bytes(body)).digest()
            chain = hashlib.sha256(chain + leaf).digest()
            tree.append(leaf)
        db.run(
            "ALTER TABLE events DELETE WHERE workspace = 'acme' AND seq > 43"
            " SETTINGS mutations_sync = 2"
        )
        db.run(
            "INSERT INTO chain_heads SELECT workspace, revision + 1, 43, %(c)s, %(f)s, note,"
            " checkpoint_seq, checkpoint_at FROM chain_heads FINAL WHERE workspace = 'acme'",
            {"c": chain.hex(), "f": tree.to_bytes().hex()},
        )
        brk = log.verify().first_break
        assert brk is not None
        assert (brk.workspace, brk.seq, brk.kind) == ("acme", 44, "missing")
    # a writer that never saw the real head
    with (
        ActivityLog(url, settings=settings) as writer,
        pytest.raises(IntegrityError, match="differs from its signed note"),
    ):
        writer.record_many([event(description="after the cut")])
