"""Streaming exports: CSV columns and formula neutralisation, JSON array and NDJSON."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activitylog.chain import content_hash
from activitylog.enrich import prepare
from activitylog.events import EVENT_FIELDS, validate
from activitylog.exports import (
    CSV_COLUMNS,
    FORMULA_PREFIXES,
    WRITERS,
    Encoder,
    StoredRow,
    csv_lines,
    csv_row,
    neutralise,
    stored_event,
    write_csv,
    write_json,
    write_ndjson,
)


def make_event(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """An event in the shape readers get (every field present)."""
    event: dict[str, Any] = dict.fromkeys(EVENT_FIELDS)
    event.update(
        id=f"01a20000-0000-7000-8000-{n:012d}",
        seq=n,
        occurred_at="2026-11-20T10:00:00.000000Z",
        received_at="2026-11-20T10:00:01.000000Z",
        workspace="acme",
        layer="workspace",
        actor={
            "id": "u_ava",
            "name": "Ava Thompson",
            "email": "ava@acme.example",
            "role": "owner",
            "type": "user",
        },
        impersonator={"id": "u_sam", "name": "Sam Rivera", "type": "user"},
        action="contact.updated",
        category="contacts",
        verb="updated",
        kind="write",
        label="Updated contact",
        result="success",
        subject={
            "type": "contact",
            "id": "c_9",
            "name": "Iris Park",
            "url": "https://x.example/c/9",
        },
        related=[{"type": "team", "id": "t_1"}],
        ip="203.0.113.9",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
        device={"browser": "Firefox 120", "os": "Linux", "device_type": "desktop"},
        description='Ava updated Iris, "quoted", with a comma\nand a newline',
        changes={"email": {"before": "a@x.io", "after": "b@x.io"}},
        snapshot={"plan": "pro"},
        details={"n": 1, "ünï": "cødé"},
        request_id="req_1",
        session_id="sess_1",
        batch_id="batch_1",
        content_hash="a" * 64,
        chain_hash="b" * 64,
    )
    event.update(overrides)
    return event


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_header_is_the_documented_columns() -> None:
    out = io.StringIO(newline="")
    assert write_csv([], out) == 0
    assert out.getvalue() == ",".join(CSV_COLUMNS) + "\r\n"
    assert len(CSV_COLUMNS) == 39


def test_csv_round_trip_flattens_every_column() -> None:
    out = io.StringIO(newline="")
    germany = {"country": "DE", "country_name": "Germany", "scope": "public"}
    events = [make_event(1, location=germany), make_event(2, impersonator=None, device=None)]
    assert write_csv(events, out) == 2
    rows = read_csv(out.getvalue())
    assert len(rows) == 2
    first, second = rows
    assert list(first) == list(CSV_COLUMNS)
    assert first["id"] == "01a20000-0000-7000-8000-000000000001"
    assert first["seq"] == "1"
    assert first["actor_id"] == "u_ava"
    assert first["actor_email"] == "ava@acme.example"
    assert first["actor_role"] == "owner"
    assert first["actor_type"] == "user"
    assert (first["impersonator_id"], first["impersonator_name"]) == ("u_sam", "Sam Rivera")
    assert (first["subject_type"], first["subject_id"]) == ("contact", "c_9")
    assert first["subject_name"] == "Iris Park"
    assert first["subject_url"] == "https://x.example/c/9"
    assert (first["browser"], first["os"], first["device_type"]) == (
        "Firefox 120",
        "Linux",
        "desktop",
    )
    assert (first["country"], second["country"]) == ("DE", "")
    assert first["description"] == make_event()["description"]  # quotes, comma, newline survive
    assert orjson.loads(first["changes"]) == {"email": {"before": "a@x.io", "after": "b@x.io"}}
    assert orjson.loads(first["snapshot"]) == {"plan": "pro"}
    assert orjson.loads(first["details"]) == {"n": 1, "ünï": "cødé"}
    assert orjson.loads(first["related"]) == [{"type": "team", "id": "t_1"}]
    assert first["content_hash"] == "a" * 64
    assert first["chain_hash"] == "b" * 64
    assert second["impersonator_id"] == second["browser"] == ""


def test_csv_missing_fields_are_empty_cells() -> None:
    out = io.StringIO(newline="")
    write_csv([{"id": "x", "seq": 3}], out)
    (row,) = read_csv(out.getvalue())
    assert row["id"] == "x"
    assert row["seq"] == "3"
    assert all(row[c] == "" for c in CSV_COLUMNS if c not in ("id", "seq"))


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_csv_neutralises_formula_prefixes(prefix: str) -> None:
    payload = f'{prefix}HYPERLINK("http://evil.example","x")'
    event = make_event(
        description=payload,
        actor={"id": payload, "name": payload, "type": "user"},
        subject={"type": "contact", "name": payload},
        user_agent=payload,
        request_id=payload,
    )
    out = io.StringIO(newline="")
    write_csv([event], out)
    (row,) = read_csv(out.getvalue())
    for column in (
        "description",
        "actor_id",
        "actor_name",
        "subject_name",
        "user_agent",
        "request_id",
    ):
        assert row[column] == "'" + payload, column
    assert neutralise(payload) == "'" + payload


@pytest.mark.parametrize("value", ["plain", "a=b", "1+1", "x-y", "mail@x", "'quoted", ""])
def test_csv_leaves_safe_text_alone(value: str) -> None:
    assert neutralise(value) == value
    cells = csv_row(make_event(description=value))
    assert cells[CSV_COLUMNS.index("description")] == value


def test_csv_numbers_and_json_are_not_quoted() -> None:
    cells = csv_row(make_event(seq=-1, details={"-x": 1}))
    assert cells[CSV_COLUMNS.index("seq")] == -1  # ints are data, not text
    assert cells[CSV_COLUMNS.index("details")] == '{"-x":1}'


@pytest.mark.parametrize("count", [0, 1, 3, 2501])
def test_json_array_is_valid_for_any_count(count: int) -> None:
    events = [make_event(i) for i in range(count)]
    out = io.StringIO()
    assert write_json(iter(events), out) == count
    parsed = orjson.loads(out.getvalue())
    assert parsed == events
    assert all(list(item) == list(EVENT_FIELDS) for item in parsed)


def test_json_empty_array_text() -> None:
    out = io.StringIO()
    write_json([], out)
    assert out.getvalue() == "[]\n"


@pytest.mark.parametrize("count", [0, 1, 1001])
def test_ndjson_one_event_per_line(count: int) -> None:
    events = [make_event(i) for i in range(count)]
    out = io.StringIO()
    assert write_ndjson(events, out) == count
    lines = out.getvalue().splitlines()
    assert [orjson.loads(line) for line in lines] == events


def test_json_to_a_binary_backed_text_file(tmp_path: Any) -> None:
    path = tmp_path / "out.json"
    with path.open("w", encoding="utf-8") as out:
        out.write("")  # text written first must stay first
        write_json([make_event(1), make_event(2)], out)
    assert [e["seq"] for e in orjson.loads(path.read_bytes())] == [1, 2]


def _stream(n: int) -> Iterator[dict[str, Any]]:
    base = make_event(0)
    for i in range(n):
        yield {**base, "seq": i, "id": f"id-{i}"}


class _Sink(io.StringIO):
    """Counts what is written and forgets it, so only the writer's memory is measured."""

    def __init__(self) -> None:
        super().__init__()
        self.size = 0

    def write(self, s: str) -> int:
        self.size += len(s)
        return len(s)


