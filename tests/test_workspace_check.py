"""workspace_check: WorkspaceCheck on logs built here, naming each kind of break and its seq.

A log is built the way the writer builds it: ``content_hash`` is the RFC 9162 leaf hash of
the body, ``chain_hash`` links it to its predecessor, a checkpoint is kept every
``EVERY`` entries (each naming the previous one as ``prev``) and the head carries a note
of its own size. Each test then tampers with what a database holds, or with what lies
outside it (ring, witness), and checks the verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import cast

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from activitylog import chain
from activitylog.chain import DELETION_ACTION, Head, Row
from activitylog.events import canonical_json
from activitylog.merkle import Frontier, root_of
from activitylog.notes import sign_checkpoint, sign_handover
from activitylog.signing import KeyRing, SigningKey
from activitylog.verify_report import (
    GENESIS,
    KIND_TEXT,
    MAX_BREAKS,
    Break,
    Kind,
    VerifyReport,
    WorkspaceReport,
)
from activitylog.workspace_check import WorkspaceCheck

WS = "acme"
EVERY = 5
TIME = "2026-03-01T12:00:00.000000Z"


def key(seed: int) -> SigningKey:
    return SigningKey(Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


OURS, THEIRS = key(1), key(2)
RING = KeyRing({OURS.public.key_hash: OURS.public})


def event_id(n: int) -> str:
    return f"0190a5b2-7c3e-7a11-8b2c-{n:012d}"


def body(n: int) -> bytes:
    return canonical_json(
        {"action": "contact.updated", "id": event_id(n), "workspace": WS, "details": {"n": n}}
    )


def deletion(n: int, ids: Sequence[str]) -> bytes:
    return canonical_json(
        {
            "action": DELETION_ACTION,
            "id": event_id(n),
            "workspace": WS,
            "details": {"ids": list(ids), "reason": "test", "count": len(ids)},
        }
    )


@dataclass
class Log:
    """What a store holds for one workspace."""

    rows: list[Row]
    kept: list[tuple[int, str]]
    head: Head | None
    #: Every note signed while writing, by size (kept or not): a witness's copies.
    notes: dict[int, str] = field(default_factory=dict)


def build(
    bodies: Sequence[bytes],
    *,
    graves: Iterable[int] = (),
    every: int = EVERY,
    signer: SigningKey = OURS,
    workspace: str = WS,
    time: str = TIME,
) -> Log:
    """The log of ``bodies`` (seq 1..n), the entries at ``graves`` since deleted."""
    dead = set(graves)
    rows: list[Row] = []
    kept: list[tuple[int, str]] = []
    notes: dict[int, str] = {}
    frontier = Frontier()
    prev_chain, last_kept = GENESIS, 0
    note: str | None = None
    for seq, content in enumerate(bodies, 1):
        content_hash = chain.content_hash(content)
        prev_chain = chain.link(prev_chain, content_hash)
        frontier.append(bytes.fromhex(content_hash))
        if seq in dead:
            rows.append((seq, None, content_hash, prev_chain, event_id(seq)))
        else:
            rows.append((seq, content, content_hash, prev_chain, None))
        is_kept = seq - last_kept >= every
        if is_kept or seq == len(bodies):
            note = sign_checkpoint(
                signer, workspace, seq, frontier.root(), prev_chain, last_kept, time
            ).note
            notes[seq] = note
        if is_kept:
            kept.append((seq, notes[seq]))
            last_kept = seq
    head = Head(len(bodies), prev_chain, frontier.to_bytes(), note) if bodies else None
    return Log(rows, kept, head, notes)


def log_of(
    count: int = 12,
    *,
    graves: Iterable[int] = (),
    every: int = EVERY,
    signer: SigningKey = OURS,
    workspace: str = WS,
    time: str = TIME,
) -> Log:
    bodies = [body(n) for n in range(1, count + 1)]
    return build(bodies, graves=graves, every=every, signer=signer, workspace=workspace, time=time)


def check(
    log: Log,
    *,
    ring: KeyRing | None = RING,
    every: int = EVERY,
    witnessed: Sequence[str] = (),
) -> WorkspaceReport:
    verifier = WorkspaceCheck(WS, ring, every=every)
    verifier.add_witnessed(witnessed)
    verifier.add_stored(log.kept)
    verifier.set_head(log.head)
    verifier.run(log.rows)
    return verifier.report


def found(report: WorkspaceReport) -> list[tuple[str, int]]:
    return [(b.kind, b.seq) for b in report.breaks]


def rehash(rows: Sequence[Row], start: int = 1) -> list[Row]:
    """``rows`` with content and chain hashes recomputed from ``start`` on (an intruder
    who knows the format but has no key)."""
    out = list(rows[: start - 1])
    prev = out[-1][3] if out else GENESIS
    for seq, content, stored, _, grave in rows[start - 1 :]:
        digest = chain.content_hash(content) if content is not None else stored
        prev = chain.link(prev, digest)
        out.append((seq, content, digest, prev, grave))
    return out


def head_of(rows: Sequence[Row], note: str | None) -> Head:
    frontier = Frontier()
    for row in rows:
        frontier.append(bytes.fromhex(row[2]))
    return Head(rows[-1][0], rows[-1][3], frontier.to_bytes(), note)


def with_row(rows: Sequence[Row], seq: int, **changes: object) -> list[Row]:
    """``rows`` with the row at ``seq`` changed (``body``, ``content``, ``chain``)."""
    column = {"body": 1, "content": 2, "chain": 3}
    out = []
    for row in rows:
        if row[0] == seq:
            values: list[object] = list(row)
            for name, value in changes.items():
                values[column[name]] = value
            row = cast(Row, tuple(values))
        out.append(row)
    return out


# -- breaks ------------------------------------------------------------------------------


def test_kind_text_covers_every_kind() -> None:
    assert set(KIND_TEXT) == set(Kind.__args__)  # type: ignore[attr-defined]
    text = str(Break(WS, 3, "modified", "content hash differs"))
    assert text == "workspace 'acme': seq 3: content modified (content hash differs)"
    assert str(Break(WS, 3, "missing")) == "workspace 'acme': seq 3: entry missing"


# -- a clean log ---------------------------------------------------------------------------


def test_clean_log() -> None:
    log = log_of(12)
    report = check(log)
    assert report.ok, report.breaks
    assert report.broken is None
    assert (report.entries, report.tombstones, report.head_seq) == (12, 0, 12)
    assert report.head_hash == log.rows[-1][3]
    assert log.head is not None
    assert report.root == root_of(bytes.fromhex(r[2]) for r in log.rows).hex()
    assert report.root == Frontier.from_bytes(12, log.head.frontier).root().hex()
    assert report.checkpoints == 2
    assert [size for size, _ in log.kept] == [5, 10]


@pytest.mark.parametrize("count", [1, 4, 5, 6, 10, 11, 23])
def test_clean_logs_of_any_length(count: int) -> None:
    log = log_of(count)
    report = check(log, witnessed=list(log.notes.values()))
    assert report.ok, report.breaks
    assert report.witnessed == len(log.notes)


def test_empty_workspace() -> None:
    report = check(Log([], [], None))
    assert report.ok
    assert (report.entries, report.head_seq, report.head_hash) == (0, 0, GENESIS)


def test_clean_log_with_an_accounted_deletion() -> None:
    bodies = [body(n) for n in range(1, 12)] + [deletion(12, [event_id(3)])]
    report = check(build(bodies, graves=[3]))
    assert report.ok, report.breaks
    assert report.tombstones == 1


def test_without_a_ring_notes_are_compared_not_checked() -> None:
    log = log_of(12, signer=THEIRS)
    assert found(check(log)) != []
    assert check(log, ring=None).ok


def test_progress() -> None:
    seen: list[int] = []
    verifier = WorkspaceCheck(WS, RING, every=EVERY, on_progress=seen.append)
    log = log_of(12)
    verifier.add_stored(log.kept)
    verifier.set_head(log.head)
    verifier.run(log.rows)
    assert sum(seen) == 12


# -- content -------------------------------------------------------------------------------


def test_modified_body() -> None:
    log = log_of(12)
    log.rows = with_row(log.rows, 3, body=body(3).replace(b'"n":3', b'"n":4'))
    assert found(check(log)) == [("modified", 3)]


def test_modified_content_hash_only() -> None:
    log = log_of(12)
    log.rows = with_row(log.rows, 3, content=chain.content_hash(b"other"))
    assert found(check(log))[0] == ("modified", 3)


def test_rehashed_body_breaks_the_chain_and_the_checkpoint() -> None:
    log = log_of(12)
    forged = body(3).replace(b'"n":3', b'"n":4')
    log.rows = with_row(log.rows, 3, body=forged, content=chain.content_hash(forged))
    breaks = found(check(log))
    assert breaks[0] == ("modified", 3)
    assert ("checkpoint_mismatch", 5) in breaks


def test_rewritten_and_rechained_log_differs_from_its_checkpoints() -> None:
    log = log_of(12)
    forged = body(3).replace(b'"n":3', b'"n":4')
    log.rows = rehash(with_row(log.rows, 3, body=forged), start=3)
    assert log.head is not None
    log.head = head_of(log.rows, log.head.note)  # the head row rewritten to match
    breaks = found(check(log))
    assert breaks[0] == ("checkpoint_mismatch", 5)
    assert ("checkpoint_mismatch", 10) in breaks
    assert ("checkpoint_mismatch", 12) in breaks  # the head's own note
    assert all(kind == "checkpoint_mismatch" for kind, _ in breaks)


def test_modified_tombstone_hash() -> None:
    bodies = [body(n) for n in range(1, 12)] + [deletion(12, [event_id(3)])]
    log = build(bodies, graves=[3])
    log.rows = with_row(log.rows, 3, content=chain.content_hash(b"other"))
    breaks = found(check(log))
    assert breaks[0] == ("modified", 3)


# -- missing, inserted, reordered ----------------------------------------------------------


def test_missing_entry() -> None:
    log = log_of(12)
    log.rows = [r for r in log.rows if r[0] != 7]
    assert found(check(log)) == [("missing", 7)]


def test_missing_first_entry() -> None:
    log = log_of(12)
    log.rows = log.rows[1:]
    assert found(check(log))[0] == ("missing", 1)


def test_truncated_tail_with_the_head_left() -> None:
    log = log_of(12)
    log.rows = log.rows[:10]
    assert found(check(log))[0] == ("missing", 11)


def test_truncated_past_a_checkpoint_with_head_moved_back() -> None:
    """The rows after seq 8 removed, the head rewritten to seq 8: the kept checkpoint at
    10 still covers seq 10."""
    log = log_of(12)
    log.rows = log.rows[:8]
    log.head = head_of(log.rows, None)
    breaks = found(check(log))
    assert breaks[0] == ("missing", 9)


def test_deleted_entry_with_the_gap_closed() -> None:
    """Seq 7 deleted and the later rows renumbered down, their hashes kept."""
    log = log_of(12)
    assert log.head is not None
    rows = [r for r in log.rows if r[0] != 7]
    log.rows = [(i, *r[1:]) for i, r in enumerate(rows, 1)]
    log.head = head_of(log.rows, log.head.note)
    breaks = found(check(log))
    assert breaks[0][1] == 7
    assert ("checkpoint_mismatch", 10) in breaks


def test_inserted_entry_not_in_the_chain() -> None:
    log = log_of(12)
    intruder: Row = (8, body(99), chain.content_hash(body(99)), "ab" * 32, None)
    shifted = [(r[0] + 1, *r[1:]) for r in log.rows[7:]]
    log.rows = [*log.rows[:7], intruder, *shifted]
    assert found(check(log))[0] == ("inserted", 8)


def test_inserted_entry_linked_in() -> None:
    """An intruder chained onto seq 7; the entries after it keep their old hashes."""
    log = log_of(12)
    content = chain.content_hash(body(99))
    intruder: Row = (8, body(99), content, chain.link(log.rows[6][3], content), None)
    shifted = [(r[0] + 1, *r[1:]) for r in log.rows[7:]]
    log.rows = [*log.rows[:7], intruder, *shifted]
    assert found(check(log))[0] == ("inserted", 8)


def test_two_entries_share_a_seq() -> None:
    log = log_of(12)
    log.rows = [*log.rows[:5], log.rows[4], *log.rows[5:]]
    assert found(check(log)) == [("inserted", 5)]


def test_forged_entry_appended_at_the_head() -> None:
    """Hashes right, head moved, but no key: the new entry is not signed."""
    log = log_of(12)
    assert log.head is not None
    content = chain.content_hash(body(13))
    log.rows = [*log.rows, (13, body(13), content, chain.link(log.rows[-1][3], content), None)]
    log.head = head_of(log.rows, log.head.note)
    breaks = found(check(log))
    assert breaks[0] == ("unsigned", 13)
    assert set(breaks) == {("unsigned", 13)}


def test_reordered_entries() -> None:
    log = log_of(12)
    swapped = [log.rows[4], log.rows[3]]
    log.rows = [
        *log.rows[:3],
        (4, *swapped[0][1:]),
        (5, *swapped[1][1:]),
        *log.rows[5:],
    ]
    breaks = found(check(log))
    assert breaks[0] == ("reordered", 4)
    assert ("checkpoint_mismatch", 5) in breaks


# -- signatures ----------------------------------------------------------------------------


def test_checkpoint_signed_by_an_unknown_key() -> None:
    log = log_of(12)
    foreign = build([body(n) for n in range(1, 11)], signer=THEIRS).kept[1]
    log.kept = [log.kept[0], foreign]
    breaks = found(check(log))
    assert breaks[0] == ("bad_signature", 10)


def test_tampered_checkpoint_note() -> None:
    log = log_of(12)
    size, note = log.kept[0]
    log.kept[0] = (size, note.replace("prev 0", "prev 1"))
    assert found(check(log))[0] == ("bad_signature", 5)


def test_unreadable_checkpoint_note() -> None:
    log = log_of(12)
    log.kept[0] = (5, "garbage")
    assert found(check(log))[0] == ("bad_signature", 5)


def test_checkpoint_of_another_workspace() -> None:
    log = log_of(12)
    other = log_of(12, workspace="globex")
    log.kept[1] = other.kept[1]
    assert found(check(log))[0] == ("bad_signature", 10)


def test_checkpoint_row_size_differs_from_its_note() -> None:
    log = log_of(12)
    log.kept[1] = (9, log.kept[1][1])
    assert found(check(log))[0] == ("checkpoint_mismatch", 10)


def test_head_note_signed_by_an_unknown_key() -> None:
    log = log_of(12)
    assert log.head is not None
    log.head = replace(log.head, note=log_of(12, signer=THEIRS).notes[12])
    breaks = found(check(log))
    assert breaks[0] == ("bad_signature", 12)
    assert ("unsigned", 12) in breaks


def test_head_without_a_note() -> None:
    log = log_of(12)
    assert log.head is not None
    log.head = replace(log.head, note=None)
    breaks = found(check(log))
    assert ("unsigned", 11) in breaks  # entries 11..12 are covered by nothing
    assert ("unsigned", 12) in breaks  # the head carries no note


def test_head_with_an_older_note() -> None:
    log = log_of(12)
    assert log.head is not None
    log.head = replace(log.head, note=log.notes[10])
    assert ("unsigned", 11) in found(check(log))


def test_checkpoint_signed_by_a_retired_key() -> None:
    old, new = OURS, key(3)
    ring = KeyRing({old.public.key_hash: old.public})
    ring.add_handovers([sign_handover(old, new, "2026-02-01T00:00:00.000000Z")])
    assert len(ring.handovers) == 1
    log = log_of(12, time=TIME)  # signed by the old key after it handed over
    assert found(check(log, ring=ring))[0] == ("bad_signature", 5)
    assert check(log_of(12, signer=new), ring=ring).ok


def test_unsigned_tail() -> None:
    """Entries appended with correct hashes and the head moved, the note left behind."""
    log = log_of(12)
    assert log.head is not None
    note = log.head.note
    longer = log_of(15)
    log.rows = longer.rows
    log.head = head_of(longer.rows, note)
    breaks = found(check(log))
    assert breaks[0] == ("unsigned", 13)
    assert set(breaks) == {("unsigned", 13), ("unsigned", 15)}


# -- checkpoints ---------------------------------------------------------------------------


def test_checkpoint_deleted_shows_through_prev() -> None:
    log = log_of(12)
    log.kept = [log.kept[1]]  # the one at 5 deleted; the one at 10 names it as prev
    assert found(check(log)) == [("checkpoint_missing", 1)]


def test_last_checkpoint_deleted_shows_through_the_head() -> None:
    log = log_of(12)
    log.kept = [log.kept[0]]  # the one at 10 deleted; the head's note names it
    assert found(check(log)) == [("checkpoint_missing", 6)]


def test_every_checkpoint_deleted() -> None:
    log = log_of(12)
    log.kept = []
    assert found(check(log)) == [("checkpoint_missing", 1)]


def test_cadence_broken() -> None:
    log = log_of(12, every=6)  # kept at 6 and 12
    assert found(check(log, every=6)) == []
    assert found(check(log, every=5)) == [("cadence", 1), ("cadence", 7)]


# -- head ----------------------------------------------------------------------------------


def test_head_missing() -> None:
    log = log_of(12)
    log.head = None
    breaks = found(check(log))
    assert breaks[0] == ("head_missing", 1)


def test_head_chain_hash_differs() -> None:
    log = log_of(12)
    assert log.head is not None
    log.head = replace(log.head, chain_hash="ab" * 32)
    assert found(check(log)) == [("modified", 12)]


def test_head_frontier_differs() -> None:
    log = log_of(12)
    assert log.head is not None
    log.head = replace(log.head, frontier=bytes(len(log.head.frontier)))
    assert found(check(log)) == [("index_differs", 12)]


def test_head_behind_the_entries() -> None:
    log = log_of(12)
    assert log.head is not None
    log.head = replace(log.head, seq=11)
    assert found(check(log))[0] == ("inserted", 12)


# -- deletions -----------------------------------------------------------------------------


def test_unaccounted_deletion() -> None:
    report = check(log_of(12, graves=[3, 8]))
    assert found(report) == [("unaccounted_deletion", 3), ("unaccounted_deletion", 8)]
    assert report.tombstones == 2


def test_deletion_record_names_only_its_ids() -> None:
    bodies = [body(n) for n in range(1, 12)] + [deletion(12, [event_id(3)])]
    assert found(check(build(bodies, graves=[3, 8]))) == [("unaccounted_deletion", 8)]


def test_a_record_that_is_not_a_deletion_accounts_for_nothing() -> None:
    lookalike = canonical_json(
        {"action": "contact.deleted", "details": {"ids": [event_id(3)]}, "id": event_id(12)}
    )
    bodies = [body(n) for n in range(1, 12)] + [lookalike]
    assert found(check(build(bodies, graves=[3]))) == [("unaccounted_deletion", 3)]


def test_a_deletion_record_mentioned_in_details_accounts_for_nothing() -> None:
    nested = canonical_json(
        {
            "action": "contact.updated",
            "details": {"action": DELETION_ACTION, "ids": [event_id(3)]},
            "id": event_id(12),
        }
    )
    bodies = [body(n) for n in range(1, 12)] + [nested]
    assert found(check(build(bodies, graves=[3]))) == [("unaccounted_deletion", 3)]


@pytest.mark.parametrize(
    "forged",
    [
        b'{"action":"activity_log.deleted"',
        b'{"action":"activity_log.deleted","details":["x"]}',
        b'{"action":"activity_log.deleted"}garbage',
    ],
    ids=["truncated", "details-list", "trailing"],
)
def test_a_rewritten_body_shaped_like_a_deletion_is_reported(forged: bytes) -> None:
    log = log_of(12)
    log.rows = with_row(log.rows, 4, body=forged)
    assert found(check(log))[0] == ("modified", 4)


@pytest.mark.parametrize("column", ["content", "chain"])
def test_a_hash_column_that_is_not_hex_is_reported(column: str) -> None:
    log = log_of(12, graves=[4])
    log.rows = with_row(log.rows, 4, **{column: "not hex at all"})
    breaks = found(check(log))
    assert breaks[0][1] == 4


# -- witness -------------------------------------------------------------------------------


def test_witness_agrees() -> None:
    log = log_of(12)
    report = check(log, witnessed=list(log.notes.values()))
    assert report.ok
    assert report.witnessed == len(log.notes)


def test_behind_witness_after_rollback() -> None:
    """The database replaced by an older copy (every row, head and note of size 10)."""
    witnessed = list(log_of(12).notes.values())
    older = log_of(10)
    breaks = found(check(older, witnessed=witnessed))
    assert ("behind_witness", 11) in breaks
    assert breaks[0] == ("behind_witness", 11)


def test_behind_witness_truncated_and_resigned_nothing() -> None:
    log = log_of(12)
    witnessed = list(log.notes.values())
    log.rows = log.rows[:8]
    log.kept = [log.kept[0]]
    log.head = head_of(log.rows, None)
    assert ("behind_witness", 9) in found(check(log, witnessed=witnessed))


def test_cut_back_to_a_kept_checkpoint_needs_the_witness() -> None:
    """Without key or witness, cutting the log back to a kept checkpoint and using its
    note as the head's is consistent (the documented limit); the witness catches it."""
    log = log_of(12)
    witnessed = list(log.notes.values())
    log.rows = log.rows[:10]
    log.head = head_of(log.rows, log.notes[10])
    assert check(log).ok
    assert ("behind_witness", 11) in found(check(log, witnessed=witnessed))


