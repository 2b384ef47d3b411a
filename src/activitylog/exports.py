"""Streaming exports of events: CSV, a JSON array, and NDJSON, all with flat memory.

Every writer takes an iterable of events as readers see them (the dicts
:meth:`activitylog.ActivityLog.export` yields) and a text stream, writes as it reads, and
returns how many events it wrote. Nothing is held beyond a chunk of :data:`CHUNK` rows.

CSV (:func:`write_csv`)
    One header row of :data:`CSV_COLUMNS`, then one row per event. Nested parts are
    flattened (``actor_*``, ``impersonator_*``, ``subject_*``, the device's ``browser``,
    ``os`` and ``device_type``, the location's ``country``); ``changes``, ``snapshot``,
    ``details`` and ``related`` are compact JSON. Missing values are empty cells. Open
    files with ``newline=""``: rows end in ``\\r\\n`` as RFC 4180 asks.

    **Formula injection.** Spreadsheets run a cell starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return as a formula, and event text (names, descriptions,
    user agents...) comes from users. Such cells are written with a single quote ``'``
    prepended (``=HYPERLINK(...)`` becomes ``'=HYPERLINK(...)``), which spreadsheets show
    as text. The quote is part of the exported value: strip a leading ``'`` from cells
    starting ``'=``, ``'+``, ``'-``, ``'@``, ``'\\t`` or ``'\\r`` to get the original.

JSON (:func:`write_json`)
    One JSON array, streamed a chunk of elements at a time: ``[``, the events separated
    by ``,`` (a newline after every :data:`CHUNK` of them), ``]``. Each element holds
    every event field (nulls included), exactly as the SDK and ``activitylog query
    --format json`` return it.

NDJSON (:func:`write_ndjson`)
    The same objects, one per line, no enclosing array: handy for ``jq``, log shippers
    and re-ingest pipelines. ``activitylog ingest`` takes the *input* shape only, so drop
    the fields the log adds before re-ingesting (``seq``, ``received_at``, ``category``,
    ``verb``, ``kind``, ``label``, ``device``, ``location``, the hashes and
    ``deleted_*``), e.g. ``jq -c 'del(.seq, .received_at, .category, .verb, .kind, .label,
    .device, .location, .content_hash, .chain_hash, .deleted_at, .deleted_by,
    .delete_reason)'``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, TextIO

import orjson

CHUNK = 1000
#: CSV rows encoded at a time (text is held three times while encoding: keep it small).
CSV_PIECE = 100

CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "seq",
    "occurred_at",
    "received_at",
    "workspace",
    "layer",
    "actor_id",
    "actor_name",
    "actor_email",
    "actor_role",
    "actor_type",
    "impersonator_id",
    "impersonator_name",
    "action",
    "category",
    "verb",
    "kind",
    "label",
    "result",
    "subject_type",
    "subject_id",
    "subject_name",
    "subject_url",
    "ip",
    "country",
    "user_agent",
    "browser",
    "os",
    "device_type",
    "description",
    "changes",
    "snapshot",
    "details",
    "related",
    "request_id",
    "session_id",
    "batch_id",
    "content_hash",
    "chain_hash",
)

#: First characters a spreadsheet treats as the start of a formula.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_EMPTY: dict[str, Any] = {}


def neutralise(value: str) -> str:
    """``value`` made safe to open in a spreadsheet (see the module docstring)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _json_cell(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def csv_row(event: dict[str, Any]) -> list[Any]:
    """The cells of one event, in :data:`CSV_COLUMNS` order, already neutralised."""
    get = event.get
    actor = get("actor") or _EMPTY
    imp = get("impersonator") or _EMPTY
    subject = get("subject") or _EMPTY
    device = get("device") or _EMPTY
    location = get("location") or _EMPTY
    cells = [
        get("id"),
        get("seq"),
        get("occurred_at"),
        get("received_at"),
        get("workspace"),
        get("layer"),
        actor.get("id"),
        actor.get("name"),
        actor.get("email"),
        actor.get("role"),
        actor.get("type"),
        imp.get("id"),
        imp.get("name"),
        get("action"),
        get("category"),
        get("verb"),
        get("kind"),
        get("label"),
        get("result"),
        subject.get("type"),
        subject.get("id"),
        subject.get("name"),
        subject.get("url"),
        get("ip"),
        location.get("country"),
        get("user_agent"),
        device.get("browser"),
        device.get("os"),
        device.get("device_type"),
        get("description"),
        _json_cell(get("changes")),
        _json_cell(get("snapshot")),
        _json_cell(get("details")),
        _json_cell(get("related")),
        get("request_id"),
        get("session_id"),
        get("batch_id"),
        get("content_hash"),
        get("chain_hash"),
    ]
    # One comprehension rather than a call per cell: this is the export's hot loop. Only
    # strings can hold a formula; ints (seq), None and JSON ("{", "[") pass through.
    prefixes = FORMULA_PREFIXES
    return [
        "'" + cell if cell.__class__ is str and cell.startswith(prefixes) else cell
        for cell in cells
    ]


class Encoder:
    """Encodes events as one format, a chunk of :data:`CHUNK` rows at a time, counting
    them: iterate it for UTF-8 byte chunks (what an HTTP response streams), then read
    :attr:`rows`."""

    def __init__(self, fmt: str, events: Iterable[dict[str, Any]]) -> None:
        if fmt not in ENCODINGS:
            raise ValueError(f"unknown export format {fmt!r}")
        self.format = fmt
        self.rows = 0
        self._events = events

    def __iter__(self) -> Iterator[bytes | memoryview]:
        return ENCODINGS[self.format](self)

    def chunks(self) -> Iterator[list[dict[str, Any]]]:
        for chunk in _chunks(self._events):
            yield chunk
            self.rows += len(chunk)


class _Lines(list[str]):
    """A csv.writer target that keeps the lines of one chunk."""

    write = list.append


def _encode_csv(encoder: Encoder) -> Iterator[bytes]:
    lines = _Lines()
    writer = csv.writer(lines)
    writer.writerow(CSV_COLUMNS)
    for chunk in encoder.chunks():
        for start in range(0, len(chunk), CSV_PIECE):
            writer.writerows(map(csv_row, chunk[start : start + CSV_PIECE]))
            yield "".join(lines).encode()
            lines.clear()
    if lines:
        yield "".join(lines).encode()


def _encode_json(encoder: Encoder) -> Iterator[bytes | memoryview]:
    yield b"["
    first = True
    for chunk in encoder.chunks():
        # One dumps() per chunk: orjson gives every result a >= 16 KiB buffer, so a
        # thousand separate results would cost 16 MB and many large mallocs.
        yield b"\n" if first else b",\n"
        yield memoryview(orjson.dumps(chunk))[1:-1]  # the elements, without [ ]
        first = False
    yield b"]\n" if first else b"\n]\n"


def _encode_ndjson(encoder: Encoder) -> Iterator[bytes]:
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    for chunk in encoder.chunks():
        lines = bytearray()
        for event in chunk:
            lines += dumps(event, option=newline)
        yield bytes(lines)


ENCODINGS: dict[str, Callable[[Encoder], Iterator[bytes | memoryview]]] = {
    "csv": _encode_csv,
    "json": _encode_json,
    "ndjson": _encode_ndjson,
}
#: What each format is served as over HTTP. ``pdf`` is a report (:mod:`activitylog.reports`):
#: KPIs, charts and an integrity statement around the entries, written whole, not encoded.
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "ndjson": "application/x-ndjson",
    "pdf": "application/pdf",
}


