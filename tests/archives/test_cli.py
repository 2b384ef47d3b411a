"""``activitylog archive list | verify | search`` with click's CliRunner: what each prints,
and verify's exit codes (0 holds, 1 broken, 2 usage)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from activitylog.archives import open_location, write_archive
from activitylog.cli import main
from activitylog.signing import SigningKey
from store._tamper import Seeded, seeded_log

from ._files import records, write_records
from .conftest import CUTOFF


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Seeded, Path]]:
    """The seeded log (SQLite) with archives of acme 1..30 and 31..40 and globex 1..20."""
    tmp = tmp_path_factory.mktemp("cli")
    with seeded_log(f"sqlite:///{tmp / 'log.db'}", tmp) as seeded:
        location = open_location(str(tmp / "archives"))
        for workspace, first, last in (("acme", 1, 30), ("acme", 31, 40), ("globex", 1, 20)):
            write_archive(seeded.log, workspace, first, last, CUTOFF, location)
        yield seeded, tmp / "archives"


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, archived: tuple[Seeded, Path]) -> None:
    seeded, _ = archived
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(seeded.key))
    monkeypatch.setenv("ACTIVITYLOG_DB", seeded.url)
    for name in ("ARCHIVE", "WITNESS_DIR", "CONFIG"):
        monkeypatch.delenv(f"ACTIVITYLOG_{name}", raising=False)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_list_names_every_archive(archived: tuple[Seeded, Path]) -> None:
    _, directory = archived
    result = run("archive", "list", "--archive", str(directory))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "acme/000000000001-000000000030.ndjson.zst  workspace acme: seqs 1..30 (30 entries)",
        "acme/000000000031-000000000040.ndjson.zst  workspace acme: seqs 31..40 (10 entries)",
        "globex/000000000001-000000000020.ndjson.zst  workspace globex: seqs 1..20 (20 entries)",
        f"3 archives at {directory}",
    ]


def test_list_one_workspace_as_json_from_the_setting(
    archived: tuple[Seeded, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIVITYLOG_ARCHIVE", str(archived[1]))
    result = run("archive", "list", "--workspace", "globex", "--json")
    assert result.exit_code == 0, result.output
    listed = orjson.loads(result.output)
    assert listed["archives"] == [
        {
            "name": "globex/000000000001-000000000020.ndjson.zst",
            "workspace": "globex",
            "first_seq": 1,
            "last_seq": 20,
            "count": 20,
        }
    ]


def test_list_without_a_location_is_a_usage_error() -> None:
    result = run("archive", "list")
    assert result.exit_code == 2
    assert "error: archive: no archive location" in result.output


def public_key(seeded: Seeded, tmp_path: Path) -> Path:
    ring = seeded.log.key_ring()
    assert ring is not None
    path = tmp_path / "keys.pem"
    path.write_text(ring.pem())
    return path


def test_verify_a_file_offline(archived: tuple[Seeded, Path], tmp_path: Path) -> None:
    seeded, directory = archived
    file = directory / "acme/000000000001-000000000030.ndjson.zst"
    result = run("archive", "verify", str(file), "--public-key", str(public_key(seeded, tmp_path)))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "ok: workspace acme, seqs 1..30, 29 entries, 1 tombstones, 3 checkpoints, tied to the "
        "checkpoint at size 30, manifest signed by key "
    )


def test_verify_by_name_at_the_location_as_json(archived: tuple[Seeded, Path]) -> None:
    _, directory = archived
    name = "acme/000000000031-000000000040.ndjson.zst"
    result = run("archive", "verify", name, "--archive", str(directory), "--json")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.output)
    assert (report["ok"], report["first_seq"], report["checkpoint_size"]) == (True, 31, 40)


def test_verify_names_what_was_changed_and_exits_1(
    archived: tuple[Seeded, Path], tmp_path: Path
) -> None:
    seeded, directory = archived
    items = records(directory / "globex/000000000001-000000000020.ndjson.zst")
    items = [i for i in items if i.get("seq") != 7 or i["type"] not in ("entry", "tombstone")]
    changed = tmp_path / "changed.ndjson.zst"
    write_records(changed, items)
    result = run(
        "archive", "verify", str(changed), "--public-key", str(public_key(seeded, tmp_path))
    )
    assert result.exit_code == 1
    assert "FAILED: seq 7: entry missing (next line is seq 8)" in result.output
    assert "BROKEN: workspace globex" in result.output


def test_verify_with_another_key_exits_1(archived: tuple[Seeded, Path], tmp_path: Path) -> None:
    _, directory = archived
    other = tmp_path / "other.pem"
    other.write_text(SigningKey.generate().public.pem())
    file = directory / "acme/000000000001-000000000030.ndjson.zst"
    result = run("archive", "verify", str(file), "--public-key", str(other))
    assert result.exit_code == 1
    assert "FAILED: the manifest's signature does not verify with any known key" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere.ndjson.zst"], "error: file: nowhere.ndjson.zst does not exist"),
        (
            ["acme/000000000009-000000000010.ndjson.zst", "--archive", "{dir}"],
            "error: archive: no ",
        ),
        (["{file}", "--public-key", "{bad}"], "error: public_key: no PEM public key found"),
    ],
)
def test_verify_usage_errors_exit_2(
    archived: tuple[Seeded, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    values = {
        "dir": str(archived[1]),
        "file": str(archived[1] / "acme/000000000001-000000000030.ndjson.zst"),
        "bad": str(bad),
    }
    result = run("archive", "verify", *(arg.format(**values) for arg in args))
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_search_with_the_query_filters(archived: tuple[Seeded, Path]) -> None:
    seeded, directory = archived
    file = str(directory / "acme/000000000001-000000000030.ndjson.zst")
    result = run("archive", "search", file, "--event", "note.created", "--format", "ndjson")
    assert result.exit_code == 0, result.output
    found = [orjson.loads(line) for line in result.output.splitlines()]
    expected = [
        e for e in seeded.log.export(workspace="acme", events=("note.created",)) if e["seq"] <= 30
    ]
    assert sorted(e["id"] for e in found) == sorted(e["id"] for e in expected)
    assert found == sorted(expected, key=lambda e: e["seq"])  # whole events, in seq order


def test_search_prints_a_table(archived: tuple[Seeded, Path]) -> None:
    _, directory = archived
    file = str(directory / "globex/000000000001-000000000020.ndjson.zst")
    result = run("archive", "search", file, "--search", "globex #45")
    assert result.exit_code == 0, result.output
    assert "page 1 of 1, 1 event" in result.output


def test_search_rejects_a_bad_filter_naming_it(archived: tuple[Seeded, Path]) -> None:
    file = str(archived[1] / "globex/000000000001-000000000020.ndjson.zst")
    result = run("archive", "search", file, "--result", "maybe")
    assert result.exit_code == 2
    assert "result: unknown value 'maybe'" in result.output


def test_search_a_file_that_is_no_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zst"
    junk.write_bytes(b"junk")
    result = run("archive", "search", str(junk))
    assert result.exit_code == 2
    assert "is not an archive" in result.output


def test_verify_and_list_archives_in_an_s3_bucket(
    archived: tuple[Seeded, Path], bucket: str, tmp_path: Path
) -> None:
    seeded, _ = archived
    info = write_archive(seeded.log, "initech", 1, 20, CUTOFF, f"s3://{bucket}")
    key = public_key(seeded, tmp_path)
    result = run(
        "archive", "verify", info.name, "--archive", f"s3://{bucket}", "--public-key", str(key)
    )
    assert result.exit_code == 0, result.output
    listed = run("archive", "list", "--archive", f"s3://{bucket}")
    assert "initech/000000000001-000000000020.ndjson.zst  workspace initech" in listed.output


def test_list_reads_a_long_workspace_name_from_the_header(tmp_path: Path) -> None:
    from activitylog import ActivityLog
    from activitylog.settings import Settings

    long = "Société Générale — " * 10  # percent-encoded, longer than a file name may be
    settings = Settings(signing_key=tmp_path / "key.pem")
    with ActivityLog(f"sqlite:///{tmp_path / 'log.db'}", settings=settings) as log:
        for n in range(3):
            log.record(workspace=long, action="note.created", description=f"note {n}")
        write_archive(log, long, 1, 3, CUTOFF, str(tmp_path / "archives"))
    result = run("archive", "list", "--archive", str(tmp_path / "archives"), "--json")
    assert result.exit_code == 0, result.output
    [listed] = orjson.loads(result.output)["archives"]
    assert "~" in listed["name"]
    assert listed["workspace"] == long
    result = run("archive", "list", "--archive", str(tmp_path / "archives"), "--workspace", long)
    assert f"workspace {long}: seqs 1..3" in result.output


def test_serve_takes_the_archive_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from activitylog.cli import server

    ran: list[object] = []
    monkeypatch.setattr(server, "_run", lambda settings, log: ran.append(settings.archive))
    monkeypatch.setenv("ACTIVITYLOG_ARCHIVE", str(tmp_path / "from-env"))
    assert run("serve", "--archive", "s3://bucket/archives").exit_code == 0
    assert run("serve").exit_code == 0
    assert ran == ["s3://bucket/archives", str(tmp_path / "from-env")]
    result = run("serve", "--archive", "ftp://host/x")
    assert result.exit_code == 2
    assert "archive" in result.output
    assert "must be a directory or s3://bucket/prefix" in result.output


def test_the_archive_location_from_a_toml_file(
    archived: tuple[Seeded, Path], tmp_path: Path
) -> None:
    config = tmp_path / "activitylog.toml"
    config.write_text(f'archive = "{archived[1]}"\n')
    result = run("--config", str(config), "archive", "list", "--workspace", "acme")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"2 archives at {archived[1]}"
    config.write_text('archive = "s3://"\n')
    result = run("--config", str(config), "archive", "list")
    assert result.exit_code == 2
    assert "archive" in result.output
    assert "must name a bucket" in result.output
