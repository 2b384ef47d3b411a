"""merkle: RFC 9162 trees, checked against the RFC's recursive definitions and pinned
vectors.

The reference below is section 2.1 read literally (MTH, PATH, PROOF/SUBPROOF) over leaf
*data*, written for clarity, not speed; the module under test takes leaf *hashes*
(``leaf_hash(data)``: for an entry, its content hash). Golden vectors pin the format:
the RFC 6962 reference vectors of Certificate Transparency (same hashing as RFC 9162),
and roots over the data ``b"0".."9"`` (bodies) and ``sha256(b"0")..sha256(b"9")``,
cross-checked once with pymerkle 7.0.0 (leaf prefix 0x00, node prefix 0x01,
``InmemoryTree(algorithm="sha256").append_entry(data)``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activitylog import chain
from activitylog.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    Frontier,
    Span,
    consistency_spans,
    inclusion_spans,
    leaf_hash,
    node_hash,
    root_from_inclusion,
    root_of,
    span_roots,
    verify_consistency,
)

content_hash = leaf_hash  # an entry's content hash is the leaf hash of its body

# -- the RFC, literally --------------------------------------------------------------------


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: Sequence[bytes]) -> bytes:
    """RFC 9162 2.1.1 MTH over leaf *data* (here: content digests)."""
    n = len(leaves)
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + leaves[0])
    k = _k(n)
    return _sha(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH(m, D[n])."""
    n = len(leaves)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true)."""
    return _subproof(m, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = _k(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], whole), mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def digests(n: int, salt: str = "") -> list[bytes]:
    """``n`` pieces of leaf data (32 bytes each, like bodies' digests)."""
    return [_sha(f"{salt}{i}".encode()) for i in range(n)]


def hashed(data: Sequence[bytes]) -> list[bytes]:
    return [leaf_hash(d) for d in data]


def frontier_of(data: Sequence[bytes]) -> Frontier:
    frontier = Frontier()
    for d in data:
        frontier.append(leaf_hash(d))
    return frontier


def path_of(index: int, data: Sequence[bytes]) -> list[bytes]:
    return span_roots(inclusion_spans(index, len(data)), enumerate(hashed(data)))


def proof_of(old: int, data: Sequence[bytes]) -> list[bytes]:
    return span_roots(consistency_spans(old, len(data)), enumerate(hashed(data)))


LEAVES_70 = digests(70)
LEAVES_40 = LEAVES_70[:40]

# -- golden vectors ------------------------------------------------------------------------

#: RFC 6962 reference leaf inputs and roots (Certificate Transparency test data).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
#: The perfect subtrees (frontier) of the CT trees, by size.
CT_FRONTIERS = {
    3: [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    ],
    7: [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    ],
}
#: (leaf index, tree size) -> audit path.
CT_INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (1, 5): [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}
#: (old size, new size) -> consistency proof.
CT_CONSISTENCY = {
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
    (6, 7): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}

#: Roots of the trees over the data sha256(b"0")..sha256(b"n-1") (pymerkle 7.0.0 agrees).
DIGIT_ROOTS = {
    1: "13a77175e35eb1d9da91ee14df0d7772cea71289800206e2b45c882ecb06efbf",
    2: "bbb441530bdded54e6e2bfcdc829819ff39b30768eb9f023071dffc16b410f10",
    3: "8be871f13785b4c81a1700459c76ac2b3ae2caebb7876c376e223c6adff98c47",
    4: "626635eec4e2fa4a75475a0f1d633dbee55b6783247c108b9a12dcc60f13836e",
    5: "4e23fb40d8876f1299cca9b3c28432a01b11d1a20126606914612892ff2e09a7",
    7: "5653c4ab2514ccd6ea4f0159702d2aba901f2562aa75abcff5a19e344bee038f",
    8: "da17ac5d45a1b0c50260c7e411bf342ba2a41c9c824bb3b6404e5330a585a057",
    9: "17b79b3c5a50a0a7ef06b2dda6828a9f42288d93d7436ab078c29127c4359b3f",
    10: "8a5286c6ae4d7872c453bc1592fd10ed5fd0e34bd7ba9d4905a1ae2259af87f0",
}
#: Roots of the trees over the data b"0".."n-1", as bodies are leaf data (pymerkle agrees).
BODY_ROOTS = {
    1: "db3426e878068d28d269b6c87172322ce5372b65756d0789001d34835f601c03",
    2: "cb00989d94a569c0a678ae042b63dcd4625db96440517f37a6eb7976ea24ed4b",
    3: "725d5230db68f557470dc35f1d8865813acd7ebb07ad152774141decbae71327",
    4: "9f4a3fc20d4162dc37d4e23d907848731a76043ffff6d69288bf1abfbcff478e",
    5: "b6748f6ed7a99de7da84fd97e1a3bac6fab8999f4a43695cab9528a2de431147",
    7: "a3e23b32ccb6bf96d092d165d8aa546e09829de8f03b0e8957581d1e16b92bdf",
    8: "3b85a9626c1ccb64c6b95ec7fa64888defe2cf12e39e77e10812ce5fcb9cb58e",
    9: "e10cb99e8a9c48ae8a25e6c37ab3c88e6c93e8cf2a62cf7e4dcac1ea597e77d4",
    10: "2f03f203d1fa3a6e1388fa4cb5187c3b4f94762e578e0106815140e6a8c6bd21",
}


def test_hashing_primitives() -> None:
    assert HASH_SIZE == 32
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]
    assert leaf_hash(b"").hex() == CT_ROOTS[1]
    assert node_hash(leaf_hash(b""), leaf_hash(b"\x00")).hex() == CT_ROOTS[2]


