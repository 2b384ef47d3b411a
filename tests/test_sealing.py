"""sealing: a head is trusted only when empty or signed by us; checkpoints keep cadence."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from activitylog import chain
from activitylog.errors import IntegrityError
from activitylog.merkle import Frontier, leaf_hash, root_of
from activitylog.notes import parse_checkpoint, sign_checkpoint, signer_of, verified_checkpoint
from activitylog.sealing import GENESIS_HASH, Head, Sealer, SealPolicy
from activitylog.signing import KeyRing, SigningKey

WS = "acme"
TIME = "2026-03-01T12:00:00.000000Z"


def key(seed: int) -> SigningKey:
    return SigningKey(Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


OURS, THEIRS = key(1), key(2)
RING = KeyRing({OURS.public.key_hash: OURS.public})


def sealer(*, every: int = 1000, seconds: float = 60.0, signer: SigningKey = OURS) -> Sealer:
    return Sealer(SealPolicy(key=lambda: signer, ring=lambda: RING, every=every, seconds=seconds))


def body(n: int) -> bytes:
    return b'{"n":%d}' % n


def fresh(workspace: str = WS, *, at: int = 0) -> Head:
    return Head(workspace, 0, GENESIS_HASH, Frontier(), None, 0, at)


def clone(head: Head) -> Head:
    """The head as another process reads it back from the database."""
    return Head(
        head.workspace,
        head.seq,
        head.chain,
        Frontier.from_bytes(head.seq, head.frontier.to_bytes()),
        head.note,
        head.checkpoint_seq,
        head.checkpoint_at,
    )


def appended(s: Sealer, head: Head, count: int, *, now: float = 0.0, start: int = 1) -> Head:
    """One append transaction of ``count`` entries."""
    s.trust(head)
    head.kept = []
    for n in range(start, start + count):
        head.add(body(n))
        s.extended(head, now)
    s.seal(head, now)
    s.signed(head)
    return head


def chain_at(count: int) -> str:
    chained = GENESIS_HASH
    for n in range(1, count + 1):
        chained = hashlib.sha256(chained + leaf_hash(body(n))).digest()
    return chained.hex()


def root_at(count: int) -> bytes:
    return root_of(leaf_hash(body(n)) for n in range(1, count + 1))


# -- Head ----------------------------------------------------------------------------------


def test_head_add_hashes_like_the_chain() -> None:
    head = fresh()
    content, chained = head.add(body(1))
    assert content == hashlib.sha256(b"\x00" + body(1)).hexdigest()  # the RFC 9162 leaf hash
    assert content == chain.content_hash(body(1))
    assert chained == hashlib.sha256(bytes(32) + bytes.fromhex(content)).hexdigest()
    head.add(body(2))
    assert head.seq == 2
    assert head.chain_hash == chain_at(2)
    assert head.frontier.root() == root_at(2)


# -- trust ---------------------------------------------------------------------------------


def test_trusts_a_fresh_head() -> None:
    sealer().trust(fresh())


def test_trusts_a_head_it_signed() -> None:
    s = sealer()
    head = appended(s, fresh(), 5)
    s.trust(head)
    s.trust(clone(head))


def test_trusts_a_head_another_process_signed() -> None:
    head = appended(sealer(), fresh(), 5)
    sealer().trust(clone(head))  # a new sealer, the same ring: the note is checked
    other = sealer()
    appended(other, clone(head), 3, start=6)


def refused(head: Head, match: str, s: Sealer | None = None) -> None:
    with pytest.raises(IntegrityError, match=match) as caught:
        (s or sealer()).trust(head)
    assert repr(head.workspace) in str(caught.value)
    assert "nothing was appended" in str(caught.value)


def test_refuses_a_head_without_a_note() -> None:
    head = clone(appended(sealer(), fresh(), 5))
    head.note = None
    refused(head, "carries no signed note")


def test_refuses_an_unreadable_note() -> None:
    head = clone(appended(sealer(), fresh(), 5))
    head.note = "garbage"
    refused(head, "unreadable note")


def test_refuses_a_note_signed_by_an_unknown_key() -> None:
    head = clone(appended(sealer(signer=THEIRS), fresh(), 5))
    refused(head, "not signed by a known key")


def test_refuses_a_forged_note() -> None:
    head = clone(appended(sealer(), fresh(), 5))
    assert head.note is not None
    head.note = head.note.replace("\n5\n", "\n6\n", 1)
    refused(head, "not signed by a known key")


def _tampered(field: str) -> Head:
    head = clone(appended(sealer(), fresh(), 5))
    if field == "seq":  # an entry appended by someone without the key
        head.add(body(99))
    elif field == "chain":
        head.chain = hashlib.sha256(b"other").digest()
    elif field == "root":
        head.frontier = Frontier.from_bytes(5, bytes(64))
    elif field == "frontier_size":
        head.frontier = Frontier(4, [root_at(4)])
    elif field == "workspace":
        head = replace(head, workspace="globex")
    return head


@pytest.mark.parametrize("field", ["seq", "chain", "root", "frontier_size", "workspace"])
def test_refuses_a_head_that_differs_from_its_note(field: str) -> None:
    refused(_tampered(field), "differs from its signed note")


def test_refuses_a_note_for_an_older_size() -> None:
    s = sealer()
    head = appended(s, fresh(), 3)
    old_note = head.note
    appended(s, head, 2, start=4)
    rolled = clone(head)
    rolled.note = old_note  # the head moved on, the note is an older one of ours
    refused(rolled, "differs from its signed note")


def test_refuses_a_fresh_looking_head_with_entries_signed() -> None:
    head = appended(sealer(), fresh(), 3)
    emptied = fresh()
    emptied.note = head.note  # the head row reset, the note kept
    refused(emptied, "differs from its signed note")


def test_a_refused_head_stays_refused() -> None:
    s = sealer()
    head = _tampered("chain")
    refused(head, "differs", s)
    refused(head, "differs", s)


def test_forget_drops_what_this_process_signed() -> None:
    s = sealer()
    head = fresh()
    head.add(body(1))  # never sealed
    s.signed(head)
    s.trust(head)  # remembered as ours
    s.forget([WS, "never-seen"])
    refused(head, "carries no signed note", s)


# -- cadence -------------------------------------------------------------------------------


def assert_kept(head: Head, sizes: Sequence[int], prevs: Sequence[int]) -> None:
    assert [c.size for c in head.kept] == list(sizes)
    assert [c.prev for c in head.kept] == list(prevs)
    for c in head.kept:
        assert c.origin == WS
        assert c.root == root_at(c.size)
        assert c.chain_hash == chain_at(c.size)
        assert parse_checkpoint(c.note) == c
        assert signer_of(c.note, RING) == OURS.public


def test_one_batch_keeps_every_nth() -> None:
    s = sealer(every=3)
    head = appended(s, fresh(), 10)
    assert_kept(head, [3, 6, 9], [0, 3, 6])
    assert (head.checkpoint_seq, head.seq) == (9, 10)
    assert head.note is not None
    note = parse_checkpoint(head.note)
    assert (note.size, note.prev, note.root, note.chain_hash) == (10, 9, root_at(10), chain_at(10))
    assert note.note not in [c.note for c in head.kept]


def test_single_appends_keep_every_nth() -> None:
    s = sealer(every=3)
    head = fresh()
    kept: list[tuple[int, int]] = []
    for n in range(1, 11):
        appended(s, head, 1, start=n)
        kept += [(c.size, c.prev) for c in head.kept]
        assert head.note is not None
        note = parse_checkpoint(head.note)
        assert (note.size, note.root) == (n, root_at(n))
        expected_prev = n - 3 if n % 3 == 0 else n // 3 * 3
        assert note.prev == expected_prev
        if n % 3 == 0:  # the head's note is the kept checkpoint itself
            assert head.note == head.kept[-1].note
    assert kept == [(3, 0), (6, 3), (9, 6)]


def test_every_one_keeps_each_entry() -> None:
    head = appended(sealer(every=1), fresh(), 4)
    assert_kept(head, [1, 2, 3, 4], [0, 1, 2, 3])
    assert head.note == head.kept[-1].note


def test_batch_ending_on_a_kept_size_signs_once() -> None:
    head = appended(sealer(every=5), fresh(), 5)
    assert_kept(head, [5], [0])
    assert head.note == head.kept[0].note


def test_seal_keeps_one_when_seconds_passed() -> None:
    s = sealer(every=1000, seconds=60)
    head = fresh(at=1000)
    appended(s, head, 2, now=1059.9)
    assert head.kept == []
    assert head.checkpoint_at == 1000
    appended(s, head, 1, now=1060.0, start=3)
    assert_kept(head, [3], [0])
    assert (head.checkpoint_seq, head.checkpoint_at) == (3, 1060)
    appended(s, head, 1, now=1100.0, start=4)
    assert head.kept == []
    assert head.note is not None
    assert parse_checkpoint(head.note).prev == 3
    appended(s, head, 1, now=1120.5, start=5)
    assert_kept(head, [5], [3])


def test_seal_keeps_one_when_asked() -> None:
    s = sealer(every=1000, seconds=3600)
    head = fresh()
    s.trust(head)
    head.add(body(1))
    s.extended(head, 0)
    s.seal(head, 0, keep=True)
    assert_kept(head, [1], [0])


def test_time_and_count_together() -> None:
    s = sealer(every=4, seconds=60)
    head = fresh(at=0)
    appended(s, head, 2, now=10)  # neither due
    appended(s, head, 1, now=70, start=3)  # due by time at 3
    appended(s, head, 5, now=80, start=4)  # due by count at 7 (3 + 4)
    assert_kept(head, [7], [3])
    assert head.note is not None
    assert parse_checkpoint(head.note).prev == 7


def test_kept_notes_verify_with_the_ring_at_their_time() -> None:
    head = appended(sealer(every=2), fresh(), 4)
    for c in head.kept:
        checked, problem = verified_checkpoint(c.note, RING)
        assert problem is None
        assert checked.time.endswith("Z")
        assert len(checked.time) == len(TIME)


def test_signed_note_matches_sign_checkpoint() -> None:
    head = appended(sealer(), fresh(), 3)
    assert head.note is not None
    note = parse_checkpoint(head.note)
    again = sign_checkpoint(OURS, WS, 3, root_at(3), chain_at(3), 0, note.time)
    assert again.note == head.note  # Ed25519 is deterministic


@pytest.mark.parametrize(
    ("every", "runs"), [(1000, [5]), (3, [1, 7, 2, 3]), (4, [4, 4, 9]), (1, [3])]
)
def test_extend_is_add_then_extended_each(every: int, runs: list[int]) -> None:
    """A batch added at once (the tree a run at a time) gives the hashes, the tree, the
    chain and the kept checkpoints of adding its entries one by one."""
    one_by_one, at_once = sealer(every=every), sealer(every=every)
    a, b = fresh(), fresh()
    n = 0
    for run in runs:
        bodies = [body(n + i) for i in range(run)]
        n += run
        a.kept, b.kept = [], []
        expected = []
        for item in bodies:
            leaf, chained = a.add(item)
            one_by_one.extended(a, 0.0)
            expected.append((bytes.fromhex(leaf), bytes.fromhex(chained)))
        assert at_once.extend(b, bodies, 0.0) == expected
        assert b.state()[:3] == a.state()[:3]
        assert [(c.size, c.root) for c in b.kept] == [(c.size, c.root) for c in a.kept]
        assert b.checkpoint_seq == a.checkpoint_seq
    assert b.frontier.root() == root_of([leaf_hash(body(i)) for i in range(n)])
