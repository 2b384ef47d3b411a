"""The seeded log the tamper suite attacks, and the attacker's tools.

The attacker can write every table of the database (or swap the whole file) but holds
neither the signing key nor the witness directory. They know the schema and the hashing
rules, so their forgeries carry correct content hashes, chain hashes and tree frontiers;
they also cover their tracks in the copies kept for reading (rollups, SQLite's search
index), so only the integrity checks can give them away.
"""

from __future__ import annotations

import base64
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from activitylog import ActivityLog
from activitylog.chain import content_hash, link
from activitylog.merkle import Frontier
from activitylog.settings import Settings
from activitylog.store import search_index
from activitylog.store.base import hex_of
from activitylog.store.copies import copies
from activitylog.store.schema import IP_ROLLUPS, ROLLUPS, Rollup, entries, events, metadata
from activitylog.store.search_check import rebuild_search
from activitylog.verify_report import GENESIS, Kind, VerifyReport

from ._hashes import readable, storable
from ._support import ago, eid, sql, user

WORKSPACES = ("acme", "globex", "initech")
ACTIONS = ("contact.updated", "auth.signed_in", "conversation.assigned", "note.created")
EVERY = 10
#: acme: 25 entries, the deletion of seq DELETED (its record is seq 26), 17 more, kept
#: checkpoints at 10, 20, 30, 40 and 43 (checkpoint_all), then a tail of 4 entries that
#: only the head's note signs.
DELETED = 5
DELETION_RECORD = 26
KEPT = {"acme": [10, 20, 30, 40, 43], "globex": [10, 20, 30], "initech": [10, 20, 24]}
HEADS = {"acme": 47, "globex": 30, "initech": 24}
LAST_KEPT = 43


@dataclass
class Seeded:
    """A seeded log on one engine, its witness directory, and a way to open more views
    of the same database."""

    url: str
    key: Path
    witness_dir: Path
    log: ActivityLog
    #: Event ids by (workspace, seq), as recorded.
    ids: dict[tuple[str, int], str] = field(default_factory=dict)
    _opened: list[ActivityLog] = field(default_factory=list)
    _n: int = 0

    def settings(self, *, witness: bool) -> Settings:
        return Settings(
            signing_key=self.key,
            checkpoint_every=EVERY,
            witness_dir=self.witness_dir if witness else None,
        )

    def open(self, *, witness: bool) -> ActivityLog:
        """Another ActivityLog on the same database and key (a fresh process's view),
        closed at the end of the test."""
        log = ActivityLog(self.url, settings=self.settings(witness=witness))
        self._opened.append(log)
        return log

    def record(self, workspace: str, count: int, *, batch: int = 7) -> None:
        """Record ``count`` events in ``workspace`` in batches of ``batch`` (checkpoints
        then fall inside batches as well as at their ends)."""
        events = []
        for _ in range(count):
            self._n += 1
            n = self._n
            events.append(
                {
                    "id": eid(n),
                    "workspace": workspace,
                    "action": ACTIONS[n % len(ACTIONS)],
                    "actor": user(f"u_{n % 4}", f"User {n % 4}"),
                    "subject": {"type": "contact", "id": f"c_{n}", "name": f"Contact {n}"},
                    "ip": f"10.0.0.{n % 7}",
                    "occurred_at": ago(minutes=5000 - n),
                    "description": f"{workspace} #{n}",
                }
            )
        for start in range(0, count, batch):
            for stored in self.log.record_many(events[start : start + batch]):
                self.ids[(workspace, stored["seq"])] = stored["id"]

    def close(self) -> None:
        for log in self._opened:
            log.close()
        self._opened.clear()
        self.log.close()


@contextmanager
def seeded_log(url: str, tmp_path: Path) -> Iterator[Seeded]:
    """The log every tamper test starts from (see the constants above); the witness is
    current up to the last kept checkpoint."""
    key, witness_dir = tmp_path / "signing-key.pem", tmp_path / "witness"
    settings = Settings(signing_key=key, checkpoint_every=EVERY, witness_dir=witness_dir)
    seeded = Seeded(url, key, witness_dir, ActivityLog(url, settings=settings))
    try:
        seeded.record("acme", 25)
        seeded.record("globex", 30)
        seeded.record("initech", 24)
        gone = seeded.ids[("acme", DELETED)]
        assert seeded.log.delete([gone], by="u_0", reason="GDPR request 118") == [gone]
        seeded.record("acme", 17)
        seeded.log.checkpoint_all()
        seeded.record("acme", HEADS["acme"] - LAST_KEPT)
        yield seeded
    finally:
        seeded.close()


