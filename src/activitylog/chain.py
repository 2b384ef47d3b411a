"""A workspace's log as hashes and rows: the chain, and what verification reads.

``content_hash = SHA-256(0x00 || body)`` where ``body`` is the event's canonical JSON: the
RFC 9162 leaf hash of the body in the workspace's Merkle tree (:mod:`activitylog.merkle`);
``chain_hash[n] = SHA-256(chain_hash[n-1] || content_hash[n])`` over raw digests, with 32
zero bytes before seq 1. Hashes are written as lowercase hex (roots in notes as base64).

A store hands verification its entries as :data:`Row` tuples (or :class:`LiveChunk`
chunks) and its head as a :class:`Head`; :mod:`activitylog.workspace_check` checks them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any, Protocol, runtime_checkable

#: The action of a deletion record: the entry that says which ids were erased, by whom.
DELETION_ACTION = "activity_log.deleted"


def content_hash(body: bytes) -> str:
    """An entry's content hash: the RFC 9162 leaf hash of its body, hex."""
    return hashlib.sha256(b"\x00" + body).hexdigest()


def link(previous_chain_hash: str, this_content_hash: str) -> str:
    """The chain hash of an entry given its predecessor's chain hash."""
    return hashlib.sha256(
        bytes.fromhex(previous_chain_hash) + bytes.fromhex(this_content_hash)
    ).hexdigest()


#: What a deletion record says of each id it names: ``(deleted_by, reason, deleted_at)``.
Said = tuple[object, object, object]

#: A row as verification reads it: seq, body (None for a tombstone), content hash, chain
#: hash, and the id of a tombstone (None for a live entry).
Row = tuple[int, bytes | None, str, str, str | None]


class LiveChunk:
    """Consecutive live entries whose stored hashes were not read, as a store reads them
    for verification: the rows as fetched (seq first) and their decoded bodies. The scan
    takes the bodies as they are; iterated, it gives :data:`Row` tuples."""

    __slots__ = ("_fetched", "bodies")

    def __init__(self, fetched: Sequence[Sequence[Any]], bodies: list[bytes]) -> None:
        self._fetched = fetched
        self.bodies = bodies

    @property
    def first(self) -> int:
        return int(self._fetched[0][0])

    @property
    def last(self) -> int:
        return int(self._fetched[-1][0])

    def __len__(self) -> int:
        return len(self.bodies)

    def __iter__(self) -> Iterator[Row]:
        nothing: Iterator[Any] = repeat(None)
        seqs = map(itemgetter(0), self._fetched)
        return zip(seqs, self.bodies, nothing, nothing, nothing, strict=False)


@runtime_checkable
class RowChunks(Protocol):
    """Rows that can also be read a list at a time (a store's stream of a snapshot)."""

    def __iter__(self) -> Iterator[Row]: ...

    def chunks(self) -> Iterator[list[Row] | LiveChunk]:
        """The rows in lists of up to a few thousand (read one way only)."""
        ...


@dataclass(frozen=True)
class Head:
    """A workspace's head row: the newest seq and chain hash, the tree's frontier and the
    signed note of the last append."""

    seq: int
    chain_hash: str
    frontier: bytes
    note: str | None
