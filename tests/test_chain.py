"""chain: hashing, and verify_workspace naming the first break and why."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from activitylog import chain
from activitylog.chain import GENESIS, Break, ChainRow, VerifyReport, WorkspaceReport
from activitylog.events import canonical_json, validate
from activitylog.signing import Checkpoint, CheckpointSigner

WS = "acme"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SIGNED_AT = "2026-03-01T12:00:00.000000Z"


def body(n: int) -> bytes:
    raw = {
        "id": f"0190a5b2-7c3e-7a11-8b2c-{n:012d}",
        "workspace": WS,
        "action": "contact.updated",
        "actor": {"id": f"u{n % 3}", "name": "Ava"},
        "details": {"n": n},
    }
    return canonical_json(validate(raw, now=NOW))


def build(count: int = 20, bodies: Sequence[bytes] | None = None) -> list[ChainRow]:
    bodies = list(bodies) if bodies is not None else [body(n) for n in range(1, count + 1)]
    hashes = list(chain.extend(GENESIS, bodies))
    return [
        ChainRow(i, b, ch, h) for i, (b, (ch, h)) in enumerate(zip(bodies, hashes, strict=True), 1)
    ]


def renumber(rows: Sequence[ChainRow]) -> list[ChainRow]:
    return [dataclasses.replace(row, seq=i) for i, row in enumerate(rows, 1)]


def signer() -> CheckpointSigner:
    key = Ed25519PrivateKey.generate()
    return CheckpointSigner(key, key.public_key())


def checkpoint(s: CheckpointSigner, rows: Sequence[ChainRow], seq: int) -> Checkpoint:
    return s.sign(WS, seq, rows[seq - 1].chain_hash, SIGNED_AT)


def verify(
    rows: Sequence[ChainRow],
    checkpoints: Sequence[Checkpoint] = (),
    s: CheckpointSigner | None = None,
) -> WorkspaceReport:
    return chain.verify_workspace(WS, rows, checkpoints, s)


def broken(report: WorkspaceReport) -> tuple[int, str]:
    assert report.broken is not None, "expected a break"
    return report.broken.seq, report.broken.reason


def forged(previous_chain_hash: str, *, garbage: bool = False) -> ChainRow:
    data = b'{"action":"auth.signed_in","workspace":"acme","forged":true}'
    digest = chain.content_hash(data)
    chain_hash = "ab" * 32 if garbage else chain.link(previous_chain_hash, digest)
    return ChainRow(0, data, digest, chain_hash)


def test_hash_primitives() -> None:
    bodies = [b"one", b"two"]
    (c1, h1), (c2, h2) = chain.extend(GENESIS, bodies)
    assert c1 == hashlib.sha256(b"one").hexdigest() == chain.content_hash(b"one")
    assert h1 == hashlib.sha256(bytes(32) + bytes.fromhex(c1)).hexdigest()
    assert h1 == chain.link(GENESIS, c1)
    assert h2 == chain.link(h1, c2)
    assert list(chain.extend(h1, [b"two"])) == [(c2, h2)]


def test_valid_chain_verifies() -> None:
    rows = build()
    report = verify(rows)
    assert report.ok
    assert (report.entries, report.head_seq, report.tombstones) == (20, 20, 0)
    assert report.head_hash == rows[-1].chain_hash
    assert report.broken is None


def test_empty_chain_verifies() -> None:
    report = verify([])
    assert report.ok
    assert (report.entries, report.head_seq, report.head_hash) == (0, 0, GENESIS)


@pytest.mark.parametrize("seq", [1, 7, 20])
def test_modified_body(seq: int) -> None:
    rows = build()
    row = rows[seq - 1]
    rows[seq - 1] = dataclasses.replace(row, body=(row.body or b"") + b" ")
    assert broken(verify(rows)) == (seq, "modified")


def test_modified_body_with_recomputed_content_hash_is_detected() -> None:
    rows = build()
    new = body(99)
    rows[6] = dataclasses.replace(rows[6], body=new, content_hash=chain.content_hash(new))
    assert broken(verify(rows))[0] == 7


@pytest.mark.parametrize("seq", [1, 7, 19])
def test_deleted_row(seq: int) -> None:
    rows = build()
    del rows[seq - 1]
    assert broken(verify(rows)) == (seq, "missing")


@pytest.mark.parametrize("seq", [1, 7, 19])
def test_deleted_row_renumbered(seq: int) -> None:
    rows = build()
    del rows[seq - 1]
    assert broken(verify(renumber(rows))) == (seq, "missing")


def test_missing_first_seq() -> None:
    assert broken(verify(build()[1:])) == (1, "missing")


@pytest.mark.parametrize("seq", [1, 2, 8, 20])
def test_inserted_row_with_valid_chain_hash(seq: int) -> None:
    rows = build()
    previous = rows[seq - 2].chain_hash if seq > 1 else GENESIS
    rows.insert(seq - 1, forged(previous))
    report = verify(renumber(rows))
    assert broken(report) == (seq, "inserted")


@pytest.mark.parametrize("seq", [1, 8, 20])
def test_inserted_row_with_garbage_chain_hash(seq: int) -> None:
    rows = build()
    rows.insert(seq - 1, forged(GENESIS, garbage=True))
    assert broken(verify(renumber(rows))) == (seq, "inserted")


@pytest.mark.parametrize("seq", [1, 8, 19])
def test_swapped_adjacent_rows(seq: int) -> None:
    rows = build()
    rows[seq - 1], rows[seq] = rows[seq], rows[seq - 1]
    report = verify(renumber(rows))
    assert broken(report) == (seq, "reordered")


@pytest.mark.parametrize("copy", ["same", "forged"])
def test_duplicate_seq(copy: str) -> None:
    rows = build()
    extra = rows[7] if copy == "same" else dataclasses.replace(forged(GENESIS), seq=8)
    rows.insert(8, extra)
    assert broken(verify(rows)) == (8, "inserted")


def test_tombstones_still_verify() -> None:
    rows = build()
    for i in (0, 4, 5, 19):
        rows[i] = dataclasses.replace(rows[i], body=None)
    report = verify(rows)
    assert report.ok
    assert (report.entries, report.tombstones) == (20, 4)


def test_tombstone_with_altered_hash_is_detected() -> None:
    rows = build()
    rows[4] = dataclasses.replace(rows[4], body=None, content_hash="00" * 32)
    assert broken(verify(rows))[0] == 5


def test_signed_checkpoints_verify() -> None:
    s = signer()
    rows = build()
    cps = [checkpoint(s, rows, 10), checkpoint(s, rows, 20)]
    report = verify(rows, cps, s)
    assert report.ok
    assert report.checkpoints == 2


def test_checkpoint_with_bad_signature() -> None:
    s = signer()
    rows = build()
    good = checkpoint(s, rows, 10)
    tampered = dataclasses.replace(good, signature="00" * 64)
    assert broken(verify(rows, [tampered], s)) == (10, "bad_signature")


def test_checkpoint_signed_by_another_key() -> None:
    rows = build()
    cp = checkpoint(signer(), rows, 10)
    assert broken(verify(rows, [cp], signer())) == (10, "bad_signature")


def test_checkpoint_over_a_different_hash_is_bad_signature() -> None:
    s = signer()
    rows = build()
    cp = dataclasses.replace(checkpoint(s, rows, 10), chain_hash=rows[10].chain_hash)
    assert broken(verify(rows, [cp], s)) == (10, "bad_signature")


@pytest.mark.parametrize("changed_seq", [3, 10])
def test_rewritten_chain_fails_signed_checkpoint(changed_seq: int) -> None:
    s = signer()
    original = build()
    cp = checkpoint(s, original, 10)
    bodies = [row.body or b"" for row in original]
    bodies[changed_seq - 1] = body(99)
    rewritten = build(bodies=bodies)
    assert verify(rewritten).ok  # consistent on its own...
    assert broken(verify(rewritten, [cp], s)) == (10, "modified")  # ...but not with the key
    assert broken(verify(rewritten, [cp], None)) == (10, "modified")


@pytest.mark.parametrize("keep", [0, 9, 12])
def test_truncated_below_checkpoint(keep: int) -> None:
    s = signer()
    rows = build()
    cp = checkpoint(s, rows, 15)
    report = verify(rows[:keep], [cp], s)
    assert broken(report) == (keep + 1, "missing")
    assert "15" in str(report.broken)


def test_progress_callback_counts_every_entry() -> None:
    seen: list[int] = []
    report = chain.verify_workspace(WS, build(), [], None, on_progress=seen.append)
    assert sum(seen) == report.entries == 20


def test_break_text_and_verify_report() -> None:
    brk = Break(WS, 7, "missing", "next entry present is seq 8")
    assert str(brk) == "workspace 'acme': seq 7: entry missing (next entry present is seq 8)"
    assert str(Break(WS, 3, "reordered")) == "workspace 'acme': seq 3: order changed"
    good, bad = WorkspaceReport("a", entries=5), WorkspaceReport("b", entries=2, broken=brk)
    report = VerifyReport([good, bad])
    assert not report.ok
    assert report.entries == 7
    assert report.first_break is brk
    assert VerifyReport([good]).ok
    assert VerifyReport([good]).first_break is None
