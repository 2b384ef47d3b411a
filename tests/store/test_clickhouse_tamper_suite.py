"""The tamper suite's log (``_tamper.seeded_log``) on ClickHouse (chdb), attacked through
ClickHouse's own statements: what test_tamper.py does to the SQL engines' tables that
test_clickhouse_tamper.py does not, with verify's verdict without the witness and with it.

The attacker knows the hashing rules: bodies rewritten are rehashed (``content_hash`` is
computed from the body, the chain hashes are rewritten from it), heads are forged as the
store writes them (a ``chain_heads`` row of a higher revision), and the columns kept beside
a body are rewritten with it, so only the signatures and the witness can tell.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from activitylog import ActivityLog
from activitylog.chain import content_hash, link
from activitylog.errors import IntegrityError
from activitylog.settings import Settings
from activitylog.store.clickhouse.connection import Database, Location
from activitylog.store.clickhouse.schema import TABLES
from activitylog.store.copies import COPY_COLUMNS, copies
from activitylog.verify_report import GENESIS

from ._clickhouse import chdb_databases
from ._support import eid
from ._tamper import (
    DELETED,
    EVERY,
    HEADS,
    LAST_KEPT,
    Seeded,
    assert_caught,
    assert_witness_caught,
    forged,
    seeded_log,
    state_after,
    tamperings,
)

pytestmark = pytest.mark.clickhouse


@pytest.fixture(scope="module")
def original(chdb_directory: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """The seeded log, recorded once for the module (recording it costs seconds on chdb)."""
    with (
        chdb_databases(chdb_directory) as new,
        seeded_log(new(), tmp_path_factory.mktemp("seeded")) as log,
    ):
        yield log


@pytest.fixture
def seeded(original: Seeded, chdb_url: Callable[[], str], tmp_path: Path) -> Iterator[Seeded]:
    """A copy of the seeded log for one test: its tables copied into a new database, its
    witness directory copied, the same key."""
    url = chdb_url()
    copy: Any = Database(Location.parse(url))
    for table in TABLES:
        copy.run(f"CREATE TABLE {table} AS {db(original).name}.{table}")
        copy.run(f"INSERT INTO {table} SELECT * FROM {db(original).name}.{table}")
    witness_dir = tmp_path / "witness"
    shutil.copytree(original.witness_dir, witness_dir)
    settings = Settings(signing_key=original.key, checkpoint_every=EVERY, witness_dir=witness_dir)
    seeded = Seeded(
        url, original.key, witness_dir, ActivityLog(url, settings=settings), dict(original.ids)
    )
    seeded._n = original._n  # the next event ids
    try:
        yield seeded
    finally:
        seeded.close()


# -- the attacker's tools, in ClickHouse's statements ----------------------------------------
def db(seeded: Seeded) -> Any:
    return seeded.log.store.db  # type: ignore[attr-defined]


def mutate(seeded: Seeded, statement: str, **params: Any) -> None:
    """An ``ALTER TABLE ... UPDATE/DELETE`` (or a lightweight ``DELETE``), waited for."""
    db(seeded).run(f"{statement} SETTINGS mutations_sync = 2", params)


def content_hashes(seeded: Seeded, workspace: str) -> list[tuple[int, str]]:
    """``(seq, content hash)`` of every entry, tombstones included, in seq order."""
    # Hashes as hex made by ClickHouse: clickhouse-connect reads a FixedString as text
    # without its trailing zero bytes (a hash ending in 00 would come back short).
    rows = db(seeded).rows(
        "SELECT seq, lower(hex(content_hash)) FROM events WHERE workspace = %(w)s"
        " UNION ALL SELECT seq, lower(content_hash) FROM tombstones FINAL"
        " WHERE workspace = %(w)s",
        {"w": workspace},
    )
    return sorted((int(seq), str(digest)) for seq, digest in rows)


def set_head(seeded: Seeded, workspace: str, seq: int, *, note: str | bool | None = True) -> None:
    """A head row of a higher revision at the consistent state after ``seq`` entries as
    they are stored now; its note kept (True) or replaced."""
    chain, frontier = state_after(content_hashes(seeded, workspace), seq)
    keep = "note" if note is True else "%(n)s"
    db(seeded).run(
        f"INSERT INTO chain_heads SELECT workspace, revision + 1, %(s)s, %(c)s, %(f)s, {keep},"
        " least(checkpoint_seq, %(s)s), checkpoint_at FROM chain_heads FINAL"
        " WHERE workspace = %(w)s",
        {"s": seq, "c": chain, "f": frontier.hex(), "n": note, "w": workspace},
    )


def rewrite_bodies(seeded: Seeded, workspace: str, seqs: range) -> None:
    """Change the description of each live entry in ``seqs``, its searched words with it."""
    for seq in seqs:
        rows = db(seeded).rows(
            "SELECT body FROM events WHERE workspace = %(w)s AND seq = %(s)s",
            {"w": workspace, "s": seq},
        )
        if not rows:
            continue
        body = bytes(rows[0][0])
        number = body.split(b'"description":"', 1)[1].split(b'"', 1)[0].split(b"#")[1].decode()
        body = forged(body, number)
        mutate(
            seeded,
            "ALTER TABLE events UPDATE body = %(b)s, search_text = %(t)s"
            " WHERE workspace = %(w)s AND seq = %(s)s",
            b=body.decode(),
            t=copies(body)["search_text"],
            w=workspace,
            s=seq,
        )


def rehash(seeded: Seeded, workspace: str, first: int) -> None:
    """Rewrite the chain hashes of entries ``first..`` from their bodies' content hashes."""
    chain = GENESIS
    for seq, digest in content_hashes(seeded, workspace):
        chain = link(chain, digest)
        if seq >= first:
            mutate(
                seeded,
                "ALTER TABLE events UPDATE chain_hash = unhex(%(c)s)"
                " WHERE workspace = %(w)s AND seq = %(s)s",
                c=chain,
                w=workspace,
                s=seq,
            )


