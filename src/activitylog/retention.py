"""Purging by retention: what a purge removes, and the record that accounts for it.

A purge removes the oldest entries of a workspace's log: a prefix ``first..last`` of its
seqs, where ``last`` is the size of a kept checkpoint (so the tree the purge leaves behind
starts from a signed state) and every entry up to it is older than the cut-off. Before
anything is removed, the log appends an ``activity_log.purged`` record stating the range,
the count, the cut-off, the archive written (name and SHA-256), and the tree's frontier
and chain hash at ``last``. Verify starts each workspace from its latest such record:
every seq before it is accounted for by a signed record, and the frontier it states is
held to the checkpoint kept at ``last``, so a purge without its record reads as entries
missing, as any other deletion of rows does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from activitylog.merkle import Frontier

PURGE_ACTION = "activity_log.purged"


@dataclass(frozen=True)
class ArchiveRef:
    """Where a purge's entries were archived before they were removed."""

    name: str
    sha256: str


@dataclass(frozen=True)
class PurgePlan:
    """What one purge of a workspace removes: entries ``first..last`` (tombstones
    included), all older than ``cutoff_us``; ``last`` is the size of a kept checkpoint."""

    workspace: str
    first: int
    last: int
    count: int
    cutoff_us: int

    @property
    def entries(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class PurgeStart:
    """Where a workspace's log begins after purges: the last seq removed, the chain hash
    and the tree's frontier at that seq, as the purge record states them."""

    record_seq: int
    first: int
    last: int
    chain: bytes
    frontier: Frontier


def record_details(
    plan: PurgePlan, frontier: Frontier, chain: bytes, archive: ArchiveRef | None, cutoff: str
) -> dict[str, Any]:
    """The ``details`` of a purge record."""
    return {
        "first_seq": plan.first,
        "last_seq": plan.last,
        "count": plan.count,
        "cutoff": cutoff,
        "archive": None if archive is None else {"name": archive.name, "sha256": archive.sha256},
        "chain_hash": chain.hex(),
        "frontier": [node.hex() for node in frontier.hashes],
    }


def purge_start(record_seq: int, body: bytes) -> PurgeStart:
    """The start a purge record at ``record_seq`` states; ValueError when ``body`` is not
    a well-formed purge record."""
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ValueError("the purge record is not JSON") from None
    details = event.get("details") if isinstance(event, dict) else None
    if event.get("action") != PURGE_ACTION or not isinstance(details, dict):
        raise ValueError("the entry is not a purge record")
    first, last = details.get("first_seq"), details.get("last_seq")
    nodes, chain = details.get("frontier"), details.get("chain_hash")
    if not (isinstance(first, int) and isinstance(last, int) and 0 < first <= last):
        raise ValueError("the purge record's seq range is malformed")
    if last >= record_seq:
        raise ValueError("the purge record comes before the entries it removed")
    try:
        frontier = Frontier(last, [bytes.fromhex(node) for node in nodes or ()])
        chain_bytes = bytes.fromhex(chain) if isinstance(chain, str) else b""
    except (TypeError, ValueError):
        raise ValueError("the purge record's frontier or chain hash is malformed") from None
    if len(chain_bytes) != 32 or any(len(node) != 32 for node in frontier.hashes):
        raise ValueError("the purge record's frontier or chain hash is malformed")
    return PurgeStart(record_seq, first, last, chain_bytes, frontier)
