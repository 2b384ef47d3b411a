"""witness: checkpoints appended to one file per workspace, read back by their lines."""

from __future__ import annotations

import stat
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from activitylog.errors import ConfigurationError
from activitylog.notes import Checkpoint, sign_checkpoint, sign_handover
from activitylog.signing import SigningKey
from activitylog.witness import HANDOVERS, SUFFIX, Witness, file_name

ROOT = bytes(range(32))
CHAIN = "cd" * 32
TIME = "2026-03-01T12:00:00.000000Z"
SIGNER = SigningKey(Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32))

ODD_NAMES = [
    "acme",
    "team/billing",
    "../../etc/passwd",
    ".",
    "..",
    "a.b.c",
    "a%2Fb",  # must not meet "a/b"
    "a/b",
    "ünïcødé 東京 🚀",
    "x" * 200,
    "é" * 200,
    "~",
    " leading and trailing ",
]


def cp(workspace: str, size: int, prev: int = 0) -> Checkpoint:
    return sign_checkpoint(SIGNER, workspace, size, ROOT, CHAIN, prev, TIME)


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / "witness"


def test_append_creates_a_file_per_workspace(directory: Path) -> None:
    witness = Witness(directory)
    witness.append([cp("acme", 10), cp("globex", 4), cp("acme", 20, 10)])
    files = sorted(p.name for p in directory.iterdir())
    assert files == ["acme" + SUFFIX, "globex" + SUFFIX]
    lines = (directory / ("acme" + SUFFIX)).read_bytes().splitlines()
    assert [orjson.loads(line) for line in lines] == [
        {"workspace": "acme", "size": 10, "note": cp("acme", 10).note},
        {"workspace": "acme", "size": 20, "note": cp("acme", 20, 10).note},
    ]
    assert stat.S_IMODE((directory / ("acme" + SUFFIX)).stat().st_mode) & 0o022 == 0
    assert witness.checkpoints("acme") == [(10, cp("acme", 10).note), (20, cp("acme", 20, 10).note)]
    assert witness.witnessed_size("acme") == 20
    assert witness.witnessed_size("globex") == 4
    assert witness.witnessed_size("initech") == 0


def test_appends_accumulate_across_instances(directory: Path) -> None:
    Witness(directory).append([cp("acme", 10)])
    Witness(directory).append([cp("acme", 20, 10)])
    reader = Witness(directory)
    assert [size for size, _ in reader.checkpoints("acme")] == [10, 20]
    assert reader.witnessed_size("acme") == 20
    assert reader.workspaces() == ["acme"]


def test_nothing_to_append_creates_nothing(directory: Path) -> None:
    Witness(directory).append([])
    assert not directory.exists()
    assert Witness(directory).workspaces() == []
    assert Witness(directory).checkpoints("acme") == []
    assert Witness(directory).handovers() == []


def test_ensure_refuses_a_directory_it_cannot_make(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigurationError, match="witness_dir"):
        Witness(blocker / "witness").ensure()


def test_odd_workspace_names(directory: Path) -> None:
    witness = Witness(directory)
    witness.append([cp(name, i + 1) for i, name in enumerate(ODD_NAMES)])
    # every file stays inside the directory, one per workspace
    files = list(directory.iterdir())
    assert len(files) == len(ODD_NAMES)
    assert all(p.parent == directory and p.name.endswith(SUFFIX) for p in files)
    assert all(len(p.name) <= 255 for p in files)
    reader = Witness(directory)
    assert reader.workspaces() == sorted(ODD_NAMES)
    for i, name in enumerate(ODD_NAMES):
        assert reader.checkpoints(name) == [(i + 1, cp(name, i + 1).note)], name
        assert reader.witnessed_size(name) == i + 1


def test_file_name() -> None:
    assert file_name("acme") == "acme.checkpoints"
    assert file_name("a/b") == "a%2Fb.checkpoints"
    assert file_name("a%2Fb") == "a%252Fb.checkpoints"
    assert "/" not in file_name("../x")
    # long names are cut and end in a hash of the whole name
    first, second = file_name("é" * 200), file_name("é" * 199 + "e")
    assert first != second
    assert len(first) == 200 + len(SUFFIX)


