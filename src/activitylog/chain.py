"""Hashing and verification of the per-workspace chain.

``content_hash = SHA-256(body)`` where ``body`` is the event's canonical JSON
(:func:`activitylog.events.canonical_json`); ``chain_hash[n] = SHA-256(chain_hash[n-1] ||
content_hash[n])`` over the raw 32-byte digests, with 32 zero bytes before seq 1. Hashes
are written as lowercase hex. Verification is pure: it takes the rows a store yields in
seq order and names the first broken seq and why.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Literal

from activitylog.signing import Checkpoint, CheckpointSigner

GENESIS = "0" * 64
_LOOK_AROUND = 16

Reason = Literal["modified", "missing", "inserted", "reordered", "bad_signature"]

REASON_TEXT: dict[str, str] = {
    "modified": "content modified",
    "missing": "entry missing",
    "inserted": "entry inserted",
    "reordered": "order changed",
    "bad_signature": "checkpoint signature bad",
}


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def link(previous_chain_hash: str, this_content_hash: str) -> str:
    """The chain hash of an entry given its predecessor's chain hash."""
    return hashlib.sha256(
        bytes.fromhex(previous_chain_hash) + bytes.fromhex(this_content_hash)
    ).hexdigest()


def append_body(head: str, body: bytes) -> tuple[str, str]:
    """``(content_hash, chain_hash)`` of ``body`` appended after chain hash ``head``."""
    digest = hashlib.sha256(body).digest()
    return digest.hex(), hashlib.sha256(bytes.fromhex(head) + digest).hexdigest()


def extend(head: str, bodies: Iterable[bytes]) -> Iterator[tuple[str, str]]:
    """``(content_hash, chain_hash)`` for each body appended after chain hash ``head``."""
    for body in bodies:
        content, head = append_body(head, body)
        yield content, head


@dataclass(frozen=True, slots=True)
class ChainRow:
    """One entry as a store holds it; ``body`` is None for a tombstone."""

    seq: int
    body: bytes | None
    content_hash: str
    chain_hash: str


@dataclass(frozen=True)
class Break:
    """The first place a workspace's chain fails to verify."""

    workspace: str
    seq: int
    reason: Reason
    detail: str = ""

    def __str__(self) -> str:
        text = f"workspace {self.workspace!r}: seq {self.seq}: {REASON_TEXT[self.reason]}"
        return f"{text} ({self.detail})" if self.detail else text


@dataclass
class WorkspaceReport:
    """The verification outcome for one workspace."""

    workspace: str
    entries: int = 0
    tombstones: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    checkpoints: int = 0
    broken: Break | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


@dataclass
class VerifyReport:
    workspaces: list[WorkspaceReport] = field(default_factory=list)
    #: False when no key was at hand: checkpoints were compared, signatures not checked.
    signatures_checked: bool = True

    @property
    def ok(self) -> bool:
        return all(w.ok for w in self.workspaces)

    @property
    def entries(self) -> int:
        return sum(w.entries for w in self.workspaces)

    @property
    def first_break(self) -> Break | None:
        return next((w.broken for w in self.workspaces if w.broken), None)


def verify_workspace(
    workspace: str,
    rows: Iterable[ChainRow],
    checkpoints: Sequence[Checkpoint],
    signer: CheckpointSigner | None,
    on_progress: Callable[[int], None] | None = None,
    head: tuple[int, str] | None = None,
) -> WorkspaceReport:
    """Recompute a workspace's chain from ``rows`` (in seq order) and check its checkpoints,
    and, given the store's recorded ``head`` (seq, chain hash), that the rows end there."""
    report = WorkspaceReport(workspace)
    by_seq = {c.seq: c for c in checkpoints}
    for checkpoint in checkpoints:
        if signer is not None and not signer.verify(checkpoint):
            report.broken = Break(
                workspace, checkpoint.seq, "bad_signature", "signature does not match"
            )
            return report
    sha = hashlib.sha256
    prev = bytes(32)
    expected = 1
    recent: deque[tuple[int, bytes]] = deque(maxlen=_LOOK_AROUND)
    rows = iter(rows)
    for row in rows:
        if row.seq < expected:
            report.broken = Break(workspace, row.seq, "inserted", "two entries share this seq")
            return report
        if row.seq > expected:
            report.broken = Break(
                workspace, expected, "missing", f"next entry present is seq {row.seq}"
            )
            return report
        if row.body is None:
            report.tombstones += 1
            digest = bytes.fromhex(row.content_hash)
        else:
            digest = sha(row.body).digest()
            if digest.hex() != row.content_hash:
                report.broken = Break(workspace, row.seq, "modified", "content hash differs")
                return report
        chained = sha(prev + digest).digest()
        if chained.hex() != row.chain_hash:
            ahead = list(islice(rows, _LOOK_AROUND))
            report.broken = _explain_chain_mismatch(workspace, row, digest, prev, recent, ahead)
            return report
        signed = by_seq.get(row.seq)
        if signed is not None and signed.chain_hash != row.chain_hash:
            report.broken = Break(
                workspace, row.seq, "modified", "chain differs from the signed checkpoint"
            )
            return report
        recent.append((row.seq, chained))
        prev = chained
        expected += 1
        report.entries += 1
        if on_progress is not None and report.entries % 10_000 == 0:
            on_progress(10_000)
    if on_progress is not None:
        on_progress(report.entries % 10_000)
    report.head_seq = expected - 1
    report.head_hash = prev.hex() if report.head_seq else GENESIS
    report.checkpoints = len(checkpoints)
    last = max(by_seq, default=0)
    if last > report.head_seq:
        report.broken = Break(
            workspace, report.head_seq + 1, "missing", f"a signed checkpoint covers seq {last}"
        )
    elif head is not None:
        report.broken = _check_head(report, *head)
    return report


def _check_head(report: WorkspaceReport, head_seq: int, head_hash: str) -> Break | None:
    at = f"the chain head is at seq {head_seq}"
    if head_seq > report.head_seq:
        return Break(report.workspace, report.head_seq + 1, "missing", at)
    if head_seq < report.head_seq:
        return Break(report.workspace, head_seq + 1, "inserted", at)
    if head_hash != report.head_hash:
        return Break(report.workspace, head_seq, "modified", "chain head hash differs")
    return None


def _explain_chain_mismatch(
    workspace: str,
    row: ChainRow,
    digest: bytes,
    prev: bytes,
    recent: deque[tuple[int, bytes]],
    ahead: list[ChainRow],
) -> Break:
    # Chain hashes commit to their true predecessor: an intruder is skipped by the next
    # entry's link; an entry inserted earlier is skipped by this one's; a reordered entry
    # links to one that comes later.
    sha = hashlib.sha256
    target = bytes.fromhex(row.chain_hash)
    for later in ahead:
        if sha(bytes.fromhex(later.chain_hash) + digest).digest() == target:
            return Break(workspace, row.seq, "reordered", f"belongs after seq {later.seq}")
    if ahead:
        following = ahead[0]
        following_digest = bytes.fromhex(following.content_hash)
        if sha(prev + following_digest).digest().hex() == following.chain_hash:
            return Break(workspace, row.seq, "inserted", "entry not in the chain")
    # The start of the chain (seq 0, all-zero hash) is a candidate predecessor too.
    for seq, chain in [(0, bytes(32)), *recent][-2::-1]:
        if sha(chain + digest).digest() == target:
            return Break(workspace, seq + 1, "inserted", f"seq {row.seq} follows seq {seq}")
    return Break(
        workspace, row.seq, "missing", "its predecessor is not in the log (or its hash was altered)"
    )