def last_row(seeded: Seeded, workspace: str, seq: int) -> dict[str, Any]:
    names = ("rid", "id", "body", "chain_hash", *COPY_COLUMNS)
    selected = ["lower(hex(chain_hash))" if name == "chain_hash" else name for name in names]
    [row] = db(seeded).rows(
        f"SELECT {', '.join(selected)} FROM events WHERE workspace = %(w)s AND seq = %(s)s",
        {"w": workspace, "s": seq},
    )
    return dict(zip(names, row, strict=True))


def insert_forged(seeded: Seeded, after: int, seq: int, rid: int) -> None:
    """A copy of entry ``after`` of acme under a new id, at ``seq`` and ``rid``, chained
    onto ``after``'s chain hash."""
    source = last_row(seeded, "acme", after)
    body = bytes(source["body"]).replace(source["id"].encode(), eid(9999).encode())
    chain = link(source["chain_hash"], content_hash(body))
    db(seeded).run(
        # (the row read in a subquery: the aliases would stand for the columns in its WHERE)
        "INSERT INTO events SELECT * REPLACE (%(r)s AS rid, %(s)s AS seq, %(i)s AS id,"
        " %(b)s AS body, unhex(%(c)s) AS chain_hash)"
        " FROM (SELECT * FROM events WHERE workspace = 'acme' AND seq = %(a)s)",
        {"r": rid, "s": seq, "i": eid(9999), "b": body.decode(), "c": chain, "a": after},
    )


def cut_back(seeded: Seeded, workspace: str, size: int) -> None:
    """Everything after the kept checkpoint at ``size`` removed and the head rolled back
    to the state that checkpoint signed, with its note."""
    [(note,)] = db(seeded).rows(
        "SELECT note FROM checkpoints FINAL WHERE workspace = %(w)s AND size = %(s)s",
        {"w": workspace, "s": size},
    )
    for table in ("events", "tombstones"):
        mutate(
            seeded,
            f"DELETE FROM {table} WHERE workspace = %(w)s AND seq > %(s)s",
            w=workspace,
            s=size,
        )
    mutate(
        seeded,
        "DELETE FROM checkpoints WHERE workspace = %(w)s AND size > %(s)s",
        w=workspace,
        s=size,
    )
    set_head(seeded, workspace, size, note=note)


# -- the kinds of tampering ------------------------------------------------------------------
def body(seeded: Seeded) -> None:
    rewrite_bodies(seeded, "acme", range(7, 8))


