"""Verification of one workspace's log: chain, Merkle tree, signed checkpoints, witness.

Verification is pure: :class:`WorkspaceCheck` takes what a store holds (rows in seq
order, the head, the checkpoints) and what lies outside it (the key ring, the witness),
recomputes everything and names every break it finds. The hashing rules are
:mod:`activitylog.chain`'s.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from operator import itemgetter
from typing import Any, Literal

import orjson

from activitylog.chain import DELETION_ACTION, Head, LiveChunk, Row, RowChunks, Said
from activitylog.merkle import (
    HASH_SIZE,
    Frontier,
    consistency_path,
    leaf_hashes,
    verify_consistency,
)
from activitylog.notes import Checkpoint, parse_checkpoint, verified_checkpoint
from activitylog.retention import PurgeStart
from activitylog.signing import KeyRing
from activitylog.verify_report import GENESIS, MAX_BREAKS, Break, Kind, WorkspaceReport

_LOOK_AROUND = 16
#: How a deletion record's body starts ("action" is the first key of a canonical body);
#: such bodies are parsed to be sure.
_DELETION_START = b'{"action":"activity_log.deleted"'
_PROGRESS_STEP = 10_000
_CHUNK = 4096
_LATER_MAX = 1_000_000
_BODY = itemgetter(1)


@dataclass
class _Target:
    """A signed statement of the tree at one size, to meet while scanning."""

    size: int
    root: bytes
    chain_hash: str
    source: Literal["checkpoint", "head", "witness"]


class WorkspaceCheck:
    """Verifies one workspace: ``run(rows)`` after the signed statements were added."""

    def __init__(
        self,
        workspace: str,
        ring: KeyRing | None,
        *,
        every: int,
        on_progress: Callable[[int], None] | None = None,
        hashes: bool = True,
    ) -> None:
        self.report = WorkspaceReport(workspace)
        #: Check each live entry's stored content and chain hashes (False: only the tree
        #: recomputed from the bodies, which the signatures cover; the stored hashes are
        #: copies of what the bodies say, and locate a break to its seq).
        self.hashes = hashes
        self.ring = ring
        self.every = every
        self.on_progress = on_progress
        self._targets: dict[int, list[_Target]] = {}
        self._stored: list[Checkpoint] = []
        self._head: Head | None = None
        self._head_checkpoint: Checkpoint | None = None
        self._witness_size = 0
        self._witness_root = b""
        #: The tree's frontier at the witness's newest size, and the leaves after it.
        self.witness_frontier: Frontier | None = None
        self._later: list[bytes] = []
        #: What the deletion records say: deleted id -> (deleted_by, reason, deleted_at).
        self._deletions: dict[str, Said] = {}
        self.signed_size = 0
        self._start: PurgeStart | None = None

    def start_after(self, start: PurgeStart) -> None:
        """Begin after a purge: the tree and chain as its record states them at its last
        seq (held to the checkpoint kept at that size); ``run`` then gets the rows after."""
        self._start = start
        self.report.purged = start.last

    # -- what is signed -----------------------------------------------------------------
    def add_stored(self, notes: Iterable[tuple[int, str]]) -> None:
        """The checkpoints kept in the database, as ``(size column, note)``."""
        for size, note in notes:
            checkpoint = self._checked(note, size, "checkpoint")
            if checkpoint is not None:
                self._stored.append(checkpoint)
        self.report.checkpoints = len(self._stored)

    def set_head(self, head: Head | None) -> None:
        self._head = head
        if head is not None and head.note is not None:
            self._head_checkpoint = self._checked(head.note, None, "head")

    def add_witnessed(self, notes: Iterable[str]) -> None:
        for note in notes:
            checkpoint = self._checked(note, None, "witness")
            if checkpoint is not None:
                self.report.witnessed += 1
                if checkpoint.size > self._witness_size:
                    self._witness_size, self._witness_root = checkpoint.size, checkpoint.root

    def _checked(
        self, note: str, size: int | None, source: Literal["checkpoint", "head", "witness"]
    ) -> Checkpoint | None:
        workspace = self.report.workspace
        try:
            if self.ring is None:
                checkpoint, problem = parse_checkpoint(note), None
            else:
                checkpoint, problem = verified_checkpoint(note, self.ring)
        except ValueError as exc:
            self.add_break(size or 0, "bad_signature", f"{source} note unreadable: {exc}")
            return None
        at = checkpoint.size
        if problem is not None:
            self.add_break(at, "bad_signature", f"{source}: {problem}")
            return None
        if checkpoint.origin != workspace:
            self.add_break(at, "bad_signature", f"{source} is for workspace {checkpoint.origin!r}")
            return None
        if size is not None and size != checkpoint.size:
            self.add_break(at, "checkpoint_mismatch", f"{source} row says size {size}")
            return None
        target = _Target(checkpoint.size, checkpoint.root, checkpoint.chain_hash, source)
        self._targets.setdefault(checkpoint.size, []).append(target)
        if source != "witness":  # what lies beyond the database is the witness's to say
            self.signed_size = max(self.signed_size, checkpoint.size)
        return checkpoint

    # -- the scan -----------------------------------------------------------------------
    def run(self, rows: Iterable[Row] | RowChunks) -> None:
        """Recompute hashes, chain and tree over ``rows`` (in seq order), meeting every
        signed statement on the way; then check the head, cadence and deletions."""
        report = self.report
        sha = hashlib.sha256
        targets = self._targets
        after = self._start
        base = 0 if after is None else after.last
        prev: bytes | None = bytes(32) if after is None else after.chain
        stack: list[bytes] = [] if after is None else list(after.frontier.hashes)
        size = base
        expected = base + 1
        tree_ok = True  # False after a gap: later roots cannot be recomputed
        deleted_ids = self._deletions
        graves: list[tuple[int, str | None]] = []
        recent: deque[bytes] = deque(maxlen=_LOOK_AROUND)
        last_target = base
        if base in targets:
            self._meet(targets[base], stack, prev if self.hashes else None, 0)
        progress = self.on_progress
        step = 0 if progress is None else _PROGRESS_STEP
        check_chain = self.hashes
        chunks = rows.chunks() if isinstance(rows, RowChunks) else _chunks_of(iter(rows))
        sizes = sorted(targets)
        reported = 0
        # The leaves after the witness's newest size, for the consistency proof from it.
        witnessed, later = self._witness_size, self._later
        if witnessed < base:  # the leaves after it were purged: no proof from it
            witnessed = 0
        link_state = sha().copy
        while True:
            # The fast path: whole chunks, hashed and compared a list at a time, while
            # everything matches; a chunk that does not goes row by row below, then the
            # scan comes back here (unless a gap broke the tree: then row by row to the end).
            for chunk in chunks:
                count = len(chunk)
                # In seq order and unique (each table's unique key), so the ends tell
                # there is no gap.
                bodies: list[Any]  # bytes, and None for a tombstone
                if isinstance(chunk, LiveChunk):
                    if chunk.first != expected or chunk.last != expected + count - 1:
                        break
                    bodies = chunk.bodies
                elif chunk[0][0] != expected or chunk[-1][0] != expected + count - 1:
                    break
                else:
                    bodies = list(map(_BODY, chunk))
                if None in bodies:  # tombstones: no body left, their kept hashes stand in
                    leaves = _leaves_with_tombstones(chunk, bodies)
                    bodies = [body for body in bodies if body is not None]
                else:
                    leaves = leaf_hashes(bodies)
                linked: list[Any] = [None] * count  # chain hashes, when checked
                if check_chain:
                    if not _hex_equal(leaves, chunk, 2):
                        break
                    link_from = prev or bytes(32)
                    linked = []
                    append_link = linked.append
                    for leaf in leaves:
                        state = link_state()
                        state.update(link_from + leaf)
                        link_from = state.digest()
                        append_link(link_from)
                    if not _hex_equal(linked, chunk, 3):
                        break
                if len(bodies) < count:  # counted once the chunk has passed
                    graves.extend((row[0], row[4]) for row in chunk if row[1] is None)
                    report.tombstones += count - len(bodies)
                for body in [b for b in bodies if b.startswith(_DELETION_START)]:
                    deleted_ids.update(_deleted_ids(body))
                tree = Frontier(size, stack)
                start = 0
                first = bisect_right(sizes, size)
                for at in sizes[first : bisect_right(sizes, size + count)]:
                    tree.extend(leaves[start : at - size])
                    start = at - size
                    self._meet(targets[at], tree.hashes, linked[start - 1], last_target)
                    last_target = at
                tree.extend(leaves[start:])
                stack = tree.hashes
                if witnessed and size + count > witnessed and len(later) < _LATER_MAX:
                    later.extend(leaves[max(0, witnessed - size) :])
                if check_chain:
                    recent.extend(linked[-_LOOK_AROUND:])
                    prev = linked[-1]
                size += count
                expected += count
                if step:
                    progress(count)  # type: ignore[misc]
                    reported = size
            else:
                break  # every chunk passed
            it: Iterator[Any] = chain(chunk, chain.from_iterable(chunks))
            # Row by row: the rows of the chunk that did not pass (and those looked at
            # ahead of a break), each break named.
            budget = len(chunk)
            drained = True
            restart = True
            while restart:  # (re)entered when a break needed to look ahead
                restart = False
                for row in it:
                    seq, body, stored_content, stored_chain, grave_id = row
                    if seq != expected:
                        if seq < expected:
                            self.add_break(seq, "inserted", "two entries share this seq")
                            continue
                        self.add_break(expected, "missing", f"next entry present is seq {seq}")
                        tree_ok, prev, expected = False, None, seq
                    if body is None:
                        report.tombstones += 1
                        leaf = _unhex(stored_content)
                        graves.append((seq, grave_id))
                    else:
                        leaf = sha(b"\x00" + body).digest()
                        if check_chain and leaf.hex() != stored_content:
                            self.add_break(seq, "modified", "content hash differs")
                            leaf = _unhex(stored_content)
                        if body.startswith(_DELETION_START):
                            deleted_ids.update(_deleted_ids(body))
                    chained = sha(prev + leaf).digest() if prev is not None else b""
                    if check_chain and chained.hex() != stored_chain:
                        skip = False
                        if prev is not None:
                            ahead = list(islice(it, _LOOK_AROUND))
                            it, restart = chain(ahead, it), True
                            budget += len(ahead)
                            at, kind, why, skip = _explain(row, leaf, prev, recent, ahead)
                            self.add_break(at, kind, why)
                        chained = prev if skip and prev is not None else _unhex(stored_chain)
                    if check_chain:
                        recent.append(chained)
                        prev = chained
                    if witnessed and size >= witnessed and len(later) < _LATER_MAX:
                        later.append(leaf)
                    # the tree (merkle.Frontier.append, inlined)
                    n = size
                    while n & 1:
                        leaf = sha(b"\x01" + stack.pop() + leaf).digest()
                        n >>= 1
                    stack.append(leaf)
                    size += 1
                    if size in targets:
                        if tree_ok:
                            self._meet(
                                targets[size], stack, chained if check_chain else None, last_target
                            )
                        last_target = size
                    expected += 1
                    if step and size - reported >= step:
                        progress(size - reported)  # type: ignore[misc]
                        reported = size
                    budget -= 1
                    if restart:
                        break
                    if budget <= 0 and tree_ok:
                        drained = False
                        break
            if drained:
                break
            chunks = _chunks_of(it)
        if step and size > reported:
            progress(size - reported)  # type: ignore[misc]
        report.entries = size - base
        report.head_seq = expected - 1
        report.head_hash = (prev or bytes(32)).hex() if size and check_chain else GENESIS
        report.root = Frontier(size, stack).root().hex() if tree_ok else ""
        self._finish(expected - 1, prev or bytes(32), stack, tree_ok)
        self._account(graves, deleted_ids)
        if tree_ok:
            self._prove_witness()

    def _meet(
        self, targets: list[_Target], stack: list[bytes], chain: bytes | None, since: int
    ) -> None:
        tree = Frontier(targets[0].size, stack)
        if tree.size == self._witness_size:
            self.witness_frontier = tree
        root = tree.root()
        for target in targets:
            chain_differs = chain is not None and target.chain_hash != chain.hex()
            if target.root != root or (target.chain_hash and chain_differs):
                kind: Kind = (
                    "witness_mismatch" if target.source == "witness" else "checkpoint_mismatch"
                )
                self.add_break(
                    target.size,
                    kind,
                    f"entries {since + 1}..{target.size} differ from the {target.source} "
                    f"signed at size {target.size}",
                )

    def _finish(self, last: int, chain: bytes, stack: list[bytes], tree_ok: bool) -> None:
        head, signed = self._head, self._head_checkpoint
        if self.signed_size > last:
            self.add_break(
                last + 1, "missing", f"a signed checkpoint covers seq {self.signed_size}"
            )
        if head is None:
            if last:
                self.add_break(1, "head_missing", "entries exist but the workspace has no head")
        elif head.seq > last:
            self.add_break(last + 1, "missing", f"the chain head is at seq {head.seq}")
        elif head.seq < last:
            self.add_break(head.seq + 1, "inserted", f"the chain head is at seq {head.seq}")
        elif self.hashes and head.chain_hash != chain.hex():
            self.add_break(last, "modified", "chain head hash differs")
        elif tree_ok and head.frontier != b"".join(stack):
            self.add_break(last, "index_differs", "the head's tree frontier differs")
        if last > self.signed_size:
            self.add_break(
                self.signed_size + 1,
                "unsigned",
                f"entries {self.signed_size + 1}..{last} are not covered by a signature",
            )
        if head is not None and head.seq and (signed is None or signed.size != head.seq):
            what = "no signed note" if signed is None else f"a note for size {signed.size}"
            self.add_break(head.seq, "unsigned", f"the head at seq {head.seq} carries {what}")
        if self._witness_size > last and head is None and not last:
            self.add_break(1, "workspace_missing", f"the witness saw size {self._witness_size}")
        elif self._witness_size > last:
            self.add_break(
                last + 1,
                "behind_witness",
                f"the witness saw size {self._witness_size}, the database holds {last}",
            )
        self._check_cadence()

    def _check_cadence(self) -> None:
        """Each stored checkpoint names the one stored before it (prev), and they come at
        least every ``every`` entries; the head's note names the last one too."""
        stored = sorted(self._stored, key=lambda c: c.size)
        sizes = {c.size for c in stored}
        if self._head_checkpoint is not None and self._head_checkpoint.size not in sizes:
            stored.append(self._head_checkpoint)
        previous = 0
        for checkpoint in stored:
            if checkpoint.prev != previous:
                self.add_break(
                    previous + 1,
                    "checkpoint_missing",
                    f"the checkpoint at size {checkpoint.size} follows one at size "
                    f"{checkpoint.prev}; the one stored before it is at size {previous}",
                )
            elif checkpoint.size - previous > self.every:
                self.add_break(
                    previous + 1,
                    "cadence",
                    f"{checkpoint.size - previous} entries between the checkpoints at sizes "
                    f"{previous} and {checkpoint.size} (at most {self.every})",
                )
            previous = checkpoint.size

    def check_tombstones(self, tombstones: Iterable[tuple[int, str, str, str, str]]) -> None:
        """A tombstone's own columns (``seq, id, deleted_by, reason, deleted_at``), shown
        beside the deleted entry, must say what its deletion record says (after
        :meth:`run`)."""
        for seq, event_id, deleted_by, reason, deleted_at in tombstones:
            said = self._deletions.get(event_id)
            if said is not None and said != (deleted_by, reason, deleted_at):
                self.add_break(
                    seq,
                    "index_differs",
                    "the tombstone's deleted_by, reason or deleted_at differ from its "
                    "deletion record",
                )

    def check_deleted_stay_deleted(
        self, tombstoned: Iterable[str], present: Callable[[str], int | None]
    ) -> None:
        """Every id a deletion record names stays deleted (after :meth:`run`): a tombstone,
        or gone with a purge. ``present(id)`` is the seq of a live entry with that id (None:
        there is none): an entry put back from a copy has its old hashes, which the tree
        takes, so only its deletion record tells."""
        for event_id in sorted(self._deletions.keys() - set(tombstoned)):
            seq = present(event_id)
            if seq is not None:
                self.add_break(
                    seq,
                    "unaccounted_deletion",
                    "a deletion record names this entry, which is in the log again",
                )

    def _account(
        self,
        graves: list[tuple[int, str | None]],
        deleted: dict[str, Said],
    ) -> None:
        for seq, event_id in graves:
            if event_id not in deleted:
                self.add_break(seq, "unaccounted_deletion", "no deletion record names this entry")

    def _prove_witness(self) -> None:
        """Check the consistency proof from the witness's newest checkpoint to the head's
        signed tree, built from the frontier met at the witnessed size and the leaves after
        it (when they were few enough to keep: the roots at witnessed sizes are compared
        in any case)."""
        head, old, later = self._head_checkpoint, self.witness_frontier, self._later
        if head is None or old is None or not old.size < head.size <= old.size + len(later):
            return
        if any(b.kind == "witness_mismatch" for b in self.report.breaks):
            return  # the witnessed root itself differs: said already
        path = consistency_path(old, head.size, enumerate(later, old.size))
        if not verify_consistency(old.size, head.size, self._witness_root, head.root, path):
            self.add_break(
                old.size,
                "witness_mismatch",
                f"no consistency proof from the witnessed size {old.size} to the signed "
                f"head at {head.size}",
            )

    def add_break(self, seq: int, kind: Kind, detail: str) -> None:
        if len(self.report.breaks) < MAX_BREAKS:
            self.report.breaks.append(Break(self.report.workspace, seq, kind, detail))


