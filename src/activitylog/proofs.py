"""Inclusion and consistency proofs: built from a store, checked offline with a key ring.

An inclusion proof shows one entry is leaf ``seq - 1`` of the tree a signed checkpoint
names; a consistency proof shows the tree at one size is a prefix of the tree at a larger
one (RFC 9162 2.1.3 and 2.1.4). Both are JSON documents (docs/INTEGRITY.md has the
format and a short verifier in plain Python).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from activitylog.chain import Row
from activitylog.errors import FieldError, NotFound, ValidationError
from activitylog.merkle import (
    Span,
    consistency_spans,
    inclusion_spans,
    leaf_hash,
    root_from_inclusion,
    span_roots,
    verify_consistency,
)
from activitylog.notes import Checkpoint, parse_checkpoint, verified_checkpoint
from activitylog.signing import KeyRing
from activitylog.store import Store

INCLUSION = "activitylog-inclusion-proof/v1"
CONSISTENCY = "activitylog-consistency-proof/v1"


def _leaves(rows: Iterable[Row]) -> Iterator[tuple[int, bytes]]:
    for row in rows:
        yield row[0] - 1, bytes.fromhex(row[2])


def inclusion_proof(store: Store, workspace: str, seq: int) -> dict[str, Any]:
    """The proof that entry ``seq`` of ``workspace`` is in the tree its head's signed
    note names (every append signs one, so every entry has a proof at once)."""
    with store.snapshot(workspace) as view:
        head, rows, start = view.head, view.rows, view.start
        if head is None or head.note is None:
            raise NotFound(f"workspace: no signed head for {workspace!r}")
        if start is not None and seq <= start.last:
            raise NotFound(f"seq {seq} of {workspace!r} was purged (see its purge record)")
        checkpoint = parse_checkpoint(head.note)
        spans = inclusion_spans(seq - 1, checkpoint.size)
        entry: list[Row] = []

        def watched() -> Iterator[tuple[int, bytes]]:
            for row in rows:
                if row[0] == seq:
                    entry.append(row)
                if row[0] > checkpoint.size:
                    return
                yield row[0] - 1, bytes.fromhex(row[2])

        path = span_roots(spans, watched(), None if start is None else start.frontier)
    if not entry:
        raise NotFound(f"seq {seq} of {workspace!r} is not in the log")
    _, body, content_hash, _, _ = entry[0]
    return {
        "format": INCLUSION,
        "workspace": workspace,
        "seq": seq,
        "leaf_index": seq - 1,
        "tree_size": checkpoint.size,
        "body": body.decode() if body is not None else None,
        "content_hash": content_hash,
        "audit_path": [node.hex() for node in path],
        "checkpoint": checkpoint.note,
    }


def consistency_proof(store: Store, workspace: str, old_size: int, new_size: int) -> dict[str, Any]:
    """The proof that the tree of ``old_size`` is a prefix of the tree of ``new_size``,
    with the signed notes of both sizes where the log kept one."""
    with store.snapshot(workspace) as view:
        head, kept, rows, start = view.head, view.kept, view.rows, view.start
        size = head.seq if head is not None else 0
        if not 0 < old_size <= new_size <= size:
            raise ValidationError(
                [FieldError("new_size", f"sizes must satisfy 0 < old <= new <= {size}")]
            )
        if start is not None and old_size < start.last:
            raise ValidationError(
                [FieldError("old_size", f"entries up to seq {start.last} were purged")]
            )
        spans = [
            Span(0, old_size),
            Span(0, new_size),
            *([] if old_size == new_size else consistency_spans(old_size, new_size)),
        ]
        base = None if start is None else start.frontier
        old_root, new_root, *path = span_roots(spans, _leaves(rows), base)
    notes = dict(kept)
    if head is not None and head.note is not None:
        notes.setdefault(head.seq, head.note)
    return {
        "format": CONSISTENCY,
        "workspace": workspace,
        "old_size": old_size,
        "new_size": new_size,
        "old_root": old_root.hex(),
        "new_root": new_root.hex(),
        "path": [node.hex() for node in path],
        "old_checkpoint": notes.get(old_size),
        "new_checkpoint": notes.get(new_size),
    }


def check_proof(proof: Any, ring: KeyRing) -> list[str]:
    """What is wrong with ``proof`` (empty when it holds), checked offline."""
    if not isinstance(proof, dict):
        return ["not a proof: a JSON object was expected"]
    kind = proof.get("format")
    try:
        if kind == INCLUSION:
            return _check_inclusion(proof, ring)
        if kind == CONSISTENCY:
            return _check_consistency(proof, ring)
    except (KeyError, TypeError, ValueError) as exc:
        return [f"malformed proof: {exc}"]
    return [f"unknown proof format {kind!r}"]


def _signed(note: str, ring: KeyRing, workspace: str, size: int) -> tuple[Checkpoint, list[str]]:
    checkpoint, problem = verified_checkpoint(note, ring)
    problems = [f"checkpoint: {problem}"] if problem else []
    if checkpoint.origin != workspace:
        problems.append(f"checkpoint is for workspace {checkpoint.origin!r}")
    if checkpoint.size != size:
        problems.append(f"checkpoint is for size {checkpoint.size}, the proof for {size}")
    return checkpoint, problems


def _check_inclusion(proof: dict[str, Any], ring: KeyRing) -> list[str]:
    workspace, size = proof["workspace"], int(proof["tree_size"])
    checkpoint, problems = _signed(proof["checkpoint"], ring, workspace, size)
    leaf = bytes.fromhex(proof["content_hash"])
    body = proof.get("body")
    if body is not None and leaf_hash(body.encode()) != leaf:
        problems.append("the body does not hash to content_hash")
    index = int(proof["leaf_index"])
    if index != int(proof["seq"]) - 1:
        problems.append("leaf_index is not seq - 1")
    path = [bytes.fromhex(node) for node in proof["audit_path"]]
    if root_from_inclusion(index, size, leaf, path) != checkpoint.root:
        problems.append("the audit path does not lead to the checkpoint's root")
    return problems


def _check_consistency(proof: dict[str, Any], ring: KeyRing) -> list[str]:
    workspace = proof["workspace"]
    old_size, new_size = int(proof["old_size"]), int(proof["new_size"])
    old_root, new_root = bytes.fromhex(proof["old_root"]), bytes.fromhex(proof["new_root"])
    path = [bytes.fromhex(node) for node in proof["path"]]
    problems = []
    if not verify_consistency(old_size, new_size, old_root, new_root, path):
        problems.append("the path does not prove the old tree is a prefix of the new one")
    if not proof.get("new_checkpoint"):
        problems.append("the new root is not signed (no new_checkpoint)")
    for side, size, root in (("old", old_size, old_root), ("new", new_size, new_root)):
        note = proof.get(f"{side}_checkpoint")
        if note:
            checkpoint, found = _signed(note, ring, workspace, size)
            problems.extend(found)
            if checkpoint.root != root:
                problems.append(f"{side}_root differs from the {side} checkpoint's root")
    return problems