def rehashed_tail(seeded: Seeded) -> None:
    """Entries after the last kept checkpoint rewritten, re-hashed, the head moved on."""
    rewrite_bodies(seeded, "acme", range(LAST_KEPT + 1, HEADS["acme"] + 1))
    rehash(seeded, "acme", LAST_KEPT + 1)
    set_head(seeded, "acme", HEADS["acme"])


def forged_append(seeded: Seeded) -> None:
    """A forged entry at the head, with correct hashes, and the head moved onto it."""
    last = last_row(seeded, "acme", HEADS["acme"])
    insert_forged(seeded, HEADS["acme"], HEADS["acme"] + 1, last["rid"] + 1)
    set_head(seeded, "acme", HEADS["acme"] + 1)


def truncated(note: str) -> Callable[[Seeded], None]:
    """The last two entries deleted, the head moved back to seq 45 (its note left as it
    was, or nulled)."""

    def apply(seeded: Seeded) -> None:
        mutate(seeded, "DELETE FROM events WHERE workspace = 'acme' AND seq > 45")
        set_head(seeded, "acme", 45, note=True if note == "left" else None)

    return apply


def rehashed_past_checkpoints(note: str) -> Callable[[Seeded], None]:
    """Entries from seq 35 rewritten and re-hashed, the kept checkpoints after seq 30
    deleted, the head moved on (its note left, or nulled)."""

    def apply(seeded: Seeded) -> None:
        rewrite_bodies(seeded, "acme", range(35, HEADS["acme"] + 1))
        rehash(seeded, "acme", 35)
        mutate(seeded, "DELETE FROM checkpoints WHERE workspace = 'acme' AND size > 30")
        set_head(seeded, "acme", HEADS["acme"], note=True if note == "left" else None)

    return apply


def cut_back_to_a_checkpoint(seeded: Seeded) -> None:
    """Cut back to the kept checkpoint at seq 30, its head and signatures with it."""
    cut_back(seeded, "acme", 30)


def unrecorded_deletion(seeded: Seeded) -> None:
    """An entry moved into the tombstones, as a deletion would, but with no record."""
    db(seeded).run(
        "INSERT INTO tombstones SELECT workspace, seq, id, intDiv(rid, 1000),"
        " lower(hex(content_hash)), lower(hex(chain_hash)), intDiv(rid, 1000), 'u_0',"
        " 'GDPR request 119' FROM events WHERE workspace = 'acme' AND seq = 12"
    )
    mutate(seeded, "DELETE FROM events WHERE workspace = 'acme' AND seq = 12")


def workspace_deleted(seeded: Seeded) -> None:
    for table in TABLES:
        mutate(seeded, f"DELETE FROM {table} WHERE workspace = 'globex'")


def row_deleted(seeded: Seeded) -> None:
    mutate(seeded, "DELETE FROM events WHERE workspace = 'acme' AND seq = 15")


def row_inserted(seeded: Seeded) -> None:
    """A forged entry linked into the chain after seq 14; later entries shifted up and
    the head moved with them."""
    # (acme's one tombstone, seq 5, stays where it is: seq is a key of the tombstones)
    mutate(seeded, "ALTER TABLE events UPDATE seq = seq + 1 WHERE workspace = 'acme' AND seq >= 15")
    [(top,)] = db(seeded).rows("SELECT max(rid) FROM events")
    insert_forged(seeded, 14, 15, int(top) + 1)
    set_head(seeded, "acme", HEADS["acme"] + 1)


TAMPERINGS = tamperings(
    {
        "body": body,
        "rehashed_tail": rehashed_tail,
        "forged_append": forged_append,
        "truncated_note_left": truncated("left"),
        "truncated_note_nulled": truncated("null"),
        "rehashed_past_checkpoints_note_left": rehashed_past_checkpoints("left"),
        "rehashed_past_checkpoints_note_nulled": rehashed_past_checkpoints("null"),
        "cut_back_to_a_checkpoint": cut_back_to_a_checkpoint,
        "unrecorded_deletion": unrecorded_deletion,
        "workspace_deleted": workspace_deleted,
        "row_deleted": row_deleted,
        "row_inserted": row_inserted,
    }
)


