"""Tamper evidence: verify() against edits made directly in the database, and tombstones."""

from __future__ import annotations

import gc
import sys
import warnings
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from activitylog import AccessDenied, ActivityLog, NotFound, ValidationError, Viewer
from activitylog.chain import content_hash, link
from activitylog.settings import Settings
from activitylog.workspace_check import WorkspaceCheck

from ._hashes import readable, storable
from ._support import ago, eid, sql, user

WORKSPACES = ("acme", "globex", "initech")
OWNER = Viewer("u_0", "owner", "acme")
PER_WORKSPACE = {"acme": 25, "globex": 12, "initech": 3}


@pytest.fixture
def filled(log: ActivityLog) -> ActivityLog:
    """25 + 12 + 3 events, recorded per workspace in batches of 10, so the checkpoints
    (every 10 events) fall on seqs 10 and 20."""
    n = 0
    for workspace in WORKSPACES:
        batch = []
        for i in range(PER_WORKSPACE[workspace]):
            n += 1
            batch.append(
                {
                    "id": eid(n),
                    "workspace": workspace,
                    "action": "contact.updated" if i % 3 else "auth.signed_in",
                    "actor": user(f"u_{i % 4}", f"User {i % 4}"),
                    "ip": f"10.0.0.{i % 5}",
                    "occurred_at": ago(minutes=200 - n),
                    "description": f"{workspace} #{i + 1}",
                }
            )
        for start in range(0, len(batch), 10):
            log.record_many(batch[start : start + 10])
    return log


LOG_COLUMNS = ("rid", "id", "workspace", "seq", "body", "content_hash", "chain_hash")


def row(log: ActivityLog, seq: int, workspace: str = "acme") -> dict[str, Any]:
    rows = sql(log, "SELECT * FROM entries WHERE workspace = :w AND seq = :s", w=workspace, s=seq)
    assert len(rows) == 1
    return readable(rows[0])


def broken(log: ActivityLog, workspace: str = "acme") -> tuple[int, str]:
    report = log.verify()
    assert not report.ok
    brk = report.first_break
    assert brk is not None
    assert brk.workspace == workspace
    assert str(brk).startswith(f"workspace {workspace!r}: seq {brk.seq}: ")
    return brk.seq, brk.kind


def insert_row(log: ActivityLog, values: dict[str, Any]) -> None:
    """A row written into the log (``entries``) by hand."""
    values = {name: value for name, value in storable(values).items() if name in LOG_COLUMNS}
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    sql(log, f"INSERT INTO entries ({columns}) VALUES ({marks})", **values)


def shift_seqs_up(log: ActivityLog, from_seq: int, workspace: str = "acme") -> None:
    """Make room at ``from_seq`` (two steps: (workspace, seq) is unique at every row)."""
    sql(
        log,
        "UPDATE entries SET seq = -seq - 1 WHERE workspace = :w AND seq >= :s",
        w=workspace,
        s=from_seq,
    )
    sql(log, "UPDATE entries SET seq = -seq WHERE workspace = :w AND seq < 0", w=workspace)


# -- a clean log ---------------------------------------------------------------------------
def test_a_fresh_log_verifies(filled: ActivityLog) -> None:
    progress: list[int] = []
    report = filled.verify(on_progress=progress.append)

    assert report.ok
    assert report.first_break is None
    assert report.entries == sum(PER_WORKSPACE.values()) == sum(progress)
    by_name = {w.workspace: w for w in report.workspaces}
    assert sorted(by_name) == sorted(WORKSPACES)
    for workspace, n in PER_WORKSPACE.items():
        w = by_name[workspace]
        assert (w.entries, w.head_seq, w.tombstones) == (n, n, 0)
        assert w.checkpoints == n // 10
        head = filled.store.head(workspace)
        assert head is not None
        assert (w.head_seq, w.head_hash) == (head.seq, head.chain_hash)
    assert [size for size, _ in filled.store.kept_checkpoints("acme")] == [10, 20]


def test_an_empty_log_verifies(log: ActivityLog) -> None:
    report = log.verify()
    assert report.ok
    assert report.entries == 0
    assert report.workspaces == []


def test_verify_one_workspace(filled: ActivityLog) -> None:
    sql(filled, "UPDATE entries SET body = :b WHERE workspace = 'globex' AND seq = 3", b=b"{}")
    report = filled.verify("acme")
    assert report.ok
    assert [w.workspace for w in report.workspaces] == ["acme"]
    assert not filled.verify("globex").ok


