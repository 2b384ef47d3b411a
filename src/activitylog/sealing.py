"""Sealing appends: each workspace's head grows by chain and tree, and is signed.

Every append transaction ends by signing a checkpoint note of each head it moved, so no
acknowledged entry is ever unsigned. Some of those notes are also kept for good (stored
checkpoints, copied to the witness): whenever ``every`` entries passed since the last one
(inside a batch too), when ``seconds`` passed and the head moved, and on demand.

Before extending a head, the writer makes sure the head is one it signed: the head row is
compared with the last one this process wrote, and otherwise its note's signature and
contents are checked, so that someone who rewrote the database cannot get the writer to
sign their changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from activitylog.errors import IntegrityError
from activitylog.merkle import Frontier
from activitylog.notes import Checkpoint, parse_checkpoint, sign_checkpoint, signer_of
from activitylog.signing import KeyRing, SigningKey
from activitylog.witness import Witness

GENESIS_HASH = bytes(32)


@dataclass
class Head:
    """A workspace's head while an append extends it."""

    workspace: str
    seq: int
    chain: bytes
    frontier: Frontier
    note: str | None
    checkpoint_seq: int
    checkpoint_at: int
    #: Checkpoints to keep for good, signed during this append.
    kept: list[Checkpoint] = field(default_factory=list)
    #: The seq it had when read: a head that did not move is not signed again.
    read_at: int = -1

    def __post_init__(self) -> None:
        if self.read_at < 0:
            self.read_at = self.seq

    @property
    def moved(self) -> bool:
        return self.seq != self.read_at

    @property
    def chain_hash(self) -> str:
        return self.chain.hex()

    def state(self) -> tuple[int, bytes, bytes, str | None]:
        return self.seq, self.chain, self.frontier.to_bytes(), self.note

    def add(self, body: bytes) -> tuple[str, str]:
        """Append one entry: ``(content_hash, chain_hash)`` as hex."""
        digest = hashlib.sha256(b"\x00" + body).digest()  # the tree's leaf hash
        self.chain = hashlib.sha256(self.chain + digest).digest()
        self.frontier.append(digest)
        self.seq += 1
        return digest.hex(), self.chain.hex()


@dataclass(frozen=True)
class SealPolicy:
    """How appends are sealed. ``key`` is called when the first signature is needed (the
    key file is created on first use, not when a log is opened to be read); ``ring`` gives
    the public keys a head's note may carry."""

    key: Callable[[], SigningKey]
    ring: Callable[[], KeyRing]
    every: int = 1000
    seconds: float = 60.0
    #: Where kept checkpoints are copied after their append commits.
    witness: Witness | None = None


class Sealer:
    """Checks heads before they grow, and signs them after."""

    def __init__(self, policy: SealPolicy) -> None:
        self.policy = policy
        #: The head state this process last signed, per workspace.
        self._signed: dict[str, tuple[int, bytes, bytes, str | None]] = {}

    def trust(self, head: Head) -> None:
        """Raise IntegrityError unless ``head`` is empty or one a key of ours signed."""
        state = head.state()
        if self._signed.get(head.workspace) == state:
            return
        fresh = head.seq == 0 and head.frontier.size == 0 and head.chain == GENESIS_HASH
        if fresh and head.note is None:
            return
        problem = self._problem(head)
        if problem is not None:
            raise IntegrityError(
                f"the chain head of workspace {head.workspace!r} {problem}: the database was "
                "changed outside activitylog; nothing was appended. Run `activitylog verify`."
            )
        self._signed[head.workspace] = state

    def _problem(self, head: Head) -> str | None:
        if head.note is None:
            return "carries no signed note"
        try:
            checkpoint = parse_checkpoint(head.note)
        except ValueError:
            return "carries an unreadable note"
        if signer_of(head.note, self.policy.ring()) is None:
            return "is not signed by a known key"
        if (
            checkpoint.origin != head.workspace
            or checkpoint.size != head.seq
            or head.frontier.size != head.seq
            or checkpoint.root != head.frontier.root()
            or checkpoint.chain_hash != head.chain_hash
        ):
            return "differs from its signed note"
        return None

    def extend(self, head: Head, bodies: Sequence[bytes], now: float) -> list[tuple[bytes, bytes]]:
        """Append entries to ``head`` (as :meth:`Head.add` then :meth:`extended` each):
        ``(leaf hash, chain hash)`` of each. The tree grows a run at a time, up to each
        checkpoint kept on the way, so its nodes are hashed a level at a time."""
        sha = hashlib.sha256
        leaves = [sha(b"\x00" + body).digest() for body in bodies]
        hashes = []
        chain = head.chain
        for leaf in leaves:
            chain = sha(chain + leaf).digest()
            hashes.append((leaf, chain))
        every, done = self.policy.every, 0
        while done < len(leaves):
            run = min(len(leaves) - done, max(1, head.checkpoint_seq + every - head.seq))
            head.frontier.extend(leaves[done : done + run])
            done += run
            head.seq += run
            head.chain = hashes[done - 1][1]
            self.extended(head, now)
        return hashes

    def extended(self, head: Head, now: float) -> None:
        """After one entry was added: keep a checkpoint when ``every`` entries passed."""
        if head.seq - head.checkpoint_seq >= self.policy.every:
            self._keep(head, now)

    def seal(self, head: Head, now: float, *, keep: bool = False) -> None:
        """Sign the head after its entries were added (kept when due by time, or asked)."""
        if head.kept and head.kept[-1].size == head.seq:
            head.note = head.kept[-1].note
        elif keep or now - head.checkpoint_at >= self.policy.seconds:
            self._keep(head, now)
        else:
            head.note = self._sign(head).note

    def signed(self, head: Head) -> None:
        """Remember ``head`` as signed by this process (its transaction committed or is
        about to)."""
        self._signed[head.workspace] = head.state()

    def forget(self, workspaces: list[str]) -> None:
        for workspace in workspaces:
            self._signed.pop(workspace, None)

    def _keep(self, head: Head, now: float) -> None:
        checkpoint = self._sign(head)
        head.kept.append(checkpoint)
        head.note = checkpoint.note
        head.checkpoint_seq, head.checkpoint_at = head.seq, int(now)

    def _sign(self, head: Head) -> Checkpoint:
        return sign_checkpoint(
            self.policy.key(),
            head.workspace,
            head.seq,
            head.frontier.root(),
            head.chain_hash,
            head.checkpoint_seq,
            _now_text(),
        )


def _now_text() -> str:
    # isoformat is several times cheaper than strftime, and this runs on every append
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