@pytest.mark.parametrize("size", range(len(CT_ROOTS)))
def test_ct_reference_roots(size: int) -> None:
    leaves = CT_LEAVES[:size]
    assert frontier_of(leaves).root().hex() == CT_ROOTS[size]
    assert root_of(hashed(leaves)).hex() == CT_ROOTS[size]
    assert mth(leaves).hex() == CT_ROOTS[size]  # the reference agrees with the vectors


@pytest.mark.parametrize("size", sorted(CT_FRONTIERS))
def test_ct_reference_frontiers(size: int) -> None:
    packed = frontier_of(CT_LEAVES[:size]).to_bytes()
    assert packed == b"".join(bytes.fromhex(h) for h in CT_FRONTIERS[size])


@pytest.mark.parametrize(("index", "size"), sorted(CT_INCLUSION))
def test_ct_reference_inclusion(index: int, size: int) -> None:
    leaves = CT_LEAVES[:size]
    expected = [bytes.fromhex(h) for h in CT_INCLUSION[index, size]]
    assert path_of(index, leaves) == expected
    root = bytes.fromhex(CT_ROOTS[size])
    assert root_from_inclusion(index, size, leaf_hash(leaves[index]), expected) == root


@pytest.mark.parametrize(("old", "new"), sorted(CT_CONSISTENCY))
def test_ct_reference_consistency(old: int, new: int) -> None:
    expected = [bytes.fromhex(h) for h in CT_CONSISTENCY[old, new]]
    assert proof_of(old, CT_LEAVES[:new]) == expected
    old_root, new_root = bytes.fromhex(CT_ROOTS[old]), bytes.fromhex(CT_ROOTS[new])
    assert verify_consistency(old, new, old_root, new_root, expected)


@pytest.mark.parametrize("size", sorted(DIGIT_ROOTS))
def test_digit_digest_roots(size: int) -> None:
    leaves = [_sha(str(i).encode()) for i in range(size)]
    assert frontier_of(leaves).root().hex() == DIGIT_ROOTS[size]
    assert mth(leaves).hex() == DIGIT_ROOTS[size]


@pytest.mark.parametrize("size", sorted(BODY_ROOTS))
def test_body_roots(size: int) -> None:
    bodies = [str(i).encode() for i in range(size)]
    assert root_of(content_hash(b) for b in bodies) == bytes.fromhex(BODY_ROOTS[size])
    assert mth(bodies).hex() == BODY_ROOTS[size]


def test_an_entrys_content_hash_is_its_leaf_hash() -> None:
    body = b'{"action":"contact.updated"}'
    assert content_hash(body) == _sha(b"\x00" + body) == leaf_hash(body)
    assert chain.content_hash(body) == leaf_hash(body).hex()
    one = Frontier()
    one.append(leaf_hash(body))
    assert one.root() == leaf_hash(body)  # a tree of one leaf: its root is the leaf hash
    assert Frontier(0).root() == EMPTY_ROOT


# -- Frontier ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", range(71))
def test_frontier_root_matches_mth(size: int) -> None:
    leaves = LEAVES_70[:size]
    frontier = frontier_of(leaves)
    assert frontier.size == size
    assert frontier.root() == mth(leaves)
    assert root_of(hashed(leaves)) == mth(leaves)
    assert len(frontier.to_bytes()) == HASH_SIZE * size.bit_count()


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=71, max_value=3000), st.text(max_size=4))
def test_frontier_root_matches_mth_large(size: int, salt: str) -> None:
    leaves = digests(size, salt)
    assert frontier_of(leaves).root() == mth(leaves)


