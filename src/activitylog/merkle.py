"""RFC 9162 Merkle trees over a workspace's entries (section 2.1), and their proofs.

Leaf ``i`` (0-based; the entry with seq ``i + 1``) has the entry's body as its data, so
its leaf hash is the entry's content hash::

    content_hash = leaf_hash(body) = SHA-256(0x00 || body)
    node(l, r)   = SHA-256(0x01 || l || r)
    MTH({})      = SHA-256("")

A deleted entry keeps its content hash, so the tree still covers it.

A tree grows through its *frontier*: the roots of the perfect subtrees its size is made
of, largest (leftmost) first, one per set bit of the size. Appending a leaf merges equal
subtrees like a binary counter, so a writer keeps ``O(log n)`` hashes and never rereads
old leaves. Everything here is pure and takes raw 32-byte digests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF = b"\x00"
_NODE = b"\x01"
#: Hash states that have taken the prefix already: copying one costs less than setting up
#: a new SHA-256 (and the prefix is not concatenated to every body).
_LEAF_STATE = hashlib.sha256(_LEAF)
_NODE_STATE = hashlib.sha256(_NODE)


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162's hash of a leaf's data: for an entry, its body (its content hash)."""
    return hashlib.sha256(_LEAF + data).digest()


def leaf_hashes(items: Iterable[bytes]) -> list[bytes]:
    """:func:`leaf_hash` of each item (verify's and a batch append's hot loop)."""
    start = _LEAF_STATE.copy
    hashes: list[bytes] = []
    append = hashes.append
    for data in items:
        state = start()
        state.update(data)
        append(state.digest())
    return hashes


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE + left + right).digest()


class Frontier:
    """An append-only tree reduced to its perfect subtrees' roots."""

    __slots__ = ("_hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} subtree roots")
        self.size = size
        self._hashes = list(hashes)

    @classmethod
    def from_bytes(cls, size: int, packed: bytes) -> Frontier:
        count = len(packed) // HASH_SIZE
        if len(packed) % HASH_SIZE:
            raise ValueError("a frontier is a whole number of 32-byte hashes")
        return cls(size, [packed[i * HASH_SIZE : (i + 1) * HASH_SIZE] for i in range(count)])

    @property
    def hashes(self) -> list[bytes]:
        """The subtree roots, largest first (the live list: appending changes it)."""
        return self._hashes

    def to_bytes(self) -> bytes:
        return b"".join(self._hashes)

    def copy(self) -> Frontier:
        return Frontier(self.size, self._hashes)

    def append(self, leaf: bytes) -> None:
        """Add one leaf by its hash (an entry's raw content hash)."""
        hashes = self._hashes
        size = self.size
        sha = hashlib.sha256
        while size & 1:
            leaf = sha(_NODE + hashes.pop() + leaf).digest()
            size >>= 1
        hashes.append(leaf)
        self.size += 1

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Add many leaves at once: the same tree as appending them one by one, built a
        level at a time (a writer's batch, verify's chunks)."""
        hashes, size, start = self._hashes, self.size, _NODE_STATE.copy
        nodes = list(leaves)
        leftovers: list[bytes] = []
        level = 0
        while nodes:
            if (size >> level) & 1:  # the subtree of this height left of the new nodes
                nodes.insert(0, hashes.pop())
            if len(nodes) & 1:
                leftovers.append(nodes.pop())
            pairs = iter(nodes)
            nodes = []
            append = nodes.append
            for left, right in zip(pairs, pairs, strict=True):
                state = start()
                state.update(left + right)
                append(state.digest())
            level += 1
        hashes.extend(reversed(leftovers))
        self.size += len(leaves)

    def root(self) -> bytes:
        """MTH of the leaves so far."""
        if not self._hashes:
            return EMPTY_ROOT
        hashes = self._hashes
        root = hashes[-1]
        for left in reversed(hashes[:-1]):
            root = node_hash(left, root)
        return root


def root_of(leaves: Iterable[bytes]) -> bytes:
    """MTH of the leaves with these hashes."""
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


# -- proofs (RFC 9162 2.1.3 and 2.1.4) ------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """Leaves ``[start, end)``: a proof step is the MTH of such a range."""

    start: int
    end: int


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_spans(index: int, size: int) -> list[Span]:
    """The ranges whose MTHs make the audit path of leaf ``index`` in a tree of ``size``,
    in proof order (RFC 9162 PATH(m, D[n]))."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    spans: list[Span] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = _split(end - start)
        if m < k:
            spans.append(Span(start + k, end))
            end = start + k
        else:
            spans.append(Span(start, start + k))
            start, m = start + k, m - k
    spans.reverse()
    return spans