def test_checkpoint_now_signs_the_head(filled: ActivityLog) -> None:
    checkpoint = filled.checkpoint("acme")
    head = filled.store.head("acme")
    assert checkpoint is not None
    assert head is not None
    assert (checkpoint.size, checkpoint.chain_hash, checkpoint.note) == (
        head.seq,
        head.chain_hash,
        head.note,
    )
    assert filled.checkpoint("acme") is None  # nothing new since
    assert filled.verify().ok


# -- tampering -----------------------------------------------------------------------------


def test_verify_closes_its_cursor_at_a_break(
    filled: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    sql(filled, "DELETE FROM entries WHERE workspace = 'acme' AND seq = 2")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        assert broken(filled) == (2, "missing")
        gc.collect()
    assert [f"{u.exc_type.__name__}: {u.exc_value}" for u in unraisable] == []
    kept = getattr(filled.store, "_appender", None) is not None  # SQLite's append connection
    assert filled.store.engine.pool.checkedout() == int(kept)  # type: ignore[attr-defined]


def test_modified_body(filled: ActivityLog) -> None:
    original = row(filled, 7)
    forged = bytes(original["body"]).replace(b"acme #7", b"acme #0")
    assert forged != bytes(original["body"])
    sql(filled, "UPDATE entries SET body = :b WHERE rid = :r", b=forged, r=original["rid"])
    assert broken(filled) == (7, "modified")


def test_modified_body_with_its_content_hash(filled: ActivityLog) -> None:
    original = row(filled, 12)
    forged = bytes(original["body"]).replace(b"acme #12", b"acme #00")
    sql(
        filled,
        "UPDATE entries SET body = :b, content_hash = :h WHERE rid = :r",
        b=forged,
        h=bytes.fromhex(content_hash(forged)),
        r=original["rid"],
    )
    assert broken(filled)[0] == 12


def test_deleted_row(filled: ActivityLog) -> None:
    sql(filled, "DELETE FROM entries WHERE workspace = 'acme' AND seq = 5")
    assert broken(filled) == (5, "missing")


def test_deleted_first_row(filled: ActivityLog) -> None:
    sql(filled, "DELETE FROM entries WHERE workspace = 'globex' AND seq = 1")
    assert broken(filled, "globex") == (1, "missing")


@pytest.mark.parametrize(("a", "b"), [(8, 9), (4, 11)])
def test_swapped_rows(filled: ActivityLog, a: int, b: int) -> None:
    params = {"a": a, "b": b}
    sql(filled, "UPDATE entries SET seq = -1 WHERE workspace = 'acme' AND seq = :a", **params)
    sql(filled, "UPDATE entries SET seq = :a WHERE workspace = 'acme' AND seq = :b", **params)
    sql(filled, "UPDATE entries SET seq = :b WHERE workspace = 'acme' AND seq = -1", **params)
    assert broken(filled) == (a, "reordered")


def test_inserted_forged_row_linked_into_the_chain(filled: ActivityLog) -> None:
    # The forger even computes a proper chain hash for the intruder.
    before = row(filled, 13)
    template = row(filled, 14)
    shift_seqs_up(filled, 14)
    body = bytes(template["body"]).replace(template["id"].encode(), eid(999).encode())
    digest = content_hash(body)
    insert_row(
        filled,
        {
            **template,
            "rid": template["rid"] - 1,
            "id": eid(999),
            "seq": 14,
            "body": body,
            "content_hash": digest,
            "chain_hash": link(before["chain_hash"], digest),
        },
    )
    assert broken(filled) == (14, "inserted")


def test_inserted_forged_row_with_a_made_up_hash(filled: ActivityLog) -> None:
    template = row(filled, 3)
    shift_seqs_up(filled, 3)
    body = bytes(template["body"]).replace(template["id"].encode(), eid(999).encode())
    insert_row(
        filled,
        {
            **template,
            "rid": template["rid"] - 1,
            "id": eid(999),
            "seq": 3,
            "body": body,
            "content_hash": content_hash(body),
            "chain_hash": "ab" * 32,
        },
    )
    assert broken(filled) == (3, "inserted")


def test_forged_row_appended_after_the_head(filled: ActivityLog) -> None:
    # Appended and properly linked, but the chain head still says seq 25.
    last = row(filled, 25)
    body = bytes(last["body"]).replace(last["id"].encode(), eid(999).encode())
    digest = content_hash(body)
    insert_row(
        filled,
        {
            **last,
            "rid": last["rid"] + 1,
            "id": eid(999),
            "seq": 26,
            "body": body,
            "content_hash": digest,
            "chain_hash": link(last["chain_hash"], digest),
        },
    )
    assert broken(filled) == (26, "inserted")
    assert ("unsigned", 26) in {(b.kind, b.seq) for b in filled.verify().breaks}


def test_consistently_rewritten_chain_is_caught_by_the_signed_checkpoint(
    filled: ActivityLog,
) -> None:
    rows = sql(
        filled,
        "SELECT rid, seq, body, chain_hash FROM entries WHERE workspace = 'acme' ORDER BY seq",
    )
    bodies = [bytes(r["body"]) for r in rows]
    bodies[2] = bodies[2].replace(b"acme #3", b"acme #X")
    prefix = readable(rows[1])["chain_hash"]
    rewritten = []
    for forged in bodies[2:]:
        digest = content_hash(forged)
        prefix = link(prefix, digest)
        rewritten.append((digest, prefix))
    for r, (digest, chained) in zip(rows[2:], rewritten, strict=True):
        sql(
            filled,
            "UPDATE entries SET body = :b, content_hash = :c, chain_hash = :h WHERE rid = :r",
            b=bodies[r["seq"] - 1],
            c=bytes.fromhex(digest),
            h=bytes.fromhex(chained),
            r=r["rid"],
        )
    sql(
        filled,
        "UPDATE chain_heads SET chain_hash = :h WHERE workspace = 'acme'",
        h=rewritten[-1][1],
    )

    seq, reason = broken(filled)
    assert (seq, reason) == (10, "checkpoint_mismatch")
    assert "entries 1..10" in filled.verify().first_break.detail  # type: ignore[union-attr]


def test_bad_checkpoint_signature(filled: ActivityLog) -> None:
    [kept] = sql(filled, "SELECT note FROM checkpoints WHERE workspace = 'acme' AND size = 20")
    text, signature = kept["note"].rsplit(" ", 1)
    flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
    sql(
        filled,
        "UPDATE checkpoints SET note = :n WHERE workspace = 'acme' AND size = 20",
        n=f"{text} {flipped}",
    )
    assert broken(filled) == (20, "bad_signature")


def test_checkpoint_moved_to_another_hash(filled: ActivityLog) -> None:
    other = row(filled, 9)["chain_hash"]
    [kept] = sql(filled, "SELECT note FROM checkpoints WHERE workspace = 'acme' AND size = 10")
    current = row(filled, 10)["chain_hash"]
    sql(
        filled,
        "UPDATE checkpoints SET note = :n WHERE workspace = 'acme' AND size = 10",
        n=kept["note"].replace(current, other),
    )
    assert broken(filled) == (10, "bad_signature")


def test_a_different_public_key_fails_every_signed_note(filled: ActivityLog) -> None:
    stranger = Ed25519PrivateKey.generate().public_key()
    pem = stranger.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    report = filled.verify(public_keys=[pem])
    assert not report.ok
    assert {(w.workspace, w.broken.kind) for w in report.workspaces if w.broken} == {
        ("acme", "bad_signature"),
        ("globex", "bad_signature"),
        ("initech", "bad_signature"),
    }
    assert filled.verify(public_keys=[filled.signing_key.public.pem().encode()]).ok


def test_truncated_tail_with_the_head_left_alone(filled: ActivityLog) -> None:
    sql(filled, "DELETE FROM entries WHERE workspace = 'acme' AND seq > 21")
    assert broken(filled) == (22, "missing")


def test_truncated_tail_with_the_head_rolled_back(filled: ActivityLog) -> None:
    keep = row(filled, 15)
    sql(filled, "DELETE FROM entries WHERE workspace = 'acme' AND seq > 15")
    sql(
        filled,
        "UPDATE chain_heads SET seq = 15, chain_hash = :h, checkpoint_seq = 10 "
        "WHERE workspace = 'acme'",
        h=keep["chain_hash"],
    )
    assert broken(filled) == (16, "missing")  # the checkpoint at seq 20 still names it


def test_head_hash_rewritten(filled: ActivityLog) -> None:
    sql(filled, "UPDATE chain_heads SET chain_hash = :h WHERE workspace = 'initech'", h="cd" * 32)
    assert broken(filled, "initech") == (3, "modified")


# -- deletion (tombstones) ------------------------------------------------------------------
def test_delete_leaves_tombstones(filled: ActivityLog) -> None:
    victims = [eid(4), eid(11), eid(20)]
    before_stats = filled.stats(workspace="acme", since=ago(days=1), until=ago(seconds=0))
    before_count = filled.count(workspace="acme")
    victim_event = filled.get(eid(4))

    done = filled.delete(victims, by="u_0", reason="GDPR erasure request #12", viewer=OWNER)

    assert sorted(done) == sorted(victims)
    assert filled.count(workspace="acme") == before_count - 3 + 1
    assert not {e["id"] for e in filled.export()} & set(victims)
    assert not {
        e["id"] for e in filled.query(workspace="acme", per_page=100, since=ago(days=1)).items
    } & set(victims)
    tomb = filled.get(eid(4))
    assert (tomb["id"], tomb["workspace"], tomb["seq"]) == (eid(4), "acme", 4)
    assert tomb["occurred_at"] == victim_event["occurred_at"]
    assert (tomb["content_hash"], tomb["chain_hash"]) == (
        victim_event["content_hash"],
        victim_event["chain_hash"],
    )
    assert (tomb["deleted_by"], tomb["delete_reason"]) == ("u_0", "GDPR erasure request #12")
    assert tomb["deleted_at"].endswith("Z")
    assert tomb["action"] is tomb["actor"] is tomb["description"] is tomb["ip"] is None

    report = filled.verify()
    assert report.ok, report.first_break
    acme = next(w for w in report.workspaces if w.workspace == "acme")
    assert (acme.entries, acme.tombstones) == (26, 3)  # with the deletion's own record
    [record] = filled.query(workspace="acme", events=["activity_log.deleted"]).items
    assert (record["seq"], record["details"]["ids"]) == (26, victims)
    assert record["actor"]["id"] == "u_0"

    after = filled.stats(workspace="acme", since=ago(days=1), until=ago(seconds=0))
    # (the deletion's record is written now, after the window)
    assert after.kpis["total"] == before_stats.kpis["total"] - 3
    assert after.kpis["sign_ins"] + after.kpis["writes"] == after.kpis["total"]
    assert sum(a["count"] for a in after.top_actors) == after.kpis["total"]
    # further records carry on the chain
    assert filled.record(workspace="acme", action="note.created")["seq"] == 27
    assert filled.verify().ok


def test_who_sees_a_tombstone(filled: ActivityLog) -> None:
    # A tombstone no longer says whose event it was: it shows in whole-workspace reads only.
    filled.delete([eid(2)], by="u_0", reason="test", viewer=OWNER)
    for viewer in (Viewer("staff", "platform_admin"), OWNER, Viewer("u_9", "admin", "acme")):
        assert filled.get(eid(2), viewer=viewer)["deleted_by"] == "u_0"
    for viewer in (Viewer("u_1", "member", "acme", "own"), Viewer("u_0", "owner", "globex")):
        with pytest.raises(NotFound):
            filled.get(eid(2), viewer=viewer)


def test_deleting_twice_or_unknown_ids_does_nothing(filled: ActivityLog) -> None:
    assert filled.delete([eid(1)], by="op", reason="first") == [eid(1)]
    assert filled.delete([eid(1), eid(9999)], by="op", reason="again") == []
    assert filled.get(eid(1))["delete_reason"] == "first"
    assert filled.verify().ok


def test_delete_needs_a_reason(filled: ActivityLog) -> None:
    for reason in ("", "   ", "\n\t"):
        with pytest.raises(ValidationError) as info:
            filled.delete([eid(1)], by="op", reason=reason)
        assert [e.field for e in info.value.errors] == ["reason"]
    assert filled.get(eid(1))["deleted_at"] is None


def test_only_owners_delete(filled: ActivityLog) -> None:
    for viewer in (
        Viewer("u_1", "admin", "acme"),
        Viewer("u_1", "member", "acme", "own"),
        Viewer("u_1", "viewer", "acme", "own"),
        Viewer("u_1", "owner"),  # an owner of no workspace
    ):
        with pytest.raises(AccessDenied):
            filled.delete([eid(1)], by="u_1", reason="no", viewer=viewer)
    assert filled.count() == sum(PER_WORKSPACE.values())


def test_owners_delete_in_their_own_workspace_only(filled: ActivityLog) -> None:
    globex_event = eid(PER_WORKSPACE["acme"] + 1)
    assert filled.get(globex_event)["workspace"] == "globex"
    assert filled.delete([globex_event, eid(1)], by="u_0", reason="cleanup", viewer=OWNER) == [
        eid(1)
    ]
    assert filled.get(globex_event)["deleted_at"] is None
    assert filled.verify().ok


def test_a_tampered_tombstone_is_detected(filled: ActivityLog) -> None:
    filled.delete([eid(6)], by="op", reason="test")
    sql(filled, "UPDATE tombstones SET content_hash = :h WHERE id = :i", h="ef" * 32, i=eid(6))
    assert broken(filled)[0] == 6


def test_appends_during_verification_are_neither_missing_nor_inserted(
    log: ActivityLog, db_url: str, settings: Settings
) -> None:
    log.record_many([{"workspace": "acme", "action": "contact.updated"} for _ in range(30)])
    with ActivityLog(db_url, settings=settings) as writer:
        check = WorkspaceCheck("acme", log.key_ring(), every=settings.checkpoint_every)
        with log.store.snapshot("acme") as view:
            writer.record_many([{"workspace": "acme", "action": "note.created"}] * 5)
            check.add_stored(view.kept)
            check.set_head(view.head)
            check.run(view.rows)
        assert check.report.ok, check.report.breaks
        assert check.report.head_seq == 30
    assert log.verify("acme").ok


def test_without_the_copies_the_tree_still_catches_an_edit(filled: ActivityLog) -> None:
    assert filled.verify(copies=False).ok
    original = row(filled, 7)
    forged = bytes(original["body"]).replace(b"acme #7", b"acme #0")
    sql(filled, "UPDATE entries SET body = :b WHERE rid = :r", b=forged, r=original["rid"])
    report = filled.verify(copies=False)
    assert not report.ok
    assert not report.copies_checked
    brk = report.first_break
    assert brk is not None
    assert (brk.workspace, brk.seq, brk.kind) == ("acme", 10, "checkpoint_mismatch")
    assert "entries 1..10" in brk.detail


def test_who_deleted_and_why_are_held_to_the_deletion_record(filled: ActivityLog) -> None:
    filled.delete([eid(6)], by="u_0", reason="GDPR erasure", viewer=OWNER)
    assert filled.verify().ok
    sql(filled, "UPDATE tombstones SET deleted_by = 'someone_else' WHERE id = :i", i=eid(6))
    assert broken(filled) == (6, "index_differs")
    sql(
        filled,
        "UPDATE tombstones SET deleted_by = 'u_0', reason = 'routine' WHERE id = :i",
        i=eid(6),
    )
    assert broken(filled) == (6, "index_differs")


def test_when_a_deletion_happened_is_held_to_its_record(filled: ActivityLog) -> None:
    filled.delete([eid(6)], by="u_0", reason="GDPR erasure", viewer=OWNER)
    sql(
        filled,
        "UPDATE tombstones SET deleted_at = deleted_at - 86400000000 WHERE id = :i",
        i=eid(6),
    )
    assert broken(filled) == (6, "index_differs")


@pytest.mark.parametrize("copies", [True, False], ids=["with_copies", "log_alone"])
def test_a_tombstone_needs_a_deletion_record_after_it(filled: ActivityLog, copies: bool) -> None:
    """With the copies checked or not: a recorded deletion passes, an entry moved into the
    tombstones by hand does not."""
    filled.delete([eid(6)], by="u_0", reason="GDPR erasure", viewer=OWNER)
    assert filled.verify(copies=copies).ok
    victim = row(filled, 8)
    sql(
        filled,
        "INSERT INTO tombstones (workspace, seq, id, occurred_at, content_hash, chain_hash,"
        " deleted_at, deleted_by, reason) SELECT workspace, seq, id, rid / 1000, :c, :h,"
        " rid / 1000, 'u_0', 'GDPR erasure' FROM entries WHERE workspace = 'acme' AND seq = 8",
        c=victim["content_hash"],
        h=victim["chain_hash"],
    )
    sql(filled, "DELETE FROM entries WHERE workspace = 'acme' AND seq = 8")
    report = filled.verify(copies=copies)
    found = {(b.workspace, b.seq, b.kind) for b in report.breaks}
    assert ("acme", 8, "unaccounted_deletion") in found
    assert not {b for b in found if b[1] == 6}


@pytest.mark.parametrize("copies", [True, False], ids=["with_copies", "log_alone"])
def test_a_deleted_entry_put_back_is_reported(filled: ActivityLog, copies: bool) -> None:
    """An entry erased on request, put back from a copy kept before (its row as it was,
    its tombstone removed): its hashes are the tombstone's, so the tree passes; the
    deletion record still names it."""
    kept = row(filled, 6)
    filled.delete([eid(6)], by="u_0", reason="GDPR erasure", viewer=OWNER)
    assert filled.verify(copies=copies).ok
    sql(filled, "DELETE FROM tombstones WHERE id = :i", i=eid(6))
    insert_row(filled, kept)
    report = filled.verify(copies=copies)
    assert ("acme", 6, "unaccounted_deletion") in {
        (b.workspace, b.seq, b.kind) for b in report.breaks
    }