def test_frontier_hashes_are_the_perfect_subtrees() -> None:
    frontier = frontier_of(LEAVES_40[:13])  # 13 = 8 + 4 + 1
    assert frontier.to_bytes() == mth(LEAVES_40[:8]) + mth(LEAVES_40[8:12]) + mth(LEAVES_40[12:13])


@pytest.mark.parametrize("size", [0, 1, 2, 3, 7, 8, 21, 64, 70])
def test_frontier_bytes_round_trip_and_resume(size: int) -> None:
    frontier = frontier_of(LEAVES_70[:size])
    restored = Frontier.from_bytes(size, frontier.to_bytes())
    assert restored.size == size
    assert restored.root() == frontier.root()
    # a writer resumes from the stored frontier and reaches the same tree
    for d in LEAVES_70[size:]:
        restored.append(leaf_hash(d))
    assert restored.root() == mth(LEAVES_70)


def test_frontier_extend_equals_appending_one_by_one() -> None:
    leaves = hashed(LEAVES_70)
    for before in range(0, 40):
        for count in range(0, 31):
            one_by_one = frontier_of(LEAVES_70[:before])
            batched = frontier_of(LEAVES_70[:before])
            for leaf in leaves[before : before + count]:
                one_by_one.append(leaf)
            batched.extend(leaves[before : before + count])
            assert batched.size == before + count
            assert batched.to_bytes() == one_by_one.to_bytes(), (before, count)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=700), min_size=1, max_size=6))
def test_frontier_extend_in_batches(batches: list[int]) -> None:
    data = digests(sum(batches))
    frontier, start = Frontier(), 0
    for count in batches:
        frontier.extend(hashed(data[start : start + count]))
        start += count
        assert frontier.root() == mth(data[:start])
    assert frontier.hashes == [
        frontier.to_bytes()[i : i + HASH_SIZE] for i in range(0, len(frontier.to_bytes()), 32)
    ]


def test_frontier_copy_is_independent() -> None:
    frontier = frontier_of(LEAVES_40[:5])
    copy = frontier.copy()
    copy.append(leaf_hash(LEAVES_40[5]))
    assert frontier.size == 5
    assert frontier.root() == mth(LEAVES_40[:5])
    assert copy.root() == mth(LEAVES_40[:6])


@pytest.mark.parametrize(("size", "count"), [(0, 1), (1, 0), (3, 1), (4, 2), (7, 2), (8, 0)])
def test_frontier_refuses_wrong_hash_count(size: int, count: int) -> None:
    with pytest.raises(ValueError, match="subtree roots"):
        Frontier(size, [bytes(32)] * count)
    with pytest.raises(ValueError, match="subtree roots"):
        Frontier.from_bytes(size, bytes(32 * count))


@pytest.mark.parametrize("length", [1, 31, 33, 63])
def test_frontier_refuses_partial_hashes(length: int) -> None:
    with pytest.raises(ValueError, match="32-byte"):
        Frontier.from_bytes(1, bytes(length))


# -- inclusion -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", range(1, 41))
def test_inclusion_every_leaf(size: int) -> None:
    leaves = LEAVES_40[:size]
    root = mth(leaves)
    for index in range(size):
        audit = path_of(index, leaves)
        assert audit == path(index, leaves), (index, size)
        assert root_from_inclusion(index, size, leaf_hash(leaves[index]), audit) == root


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_inclusion_large(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=41, max_value=2500))
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    leaves = digests(size)
    audit = path_of(index, leaves)
    assert audit == path(index, leaves)
    assert root_from_inclusion(index, size, leaf_hash(leaves[index]), audit) == mth(leaves)


def _flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 8]) + h[1:]