# -- reading the database as the attacker does ---------------------------------------------
#: An entry as the log holds it (``entries``) and its copies (``events``), as one row.
ENTRY_COLUMNS = ", ".join(
    [f"b.{c.name}" for c in entries.columns]
    + [f"e.{c.name}" for c in events.columns if c.name not in entries.c]
)


def entry(log: ActivityLog, workspace: str, seq: int) -> dict[str, Any]:
    rows = sql(
        log,
        f"SELECT {ENTRY_COLUMNS} FROM entries AS b JOIN events AS e ON e.rid = b.rid"
        " WHERE b.workspace = :w AND b.seq = :s",
        w=workspace,
        s=seq,
    )
    assert len(rows) == 1, (workspace, seq)
    return readable(rows[0])


def head_row(log: ActivityLog, workspace: str) -> dict[str, Any]:
    [row] = sql(log, "SELECT * FROM chain_heads WHERE workspace = :w", w=workspace)
    return dict(row)


def kept_note(log: ActivityLog, workspace: str, size: int) -> str:
    [row] = sql(
        log,
        "SELECT note FROM checkpoints WHERE workspace = :w AND size = :s",
        w=workspace,
        s=size,
    )
    return str(row["note"])


def content_hashes(log: ActivityLog, workspace: str) -> list[tuple[int, str]]:
    """``(seq, content hash)`` of every entry, tombstones included, in seq order."""
    rows = [
        (int(r["seq"]), hex_of(r["content_hash"]))
        for table in ("entries", "tombstones")
        for r in sql(
            log, f"SELECT seq, content_hash FROM {table} WHERE workspace = :w", w=workspace
        )
    ]
    return sorted(rows)


def state_at(log: ActivityLog, workspace: str, size: int) -> tuple[str, bytes]:
    """The chain hash and tree frontier of ``workspace`` after its first ``size`` entries,
    computed from the stored content hashes (what an attacker writes into the head)."""
    return state_after(content_hashes(log, workspace), size)


def state_after(hashes: list[tuple[int, str]], size: int) -> tuple[str, bytes]:
    """The chain hash and tree frontier after the first ``size`` of ``(seq, content
    hash)`` in seq order."""
    chain, tree = GENESIS, Frontier()
    for seq, digest in hashes:
        if seq > size:
            break
        chain = link(chain, digest)
        tree.append(bytes.fromhex(digest))
    assert tree.size == size
    return chain, tree.to_bytes()


# -- the attacker's writes -----------------------------------------------------------------
def forged(body: bytes, n: int | str) -> bytes:
    """``body`` with its description changed (the description is ``<workspace> #<n>``)."""
    out = body.replace(f' #{n}"'.encode(), f' #{n}, forged"'.encode())
    assert out != body
    return out


def set_head(
    log: ActivityLog,
    workspace: str,
    seq: int,
    *,
    note: str | Callable[[str | None], str | None] | None = lambda note: note,
) -> None:
    """Move ``workspace``'s head to the consistent state after ``seq`` entries (as they are
    stored now); ``note`` replaces the signed note (a callable gets the current one)."""
    chain, frontier = state_at(log, workspace, seq)
    if callable(note):
        note = note(head_row(log, workspace)["note"])
    sql(
        log,
        "UPDATE chain_heads SET seq = :s, chain_hash = :c, frontier = :f, note = :n,"
        " checkpoint_seq = CASE WHEN checkpoint_seq > :s THEN :s ELSE checkpoint_seq END"
        " WHERE workspace = :w",
        s=seq,
        c=chain,
        f=frontier,
        n=note,
        w=workspace,
    )


