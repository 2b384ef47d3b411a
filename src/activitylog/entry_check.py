"""Integrity of one entry: its own hash, its link to the previous entry, and the chain
from it up to the signed checkpoint that covers it.

Every append signs its head, so a signed note covers every entry: the first checkpoint
kept at or after the entry (at most ``checkpoint_every`` entries on), else the head's.
The note states the chain hash at its size, which commits to every entry before it, so
recomputing the chain from the entry's predecessor to the note proves the entry is the
one that was signed. A deleted entry (a tombstone) has no body left to hash; its kept
content hash is linked and walked like any other. Pure, like :mod:`activitylog.workspace_check`:
the rows come from the store (``ActivityLog.check_entry`` reads them). The full check of
a workspace is ``activitylog verify``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from activitylog.chain import Row, content_hash, link
from activitylog.notes import parse_checkpoint, verified_checkpoint
from activitylog.signing import KeyRing
from activitylog.verify_report import GENESIS


@dataclass(frozen=True)
class EntryCheck:
    seq: int
    #: The stored body hashes to the stored content hash (None: a deleted entry, whose
    #: content is erased and whose hashes are kept).
    content_ok: bool | None
    #: The chain hash links the previous entry to this one (None at seq 1: genesis, or
    #: when the previous entry cannot be read).
    linked: bool | None
    #: The size of the signed checkpoint that covers this entry.
    checkpoint_seq: int | None
    #: The checkpoint's signature verified (None when no key is available to check it).
    signature_ok: bool | None
    #: Everything above holds, and the chain recomputed from this entry reaches the
    #: checkpoint's signed chain hash.
    verified: bool
    #: The entry was deleted: only its seq, id and hashes are kept (a tombstone).
    deleted: bool = False


def check_entry(
    workspace: str,
    seq: int,
    rows: Sequence[Row],
    covering: tuple[int, str] | None,
    ring: KeyRing | None,
    purged_to: tuple[int, str] | None = None,
) -> EntryCheck:
    """Check entry ``seq`` of ``workspace`` from ``rows`` (entries ``seq - 1`` up to the
    covering checkpoint's size, tombstones included, in seq order), the covering signed
    note ``(size, note)`` and the key ring (None: signatures are not checked).

    ``purged_to``: ``(last seq, chain hash)`` that the latest purge record states, when the
    log's oldest entries were purged; the first entry after them links to that hash."""
    by_seq = {row[0]: row for row in rows}
    this = by_seq.get(seq)
    if this is None:
        return EntryCheck(seq, False, False, None, None, False)
    deleted = this[4] is not None
    content_ok = None if this[1] is None else content_hash(this[1]) == this[2]
    previous = _previous_chain(seq, by_seq, purged_to)
    linked = None if previous is None else link(previous, this[2]) == this[3]
    shown_link = linked if seq > 1 else None
    if covering is None:
        return EntryCheck(seq, content_ok, shown_link, None, None, False, deleted)
    if ring is None:
        signature_ok, checkpoint = None, parse_checkpoint(covering[1])
    else:
        checkpoint, problem = verified_checkpoint(covering[1], ring)
        signature_ok = problem is None and checkpoint.origin == workspace
    reaches = previous is not None and _reaches(rows, seq, previous, checkpoint.chain_hash)
    verified = content_ok is not False and bool(linked) and reaches and signature_ok is not False
    return EntryCheck(
        seq=seq,
        content_ok=content_ok,
        linked=shown_link,
        checkpoint_seq=checkpoint.size,
        signature_ok=signature_ok,
        verified=verified,
        deleted=deleted,
    )


def _previous_chain(
    seq: int, by_seq: dict[int, Row], purged_to: tuple[int, str] | None
) -> str | None:
    """The chain hash entry ``seq`` extends (None: the previous entry cannot be read)."""
    if seq == 1:
        return GENESIS
    if seq - 1 in by_seq:
        return by_seq[seq - 1][3]
    if purged_to is not None and purged_to[0] == seq - 1:
        return purged_to[1]
    return None


def _reaches(rows: Sequence[Row], seq: int, previous: str, target: str) -> bool:
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