@pytest.mark.parametrize(("index", "size"), [(0, 1), (0, 8), (5, 8), (2, 3), (1, 5), (12, 21)])
def test_inclusion_tampering_refused(index: int, size: int) -> None:
    leaves = LEAVES_40[:size]
    root, leaf = mth(leaves), leaf_hash(leaves[index])
    audit = path_of(index, leaves)

    def accepted(i: int, n: int, lf: bytes, p: Sequence[bytes], r: bytes) -> bool:
        try:
            return root_from_inclusion(i, n, lf, p) == r
        except ValueError:
            return False

    assert accepted(index, size, leaf, audit, root)
    probes: list[tuple[int, int, bytes, list[bytes], bytes]] = [
        (index - 1, size, leaf, audit, root),
        (index + 1, size, leaf, audit, root),
        (index ^ 2, size, leaf, audit, root),
        (index, size * 2, leaf, audit, root),
        (index, size // 2, leaf, audit, root),
        (index, size, leaf_hash(b"wrong leaf"), audit, root),
        (index, size, leaves[index], audit, root),  # the digest, not its leaf hash
        (index, size, leaf, audit, EMPTY_ROOT),
        (index, size, leaf, [*audit, b""], root),
        (index, size, leaf, [*audit, root], root),
        (index, size, leaf, [b"", *audit], root),
        (index, size, leaf, [root, *audit], root),
    ]
    for i in range(len(audit)):
        probes.append((index, size, leaf, [*audit[:i], _flip(audit[i]), *audit[i + 1 :]], root))
    if audit:
        probes.append((index, size, leaf, audit[:-1], root))
    if len(audit) > 1:
        probes.append((index, size, leaf, [audit[0], _sha(b"x"), *audit[1:]], root))
    for probe in probes:
        assert not accepted(*probe), probe[:2]


def test_inclusion_malformed_arguments() -> None:
    with pytest.raises(ValueError, match="outside"):
        root_from_inclusion(3, 3, bytes(32), [])
    with pytest.raises(ValueError, match="outside"):
        root_from_inclusion(-1, 3, bytes(32), [])
    with pytest.raises(ValueError, match="too long"):
        root_from_inclusion(0, 1, bytes(32), [bytes(32)])
    with pytest.raises(ValueError, match="too short"):
        root_from_inclusion(0, 2, bytes(32), [])
    for index, size in [(0, 0), (1, 1), (-1, 5), (5, 5)]:
        with pytest.raises(ValueError, match="not in a tree"):
            inclusion_spans(index, size)


# -- consistency ---------------------------------------------------------------------------


def test_consistency_all_pairs_up_to_40() -> None:
    for new in range(1, 41):
        leaves = LEAVES_40[:new]
        new_root = mth(leaves)
        for old in range(1, new + 1):
            got = proof_of(old, leaves)
            assert got == proof(old, leaves), (old, new)
            assert verify_consistency(old, new, mth(leaves[:old]), new_root, got), (old, new)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_consistency_large(data: st.DataObject) -> None:
    new = data.draw(st.integers(min_value=41, max_value=2500))
    old = data.draw(st.integers(min_value=1, max_value=new))
    leaves = digests(new)
    got = proof_of(old, leaves)
    assert got == proof(old, leaves)
    assert verify_consistency(old, new, mth(leaves[:old]), mth(leaves), got)


@pytest.mark.parametrize(("old", "new"), [(1, 2), (1, 8), (6, 8), (2, 5), (6, 7), (3, 7), (13, 40)])
def test_consistency_tampering_refused(old: int, new: int) -> None:
    leaves = LEAVES_40[:new]
    r1, r2 = mth(leaves[:old]), mth(leaves)
    good = proof_of(old, leaves)
    assert verify_consistency(old, new, r1, r2, good)
    probes: list[tuple[int, int, bytes, bytes, list[bytes]]] = [
        (old - 1, new, r1, r2, good),
        (old + 1, new, r1, r2, good),
        (old ^ 2, new, r1, r2, good),
        (old, new * 2, r1, r2, good),
        (old, new // 2, r1, r2, good),
        (old, new, b"WrongRoot", r2, good),
        (old, new, r1, b"WrongRoot", good),
        (old, new, r2, r1, good),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*good, b""]),
        (old, new, r1, r2, [*good, r1]),
        (old, new, r1, r2, [*good, r2]),
        (old, new, r1, r2, [b"", *good]),
        (old, new, r1, r2, [r1, *good]),
        (old, new, r1, r2, [r2, *good]),
        (old, new, r1, r2, [good[0], *good]),
        (old, new, r1, r2, good[:-1]),
        (old, new, mth(digests(old, "other")), r2, good),  # a different old tree
    ]
    for i in range(len(good)):
        probes.append((old, new, r1, r2, [*good[:i], _flip(good[i]), *good[i + 1 :]]))
    for probe in probes:
        assert not verify_consistency(*probe), probe[:2]


