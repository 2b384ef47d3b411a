"""Integrity of one entry, for the detail panel: its own hash, its link to the previous
entry, and the chain from it up to the signed checkpoint that covers it.

Checking one entry reads at most ``checkpoint_every`` entries (up to the next checkpoint,
or the head when none covers it yet), so it stays cheap on logs of any size. The full
check of a workspace is ``activitylog verify`` / ``GET /api/v1/verify``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from activitylog.chain import GENESIS, content_hash, link
from activitylog.client import ActivityLog
from activitylog.signing import Checkpoint


@dataclass(frozen=True)
class EventIntegrity:
    seq: int
    #: The stored body hashes to the stored content hash.
    content_ok: bool
    #: The chain hash links the previous entry to this one (None at seq 1: genesis).
    linked: bool | None
    #: The signed checkpoint that covers this entry, if one does yet.
    checkpoint_seq: int | None
    #: The checkpoint's signature verified (None when no key is available to check it).
    signature_ok: bool | None
    #: Everything above holds, and the chain recomputed from this entry reaches the
    #: checkpoint's (or the head's) chain hash.
    verified: bool


def check_event(log: ActivityLog, event: dict[str, Any]) -> EventIntegrity:
    workspace, seq = event["workspace"], int(event["seq"])
    store = log.store
    checkpoint = _covering(store.checkpoints(workspace), seq)
    head_seq, head_hash = store.head(workspace)
    last, target = (checkpoint.seq, checkpoint.chain_hash) if checkpoint else (head_seq, head_hash)
    rows = store.chain_range(workspace, max(seq - 1, 1), max(last, seq))
    by_seq = {row.seq: row for row in rows}
    this = by_seq.get(seq)
    if this is None or this.body is None:
        return EventIntegrity(seq, False, False, None, None, False)
    content_ok = content_hash(this.body) == this.content_hash
    previous = GENESIS if seq == 1 else (by_seq[seq - 1].chain_hash if seq - 1 in by_seq else None)
    linked = None if previous is None else link(previous, this.content_hash) == this.chain_hash
    reaches = _recompute(rows, seq, previous, target) if previous is not None else False
    signer = log.verifier()
    signature_ok = signer.verify(checkpoint) if checkpoint and signer else None
    verified = content_ok and bool(linked) and reaches and signature_ok is not False
    return EventIntegrity(
        seq=seq,
        content_ok=content_ok,
        linked=linked if seq > 1 else None,
        checkpoint_seq=checkpoint.seq if checkpoint else None,
        signature_ok=signature_ok,
        verified=verified,
    )


def _covering(checkpoints: list[Checkpoint], seq: int) -> Checkpoint | None:
    return next((c for c in checkpoints if c.seq >= seq), None)


def _recompute(rows: list[Any], seq: int, previous: str, target: str) -> bool:
    """Walk the chain from ``seq`` recomputing each hash; True if it ends at ``target``."""
    head = previous
    expected = seq
    for row in rows:
        if row.seq < seq:
            continue
        if row.seq != expected:
            return False
        digest = content_hash(row.body) if row.body is not None else row.content_hash
        if digest != row.content_hash:
            return False
        head = link(head, digest)
        if head != row.chain_hash:
            return False
        expected += 1
    return head == target
