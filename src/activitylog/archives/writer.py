"""Writing an archive: a workspace's entries ``first..last`` as one file at a location.

The purge calls :func:`write_archive` before it removes the entries, and names the
returned archive and SHA-256 in its ``activity_log.purged`` record. The entries are read
in one snapshot with the checkpoints and the entries after them up to the checkpoint the
proof leads to; nothing is written unless the range's tree is consistent with that signed
checkpoint, so an archive of a database changed outside activitylog is refused.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from activitylog.archives.format import FORMAT, Manifest, compressor, line, manifest_text
from activitylog.archives.locations import Location, archive_name, open_location
from activitylog.archives.verify import verify_archive
from activitylog.chain import Row, link
from activitylog.errors import FieldError, IntegrityError, NotFound, ValidationError
from activitylog.events import format_time, parse_time
from activitylog.merkle import Frontier, consistency_path, leaf_hash, verify_consistency
from activitylog.notes import parse_checkpoint, sign_note
from activitylog.store import Store
from activitylog.verify_report import GENESIS

if TYPE_CHECKING:
    from activitylog.client import ActivityLog
    from activitylog.signing import SigningKey


@dataclass(frozen=True)
class ArchiveInfo:
    """An archive written (or found already written) at a location."""

    #: Its name at the location: ``<workspace>/<first>-<last>.ndjson.zst``.
    name: str
    #: SHA-256 of the file as stored (hex): ``sha256sum`` of it gives the same.
    sha256: str
    workspace: str
    count: int
    first_seq: int
    last_seq: int
    cutoff: str
    #: The tree after ``last_seq``: its root and frontier, and the chain hash there.
    root: str
    frontier: bytes
    chain_hash: str


def write_archive(
    log: ActivityLog,
    workspace: str,
    first_seq: int,
    last_seq: int,
    cutoff: datetime | str,
    location: Location | str | Path,
) -> ArchiveInfo:
    """Archive entries ``first_seq..last_seq`` of ``workspace`` (tombstones as tombstones)
    to ``location``, signed with the log's key, and return what was written.

    ``first_seq`` is the first entry the log still holds (1, or the seq after its last
    purge; the tree before it is the one that purge's record states) or a later one.
    Writing the same range again returns the archive already there (after checking it),
    so a purge that failed after writing can be retried."""
    where = location if not isinstance(location, str | Path) else open_location(location)
    problems = []
    if first_seq < 1:
        problems.append(FieldError("first_seq", "must be 1 or more"))
    if last_seq < first_seq:
        problems.append(FieldError("last_seq", "must be first_seq or more"))
    if problems:
        raise ValidationError(problems)
    cut = format_time(cutoff if isinstance(cutoff, datetime) else parse_time(cutoff))
    name = archive_name(workspace, first_seq, last_seq)
    if where.exists(name):
        return _existing(log, where, name, workspace, first_seq, last_seq)
    with tempfile.TemporaryDirectory(prefix="activitylog-archive-") as scratch:
        path = Path(scratch) / "archive"
        with path.open("wb") as out:
            writer = _Writer(log.store, workspace, first_seq, last_seq, cut)
            info = writer.write(out, log.signing_key)
        with path.open("rb") as data:
            digest = _sha256_of(data)
        if not where.put(name, path):  # written meanwhile by another purge of this range
            return _existing(log, where, name, workspace, first_seq, last_seq)
    return replace(info, name=name, sha256=digest)


def _existing(
    log: ActivityLog, where: Location, name: str, workspace: str, first: int, last: int
) -> ArchiveInfo:
    with where.open(name) as data:
        report = verify_archive(data, log.key_ring())
        data.seek(0)
        digest = _sha256_of(data)
    same = (report.workspace, report.first_seq, report.last_seq) == (workspace, first, last)
    if not report.ok or not same:
        problems = "; ".join(report.problems) or "it is of another workspace or range"
        raise IntegrityError(
            f"archive: {name} exists at {where.url} and does not verify: {problems}"
        )
    return ArchiveInfo(
        name=name,
        sha256=digest,
        workspace=workspace,
        count=report.count,
        first_seq=first,
        last_seq=last,
        cutoff=report.cutoff,
        root=report.root,
        frontier=report.frontier,
        chain_hash=report.chain_hash,
    )


class _Writer:
    """One archive's lines, from one snapshot of the workspace."""

    def __init__(self, store: Store, workspace: str, first: int, last: int, cutoff: str) -> None:
        self.store = store
        self.workspace = workspace
        self.first, self.last, self.cutoff = first, last, cutoff
        self.entries = hashlib.sha256()
        self.tombstones = {seq: rest for seq, *rest in store.tombstones_of(workspace)}

    def write(self, out: IO[bytes], key: SigningKey) -> ArchiveInfo:
        """Write the archive to ``out``; what it holds (its name and digest left empty)."""
        workspace, first, last = self.workspace, self.first, self.last
        with self.store.snapshot(workspace) as snapshot, compressor(out) as zst:
            head, kept, start = snapshot.head, snapshot.kept, snapshot.start
            if head is None or head.note is None:
                raise NotFound(f"workspace: no signed log for {workspace!r}")
            if last > head.seq:
                raise ValidationError(
                    [FieldError("last_seq", f"is beyond the head of {workspace!r} at {head.seq}")]
                )
            tree, chain = (
                (Frontier(), GENESIS) if start is None else (start.frontier, start.chain.hex())
            )
            if tree.size >= first:
                raise ValidationError(
                    [FieldError("first_seq", f"entries up to {tree.size} were purged already")]
                )
            anchor_size, anchor_note = next(
                ((size, note) for size, note in kept if size >= last), (head.seq, head.note)
            )
            created = format_time(datetime.now(UTC))
            rows = iter(snapshot.rows)
            for row in rows:
                seq = row[0]
                if seq != tree.size + 1:
                    raise _changed(workspace, f"seq {tree.size + 1} is missing")
                leaf = _leaf(workspace, row)
                if link(chain, leaf.hex()) != row[3]:
                    raise _changed(workspace, f"the chain does not link at seq {seq}")
                if seq == first:
                    zst.write(line(self._header(tree, chain, created)))
                    for size, note in kept:
                        if first <= size <= last:
                            zst.write(line({"type": "checkpoint", "size": size, "note": note}))
                tree.append(leaf)
                chain = row[3]
                if seq >= first:
                    encoded = line(self._record(row))
                    self.entries.update(encoded)
                    zst.write(encoded)
                if seq == last:
                    break
            if tree.size != last:
                raise _changed(workspace, f"seq {tree.size + 1} is missing")
            proof = self._proof(tree, chain, anchor_size, anchor_note, rows)
            zst.write(line(proof))
            manifest = Manifest(
                workspace=workspace,
                first_seq=first,
                last_seq=last,
                count=last - first + 1,
                cutoff=self.cutoff,
                entries_sha256=self.entries.hexdigest(),
                tree_size=last,
                root=str(proof["root"]),
                checkpoint_size=anchor_size,
                checkpoint_root=parse_checkpoint(anchor_note).root.hex(),
                time=created,
            )
            note = sign_note(manifest_text(manifest), key)
            zst.write(line({"type": "manifest", "note": note}))
        return ArchiveInfo(
            name="",
            sha256="",
            workspace=workspace,
            count=manifest.count,
            first_seq=first,
            last_seq=last,
            cutoff=self.cutoff,
            root=manifest.root,
            frontier=tree.to_bytes(),
            chain_hash=chain,
        )

    def _header(self, before: Frontier, chain: str, created: str) -> dict[str, object]:
        return {
            "type": "archive",
            "format": FORMAT,
            "workspace": self.workspace,
            "first_seq": self.first,
            "last_seq": self.last,
            "count": self.last - self.first + 1,
            "cutoff": self.cutoff,
            "created_at": created,
            "before": {
                "size": before.size,
                "chain_hash": chain,
                "frontier": [node.hex() for node in before.hashes],
            },
        }

    def _record(self, row: Row) -> dict[str, object]:
        seq, body, content, chained, grave = row
        if body is not None:
            return {
                "type": "entry",
                "seq": seq,
                "body": body.decode(),
                "content_hash": content,
                "chain_hash": chained,
            }
        if seq not in self.tombstones:  # deleted since they were read
            self.tombstones.update(
                (s, rest) for s, *rest in self.store.tombstones_of(self.workspace)
            )
        _, deleted_by, reason, deleted_at = self.tombstones[seq]
        return {
            "type": "tombstone",
            "seq": seq,
            "id": grave,
            "content_hash": content,
            "chain_hash": chained,
            "deleted_at": deleted_at,
            "deleted_by": deleted_by,
            "reason": reason,
        }

    def _proof(
        self, tree: Frontier, chain: str, size: int, note: str, rows: Iterator[Row]
    ) -> dict[str, object]:
        """The record tying the tree at the last seq to the signed checkpoint at ``size``
        (a consistency proof built from the entries after it); IntegrityError when the
        entries do not lead there."""
        last, root = self.last, tree.root()
        later = _later(self.workspace, rows, size)
        path = consistency_path(tree, size, later) if size > last else []
        anchor = parse_checkpoint(note)
        if anchor.origin != self.workspace or not verify_consistency(
            last, size, root, anchor.root, path
        ):
            raise _changed(self.workspace, f"entries up to {last} differ from checkpoint {size}")
        return {
            "type": "proof",
            "tree_size": last,
            "root": root.hex(),
            "chain_hash": chain,
            "frontier": [node.hex() for node in tree.hashes],
            "checkpoint_size": size,
            "checkpoint": note,
            "consistency_path": [node.hex() for node in path],
        }


def _leaf(workspace: str, row: Row) -> bytes:
    """An entry's leaf hash: from its body (a live entry's stored hash must agree), or the
    tombstone's kept hash."""
    seq, body, stored, _, _ = row
    if body is None:
        return bytes.fromhex(stored)
    leaf = leaf_hash(body)
    if leaf.hex() != stored:
        raise _changed(workspace, f"the body of seq {seq} does not hash to its content hash")
    return leaf


def _later(workspace: str, rows: Iterator[Row], end: int) -> Iterator[tuple[int, bytes]]:
    for row in rows:
        if row[0] > end:
            return
        yield row[0] - 1, _leaf(workspace, row)


def _changed(workspace: str, problem: str) -> IntegrityError:
    return IntegrityError(
        f"archive of {workspace!r}: {problem}; nothing was archived. Run `activitylog verify`."
    )


def _sha256_of(data: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := data.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()