def rehash(log: ActivityLog, workspace: str, first: int) -> None:
    """Recompute the content and chain hashes of entries ``first..`` from their bodies
    (tombstones keep theirs), as a forger does after changing bodies."""
    chain = GENESIS
    for seq, digest in content_hashes(log, workspace):
        if seq < first:
            chain = link(chain, digest)
            continue
        rows = sql(
            log,
            "SELECT body FROM entries WHERE workspace = :w AND seq = :s",
            w=workspace,
            s=seq,
        )
        if rows:
            digest = content_hash(bytes(rows[0]["body"]))
        chain = link(chain, digest)
        table = "entries" if rows else "tombstones"
        stored = storable({"content_hash": digest, "chain_hash": chain}) if rows else {}
        sql(
            log,
            f"UPDATE {table} SET content_hash = :d, chain_hash = :c"
            " WHERE workspace = :w AND seq = :s",
            d=stored.get("content_hash", digest),
            c=stored.get("chain_hash", chain),
            w=workspace,
            s=seq,
        )


def rewrite_bodies(log: ActivityLog, workspace: str, seqs: range) -> None:
    """Change the description of each live entry in ``seqs`` (body and searched words:
    SQLite's search index, PostgreSQL's copy)."""
    for seq in seqs:
        rows = sql(
            log,
            "SELECT b.rid, b.body FROM entries AS b JOIN events AS e"
            " ON e.rid = b.rid WHERE b.workspace = :w AND b.seq = :s",
            w=workspace,
            s=seq,
        )
        if not rows:
            continue
        row = rows[0]
        body = bytes(row["body"])
        number = body.split(b'"description":"', 1)[1].split(b'"', 1)[0].split(b"#")[1].decode()
        body = forged(body, number)
        sql(log, "UPDATE entries SET body = :b WHERE rid = :r", b=body, r=row["rid"])
        values = copies(body)
        if log.store.engine.dialect.name == "sqlite":
            where = (values["workspace"], values["layer"], values["category"])
            text = search_index.indexed(*where, values["search_text"])
            sql(log, "DELETE FROM events_fts WHERE rowid = :r", r=row["rid"])
            sql(log, "INSERT INTO events_fts (rowid, words) VALUES (:r, :t)", r=row["rid"], t=text)
        else:
            sql(
                log,
                "UPDATE events SET search_text = :t WHERE rid = :r",
                t=values["search_text"],
                r=row["rid"],
            )


def shift_seqs(log: ActivityLog, workspace: str, first: int, by: int) -> None:
    """Move entries ``first..`` by ``by`` seqs (two steps: (workspace, seq) is unique)."""
    for table in ("entries", "tombstones"):
        sql(
            log,
            f"UPDATE {table} SET seq = -(seq + :by) WHERE workspace = :w AND seq >= :s",
            by=by,
            w=workspace,
            s=first,
        )
        sql(log, f"UPDATE {table} SET seq = -seq WHERE workspace = :w AND seq < 0", w=workspace)


def cut_back(log: ActivityLog, workspace: str, size: int) -> None:
    """Everything after the kept checkpoint at ``size`` removed (entries, later kept
    checkpoints) and the head rolled back to exactly the state that checkpoint signed,
    with its note: nothing left in the database shows it."""
    note = kept_note(log, workspace, size)
    sql(log, "DELETE FROM entries WHERE workspace = :w AND seq > :s", w=workspace, s=size)
    sql(log, "DELETE FROM checkpoints WHERE workspace = :w AND size > :s", w=workspace, s=size)
    set_head(log, workspace, size, note=note)
    cover_tracks(log)


def cover_tracks(log: ActivityLog, workspaces: tuple[str, ...] = WORKSPACES) -> None:
    """Rebuild what the store keeps for reading from the log as it now is: no copies of
    entries gone, the rollup counts of ``workspaces`` and, on SQLite, the search index;
    mark every entry up to each head as indexed (else the indexer would count the pending
    ones again)."""
    sql(log, "DELETE FROM events WHERE rid NOT IN (SELECT rid FROM entries)")
    sql(
        log,
        "UPDATE derived_heads SET seq = COALESCE("
        "(SELECT seq FROM chain_heads AS h WHERE h.workspace = derived_heads.workspace), 0)",
    )
    for rollups, with_ip in ((ROLLUPS, False), (IP_ROLLUPS, True)):
        for rollup in rollups:
            for workspace in workspaces:
                _rebuild(log, rollup, workspace, with_ip=with_ip)
    if log.store.engine.dialect.name == "sqlite":
        with log.store.engine.begin() as conn:
            rebuild_search(conn, log.store.bodies)