@pytest.mark.parametrize("writer", [write_csv, write_json, write_ndjson])
def test_writers_stream_with_flat_memory(writer: Any) -> None:
    sink = _Sink()
    tracemalloc.start()
    try:
        written = writer(_stream(10_000), sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written == 10_000
    # 10,000 events are ~7 MB of CSV and ~12 MB of JSON: a writer holding them all would
    # peak above the output's size; a streaming one holds a chunk of 1,000 at most.
    assert sink.size > 6_000_000
    assert peak < sink.size / 2, f"peak {peak:,} bytes for {sink.size:,} written"


# -- entries as stored: spliced (JSON, NDJSON) or read once (CSV), the same output ----------


def stored(n: int, **fields: Any) -> StoredRow:
    """An entry as the store keeps it: the canonical body of a validated, enriched event."""
    raw: dict[str, Any] = {
        "id": f"01a20000-0000-7000-8000-{n:012d}",
        "workspace": "acme",
        "action": "contact.updated",
        "occurred_at": "2026-11-20T10:00:00Z",
        **fields,
    }
    body = prepare(validate(raw, now=NOW)).body
    return n, body, content_hash(body), f"{n:064x}"


NOW = datetime(2026, 11, 21, tzinfo=UTC)
FULL: dict[str, Any] = {
    "actor": {"id": "u_ava", "name": "Ava, T.", "email": "ava@acme.example", "type": "user"},
    "impersonator": {"id": "u_sam", "name": "Sam"},
    "subject": {
        "type": "contact",
        "id": "c_9",
        "name": '=cmd|"/c calc"!A1',
        "url": "https://x.example/c/9",
    },
    "related": [{"type": "team", "id": "t_1"}],
    "result": "failure",
    "ip": "203.0.113.9",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "description": 'Ava updated Iris, "quoted", with a comma\nand a newline',
    "changes": {"email": {"before": "a@x.io", "after": "b@x.io"}, "ip": {"after": "1.2.3.4"}},
    "snapshot": {"plan": "pro", "n": 1.5},
    "details": {"ünï": "cødé", "seq": 3, "description": None, "list": [1, 2]},
    "request_id": "-req",
    "session_id": "sess_1",
    "batch_id": "@batch",
}
ENTRIES = [stored(1), stored(2, **FULL), stored(3, layer="platform", details={"x": [1]})]


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_stored_entries_export_as_the_events_readers_see(fmt: str) -> None:
    spliced = b"".join(Encoder(fmt, iter(ENTRIES)))
    decoded = b"".join(Encoder(fmt, map(stored_event, ENTRIES)))
    assert spliced == decoded


def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), keys
    return dict(pairs)


