"""verify_archive offline: an archive as written holds; every way of changing it is named
(an entry edited, re-hashed or dropped, a tombstone rewritten, the manifest edited or
re-signed by another key, the proof or a checkpoint swapped, the file cut short)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from activitylog.archives import open_location, write_archive
from activitylog.archives.format import manifest_text, parse_manifest
from activitylog.chain import content_hash, link
from activitylog.notes import sign_note, split_note
from activitylog.signing import KeyRing, SigningKey
from store._tamper import DELETED, seeded_log

from ._files import check, entry_lines_sha256, local, records, write_records
from .conftest import CUTOFF

Items = list[dict[str, Any]]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, KeyRing]]:
    """acme's seqs 1..33 (seq 5 deleted, its record at 26; checkpoints 10, 20, 30; the
    proof leads to the one at 40) and the log's key ring."""
    tmp = tmp_path_factory.mktemp("archive")
    with seeded_log(f"sqlite:///{tmp / 'log.db'}", tmp) as seeded:
        location = open_location(str(tmp / "archives"))
        info = write_archive(seeded.log, "acme", 1, 33, CUTOFF, location)
        ring = seeded.log.key_ring()
        assert ring is not None
        yield local(location, info.name, tmp / "acme.ndjson.zst"), ring


@pytest.fixture
def items(written: tuple[Path, KeyRing]) -> Items:
    return records(written[0])


def verdict(items: Items, ring: KeyRing, tmp_path: Path) -> list[str]:
    path = tmp_path / "changed.ndjson.zst"
    write_records(path, items)
    return check(path, ring).problems


def at(items: Items, seq: int) -> dict[str, Any]:
    return next(i for i in items if i.get("seq") == seq and i["type"] in ("entry", "tombstone"))


def test_an_archive_as_written_holds(written: tuple[Path, KeyRing]) -> None:
    path, ring = written
    report = check(path, ring)
    assert report.ok, report.problems
    assert (report.workspace, report.first_seq, report.last_seq, report.count) == (
        "acme",
        1,
        33,
        33,
    )
    assert (report.entries, report.tombstones, report.checkpoints, report.anchor_size) == (
        32,
        1,
        3,
        40,
    )
    assert report.signed_by == next(iter(ring.keys.values())).key_id


def test_an_archive_rewritten_in_standard_tools_still_holds(
    items: Items, written: tuple[Path, KeyRing], tmp_path: Path
) -> None:
    assert verdict(items, written[1], tmp_path) == []  # decompressed, re-compressed: same lines


def test_an_edited_entry_is_named(
    items: Items, written: tuple[Path, KeyRing], tmp_path: Path
) -> None:
    entry = at(items, 12)
    entry["body"] = entry["body"].replace("acme #", "acme, forged #")
    problems = verdict(items, written[1], tmp_path)
    assert "seq 12: the body does not hash to its content hash" in problems
    assert any("the manifest's entries" in p for p in problems)


def rehash(items: Items, start: int) -> None:
    """Recompute content and chain hashes from ``start`` on, as an attacker who knows the
    rules would."""
    chain = at(items, start - 1)["chain_hash"] if start > 1 else "0" * 64
    for item in items:
        if item["type"] in ("entry", "tombstone") and item["seq"] >= start:
            if item["type"] == "entry":
                item["content_hash"] = content_hash(item["body"].encode())
            chain = item["chain_hash"] = link(chain, item["content_hash"])


def test_an_edited_and_rehashed_entry_breaks_the_signed_trees(
    items: Items, written: tuple[Path, KeyRing], tmp_path: Path
) -> None:
    entry = at(items, 12)
    entry["body"] = entry["body"].replace("acme #", "acme, forged #")
    rehash(items, 12)
    problems = verdict(items, written[1], tmp_path)
    assert "seq 20: the entries up to it differ from the checkpoint signed at that size" in problems
    assert any("do not lead to the checkpoint signed at size 40" in p for p in problems)
    assert any("the manifest's root" in p for p in problems)


def test_a_dropped_entry_is_named(
    items: Items, written: tuple[Path, KeyRing], tmp_path: Path
) -> None:
    items.remove(at(items, 17))
    problems = verdict(items, written[1], tmp_path)
    assert "seq 17: entry missing (next line is seq 18)" in problems
    assert "the archive holds 32 entries, its header says 33" in problems