def _rebuild(log: ActivityLog, rollup: Rollup, workspace: str, *, with_ip: bool) -> None:
    table, dims = rollup.table.name, ", ".join(rollup.dims)
    unit = 3_600_000_000 if rollup.grain == "hour" else 86_400_000_000
    only_ip = " AND ip IS NOT NULL" if with_ip else ""
    sql(log, f"DELETE FROM {table} WHERE workspace = :w", w=workspace)
    sql(
        log,
        f"INSERT INTO {table} (workspace, bucket, {dims}, n)"
        f" SELECT workspace, rid / {unit * 1000}, {dims}, count(*) FROM events"
        f" WHERE workspace = :w{only_ip} GROUP BY workspace, rid / {unit * 1000}, {dims}",
        w=workspace,
    )


def drop_workspace(log: ActivityLog, workspace: str) -> None:
    """Remove every trace of ``workspace`` from the database."""
    if log.store.engine.dialect.name == "sqlite":
        sql(
            log,
            "DELETE FROM events_fts WHERE rowid IN (SELECT rid FROM events WHERE workspace = :w)",
            w=workspace,
        )
    tables = ["entries", "events", "tombstones", "chain_heads", "checkpoints", "derived_heads"]
    tables += [r.table.name for r in (*ROLLUPS, *IP_ROLLUPS)]
    for table in tables:
        sql(log, f"DELETE FROM {table} WHERE workspace = :w", w=workspace)


def flip_signature(note: str) -> str:
    """``note`` with one byte of its (first) Ed25519 signature flipped."""
    text, _, line = note.rstrip("\n").rpartition("\n")
    prefix, encoded = line.rsplit(" ", 1)
    data = bytearray(base64.b64decode(encoded))
    data[4 + 10] ^= 0x01  # past the 4-byte key hash
    return f"{text}\n{prefix} {base64.b64encode(bytes(data)).decode()}\n"


# -- an older copy of the database ---------------------------------------------------------
Dump = dict[str, list[dict[str, Any]]]


def dump_tables(log: ActivityLog) -> Dump:
    """Every row of every table (a PostgreSQL dump, as far as the log is concerned)."""
    with log.store.engine.connect() as conn:
        return {
            table.name: [dict(row) for row in conn.execute(select(table)).mappings()]
            for table in metadata.sorted_tables
        }


def restore_tables(log: ActivityLog, dump: Dump) -> None:
    """Put the rows of an older dump back in place of everything."""
    with log.store.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
        for table in metadata.sorted_tables:
            if dump[table.name]:
                conn.execute(table.insert(), dump[table.name])


# -- the database file (SQLite) ------------------------------------------------------------
def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def copy_database(url: str, to: Path) -> None:
    """Copy the SQLite file as an attacker with file access would (the WAL is folded
    into it first, so the copy is whole)."""
    path = sqlite_path(url)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    shutil.copyfile(path, to)


def restore_database(copy: Path, url: str) -> None:
    """Put an older copy in place of the database file (no process has it open)."""
    path = sqlite_path(url)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    shutil.copyfile(copy, path)


# -- verify's verdicts -----------------------------------------------------------------------
#: ``(workspace, seq, kind)`` of a break.
Expect = tuple[str, int, Kind]


@dataclass(frozen=True)
class Verdict:
    #: The first break verify reports without a witness (None: it cannot tell), and with.
    bare: Expect | None
    witnessed: Expect
    #: The head row was forged: appends must be refused until it is repaired.
    forged_head: bool = False


@dataclass(frozen=True)
class Tampering:
    """An attack as one engine makes it, and the verdict it must get."""

    apply: Callable[[Seeded], None]
    verdict: Verdict