def _explain(
    row: Row,
    digest: bytes,
    prev: bytes,
    recent: deque[bytes],
    ahead: list[Row],
) -> tuple[int, Kind, str, bool]:
    """Why ``row``'s chain hash does not link: ``(seq, kind, detail, skip)``; ``skip``
    when the row is not in the chain at all (the next one links past it)."""
    # Chain hashes commit to their true predecessor: an intruder is skipped by the next
    # entry's link; an entry inserted earlier is skipped by this one's; a reordered entry
    # links to one that comes later.
    sha = hashlib.sha256
    seq, target = row[0], _unhex(row[3])
    for later in ahead:
        if sha(_unhex(later[3]) + digest).digest() == target:
            return seq, "reordered", f"belongs after seq {later[0]}", False
    if ahead:
        following = ahead[0]
        if sha(prev + _unhex(following[2])).digest().hex() == following[3]:
            return seq, "inserted", "entry not in the chain", True
    # The start of the chain (seq 0, all-zero hash) is a candidate predecessor too.
    known = [(0, bytes(32)), *((seq - len(recent) + i, h) for i, h in enumerate(recent))]
    for earlier, chained in known[-2::-1]:
        if sha(chained + digest).digest() == target:
            return earlier + 1, "inserted", f"seq {seq} follows seq {earlier}", False
    return seq, "modified", "the chain does not link here: content and hash were rewritten", False


