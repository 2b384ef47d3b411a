"""Checking an archive offline, with the log's public key ring and nothing else.

Every entry's body must hash to its content hash, the chain must link from the hash the
header gives, and the tree (the header's frontier before the first seq, extended by the
entries) must have each included checkpoint's signed root, and lead by the proof's
consistency path to the signed checkpoint it names. The manifest must be signed by a key
of the ring valid at its time and state exactly what the file holds: the range, the count,
the cut-off, the SHA-256 of the entry lines, the tree at the last seq and that checkpoint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from activitylog.archives.format import FORMAT, parse_manifest, read_lines, record_of
from activitylog.chain import DELETION_ACTION, link
from activitylog.merkle import Frontier, leaf_hash, verify_consistency
from activitylog.notes import (
    Checkpoint,
    parse_checkpoint,
    signer_of,
    split_note,
    verified_checkpoint,
)
from activitylog.signing import KeyRing

#: Problems listed before the rest are only counted.
MAX_PROBLEMS = 100


@dataclass
class ArchiveReport:
    """What an archive holds and everything wrong with it (``ok`` when nothing is)."""

    workspace: str = ""
    first_seq: int = 0
    last_seq: int = 0
    count: int = 0
    cutoff: str = ""
    entries: int = 0
    tombstones: int = 0
    checkpoints: int = 0
    #: The tree after the last seq (hex root, packed frontier) and the chain hash there,
    #: as recomputed (root empty when the entries could not be folded into a tree).
    root: str = ""
    frontier: bytes = b""
    chain_hash: str = ""
    #: The signed checkpoint of the live log the proof leads to.
    anchor_size: int = 0
    #: The key id that signed the manifest.
    signed_by: str = ""
    signatures_checked: bool = True
    problems: list[str] = field(default_factory=list)
    more_problems: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self.more_problems += 1


def verify_archive(data: IO[bytes], ring: KeyRing | None) -> ArchiveReport:
    """Check the archive ``data`` holds; with ``ring`` None the signatures are not checked
    (the rest is)."""
    check = _Check(ring)
    try:
        for raw in read_lines(data):
            check.take(raw)
        check.finish()
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        check.report.problem(f"malformed archive: {exc}")
    return check.report


class _Check:
    def __init__(self, ring: KeyRing | None) -> None:
        self.ring = ring
        self.report = ArchiveReport(signatures_checked=ring is not None)
        self.header: dict[str, Any] | None = None
        self.tree = Frontier()
        self.tree_ok = True
        self.chain = ""
        self.expected = 0
        self.entries = hashlib.sha256()
        #: Signed sizes in range -> (root, chain hash) to meet while folding the entries.
        self.targets: dict[int, Checkpoint] = {}
        self.graves: dict[str, tuple[int, tuple[object, object, object]]] = {}
        self.deletions: dict[str, tuple[object, object, object]] = {}
        self.proof: dict[str, Any] | None = None
        self.manifest: str | None = None
        self.after_manifest = False

    # -- one line at a time -------------------------------------------------------------
    def take(self, raw: bytes) -> None:
        record = record_of(raw)
        kind = record["type"]
        if self.manifest is not None:
            self.after_manifest = True
            return
        if self.header is None:
            self._header(record)
        elif kind == "checkpoint":
            self._checkpoint(record)
        elif kind in ("entry", "tombstone"):
            self.entries.update(raw)
            self._entry(record)
        elif kind == "proof":
            self.proof = record
        elif kind == "manifest":
            self.manifest = str(record["note"])
        else:
            raise ValueError(f"unknown record type {kind!r}")

    def _header(self, record: dict[str, Any]) -> None:
        if record["type"] != "archive" or record.get("format") != FORMAT:
            raise ValueError(f"the first line is not an {FORMAT} header")
        report = self.report
        report.workspace = str(record["workspace"])
        report.first_seq, report.last_seq = int(record["first_seq"]), int(record["last_seq"])
        report.count, report.cutoff = int(record["count"]), str(record["cutoff"])
        before = record["before"]
        size = int(before["size"])
        if size != report.first_seq - 1:
            report.problem(f"the tree before the archive has {size} leaves, not first_seq - 1")
        self.tree = Frontier(size, [bytes.fromhex(node) for node in before["frontier"]])
        self.chain = str(before["chain_hash"])
        self.expected = report.first_seq
        self.header = record

    def _checkpoint(self, record: dict[str, Any]) -> None:
        report = self.report
        report.checkpoints += 1
        checkpoint = self._signed(str(record["note"]), f"checkpoint at size {record['size']}")
        if checkpoint is None:
            return
        if checkpoint.size != int(record["size"]) or not (
            report.first_seq <= checkpoint.size <= report.last_seq
        ):
            report.problem(f"checkpoint at size {checkpoint.size} is outside the archive's range")
            return
        self.targets[checkpoint.size] = checkpoint

    def _entry(self, record: dict[str, Any]) -> None:
        report = self.report
        seq = int(record["seq"])
        if seq != self.expected:
            what = "missing" if seq > self.expected else "out of order or repeated"
            report.problem(f"seq {self.expected}: entry {what} (next line is seq {seq})")
            self.tree_ok = False
            self.expected = max(seq, self.expected)
        stored = str(record["content_hash"])
        if record["type"] == "entry":
            report.entries += 1
            body = str(record["body"]).encode()
            leaf = leaf_hash(body)
            if leaf.hex() != stored:
                report.problem(f"seq {seq}: the body does not hash to its content hash")
            self._read_body(seq, body)
        else:
            report.tombstones += 1
            leaf = bytes.fromhex(stored)
            if len(leaf) != 32:
                raise ValueError(f"seq {seq}: the content hash is not a SHA-256 hash")
            said = (record["deleted_by"], record["reason"], record["deleted_at"])
            self.graves[str(record["id"])] = (seq, said)
        chained = str(record["chain_hash"])
        if link(self.chain, leaf.hex()) != chained:
            report.problem(f"seq {seq}: the chain does not link to the entry before it")
        self.chain = chained
        self.expected += 1
        if not self.tree_ok:
            return
        self.tree.append(leaf)
        target = self.targets.get(self.tree.size)
        if target is not None and (target.root != self.tree.root() or target.chain_hash != chained):
            report.problem(
                f"seq {seq}: the entries up to it differ from the checkpoint signed at that size"
            )

    def _read_body(self, seq: int, body: bytes) -> None:
        try:
            event = orjson.loads(body)
        except orjson.JSONDecodeError:
            self.report.problem(f"seq {seq}: the body is not JSON")
            return
        if not isinstance(event, dict) or event.get("workspace") != self.report.workspace:
            self.report.problem(
                f"seq {seq}: the entry is not of workspace {self.report.workspace!r}"
            )
            return
        details = event.get("details")
        if event.get("action") == DELETION_ACTION and isinstance(details, dict):
            said = (details.get("deleted_by"), details.get("reason"), details.get("deleted_at"))
            for deleted in details.get("ids") or ():
                self.deletions[str(deleted)] = said

    # -- the end ------------------------------------------------------------------------
    def finish(self) -> None:
        report = self.report
        if self.header is None:
            report.problem("the archive is empty")
            return
        last = self.expected - 1
        if last != report.last_seq:
            report.problem(
                f"seq {last + 1}: the entries end at seq {last}, the header says {report.last_seq}"
            )
            self.tree_ok = False
        if report.entries + report.tombstones != report.count:
            report.problem(
                f"the archive holds {report.entries + report.tombstones} entries, "
                f"its header says {report.count}"
            )
        for grave, (seq, said) in self.graves.items():
            recorded = self.deletions.get(grave)
            if recorded is not None and recorded != said:
                report.problem(
                    f"seq {seq}: the tombstone's deleted_by, reason or deleted_at differ from "
                    "its deletion record"
                )
        root = self.tree.root() if self.tree_ok else None
        if root is not None:
            report.root = root.hex()
            report.frontier = self.tree.to_bytes()
        report.chain_hash = self.chain
        self._check_proof(root)
        self._check_manifest()
        if self.after_manifest:
            report.problem("there are lines after the manifest")

    def _check_proof(self, root: bytes | None) -> None:
        report, proof = self.report, self.proof
        if proof is None:
            report.problem("there is no proof tying the archive to the log")
            return
        anchor_size = int(proof["checkpoint_size"])
        report.anchor_size = anchor_size
        if root is None:
            report.problem("the tree cannot be recomputed: entries are missing")
            return
        if int(proof["tree_size"]) != report.last_seq or proof["root"] != root.hex():
            report.problem(f"the proof's root at size {proof['tree_size']} is not the entries'")
        if proof["frontier"] != [node.hex() for node in self.tree.hashes]:
            report.problem("the proof's frontier is not the entries' tree")
        if proof["chain_hash"] != self.chain:
            report.problem("the proof's chain hash is not the last entry's")
        anchor = self._signed(str(proof["checkpoint"]), f"checkpoint at size {anchor_size}")
        if anchor is None:
            return
        path = [bytes.fromhex(node) for node in proof["consistency_path"]]
        if anchor.size != anchor_size or not verify_consistency(
            report.last_seq, anchor.size, root, anchor.root, path
        ):
            report.problem(
                f"the entries do not lead to the checkpoint signed at size {anchor_size}: "
                "no consistency proof from the archive's tree to it"
            )

    def _check_manifest(self) -> None:
        report, note = self.report, self.manifest
        if note is None:
            report.problem("there is no manifest: the archive is truncated or unsigned")
            return
        text, _ = split_note(note)
        manifest = parse_manifest(text)
        if self.ring is not None:
            key = signer_of(note, self.ring)
            if key is None:
                report.problem("the manifest's signature does not verify with any known key")
            elif not self.ring.valid_at(key, manifest.time):
                report.problem(f"the manifest was signed by key {key.key_id} after it was retired")
            else:
                report.signed_by = key.key_id
        proof = self.proof or {}
        stated = {
            "workspace": (manifest.workspace, report.workspace),
            "seqs": (
                (manifest.first_seq, manifest.last_seq),
                (report.first_seq, report.last_seq),
            ),
            "count": (manifest.count, report.count),
            "cutoff": (manifest.cutoff, report.cutoff),
            "entries": (manifest.entries_sha256, self.entries.hexdigest()),
            "root": ((manifest.tree_size, manifest.root), (report.last_seq, report.root)),
            "checkpoint": (
                (manifest.checkpoint_size, manifest.checkpoint_root),
                (int(proof.get("checkpoint_size", 0)), self._anchor_root(proof)),
            ),
        }
        for name, (signed, found) in stated.items():
            if signed != found:
                report.problem(f"the manifest's {name} is not what the archive holds")

    def _anchor_root(self, proof: dict[str, Any]) -> str:
        try:
            return parse_checkpoint(str(proof["checkpoint"])).root.hex()
        except (KeyError, ValueError):
            return ""

    def _signed(self, note: str, what: str) -> Checkpoint | None:
        """The checkpoint ``note`` states if it verifies and is of this workspace."""
        try:
            if self.ring is None:
                checkpoint, problem = parse_checkpoint(note), None
            else:
                checkpoint, problem = verified_checkpoint(note, self.ring)
        except ValueError as exc:
            self.report.problem(f"{what}: unreadable ({exc})")
            return None
        if problem is not None:
            self.report.problem(f"{what}: {problem}")
            return None
        if checkpoint.origin != self.report.workspace:
            self.report.problem(f"{what}: it is of workspace {checkpoint.origin!r}")
            return None
        return checkpoint
