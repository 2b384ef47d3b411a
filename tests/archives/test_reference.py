"""The archive check printed in docs/INTEGRITY.md (section 9, beside section 8's reference
verifier), run as an auditor would: its own process, the public key only, the archive
decompressed by zstd. An archive as written holds; changed ones fail."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard

from activitylog.archives import open_location, write_archive
from activitylog.chain import content_hash, link
from activitylog.notes import sign_note, split_note
from activitylog.signing import SigningKey
from store._tamper import seeded_log

from .conftest import CUTOFF

DOC = (Path(__file__).parents[2] / "docs" / "INTEGRITY.md").read_text()


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("auditor")
    [verifier] = re.findall(r"## 8\. A reference verifier.*?```python\n(.*?)```", DOC, re.S)
    [archive] = re.findall(r"## 9\. Archives.*?```python\n(.*?)```", DOC, re.S)
    (directory / "verify_ref.py").write_text(verifier)
    (directory / "check_archive.py").write_text(archive)
    return directory


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[bytes], Path]]:
    """The decompressed lines of acme's archive of seqs 11..33 (the tree before it from
    the entries still stored; a tombstone-free stretch with checkpoints 20 and 30, proved
    to 40), and the public key file."""
    tmp = tmp_path_factory.mktemp("reference")
    with seeded_log(f"sqlite:///{tmp / 'log.db'}", tmp) as seeded:
        location = open_location(str(tmp / "archives"))
        info = write_archive(seeded.log, "acme", 11, 33, CUTOFF, location)
        ring = seeded.log.key_ring()
        assert ring is not None
        key = tmp / "key.pem"
        key.write_text(next(iter(ring.keys.values())).pem())
        with location.open(info.name) as data:
            text = zstandard.ZstdDecompressor().stream_reader(data).read()
        yield text.splitlines(keepends=True), key


def run(scripts: Path, key: Path, lines: list[bytes]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, str(scripts / "check_archive.py"), str(key)],
        input=b"".join(lines),
        capture_output=True,
        cwd=scripts,
        check=False,
    )


def test_the_reference_check_passes_an_archive(
    scripts: Path, written: tuple[list[bytes], Path]
) -> None:
    lines, key = written
    result = run(scripts, key, lines)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b"ok\n"


def _edit(item: dict[str, Any]) -> None:
    item["body"] = item["body"].replace("acme #", "acme, forged #")


def _rehash_from(items: list[dict[str, Any]], seq: int) -> None:
    chain = next(i for i in items if i.get("seq") == seq - 1)["chain_hash"]
    for item in items:
        if item["type"] == "entry" and item["seq"] >= seq:
            item["content_hash"] = content_hash(item["body"].encode())
            chain = item["chain_hash"] = link(chain, item["content_hash"])


def _forge_manifest(items: list[dict[str, Any]]) -> None:
    text, _ = split_note(items[-1]["note"])
    items[-1]["note"] = sign_note(text, SigningKey.generate())


CHANGES: dict[str, tuple[Callable[[list[dict[str, Any]]], object], bytes]] = {
    "an edited body": (lambda items: _edit(items[5]), b"content differs"),
    "an edited, re-hashed body": (
        lambda items: (_edit(items[5]), _rehash_from(items, items[5]["seq"])),
        b"seq 20: differs from its checkpoint",
    ),
    "a dropped entry": (lambda items: items.pop(7), b"is missing"),
    "a forged manifest": (_forge_manifest, b"the note carries no signature by this key"),
}


@pytest.mark.parametrize(("change", "reason"), CHANGES.values(), ids=CHANGES.keys())
def test_the_reference_check_fails_a_changed_archive(
    scripts: Path,
    written: tuple[list[bytes], Path],
    change: Callable[[list[dict[str, Any]]], object],
    reason: bytes,
) -> None:
    lines, key = written
    items = [orjson.loads(line) for line in lines]
    assert items[5]["type"] == "entry"
    change(items)
    changed = [
        orjson.dumps(i, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE) for i in items
    ]
    result = run(scripts, key, changed)
    assert result.returncode != 0
    assert reason in result.stderr, result.stderr.decode()