def test_spliced_lines_hold_every_field_once() -> None:
    out = io.StringIO()
    assert write_ndjson(ENTRIES, out) == 3
    lines = out.getvalue().splitlines()
    events = [json.loads(line, object_pairs_hook=no_duplicates) for line in lines]
    assert events == [stored_event(row) for row in ENTRIES]
    assert all(list(event) == list(EVENT_FIELDS) for event in events)
    first = events[0]
    assert first["seq"] == 1
    assert first["chain_hash"] == f"{1:064x}"
    assert first["impersonator"] is None
    assert first["deleted_at"] is None
    assert events[1]["details"]["description"] is None  # a nested null stays


def test_spliced_array_for_any_count() -> None:
    rows = [stored(i, **FULL) for i in range(1, 2502)]
    out = io.StringIO()
    assert write_json(iter(rows), out) == 2501
    assert orjson.loads(out.getvalue()) == [stored_event(row) for row in rows]


def test_a_body_of_another_shape_is_exported_as_decoded() -> None:
    body = b'{"action":"x.y","actor":{"id":7},"description":12,"extra":{"a":1},"id":"e"}'
    row: StoredRow = (9, body, "c" * 64, "d" * 64)
    for fmt in ("csv", "json", "ndjson"):
        assert b"".join(Encoder(fmt, [row])) == b"".join(Encoder(fmt, [stored_event(row)]))
    (line,) = b"".join(Encoder("ndjson", [row])).splitlines()
    assert orjson.loads(line)["extra"] == {"a": 1}  # nothing dropped
    # among entries of the usual shape too
    rows = [*ENTRIES, row, *ENTRIES]
    for fmt in ("csv", "json", "ndjson"):
        assert b"".join(Encoder(fmt, rows)) == b"".join(Encoder(fmt, map(stored_event, rows)))


def test_a_body_that_is_not_json_is_an_error() -> None:
    with pytest.raises(orjson.JSONDecodeError):
        b"".join(Encoder("ndjson", [(1, b"{not json", "c" * 64, "d" * 64)]))


def test_stored_csv_is_neutralised_and_flattened() -> None:
    out = io.StringIO(newline="")
    assert write_csv(ENTRIES, out) == 3
    full = read_csv(out.getvalue())[1]
    assert full["subject_name"] == "'" + FULL["subject"]["name"]
    assert (full["request_id"], full["batch_id"]) == ("'-req", "'@batch")
    assert full["description"] == FULL["description"]
    assert full["actor_name"] == "Ava, T."
    assert full["impersonator_name"] == "Sam"
    assert orjson.loads(full["details"]) == FULL["details"] | {"description": None}
    assert full["seq"] == "2"
    assert full["content_hash"] == ENTRIES[1][2]


def test_stored_entries_stream_with_flat_memory() -> None:
    row = stored(1, **FULL)

    def rows(n: int) -> Iterator[StoredRow]:
        for i in range(n):
            yield (i, row[1], row[2], row[3])

    for fmt in ("csv", "ndjson"):
        sink = _Sink()
        tracemalloc.start()
        try:
            written = WRITERS[fmt](rows(10_000), sink)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert written == 10_000
        assert peak < sink.size / 2, f"{fmt}: peak {peak:,} bytes for {sink.size:,} written"


# -- CSV text: exactly what csv.writer writes -----------------------------------------------

CELL = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.text(alphabet=st.sampled_from([*"ab ,\"'\r\n\t=+-@{}é\x00", "\u2028"]), max_size=8),
)


def csv_writer_text(rows: list[list[Any]]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(
        [neutralise(c) if c.__class__ is str else c for c in row] for row in rows
    )
    return out.getvalue()


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=2, max_value=5).flatmap(
        lambda width: st.lists(st.lists(CELL, min_size=width, max_size=width), max_size=6)
    )
)
def test_csv_lines_write_what_csv_writer_writes(rows: list[list[Any]]) -> None:
    assert csv_lines(rows) == csv_writer_text(rows)


def test_csv_lines_other_values_as_str() -> None:
    rows: list[list[Any]] = [[1.5, True, "=x"], [None, "a,b", -2]]
    assert csv_lines(rows) == csv_writer_text(rows) == '1.5,True,\'=x\r\n,"a,b",-2\r\n'