def test_witness_mismatch() -> None:
    log = log_of(12)
    fork = build([body(n) for n in range(1, 10)] + [body(99)] + [body(11), body(12)])
    assert fork.notes[10] != log.notes[10]
    assert found(check(log, witnessed=[fork.notes[10]])) == [("witness_mismatch", 10)]


def test_witness_note_forged() -> None:
    log = log_of(12)
    foreign = log_of(12, signer=THEIRS)
    assert found(check(log, witnessed=[foreign.notes[10]])) == [("bad_signature", 10)]


def test_workspace_missing() -> None:
    witnessed = list(log_of(12).notes.values())
    breaks = found(check(Log([], [], None), witnessed=witnessed))
    assert ("workspace_missing", 1) in breaks
    assert all(seq == 1 for _, seq in breaks)


# -- long logs -----------------------------------------------------------------------------

LONG = 9_000


@pytest.fixture(scope="module")
def long_log() -> Log:
    return log_of(LONG, every=1000)


def test_long_clean_log(long_log: Log) -> None:
    seen: list[int] = []
    verifier = WorkspaceCheck(WS, RING, every=1000, on_progress=seen.append)
    verifier.add_witnessed(long_log.notes.values())
    verifier.add_stored(long_log.kept)
    verifier.set_head(long_log.head)
    verifier.run(iter(long_log.rows))
    report = verifier.report
    assert report.ok, report.breaks
    assert (report.entries, report.checkpoints, report.head_seq) == (LONG, 9, LONG)
    assert report.root == root_of(bytes.fromhex(r[2]) for r in long_log.rows).hex()
    assert sum(seen) == LONG