def consistency_spans(old_size: int, new_size: int) -> list[Span]:
    """The ranges whose MTHs make the consistency proof from ``old_size`` to ``new_size``
    (RFC 9162 PROOF(m, D[n]) = SUBPROOF(m, D[n], true)), in proof order."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size}")
    spans: list[Span] = []
    start, end, m, whole = 0, new_size, old_size, True
    while True:
        n = end - start
        if m == n:
            if not whole:
                spans.append(Span(start, end))
            break
        k = _split(n)
        if m <= k:
            spans.append(Span(start + k, end))
            end = start + k
        else:
            spans.append(Span(start, start + k))
            start, m, whole = start + k, m - k, False
    spans.reverse()
    return spans


def span_roots(
    spans: Sequence[Span], leaves: Iterable[tuple[int, bytes]], base: Frontier | None = None
) -> list[bytes]:
    """The MTH of each span (spans may overlap), from ``(leaf index, leaf hash)`` pairs in
    index order: one pass, ``O(log n)`` memory; leaves outside every span are skipped.

    With ``base`` (the frontier of a prefix whose leaves are gone: a purged log), the
    leaves start at ``base.size`` and a span reaching into the prefix must be made of
    ``base``'s subtrees there (every span of a proof about the leaves after it is);
    ValueError otherwise."""
    active: list[tuple[int, Frontier]] = []
    roots: list[bytes] = [EMPTY_ROOT] * len(spans)
    later = list(range(len(spans)))
    if base is not None and base.size:
        later = [i for i in later if spans[i].start >= base.size]
        for i in sorted(set(range(len(spans))) - set(later)):
            prefix = _prefix_of(spans[i], base)
            if spans[i].end <= base.size:
                roots[i] = prefix.root()
            else:
                active.append((i, prefix))
    waiting = sorted(later, key=lambda i: spans[i].start, reverse=True)
    for index, leaf in leaves:
        while waiting and spans[waiting[-1]].start <= index:
            active.append((waiting.pop(), Frontier()))
        if not active:
            if not waiting:
                break
            continue
        still = []
        for i, frontier in active:
            frontier.append(leaf)
            if index + 1 >= spans[i].end:
                roots[i] = frontier.root()
            else:
                still.append((i, frontier))
        active = still
    for i, frontier in active:  # fewer leaves than the spans asked for
        roots[i] = frontier.root()
    return roots


def _subtrees(tree: Frontier) -> list[tuple[int, int, bytes]]:
    """``(start, end, root)`` of each perfect subtree a frontier holds, left to right."""
    out = []
    start = 0
    heights = (h for h in range(tree.size.bit_length() - 1, -1, -1) if tree.size >> h & 1)
    for height, node in zip(heights, tree.hashes, strict=True):
        out.append((start, start + (1 << height), node))
        start += 1 << height
    return out


def _prefix_of(span: Span, base: Frontier) -> Frontier:
    """The part of ``span`` inside ``base``'s prefix, as a tree made of its subtrees."""
    end = min(span.end, base.size)
    nodes = [(a, b, node) for a, b, node in _subtrees(base) if a >= span.start and b <= end]
    if not nodes or nodes[0][0] != span.start or nodes[-1][1] != end:
        raise ValueError(f"leaves {span.start}..{end - 1} are gone (purged)")
    return Frontier(end - span.start, [node for _, _, node in nodes])


def consistency_path(
    old: Frontier, new_size: int, later: Iterable[tuple[int, bytes]]
) -> list[bytes]:
    """The consistency proof from ``old`` (a tree's frontier) to the tree of ``new_size``
    that extends it, given only the leaves after it (``(index, leaf hash)`` in order): the
    proof's nodes inside the old tree are subtrees of its frontier."""
    nodes = {(start, end): node for start, end, node in _subtrees(old)}
    spans = consistency_spans(old.size, new_size)
    later_spans = [span for span in spans if span.start >= old.size]
    roots = dict(zip(later_spans, span_roots(later_spans, later), strict=True))
    return [
        roots[span] if span.start >= old.size else nodes[(span.start, span.end)] for span in spans
    ]


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root an audit path leads to (RFC 9162 2.1.3.2); ValueError when malformed."""
    if not 0 <= index < size:
        raise ValueError("leaf index is outside the tree")
    fn, sn = index, size - 1
    root = leaf
    for sibling in path:
        if sn == 0:
            raise ValueError("audit path is too long")
        if fn & 1 or fn == sn:
            root = node_hash(sibling, root)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            root = node_hash(root, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("audit path is too short")
    return root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: does ``path`` prove the tree of ``new_size`` extends the old one?"""
    if old_size == new_size:
        return old_root == new_root and not path
    if not 0 < old_size < new_size:
        return False
    if not path:
        return False
    proof = list(path)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        proof.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