def test_entries_dropped_from_the_end_are_named(
    items: Items, written: tuple[Path, KeyRing], tmp_path: Path
) -> None:
    for seq in (32, 33):
        items.remove(at(items, seq))
    problems = verdict(items, written[1], tmp_path)
    assert "seq 32: the entries end at seq 31, the header says 33" in problems


def test_a_rewritten_tombstone_is_named(
    items: Items, written: tuple[Path, KeyRing], tmp_path: Path
) -> None:
    at(items, DELETED)["reason"] = "routine cleanup"
    problems = verdict(items, written[1], tmp_path)
    assert (
        f"seq {DELETED}: the tombstone's deleted_by, reason or deleted_at differ from its "
        "deletion record" in problems
    )


def manifest_of(items: Items) -> tuple[dict[str, Any], str]:
    record = items[-1]
    assert record["type"] == "manifest"
    text, _ = split_note(record["note"])
    return record, text


def test_an_edited_manifest_fails_its_signature(
    items: Items, written: tuple[Path, KeyRing], tmp_path: Path
) -> None:
    record, text = manifest_of(items)
    record["note"] = record["note"].replace(text, text.replace("seqs 1 33", "seqs 1 34"))
    problems = verdict(items, written[1], tmp_path)
    assert "the manifest's signature does not verify with any known key" in problems
    assert "the manifest's seqs is not what the archive holds" in problems


def test_a_manifest_forged_with_another_key_is_refused(
    items: Items, written: tuple[Path, KeyRing], tmp_path: Path
) -> None:
    """The attacker drops an entry and signs a manifest that agrees with what is left."""
    items.remove(at(items, 33))
    items[0]["last_seq"], items[0]["count"] = 32, 32
    record, text = manifest_of(items)
    stated = parse_manifest(text)
    forged = manifest_text(
        stated.__class__(
            **{
                **stated.__dict__,
                "last_seq": 32,
                "count": 32,
                "entries_sha256": entry_lines_sha256(items),
            }
        )
    )
    record["note"] = sign_note(forged, SigningKey.generate())
    problems = verdict(items, written[1], tmp_path)
    assert "the manifest's signature does not verify with any known key" in problems


def test_a_swapped_proof_checkpoint_is_refused(
    items: Items, written: tuple[Path, KeyRing], tmp_path: Path
) -> None:
    proof = items[-2]
    note = proof["checkpoint"]
    text, _ = split_note(note)
    lines = text.splitlines()
    lines[2] = base64.b64encode(bytes(32)).decode()  # another root, the old signature
    proof["checkpoint"] = note.replace(text, "\n".join(lines) + "\n")
    problems = verdict(items, written[1], tmp_path)
    assert any(p.startswith("checkpoint at size 40: signature does not verify") for p in problems)


def test_a_key_not_in_the_ring_verifies_nothing(written: tuple[Path, KeyRing]) -> None:
    other = KeyRing()
    other.add(SigningKey.generate().public)
    problems = check(written[0], other).problems
    assert "the manifest's signature does not verify with any known key" in problems
    assert any(p.startswith("checkpoint at size 10:") for p in problems)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda data: data[: len(data) // 2], "malformed archive"),
        (lambda data: b"not zstd at all", "malformed archive: not a zstd archive"),
        (lambda data: b"", "the archive is empty"),
    ],
)
def test_a_damaged_file_is_named(
    written: tuple[Path, KeyRing],
    tmp_path: Path,
    damage: Callable[[bytes], bytes],
    expected: str,
) -> None:
    path = tmp_path / "damaged.zst"
    path.write_bytes(damage(written[0].read_bytes()))
    problems = check(path, written[1]).problems
    assert problems
    assert any(p.startswith(expected) for p in problems), problems


def test_without_a_ring_the_rest_is_still_checked(
    items: Items, written: tuple[Path, KeyRing], tmp_path: Path
) -> None:
    path = tmp_path / "changed.ndjson.zst"
    at(items, 3)["body"] = at(items, 3)["body"].replace("acme #", "acme, forged #")
    write_records(path, items)
    report = check(path, None)
    assert not report.signatures_checked
    assert "seq 3: the body does not hash to its content hash" in report.problems


def test_an_unreadable_manifest_is_named(
    items: Items, written: tuple[Path, KeyRing], tmp_path: Path
) -> None:
    items[-1]["note"] = "activitylog archive v1\nworkspace acme\n"
    problems = verdict(items, written[1], tmp_path)
    assert problems == ["malformed archive: not a signed note"]
