"""The copies of an entry derived from its body (pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from activitylog.demo.seed import generate_events
from activitylog.enrich import Prepared, prepare
from activitylog.events import validate_batch
from activitylog.store.copies import (
    ROW_COLUMNS,
    RowCheck,
    copies,
    index_size,
    rollup_counts,
    rollup_key,
)
from activitylog.store.rollups import Accumulator
from activitylog.store.schema import IP_ROLLUPS, ROLLUPS

NOW = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def prepared() -> list[Prepared]:
    raws = list(generate_events(500, seed=11, now=NOW, days=5))
    raws.append(
        {"workspace": "acme", "action": "report.ran", "occurred_at": "2026-03-01T00:00:00Z"}
    )
    return [prepare(content) for content in validate_batch(raws, now=NOW)]


def row(p: Prepared, seq: int, rid: int | None = None) -> tuple[Any, ...]:
    """The row an append writes for ``p``, as :data:`ROW_COLUMNS`."""
    values = copies(p.body)
    extra = {"seq": seq, "rid": rid or p.occurred_us * 1000 + 7, "body": p.body}
    return tuple({**values, **extra}[c] for c in ROW_COLUMNS)


def test_copies_are_what_enrichment_made(prepared: list[Prepared]) -> None:
    for p in prepared:
        values = copies(p.body)
        assert values["occurred_at"] == p.occurred_us
        assert values["search_text"] == p.search_text
        assert values["actor_role"] == p.content["actor"].get("role")
        assert values["id"] == p.content["id"]


def test_a_body_that_is_not_an_event_is_refused() -> None:
    for body in (b"{", b"[]", b'{"id": "x"}'):
        with pytest.raises(ValueError, match="not an event body"):
            copies(body)


@pytest.mark.parametrize("as_json", [False, True])
def test_the_fast_check_agrees_with_the_exact_one(prepared: list[Prepared], as_json: bool) -> None:
    rows = [row(p, seq) for seq, p in enumerate(prepared, 1) if p.content["workspace"] == "acme"]
    if as_json:
        words = [len(r[ROW_COLUMNS.index("search_text")].split()) for r in rows]
        rows = [
            (*r[:3], orjson.dumps(r[3:]), index_size(n), n)
            for r, n in zip(rows, words, strict=True)
        ]
    check = RowCheck("acme", as_json=as_json)
    check.feed(rows)
    assert (check.broken, check.suspects, check.unindexed) == ([], [], [])
    expected = [rollup_key(copies(r[2])) for r in rows]
    assert check.keys == expected
    assert check.seqs == [r[0] for r in rows]


def test_a_differing_row_is_named_column_by_column(prepared: list[Prepared]) -> None:
    p = next(p for p in prepared if p.content["workspace"] == "acme" and p.device)
    good = list(row(p, 9))
    good[ROW_COLUMNS.index("actor_name")] = "Forged"
    good[ROW_COLUMNS.index("id")] = "00000000-0000-7000-8000-00000000beef"
    good[ROW_COLUMNS.index("rid")] += 10_000
    check = RowCheck("acme")
    check.feed([tuple(good)])
    assert [(b.seq, b.names) for b in check.broken] == [(9, ["rid", "id", "actor_name"])]
    assert check.keys == [rollup_key(copies(p.body))]


def test_rollup_counts_are_what_ingest_counts(prepared: list[Prepared]) -> None:
    counts, ip_counts = Accumulator(ROLLUPS), Accumulator(IP_ROLLUPS)
    keys = []
    for p in prepared:
        values = copies(p.body)
        if values["workspace"] != "acme":
            continue
        keys.append(rollup_key(values))
        counts.add("acme", p.occurred_us, values)
        if values["ip"]:
            ip_counts.add("acme", p.occurred_us, values)
    ingest = {
        rollup.table.name: {tuple(r[1:-1]): r[-1] for r in rows}
        for accumulator in (counts, ip_counts)
        for rollup, rows in accumulator.rows()
    }
    rollups = (*ROLLUPS, *IP_ROLLUPS)
    counted = rollup_counts(keys, rollups)
    assert {r.table.name: c for r, c in zip(rollups, counted, strict=True)} == ingest


def test_index_size_is_a_sqlite_varint_of_words() -> None:
    assert index_size(0) == b"\x00"
    assert index_size(127) == bytes([127])
    assert index_size(128) == bytes([0x81, 0x00])
    assert index_size(16_383) == bytes([0xFF, 0x7F])
