"""Reading and rewriting archive files as an attacker (or ``zstdcat``/``jq``) would."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import zstandard

from activitylog.archives import Location, verify_archive
from activitylog.archives.verify import ArchiveReport
from activitylog.signing import KeyRing


def records(path: Path) -> list[dict[str, Any]]:
    text = zstandard.ZstdDecompressor().stream_reader(path.read_bytes()).read()
    return [orjson.loads(line) for line in text.splitlines()]


def write_records(path: Path, items: list[dict[str, Any]]) -> None:
    lines = b"".join(
        orjson.dumps(item, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
        for item in items
    )
    path.write_bytes(zstandard.ZstdCompressor().compress(lines))


def entry_lines_sha256(items: list[dict[str, Any]]) -> str:
    digest = hashlib.sha256()
    for item in items:
        if item["type"] in ("entry", "tombstone"):
            digest.update(
                orjson.dumps(item, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
            )
    return digest.hexdigest()


def local(location: Location, name: str, target: Path) -> Path:
    with location.open(name) as data:
        target.write_bytes(data.read())
    return target


def check(path: Path, ring: KeyRing | None) -> ArchiveReport:
    with path.open("rb") as data:
        return verify_archive(data, ring)