def _write(fmt: str, events: Iterable[dict[str, Any]], out: TextIO) -> int:
    encoder = Encoder(fmt, events)
    write = _byte_writer(out)
    for part in encoder:
        write(part)
    _flush(out)
    return encoder.rows


def write_csv(events: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write the header and one row per event to ``out``; returns the rows written."""
    return _write("csv", events, out)


def write_json(events: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write one JSON array of the events to ``out``; returns the events written."""
    return _write("json", events, out)


def write_ndjson(events: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write the events to ``out`` one JSON object per line; returns the events written."""
    return _write("ndjson", events, out)


def _byte_writer(out: TextIO) -> Callable[[bytes | bytearray | memoryview], Any]:
    """Write orjson's UTF-8 straight to a UTF-8 text stream's buffer (no decode/encode)."""
    buffer = getattr(out, "buffer", None)
    encoding = (getattr(out, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    if buffer is not None and encoding == "utf8":
        out.flush()  # whatever was written as text goes first
        return buffer.write  # type: ignore[no-any-return]
    return lambda data: out.write(str(data, "utf-8"))


def _flush(out: TextIO) -> None:
    buffer = getattr(out, "buffer", None)
    if buffer is not None and hasattr(buffer, "flush"):
        buffer.flush()


def _chunks(events: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(events)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


Writer = Callable[[Iterable[dict[str, Any]], TextIO], int]

#: Writers by ``--format`` name.
WRITERS: dict[str, Writer] = {"csv": write_csv, "json": write_json, "ndjson": write_ndjson}

__all__ = [
    "CSV_COLUMNS",
    "ENCODINGS",
    "FORMULA_PREFIXES",
    "MEDIA_TYPES",
    "WRITERS",
    "Encoder",
    "csv_row",
    "neutralise",
    "write_csv",
    "write_json",
    "write_ndjson",
]
