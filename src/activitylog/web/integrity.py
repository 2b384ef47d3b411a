"""Integrity of one entry, for the detail panel: its own hash, its link to the previous
entry, and the chain from it up to the signed checkpoint that covers it.

Every append signs its head, so a signed note covers every entry: the first checkpoint
kept at or after the entry (at most ``checkpoint_every`` entries on), else the head's.
The note states the chain hash at its size, which commits to every entry before it, so
recomputing the chain from the entry's predecessor to the note proves the entry is the
one that was signed. The full check of a workspace is ``activitylog verify``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from activitylog.chain import GENESIS, Row, content_hash, link
from activitylog.client import ActivityLog
from activitylog.notes import parse_checkpoint, verified_checkpoint


@dataclass(frozen=True)
class EventIntegrity:
    seq: int
    #: The stored body hashes to the stored content hash (None: a deleted entry, whose
    #: content is erased and whose hashes are kept).
    content_ok: bool | None
    #: The chain hash links the previous entry to this one (None at seq 1: genesis).
    linked: bool | None
    #: The signed checkpoint that covers this entry.
    checkpoint_seq: int | None
    #: The checkpoint's signature verified (None when no key is available to check it).
    signature_ok: bool | None
    #: Everything above holds, and the chain recomputed from this entry reaches the
    #: checkpoint's signed chain hash.
    verified: bool


def check_event(log: ActivityLog, event: dict[str, Any]) -> EventIntegrity:
    workspace, seq = event["workspace"], int(event["seq"])
    store = log.store
    covering = store.covering(workspace, seq)
    last = covering[0] if covering else seq
    rows = store.entries_of(workspace, max(seq - 1, 1), last)
    by_seq = {row[0]: row for row in rows}
    this = by_seq.get(seq)
    if this is None:
        return EventIntegrity(seq, False, False, None, None, False)
    content_ok = None if this[1] is None else content_hash(this[1]) == this[2]
    previous = GENESIS if seq == 1 else (by_seq[seq - 1][3] if seq - 1 in by_seq else None)
    linked = None if previous is None else link(previous, this[2]) == this[3]
    if covering is None:
        return EventIntegrity(seq, content_ok, linked if seq > 1 else None, None, None, False)
    ring = log.key_ring()
    if ring is None:
        signature_ok, checkpoint = None, parse_checkpoint(covering[1])
    else:
        checkpoint, problem = verified_checkpoint(covering[1], ring)
        signature_ok = problem is None and checkpoint.origin == workspace
    reaches = previous is not None and _reaches(rows, seq, previous, checkpoint.chain_hash)
    verified = content_ok is not False and bool(linked) and reaches and signature_ok is not False
    return EventIntegrity(
        seq=seq,
        content_ok=content_ok,
        linked=linked if seq > 1 else None,
        checkpoint_seq=checkpoint.size,
        signature_ok=signature_ok,
        verified=verified,
    )


def _reaches(rows: list[Row], seq: int, previous: str, target: str) -> bool:
    """Walk the chain from ``seq`` recomputing each hash; True if it ends at ``target``."""
    head = previous
    expected = seq
    for row_seq, body, stored_content, stored_chain, _ in rows:
        if row_seq < seq:
            continue
        if row_seq != expected:
            return False
        digest = content_hash(body) if body is not None else stored_content
        if digest != stored_content:
            return False
        head = link(head, digest)
        if head != stored_chain:
            return False
        expected += 1
    return head == target
