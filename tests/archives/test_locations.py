"""Archive locations: names, a directory, an S3 bucket through boto3 over HTTP, and the
errors that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from activitylog.archives import ArchiveName, archive_name, archive_names, open_location
from activitylog.archives.locations import DirectoryLocation, S3Location
from activitylog.errors import ConfigurationError, NotFound


def test_names_sort_in_seq_order_and_say_their_range() -> None:
    name = archive_name("acme", 1, 1042)
    assert name == "acme/000000000001-000000001042.ndjson.zst"
    parsed = ArchiveName.parse(name)
    assert parsed is not None
    assert (parsed.workspace, parsed.first_seq, parsed.last_seq) == ("acme", 1, 1042)
    assert archive_name("acme", 9, 10) < archive_name("acme", 11, 20)
    assert ArchiveName.parse("acme/report-2026-11.pdf") is None


def test_workspace_names_are_encoded() -> None:
    odd = "Acme / Sales~EU"
    parsed = ArchiveName.parse(archive_name(odd, 1, 2))
    assert parsed is not None
    assert parsed.workspace == odd
    long = "w" * 300
    hashed = ArchiveName.parse(archive_name(long, 1, 2))
    assert hashed is not None
    assert hashed.workspace is None  # hashed: the header says which
    assert len(hashed.directory) == 200


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "archive: must not be empty"),
        ("s3://", "archive: 's3://' names no bucket"),
        ("https://example.com/archives", "is neither a directory nor an s3://bucket/prefix"),
    ],
)
def test_bad_locations_name_the_setting(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        open_location(url)


def test_a_directory_location(tmp_path: Path) -> None:
    location = open_location(str(tmp_path / "archives"))
    assert isinstance(location, DirectoryLocation)
    assert location.names() == []
    source = tmp_path / "file"
    source.write_bytes(b"data")
    name = archive_name("acme", 1, 5)
    assert location.put(name, source)
    location.put("acme/notes.txt", source)
    other = tmp_path / "other"
    other.write_bytes(b"other")
    assert not location.put(name, other)  # never replaced
    assert sorted(p.name for p in (tmp_path / "archives/acme").iterdir()) == [
        "000000000001-000000000005.ndjson.zst",
        "notes.txt",
    ]  # and no part file left behind
    assert location.exists(name)
    assert not location.exists(archive_name("acme", 6, 9))
    with location.open(name) as data:
        assert data.read() == b"data"
    assert location.names() == [name, "acme/notes.txt"]
    assert [a.name for a in archive_names(location)] == [name]
    assert [a.name for a in archive_names(location, "globex")] == []
    with pytest.raises(NotFound, match="archive: no acme/x"):
        location.open("acme/x")


def test_an_s3_location(bucket: str, tmp_path: Path) -> None:
    location = open_location(f"s3://{bucket}/logs/archives/")
    assert isinstance(location, S3Location)
    source = tmp_path / "file"
    source.write_bytes(b"data" * 1000)
    names = [archive_name("acme", 1, 5), archive_name("acme", 6, 9), archive_name("globex", 1, 3)]
    for name in names:
        assert location.put(name, source)
    assert not location.put(names[0], source)
    import boto3

    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(keys) == [f"logs/archives/{name}" for name in names]
    assert location.exists(names[0])
    assert not location.exists(archive_name("acme", 10, 12))
    with location.open(names[1]) as data:
        assert data.read() == b"data" * 1000
    assert [a.name for a in archive_names(location, "acme")] == names[:2]
    with pytest.raises(NotFound, match="archive: no acme/x"):
        location.open("acme/x")


def test_a_missing_bucket_names_the_location(bucket: str) -> None:
    location = open_location("s3://no-such-bucket-here")
    with pytest.raises(ConfigurationError, match="archive: s3://no-such-bucket-here: NoSuchBucket"):
        location.names()
