"""write_archive on every engine: what the file holds (the entries as stored, tombstones,
checkpoints, the proof, the signed manifest), its name and digest, idempotent retries, and
the archives it refuses to write."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from activitylog.archives import Location, open_location, write_archive
from activitylog.archives.format import parse_manifest
from activitylog.errors import IntegrityError, NotFound, ValidationError
from activitylog.notes import signer_of, split_note
from store._support import sql
from store._tamper import DELETED, Seeded, entry, forged

from ._files import check, local, records
from .conftest import CUTOFF


def test_an_archive_holds_the_entries_as_stored(
    seeded: Seeded, directory: Location, tmp_path: Path
) -> None:
    info = write_archive(seeded.log, "acme", 1, 30, CUTOFF, directory)
    assert (info.name, info.workspace, info.count) == (
        "acme/000000000001-000000000030.ndjson.zst",
        "acme",
        30,
    )
    path = local(directory, info.name, tmp_path / "a.zst")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == info.sha256
    items = records(path)
    assert [item["type"] for item in items[:4]] == [
        "archive",
        "checkpoint",
        "checkpoint",
        "checkpoint",
    ]
    assert [item["size"] for item in items[1:4]] == [10, 20, 30]
    header = items[0]
    assert header["before"] == {"size": 0, "chain_hash": "0" * 64, "frontier": []}
    assert (header["first_seq"], header["last_seq"], header["cutoff"]) == (
        1,
        30,
        "2026-01-01T00:00:00.000000Z",
    )
    rows = {row[0]: row for row in seeded.log.store.entries_of("acme", 1, 30)}
    lines = [item for item in items if item["type"] in ("entry", "tombstone")]
    assert [item["seq"] for item in lines] == list(range(1, 31))
    for item in lines:
        _seq, body, content, chained, _ = rows[item["seq"]]
        assert (item["content_hash"], item["chain_hash"]) == (content, chained)
        if item["type"] == "entry":
            assert item["body"].encode() == body
    [grave] = [item for item in lines if item["type"] == "tombstone"]
    assert (grave["seq"], grave["id"], grave["deleted_by"], grave["reason"]) == (
        DELETED,
        seeded.ids[("acme", DELETED)],
        "u_0",
        "GDPR request 118",
    )
    proof, manifest = items[-2], items[-1]
    assert (proof["type"], proof["tree_size"], proof["checkpoint_size"]) == ("proof", 30, 30)
    assert proof["root"] == info.root
    assert proof["consistency_path"] == []
    text, _ = split_note(manifest["note"])
    stated = parse_manifest(text)
    assert (stated.workspace, stated.first_seq, stated.last_seq, stated.count) == (
        "acme",
        1,
        30,
        30,
    )
    assert stated.root == info.root
    assert signer_of(manifest["note"], seeded.log.key_ring()) is not None  # type: ignore[arg-type]
    assert check(path, seeded.log.key_ring()).ok


def test_a_range_ending_between_checkpoints_is_proved_to_the_next_one(
    seeded: Seeded, directory: Location, tmp_path: Path
) -> None:
    info = write_archive(seeded.log, "acme", 1, 33, CUTOFF, directory)
    items = records(local(directory, info.name, tmp_path / "a.zst"))
    proof = items[-2]
    assert (proof["tree_size"], proof["checkpoint_size"]) == (33, 40)
    assert proof["consistency_path"]
    report = check(tmp_path / "a.zst", seeded.log.key_ring())
    assert report.ok, report.problems
    assert (report.anchor_size, report.entries, report.tombstones) == (40, 32, 1)


def test_the_newest_entries_are_proved_to_the_head(
    seeded: Seeded, directory: Location, tmp_path: Path
) -> None:
    info = write_archive(seeded.log, "acme", 1, 45, CUTOFF, directory)
    report = check(local(directory, info.name, tmp_path / "a.zst"), seeded.log.key_ring())
    assert report.ok, report.problems
    assert report.anchor_size == 47  # no checkpoint is kept after 43: the head's note


def test_a_later_range_starts_from_the_tree_before_it(
    seeded: Seeded, directory: Location, tmp_path: Path
) -> None:
    info = write_archive(seeded.log, "acme", 31, 40, CUTOFF, directory)
    header = records(local(directory, info.name, tmp_path / "a.zst"))[0]
    assert header["before"]["size"] == 30
    assert len(header["before"]["frontier"]) == (30).bit_count()
    assert check(tmp_path / "a.zst", seeded.log.key_ring()).ok


def test_writing_the_same_range_again_returns_the_archive_there(
    seeded: Seeded, directory: Location
) -> None:
    first = write_archive(seeded.log, "acme", 1, 20, CUTOFF, directory)
    again = write_archive(seeded.log, "acme", 1, 20, "2027-01-01T00:00:00Z", directory)
    assert again == first


def test_an_archive_written_meanwhile_is_kept_and_returned(
    seeded: Seeded, directory: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another purge of the same range wrote it after this one looked: it stays."""
    first = write_archive(seeded.log, "acme", 1, 20, CUTOFF, directory)
    monkeypatch.setattr(directory, "exists", lambda name: False)
    assert write_archive(seeded.log, "acme", 1, 20, "2027-01-01T00:00:00Z", directory) == first