#: What verify reports for each kind of tampering, by the name the suites give the attack.
VERDICTS: dict[str, Verdict] = {
    # (the label is kept in the body alone since migration 0017: what a page shows of an
    # entry is its body; the searched words are its copy)
    "search_text": Verdict(("acme", 12, "index_differs"), ("acme", 12, "index_differs")),
    "category": Verdict(("acme", 12, "index_differs"), ("acme", 12, "index_differs")),
    "actor_id": Verdict(("acme", 12, "index_differs"), ("acme", 12, "index_differs")),
    "body": Verdict(("acme", 7, "modified"), ("acme", 7, "modified")),
    "body_and_content_hash": Verdict(("acme", 12, "modified"), ("acme", 12, "modified")),
    "rehashed_tail": Verdict(
        ("acme", HEADS["acme"], "checkpoint_mismatch"),
        ("acme", HEADS["acme"], "checkpoint_mismatch"),
        forged_head=True,
    ),
    "forged_append": Verdict(
        ("acme", HEADS["acme"] + 1, "unsigned"),
        ("acme", HEADS["acme"] + 1, "unsigned"),
        forged_head=True,
    ),
    "truncated_note_left": Verdict(
        ("acme", 46, "missing"), ("acme", 46, "missing"), forged_head=True
    ),
    "truncated_note_nulled": Verdict(
        ("acme", LAST_KEPT + 1, "unsigned"), ("acme", LAST_KEPT + 1, "unsigned"), forged_head=True
    ),
    "rehashed_past_checkpoints_note_left": Verdict(
        ("acme", HEADS["acme"], "checkpoint_mismatch"),
        ("acme", 40, "witness_mismatch"),
        forged_head=True,
    ),
    "rehashed_past_checkpoints_note_nulled": Verdict(
        ("acme", 31, "unsigned"), ("acme", 40, "witness_mismatch"), forged_head=True
    ),
    "cut_back_to_a_checkpoint": Verdict(None, ("acme", 31, "behind_witness")),
    "unrecorded_deletion": Verdict(
        ("acme", 12, "unaccounted_deletion"), ("acme", 12, "unaccounted_deletion")
    ),
    "head_deleted": Verdict(
        ("globex", 1, "head_missing"), ("globex", 1, "head_missing"), forged_head=True
    ),
    "workspace_deleted": Verdict(None, ("globex", 1, "workspace_missing")),
    "bad_signature": Verdict(("acme", 20, "bad_signature"), ("acme", 20, "bad_signature")),
    "checkpoint_deleted": Verdict(
        ("acme", 11, "checkpoint_missing"), ("acme", 11, "checkpoint_missing")
    ),
    "swapped": Verdict(("acme", 7, "reordered"), ("acme", 7, "reordered")),
    "row_deleted": Verdict(("acme", 15, "missing"), ("acme", 15, "missing")),
    "row_inserted": Verdict(("acme", 15, "inserted"), ("acme", 15, "inserted"), forged_head=True),
}


def tamperings(applies: dict[str, Callable[[Seeded], None]]) -> dict[str, Tampering]:
    """An engine's attacks (name -> how it is done there) with their verdicts."""
    return {name: Tampering(apply, VERDICTS[name]) for name, apply in applies.items()}


def verdicts(seeded: Seeded) -> tuple[VerifyReport, VerifyReport]:
    """verify's reports without a witness (a log whose settings name none) and with it."""
    bare = seeded.open(witness=False).verify(witness_dir=None)
    assert not bare.witness_checked
    witnessed = seeded.log.verify()
    assert witnessed.witness_checked
    return bare, witnessed


def first(report: VerifyReport) -> Expect:
    assert not report.ok
    brk = report.first_break
    assert brk is not None
    return brk.workspace, brk.seq, brk.kind


def assert_witness_caught(report: VerifyReport, expected: Expect) -> None:
    """The break only the witness can report is there, and the first break names its
    workspace and seq (verify may also call the same gap "missing": the witness's
    checkpoint signs entries the database lacks)."""
    assert expected in {(b.workspace, b.seq, b.kind) for b in report.breaks}, [
        str(b) for b in report.breaks
    ]
    assert first(report)[:2] == expected[:2]


def assert_caught(seeded: Seeded, tampering: Tampering) -> None:
    """Apply ``tampering`` and hold verify's verdicts, without the witness and with it, to
    what it expects; the other workspaces still verify."""
    tampering.apply(seeded)
    bare, witnessed = verdicts(seeded)
    verdict = tampering.verdict
    if verdict.bare is None:
        # Only state kept outside the database can tell: the documented limit.
        assert bare.ok, [str(b) for b in bare.breaks]
        assert_witness_caught(witnessed, verdict.witnessed)
    else:
        assert first(witnessed) == verdict.witnessed, [str(b) for b in witnessed.breaks]
        assert first(bare) == verdict.bare, [str(b) for b in bare.breaks]
    for report in (bare, witnessed):  # the other workspaces verify
        broken = {w.workspace for w in report.workspaces if not w.ok}
        assert broken <= {verdict.witnessed[0]}
