"""The hashes of ``entries`` as the attacker reads and writes them: 32 bytes each in the
table, hex everywhere else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from activitylog.store.base import hex_of

#: The columns of ``entries`` that hold a hash.
HASH_COLUMNS = ("content_hash", "chain_hash")


def readable(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of ``entries`` with its hashes as hex."""
    return {k: hex_of(v) if k in HASH_COLUMNS and v is not None else v for k, v in row.items()}


def storable(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row for ``entries`` with its hex hashes as the bytes stored."""
    return {
        k: bytes.fromhex(v) if k in HASH_COLUMNS and isinstance(v, str) else v
        for k, v in row.items()
    }