def test_workspaces_read_from_lines_not_file_names(directory: Path) -> None:
    directory.mkdir()
    line = orjson.dumps({"workspace": "real name", "size": 3, "note": cp("real name", 3).note})
    (directory / ("misleading" + SUFFIX)).write_bytes(line + b"\n")
    (directory / ("no-lines" + SUFFIX)).write_bytes(b"")
    (directory / "unrelated.txt").write_bytes(line + b"\n")
    assert Witness(directory).workspaces() == ["real name"]


def test_a_torn_last_line_is_skipped(directory: Path) -> None:
    witness = Witness(directory)
    witness.append([cp("acme", 10), cp("acme", 20, 10)])
    path = directory / file_name("acme")
    whole = orjson.dumps({"workspace": "acme", "size": 30, "note": cp("acme", 30, 20).note})
    with path.open("ab") as out:
        out.write(whole[: len(whole) // 2])  # a crash mid-write
    reader = Witness(directory)
    assert [size for size, _ in reader.checkpoints("acme")] == [10, 20]
    assert reader.witnessed_size("acme") == 20
    assert reader.workspaces() == ["acme"]


def test_a_torn_first_line_does_not_hide_the_workspace(directory: Path) -> None:
    directory.mkdir()
    good = orjson.dumps({"workspace": "acme", "size": 5, "note": cp("acme", 5).note})
    (directory / file_name("acme")).write_bytes(b'{"workspace": "ac\n' + good + b"\n")
    reader = Witness(directory)
    assert reader.workspaces() == ["acme"]
    assert reader.checkpoints("acme") == [(5, cp("acme", 5).note)]


def test_lines_of_other_shapes_are_skipped(directory: Path) -> None:
    directory.mkdir()
    lines = [
        b"[1, 2]",
        b'"a string"',
        orjson.dumps({"workspace": "acme", "size": 3}),  # no note
        orjson.dumps({"workspace": "other", "size": 4, "note": "n"}),  # another workspace
        orjson.dumps({"workspace": "acme", "size": "5", "note": "n5"}),  # size not an int
        orjson.dumps({"workspace": "acme", "size": 6, "note": "n6"}),
    ]
    (directory / file_name("acme")).write_bytes(b"\n".join(lines) + b"\n")
    assert Witness(directory).checkpoints("acme") == [(0, "n5"), (6, "n6")]


def test_append_after_a_torn_line_is_readable(directory: Path) -> None:
    witness = Witness(directory)
    witness.append([cp("acme", 10)])
    with (directory / file_name("acme")).open("ab") as out:
        out.write(b'{"workspace":"acme","si')  # a crash mid-write
    Witness(directory).append([cp("acme", 20, 10)])
    assert [size for size, _ in Witness(directory).checkpoints("acme")] == [10, 20]


def test_a_name_shaped_like_a_hashed_file_name_keeps_its_own_file(directory: Path) -> None:
    long_name = "x" * 300
    lookalike = file_name(long_name).removesuffix(SUFFIX)
    assert lookalike != long_name
    witness = Witness(directory)
    witness.append([cp(long_name, 7), cp(lookalike, 3)])
    assert Witness(directory).workspaces() == sorted([long_name, lookalike])


def test_handovers(directory: Path) -> None:
    a, b, c = (SigningKey(Ed25519PrivateKey.from_private_bytes(bytes([s]) * 32)) for s in (1, 2, 3))
    first, second = sign_handover(a, b, TIME), sign_handover(b, c, TIME)
    witness = Witness(directory)
    witness.append_handover(first)
    Witness(directory).append_handover(second)
    assert (directory / HANDOVERS).exists()
    assert Witness(directory).handovers() == [first, second]
    # the handovers file is no workspace
    assert Witness(directory).workspaces() == []
    with (directory / HANDOVERS).open("ab") as out:
        out.write(b'{"note": 5}\n{"note": "tor')
    assert Witness(directory).handovers() == [first, second]