def test_the_seeded_log_verifies(seeded: Seeded) -> None:
    report = seeded.log.verify()
    assert report.ok, [str(b) for b in report.breaks]
    assert report.witness_checked
    assert {w.workspace: w.head_seq for w in report.workspaces} == HEADS
    assert seeded.ids[("acme", DELETED)] not in {e["id"] for e in seeded.log.export()}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_tampering_is_caught(seeded: Seeded, name: str) -> None:
    assert_caught(seeded, TAMPERINGS[name])


@pytest.mark.parametrize("name", [n for n, t in TAMPERINGS.items() if t.verdict.forged_head])
def test_no_append_signs_a_forged_head(seeded: Seeded, name: str) -> None:
    TAMPERINGS[name].apply(seeded)
    heads = db(seeded).rows("SELECT * FROM chain_heads FINAL ORDER BY workspace")
    for log in (seeded.log, seeded.open(witness=False)):  # running, and freshly started
        with pytest.raises(IntegrityError, match="changed outside activitylog"):
            log.record(workspace="acme", action="contact.updated")
    assert db(seeded).rows("SELECT * FROM chain_heads FINAL ORDER BY workspace") == heads
    assert seeded.log.record(workspace="initech", action="contact.updated")["seq"] == 25


def test_an_older_copy_of_the_tables_is_caught_only_by_the_witness(seeded: Seeded) -> None:
    """Every table copied aside, more entries signed and witnessed, then the copies put
    back in place of the tables: the database alone is consistent, the witness is ahead."""
    for table in TABLES:
        db(seeded).run(f"CREATE TABLE {table}_older AS {table}")
        db(seeded).run(f"INSERT INTO {table}_older SELECT * FROM {table}")
    seeded.record("acme", 12)  # a kept checkpoint at 50 reaches the witness
    seeded.log.checkpoint_all()
    for table in TABLES:
        db(seeded).run(f"TRUNCATE TABLE {table}")
        db(seeded).run(f"INSERT INTO {table} SELECT * FROM {table}_older")
    report = seeded.open(witness=False).verify()
    assert report.ok, [str(b) for b in report.breaks]
    witnessed = seeded.open(witness=True).verify()
    assert_witness_caught(witnessed, ("acme", HEADS["acme"] + 1, "behind_witness"))
    assert {w.workspace for w in witnessed.workspaces if w.ok} == {"globex", "initech"}


# -- deletions -------------------------------------------------------------------------------
def test_a_tombstone_rewritten_is_reported(seeded: Seeded) -> None:
    """Who erased acme's entry 5 and why, shown beside it, rewritten in its tombstone."""
    mutate(
        seeded,
        "ALTER TABLE tombstones UPDATE deleted_by = 'u_3', reason = 'routine cleanup'"
        " WHERE workspace = 'acme' AND seq = %(s)s",
        s=DELETED,
    )
    brk = seeded.log.verify().first_break
    assert brk is not None
    assert (brk.workspace, brk.seq, brk.kind) == ("acme", DELETED, "index_differs")


@pytest.mark.parametrize("copies", [True, False], ids=["with_copies", "log_alone"])
def test_an_erased_entry_put_back_from_a_copy_is_reported(seeded: Seeded, copies: bool) -> None:
    """Entry 12 copied aside, erased on request, then put back as it was and its tombstone
    removed: its hashes are the tombstone's, so the tree passes; its deletion record
    still names it."""
    db(seeded).run("CREATE TABLE kept AS events")
    db(seeded).run("INSERT INTO kept SELECT * FROM events WHERE workspace = 'acme' AND seq = 12")
    erased = seeded.ids[("acme", 12)]
    assert seeded.log.delete([erased], by="u_0", reason="GDPR request 120") == [erased]
    assert seeded.log.verify(copies=copies).ok
    mutate(seeded, "DELETE FROM tombstones WHERE id = %(i)s", i=erased)
    db(seeded).run("INSERT INTO events SELECT * FROM kept")
    report = seeded.log.verify(copies=copies)
    assert ("acme", 12, "unaccounted_deletion") in {
        (b.workspace, b.seq, b.kind) for b in report.breaks
    }