@pytest.mark.parametrize("seq", [1, 999, 1000, 1001, 4096, 4097, 5000, 8999, 9000])
def test_long_log_modified_anywhere(long_log: Log, seq: int) -> None:
    log = replace(long_log, rows=with_row(long_log.rows, seq, body=b"{}"))
    assert found(check(log, every=1000)) == [("modified", seq)]


@pytest.mark.parametrize("seq", [2, 1000, 4096, 4097, 6001])
def test_long_log_rehashed_anywhere(long_log: Log, seq: int) -> None:
    forged = body(seq).replace(b'"n":', b'"n":-')
    log = replace(long_log, rows=with_row(long_log.rows, seq, body=forged))
    log.rows = rehash(log.rows, start=seq)
    assert log.head is not None
    log.head = head_of(log.rows, log.head.note)
    kept_at = -(-seq // 1000) * 1000
    assert found(check(log, every=1000))[0] == ("checkpoint_mismatch", kept_at)


@pytest.mark.parametrize("seq", [1, 4096, 4097, 7777])
def test_long_log_missing_anywhere(long_log: Log, seq: int) -> None:
    log = replace(long_log, rows=[r for r in long_log.rows if r[0] != seq])
    assert found(check(log, every=1000)) == [("missing", seq)]


def test_long_log_with_tombstones(long_log: Log) -> None:
    graves = [3, 4100, 8000]
    rows = [
        (r[0], None, r[2], r[3], event_id(r[0])) if r[0] in graves else r for r in long_log.rows
    ]
    log = replace(long_log, rows=rows)
    report = check(log, every=1000)
    assert found(report) == [("unaccounted_deletion", s) for s in graves]
    assert report.tombstones == 3


def test_long_log_breaks_in_two_chunks(long_log: Log) -> None:
    # After the chunk holding the first break the scan goes on a chunk at a time: the
    # second break, chunks later, is named all the same.
    rows = with_row(with_row(long_log.rows, 5, body=b"{}"), 8500, content="0" * 64)
    report = check(replace(long_log, rows=rows), every=1000)
    assert found(report)[:1] == [("modified", 5)]
    assert ("modified", 8500) in found(report)
    assert report.entries == LONG


def test_long_log_gap_then_a_modified_entry(long_log: Log) -> None:
    rows = [r for r in with_row(long_log.rows, 8500, body=b"{}") if r[0] != 10]
    breaks = found(check(replace(long_log, rows=rows), every=1000))
    assert breaks[0] == ("missing", 10)
    assert ("modified", 8500) in breaks


def test_long_log_with_accounted_tombstones() -> None:
    graves = [3, 4100, 5000]
    bodies = [body(n) for n in range(1, LONG)]
    bodies.append(deletion(LONG, [event_id(n) for n in graves]))
    log = build(bodies, graves=graves, every=1000)
    verifier = WorkspaceCheck(WS, RING, every=1000)
    verifier.add_stored(log.kept)
    verifier.set_head(log.head)
    verifier.run(iter(log.rows))
    report = verifier.report
    assert report.ok, report.breaks
    assert (report.entries, report.tombstones) == (LONG, 3)
    assert report.root == root_of(bytes.fromhex(r[2]) for r in log.rows).hex()


def test_tombstones_beside_a_break_are_counted_once(long_log: Log) -> None:
    rows = [(r[0], None, r[2], r[3], event_id(r[0])) if r[0] == 3 else r for r in long_log.rows]
    report = check(replace(long_log, rows=with_row(rows, 5, content="0" * 64)), every=1000)
    assert report.tombstones == 1
    assert found(report).count(("unaccounted_deletion", 3)) == 1


def test_stored_hashes_shifted_between_neighbours_are_reported(long_log: Log) -> None:
    # Joined, the two stored hashes read the same as the right ones: each is checked.
    first, second = long_log.rows[4999][2], long_log.rows[5000][2]
    rows = with_row(long_log.rows, 5000, content=first[:-1])
    rows = with_row(rows, 5001, content=first[-1] + second)
    breaks = found(check(replace(long_log, rows=rows), every=1000))
    assert ("modified", 5000) in breaks
    assert ("modified", 5001) in breaks


# -- limits --------------------------------------------------------------------------------


def test_breaks_are_capped() -> None:
    report = check(log_of(150, graves=range(1, 151)))
    assert len(report.breaks) == MAX_BREAKS
    assert report.breaks[0] == Break(
        WS, 1, "unaccounted_deletion", "no deletion record names this entry"
    )
    assert report.tombstones == 150


def test_verify_report() -> None:
    clean, broken = check(log_of(3)), check(log_of(3, graves=[1, 2]))
    report = VerifyReport([clean, broken])
    assert not report.ok
    assert report.entries == 6
    assert report.first_break == broken.breaks[0]
    assert len(report.breaks) == 2
    many = VerifyReport([check(log_of(150, graves=range(1, 151))) for _ in range(2)])
    assert len(many.breaks) == MAX_BREAKS