def _chunks_of(rows: Iterator[Row]) -> Iterator[list[Row]]:
    return iter(lambda: list(islice(rows, _CHUNK)), [])


def _leaves_with_tombstones(chunk: Iterable[Row], bodies: Sequence[bytes | None]) -> list[bytes]:
    """The leaves of a chunk holding tombstones: a body's hash, a tombstone's kept one."""
    hashed = iter(leaf_hashes([body for body in bodies if body is not None]))
    return [_unhex(row[2]) if row[1] is None else next(hashed) for row in chunk]


def _hex_equal(hashes: list[bytes], chunk: Iterable[Sequence[Any]], column: int) -> bool:
    """Whether ``hashes`` are, as hex, the chunk's stored hashes in ``column`` (each one:
    a separator between them, so no stored hash can pass as part of its neighbour's)."""
    try:
        return b"".join(hashes).hex(",", HASH_SIZE) == ",".join(map(itemgetter(column), chunk))
    except TypeError:  # a stored hash that is not text: compared row by row
        return False


def _deleted_ids(body: bytes) -> dict[str, Said]:
    """The ids a deletion record names, each with the record's ``(deleted_by, reason,
    deleted_at)``
    (none unless the body really is one)."""
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    details = event.get("details") if isinstance(event, dict) else None
    if event.get("action") != DELETION_ACTION or not isinstance(details, dict):
        return {}
    ids = details.get("ids")
    said = (details.get("deleted_by"), details.get("reason"), details.get("deleted_at"))
    return {i: said for i in ids if isinstance(i, str)} if isinstance(ids, list) else {}


def _unhex(text: str) -> bytes:
    """A stored hash as bytes; one that is not 64 hex digits reads as zeros (and so
    fails every comparison it takes part in)."""
    try:
        value = bytes.fromhex(text)
    except (TypeError, ValueError):
        return bytes(32)
    return value if len(value) == 32 else bytes(32)
