"""The tamper suite: each kind of tampering an attacker with write access to the database
(but neither the signing key nor the witness directory) can do, on a freshly seeded log,
and verify's verdict without a witness and with one.

Without a witness every kind is caught except three that need state kept outside the
database: a rollback to an older copy, a truncation back to a kept checkpoint with the
later signatures removed, and a whole workspace removed. With the witness, every kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from activitylog import ActivityLog
from activitylog.chain import content_hash, link
from activitylog.errors import IntegrityError
from activitylog.store.schema import entries, events

from ._hashes import storable
from ._support import eid, sql
from ._tamper import (
    DELETED,
    DELETION_RECORD,
    HEADS,
    KEPT,
    LAST_KEPT,
    WORKSPACES,
    Seeded,
    assert_caught,
    assert_witness_caught,
    copy_database,
    cover_tracks,
    cut_back,
    drop_workspace,
    dump_tables,
    entry,
    flip_signature,
    kept_note,
    rehash,
    restore_database,
    restore_tables,
    rewrite_bodies,
    seeded_log,
    set_head,
    shift_seqs,
    tamperings,
    verdicts,
)


@pytest.fixture
def seeded(db_url: str, tmp_path: Path) -> Iterator[Seeded]:
    with seeded_log(db_url, tmp_path) as log:
        yield log


# -- the seeded log --------------------------------------------------------------------------
def test_the_seeded_log_verifies_with_and_without_its_witness(seeded: Seeded) -> None:
    bare, witnessed = verdicts(seeded)
    for report in (bare, witnessed):
        assert report.ok, [str(b) for b in report.breaks]
        assert report.signatures_checked
        by_name = {w.workspace: w for w in report.workspaces}
        assert sorted(by_name) == list(WORKSPACES)
        for workspace, seq in HEADS.items():
            assert by_name[workspace].head_seq == seq
            assert by_name[workspace].checkpoints == len(KEPT[workspace])
        assert by_name["acme"].tombstones == 1
    assert {w.workspace: w.witnessed for w in witnessed.workspaces} == {
        name: len(sizes) for name, sizes in KEPT.items()
    }
    [record] = sql(
        seeded.log,
        "SELECT body FROM entries WHERE workspace = 'acme' AND seq = :s",
        s=DELETION_RECORD,
    )
    assert seeded.ids[("acme", DELETED)].encode() in bytes(record["body"])
    assert [size for size, _ in seeded.log.store.kept_checkpoints("acme")] == KEPT["acme"]


# -- the kinds of tampering ------------------------------------------------------------------
def filter_column(column: str, value: str) -> Callable[[Seeded], None]:
    def apply(seeded: Seeded) -> None:
        sql(
            seeded.log,
            f"UPDATE events SET {column} = :v"
            " WHERE rid = (SELECT rid FROM entries WHERE workspace = 'acme' AND seq = 12)",
            v=value,
        )
        cover_tracks(seeded.log)

    return apply


def body(seeded: Seeded) -> None:
    rewrite_bodies(seeded.log, "acme", range(7, 8))
    cover_tracks(seeded.log)


def body_and_content_hash(seeded: Seeded) -> None:
    rewrite_bodies(seeded.log, "acme", range(12, 13))
    [row] = sql(seeded.log, "SELECT body FROM entries WHERE workspace = 'acme' AND seq = 12")
    sql(
        seeded.log,
        "UPDATE entries SET content_hash = :h WHERE workspace = 'acme' AND seq = 12",
        h=bytes.fromhex(content_hash(bytes(row["body"]))),
    )
    cover_tracks(seeded.log)


def rehashed_tail(seeded: Seeded) -> None:
    """Entries after the last kept checkpoint rewritten, re-hashed, the head moved on."""
    rewrite_bodies(seeded.log, "acme", range(LAST_KEPT + 1, HEADS["acme"] + 1))
    rehash(seeded.log, "acme", LAST_KEPT + 1)
    set_head(seeded.log, "acme", HEADS["acme"])
    cover_tracks(seeded.log)


def forged_append(seeded: Seeded) -> None:
    """A forged entry at the head, with correct hashes, and the head moved onto it."""
    last = entry(seeded.log, "acme", HEADS["acme"])
    new_id = eid(9999)
    forged = bytes(last["body"]).replace(last["id"].encode(), new_id.encode())
    digest = content_hash(forged)
    insert(
        seeded.log,
        {
            **last,
            "rid": last["rid"] + 1,
            "id": new_id,
            "seq": HEADS["acme"] + 1,
            "body": forged,
            "content_hash": digest,
            "chain_hash": link(last["chain_hash"], digest),
        },
    )
    set_head(seeded.log, "acme", HEADS["acme"] + 1)
    cover_tracks(seeded.log)


def truncated(note: str) -> Callable[[Seeded], None]:
    """The last two entries deleted, the head moved back to seq 45 (its note left as it
    was, or nulled)."""

    def apply(seeded: Seeded) -> None:
        sql(seeded.log, "DELETE FROM entries WHERE workspace = 'acme' AND seq > 45")
        set_head(seeded.log, "acme", 45, **({} if note == "left" else {"note": None}))
        cover_tracks(seeded.log)

    return apply


def rehashed_past_checkpoints(note: str) -> Callable[[Seeded], None]:
    """Entries from seq 35 rewritten and re-hashed, the kept checkpoints after seq 30
    deleted, the head moved on (its note left, or nulled)."""

    def apply(seeded: Seeded) -> None:
        rewrite_bodies(seeded.log, "acme", range(35, HEADS["acme"] + 1))
        rehash(seeded.log, "acme", 35)
        sql(seeded.log, "DELETE FROM checkpoints WHERE workspace = 'acme' AND size > 30")
        set_head(seeded.log, "acme", HEADS["acme"], **({} if note == "left" else {"note": None}))
        cover_tracks(seeded.log)

    return apply


def cut_back_to_a_checkpoint(seeded: Seeded) -> None:
    """Cut back to the kept checkpoint at seq 30, its head and signatures with it."""
    cut_back(seeded.log, "acme", 30)


def unrecorded_deletion(seeded: Seeded) -> None:
    """An entry moved into the tombstones, as a deletion would, but with no record."""
    victim = entry(seeded.log, "acme", 12)
    sql(
        seeded.log,
        "INSERT INTO tombstones (workspace, seq, id, occurred_at, content_hash, chain_hash,"
        " deleted_at, deleted_by, reason) SELECT workspace, seq, id, rid / 1000, :c, :h,"
        " rid / 1000, 'u_0', 'GDPR request 119' FROM entries"
        " WHERE workspace = 'acme' AND seq = 12",
        c=victim["content_hash"],
        h=victim["chain_hash"],
    )
    sql(seeded.log, "DELETE FROM entries WHERE workspace = 'acme' AND seq = 12")
    cover_tracks(seeded.log)


def head_deleted(seeded: Seeded) -> None:
    sql(seeded.log, "DELETE FROM chain_heads WHERE workspace = 'globex'")


def workspace_deleted(seeded: Seeded) -> None:
    drop_workspace(seeded.log, "globex")


def bad_signature(seeded: Seeded) -> None:
    sql(
        seeded.log,
        "UPDATE checkpoints SET note = :n WHERE workspace = 'acme' AND size = 20",
        n=flip_signature(kept_note(seeded.log, "acme", 20)),
    )


def checkpoint_deleted(seeded: Seeded) -> None:
    sql(seeded.log, "DELETE FROM checkpoints WHERE workspace = 'acme' AND size = 20")


def swapped(seeded: Seeded) -> None:
    for statement in (
        "UPDATE entries SET seq = -1 WHERE workspace = 'acme' AND seq = 7",
        "UPDATE entries SET seq = 7 WHERE workspace = 'acme' AND seq = 8",
        "UPDATE entries SET seq = 8 WHERE workspace = 'acme' AND seq = -1",
    ):
        sql(seeded.log, statement)


def row_deleted(seeded: Seeded) -> None:
    sql(seeded.log, "DELETE FROM entries WHERE workspace = 'acme' AND seq = 15")
    cover_tracks(seeded.log)


def row_inserted(seeded: Seeded) -> None:
    """A forged entry linked into the chain after seq 14; later entries shifted up and
    the head moved with them."""
    before = entry(seeded.log, "acme", 14)
    shift_seqs(seeded.log, "acme", 15, 1)
    new_id = eid(9999)
    forged = bytes(before["body"]).replace(before["id"].encode(), new_id.encode())
    digest = content_hash(forged)
    [top] = sql(seeded.log, "SELECT max(rid) AS rid FROM entries")
    insert(
        seeded.log,
        {
            **before,
            "rid": top["rid"] + 1,
            "id": new_id,
            "seq": 15,
            "body": forged,
            "content_hash": digest,
            "chain_hash": link(before["chain_hash"], digest),
        },
    )
    set_head(seeded.log, "acme", HEADS["acme"] + 1)
    cover_tracks(seeded.log)


def insert(log: ActivityLog, row: dict[str, object]) -> None:
    """An entry written into the log by hand, with its copies."""
    for table in (entries, events):
        values = {name: value for name, value in storable(row).items() if name in table.c}
        columns = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        sql(log, f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", **values)


TAMPERINGS = tamperings(
    {
        "search_text": filter_column("search_text", "viewed contact"),
        "category": filter_column("category", "settings"),
        "actor_id": filter_column("actor_id", "u_9"),
        "body": body,
        "body_and_content_hash": body_and_content_hash,
        "rehashed_tail": rehashed_tail,
        "forged_append": forged_append,
        "truncated_note_left": truncated("left"),
        "truncated_note_nulled": truncated("null"),
        "rehashed_past_checkpoints_note_left": rehashed_past_checkpoints("left"),
        "rehashed_past_checkpoints_note_nulled": rehashed_past_checkpoints("null"),
        "cut_back_to_a_checkpoint": cut_back_to_a_checkpoint,
        "unrecorded_deletion": unrecorded_deletion,
        "head_deleted": head_deleted,
        "workspace_deleted": workspace_deleted,
        "bad_signature": bad_signature,
        "checkpoint_deleted": checkpoint_deleted,
        "swapped": swapped,
        "row_deleted": row_deleted,
        "row_inserted": row_inserted,
    }
)


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_tampering_is_caught(seeded: Seeded, name: str) -> None:
    assert_caught(seeded, TAMPERINGS[name])


def test_what_only_a_witness_catches() -> None:
    assert sorted(name for name, t in TAMPERINGS.items() if t.verdict.bare is None) == [
        "cut_back_to_a_checkpoint",
        "workspace_deleted",
    ]  # and the rollback to an older copy of the database, below


def test_an_older_copy_of_the_database_is_caught_only_by_the_witness(
    seeded: Seeded, tmp_path: Path
) -> None:
    """SQLite: the file copied and copied back; PostgreSQL: every table dumped and
    restored."""
    older = tmp_path / "older.db"
    dump = None
    if seeded.url.startswith("sqlite"):
        copy_database(seeded.url, older)
    else:
        dump = dump_tables(seeded.log)
    seeded.record("acme", 12)  # a kept checkpoint at 50 reaches the witness
    seeded.log.checkpoint_all()
    if dump is None:
        seeded.close()
        restore_database(older, seeded.url)
    else:
        restore_tables(seeded.log, dump)

    report = seeded.open(witness=False).verify()
    assert report.ok, [str(b) for b in report.breaks]
    witnessed = seeded.open(witness=True).verify()
    assert_witness_caught(witnessed, ("acme", HEADS["acme"] + 1, "behind_witness"))
    assert {w.workspace for w in witnessed.workspaces if w.ok} == {"globex", "initech"}


@pytest.mark.parametrize("name", [n for n, t in TAMPERINGS.items() if t.verdict.forged_head])
def test_no_append_signs_a_forged_head(seeded: Seeded, name: str) -> None:
    tampering = TAMPERINGS[name]
    workspace = tampering.verdict.witnessed[0]
    tampering.apply(seeded)
    heads = sql(seeded.log, "SELECT * FROM chain_heads ORDER BY workspace")
    for log in (seeded.log, seeded.open(witness=False)):  # running, and freshly started
        with pytest.raises(IntegrityError, match="changed outside activitylog"):
            log.record(workspace=workspace, action="contact.updated")
    assert sql(seeded.log, "SELECT * FROM chain_heads ORDER BY workspace") == heads
    # the other workspaces still take appends
    assert seeded.log.record(workspace="initech", action="contact.updated")["seq"] == 25
