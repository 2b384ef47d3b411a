"""The digest a report states: content hashes by workspace and seq, one hex line each."""

from __future__ import annotations

import hashlib

from activitylog.reports.digest import EntriesDigest, Span


def _entry(workspace: str, seq: int) -> dict[str, object]:
    return {"workspace": workspace, "seq": seq, "content_hash": f"{seq:064x}"}


def test_the_digest_ignores_the_report_order_and_spans_each_workspace() -> None:
    newest_first, oldest_first = EntriesDigest(), EntriesDigest()
    entries = [_entry("globex", 3), _entry("acme", 9), _entry("acme", 2), _entry("acme", 5)]
    for entry in entries:
        newest_first.add(entry)
    for entry in reversed(entries):
        oldest_first.add(entry)
    lines = "".join(f"{seq:064x}\n" for seq in (2, 5, 9, 3))  # acme by seq, then globex
    assert newest_first.hexdigest() == hashlib.sha256(lines.encode()).hexdigest()
    assert oldest_first.hexdigest() == newest_first.hexdigest()
    assert newest_first.spans() == [Span("acme", 3, 2, 9), Span("globex", 1, 3, 3)]
    assert len(newest_first) == 4


def test_an_empty_report_hashes_the_empty_string() -> None:
    assert EntriesDigest().hexdigest() == hashlib.sha256(b"").hexdigest()
    assert EntriesDigest().spans() == []