def test_a_broken_archive_in_the_way_is_not_taken_for_the_range(
    seeded: Seeded, directory: Location, tmp_path: Path
) -> None:
    info = write_archive(seeded.log, "acme", 1, 20, CUTOFF, directory)
    path = Path(directory.url) / info.name
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(IntegrityError, match="does not verify"):
        write_archive(seeded.log, "acme", 1, 20, CUTOFF, directory)


def test_a_database_changed_outside_activitylog_is_not_archived(
    seeded: Seeded, directory: Location
) -> None:
    body = entry(seeded.log, "acme", 12)["body"]
    sql(
        seeded.log,
        "UPDATE entries SET body = :b WHERE workspace = 'acme' AND seq = 12",
        b=forged(bytes(body), 12),
    )
    with pytest.raises(IntegrityError, match="seq 12"):
        write_archive(seeded.log, "acme", 1, 20, CUTOFF, directory)
    assert directory.names() == []


def test_bad_ranges_are_refused_naming_the_field(seeded: Seeded, directory: Location) -> None:
    with pytest.raises(ValidationError, match="first_seq"):
        write_archive(seeded.log, "acme", 0, 20, CUTOFF, directory)
    with pytest.raises(ValidationError, match="last_seq"):
        write_archive(seeded.log, "acme", 20, 19, CUTOFF, directory)
    with pytest.raises(ValidationError, match="last_seq: is beyond the head"):
        write_archive(seeded.log, "acme", 1, 48, CUTOFF, directory)
    with pytest.raises(NotFound, match="workspace"):
        write_archive(seeded.log, "nobody", 1, 1, CUTOFF, directory)
    assert directory.names() == []


def test_archives_go_to_an_s3_bucket(seeded: Seeded, bucket: str, tmp_path: Path) -> None:
    location = f"s3://{bucket}/activity/archives"
    info = write_archive(seeded.log, "globex", 1, 20, CUTOFF, location)
    import boto3

    got = boto3.client("s3").get_object(Bucket=bucket, Key=f"activity/archives/{info.name}")
    data = got["Body"].read()
    assert hashlib.sha256(data).hexdigest() == info.sha256
    (tmp_path / "g.zst").write_bytes(data)
    assert check(tmp_path / "g.zst", seeded.log.key_ring()).ok
    assert write_archive(seeded.log, "globex", 1, 20, CUTOFF, location) == info


@pytest.mark.skipif(not shutil.which("zstdcat") or not shutil.which("jq"), reason="needs zstd, jq")
def test_standard_tools_read_an_archive(
    seeded: Seeded, directory: Location, tmp_path: Path
) -> None:
    info = write_archive(seeded.log, "acme", 1, 10, CUTOFF, directory)
    path = local(directory, info.name, tmp_path / "a.zst")
    out = subprocess.run(
        f"zstdcat {path} | jq -r 'select(.type == \"entry\") | .body | fromjson | .description'",
        shell=True,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert out[:2] == ["acme", "#1"]


def test_after_a_purge_the_next_range_starts_from_its_record(
    seeded: Seeded, tmp_path: Path
) -> None:
    """The purge archives its range (1..n) and removes it; the next archive starts from the
    tree and chain hash the purge record states, and both verify."""
    from activitylog import ActivityLog
    from activitylog.purging import run_purges
    from activitylog.settings import Settings

    location = tmp_path / "archives"
    settings = Settings(
        signing_key=seeded.key, checkpoint_every=10, retention_days=1, archive=str(location)
    )
    with ActivityLog(seeded.url, settings=settings) as log:
        [outcome] = run_purges(log, workspace="acme")
        assert outcome.plan is not None
        assert outcome.archive is not None
        purged = outcome.plan.last
        assert log.store.entries_of("acme", 1, purged) == []
        info = write_archive(log, "acme", purged + 1, 40, CUTOFF, str(location))
        first = local(open_location(str(location)), outcome.archive.name, tmp_path / "1.zst")
        second = local(open_location(str(location)), info.name, tmp_path / "2.zst")
        ring = log.key_ring()
        assert check(first, ring).ok
        report = check(second, ring)
        assert report.ok, report.problems
        header = records(second)[0]
        assert header["before"]["size"] == purged
        assert bytes.fromhex("".join(header["before"]["frontier"])) == check(first, None).frontier
        [record] = log.export(workspace="acme", events=("activity_log.purged",))
        proof = records(first)[-2]
        said = record["details"]
        assert (said["frontier"], said["chain_hash"]) == (proof["frontier"], proof["chain_hash"])
        assert said["archive"]["sha256"] == hashlib.sha256(first.read_bytes()).hexdigest()
        with pytest.raises(ValidationError, match=f"first_seq: entries up to {purged} were purged"):
            write_archive(log, "acme", 1, 40, CUTOFF, str(location / "elsewhere"))