def test_consistency_edge_sizes() -> None:
    root = mth(LEAVES_40[:5])
    assert verify_consistency(5, 5, root, root, [])
    assert not verify_consistency(5, 5, root, EMPTY_ROOT, [])
    assert not verify_consistency(5, 5, root, root, [root])
    assert not verify_consistency(6, 5, root, root, [root])
    assert not verify_consistency(0, 5, EMPTY_ROOT, root, [root])
    assert not verify_consistency(-1, 5, EMPTY_ROOT, root, [root])
    for old, new in [(0, 0), (0, 3), (4, 3), (-1, 2)]:
        with pytest.raises(ValueError, match="no consistency proof"):
            consistency_spans(old, new)
    assert consistency_spans(7, 7) == []


def test_consistency_refuses_a_rewritten_prefix() -> None:
    leaves = LEAVES_40[:20]
    forged = [*leaves[:5], _sha(b"forged"), *leaves[6:]]
    old_root = mth(leaves[:12])
    # the proof from the forged tree cannot bridge the honest old root to it
    assert not verify_consistency(12, 20, old_root, mth(forged), proof_of(12, forged))


# -- span_roots ----------------------------------------------------------------------------


def test_span_roots_overlapping_and_unordered() -> None:
    spans = [
        Span(0, 40),
        Span(3, 17),
        Span(0, 1),
        Span(16, 32),
        Span(3, 17),  # a duplicate
        Span(10, 11),
        Span(0, 16),
        Span(39, 40),
        Span(5, 38),
    ]
    got = span_roots(spans, enumerate(hashed(LEAVES_40)))
    assert got == [mth(LEAVES_40[s.start : s.end]) for s in spans]


def test_span_roots_from_a_suffix_of_leaves() -> None:
    spans = [Span(20, 24), Span(22, 40)]
    pairs = [(i, leaf_hash(LEAVES_40[i])) for i in range(18, 40)]
    assert span_roots(spans, pairs) == [mth(LEAVES_40[20:24]), mth(LEAVES_40[22:40])]


def test_span_roots_stops_reading_after_the_last_span() -> None:
    read: list[int] = []

    def pairs() -> Iterator[tuple[int, bytes]]:
        for i, d in enumerate(LEAVES_40):
            read.append(i)
            yield i, leaf_hash(d)

    got = span_roots([Span(2, 4)], pairs())
    assert got == [mth(LEAVES_40[2:4])]
    assert max(read) <= 5


def test_span_roots_short_input_and_no_spans() -> None:
    assert span_roots([], enumerate(hashed(LEAVES_40))) == []
    # fewer leaves than asked for: the root of what there is
    assert span_roots([Span(0, 50)], enumerate(hashed(LEAVES_40))) == [mth(LEAVES_40)]
    assert span_roots([Span(0, 4)], iter([])) == [EMPTY_ROOT]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 69), st.integers(1, 70)).filter(lambda t: t[0] < t[1]),
        max_size=12,
    )
)
def test_span_roots_random(bounds: list[tuple[int, int]]) -> None:
    spans = [Span(a, b) for a, b in bounds]
    got = span_roots(spans, enumerate(hashed(LEAVES_70)))
    assert got == [mth(LEAVES_70[a:b]) for a, b in bounds]


# -- a purged prefix: proofs from its frontier and the leaves after it ---------------------


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_span_roots_from_a_purged_prefix_match_the_full_tree(data: st.DataObject) -> None:
    size = data.draw(st.integers(2, 150))
    purged = data.draw(st.integers(1, size - 1))
    index = data.draw(st.integers(purged, size - 1))
    leaves = [content_hash(bytes([i % 256, i // 256])) for i in range(size)]
    base = Frontier()
    base.extend(leaves[:purged])
    spans = inclusion_spans(index, size)
    after = [(i, leaves[i]) for i in range(purged, size)]
    assert span_roots(spans, after, base) == span_roots(spans, enumerate(leaves))
    old = data.draw(st.integers(purged, size))
    spans = [Span(0, old), Span(0, size), *consistency_spans(old, size)]
    assert span_roots(spans, after, base) == span_roots(spans, enumerate(leaves))


def test_span_roots_refuse_a_span_inside_purged_leaves() -> None:
    base = Frontier()
    base.extend([content_hash(bytes([i])) for i in range(6)])  # subtrees [0,4) and [4,6)
    with pytest.raises(ValueError, match="purged"):
        span_roots([Span(2, 4)], [], base)
    assert span_roots([Span(0, 4)], [], base) == [base.hashes[0]]
