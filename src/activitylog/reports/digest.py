"""The SHA-256 a report states for its entries, and the command that recomputes it.

Definition: the entries' content hashes (each the RFC 9162 leaf hash of the entry's
canonical body, the value the signed Merkle tree is built from), ordered by workspace and
then seq, each written as 64 lowercase hex digits followed by a newline (``\\n``), hashed
with SHA-256. An empty report hashes the empty string. Ordering by workspace and seq, not
by the report's sort, lets anyone recompute it from a JSON export of the same entries:

    jq -r 'sort_by(.workspace, .seq) | .[].content_hash' entries.json | sha256sum
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RULE = (
    "SHA-256 of the entries' content hashes ordered by workspace, then seq, each written as "
    "64 lowercase hex digits followed by a newline"
)
JQ = "jq -r 'sort_by(.workspace, .seq) | .[].content_hash' entries.json | sha256sum"


@dataclass(frozen=True)
class Span:
    """A workspace's entries in a report: how many, and their lowest and highest seq."""

    workspace: str
    count: int
    first: int
    last: int


class EntriesDigest:
    """Collects each entry's workspace, seq and content hash as the report reads them."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, int, str]] = []

    def add(self, event: Mapping[str, Any]) -> None:
        self._entries.append(
            (str(event["workspace"]), int(event["seq"]), str(event["content_hash"]))
        )

    def __len__(self) -> int:
        return len(self._entries)

    def hexdigest(self) -> str:
        lines = "".join(f"{content_hash}\n" for _, _, content_hash in sorted(self._entries))
        return hashlib.sha256(lines.encode()).hexdigest()

    def spans(self) -> list[Span]:
        """One :class:`Span` per workspace, by workspace name."""
        found: dict[str, list[int]] = {}
        for workspace, seq, _ in self._entries:
            low_high = found.setdefault(workspace, [0, seq, seq])
            low_high[0] += 1
            low_high[1] = min(low_high[1], seq)
            low_high[2] = max(low_high[2], seq)
        return [Span(w, *found[w]) for w in sorted(found)]
