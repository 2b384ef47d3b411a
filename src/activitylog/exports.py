"""Streaming exports of events: CSV, a JSON array, and NDJSON, all with flat memory.

Every writer takes an iterable of events and a text stream, writes as it reads, and
returns how many events it wrote. Nothing is held beyond a chunk of :data:`CHUNK` rows.
The events are either the dicts readers see (:meth:`activitylog.ActivityLog.export`) or
the entries as stored, :data:`StoredRow` tuples (``store.iter_rows``). Those are written
from the stored canonical body: JSON and NDJSON splice its members into the output byte
for byte (null for a field the body leaves out, as readers see it), never decoding and
encoding them again; CSV reads it once, straight into the cells. The bytes written are the
same either way.

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

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TextIO

import msgspec
import orjson

from activitylog.enrich import EMPTY_EVENT
from activitylog.events import EVENT_FIELDS

CHUNK = 1000
#: CSV rows encoded at a time (text is held three times while encoding: keep it small).
CSV_PIECE = 100

#: An entry as the store keeps it (``store.iter_rows``): seq, the canonical JSON body that
#: was hashed, content hash, chain hash.
StoredRow = tuple[int, bytes, str, str]
#: What the writers take: events as readers see them, or entries as stored.
Events = Iterable[dict[str, Any]] | Iterable[StoredRow]

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
_FORMULA_AFTER_NUL = re.compile("\0(?:" + "|".join(map(re.escape, FORMULA_PREFIXES)) + ")").search
_TEXT = frozenset({str, type(None)})
_NONE_EMPTY: dict[Any, str] = {None: ""}
_HEADER = (",".join(CSV_COLUMNS) + "\r\n").encode()

#: An exported entry, every field of an event in :data:`EVENT_FIELDS` order: the body's
#: members kept as raw JSON (:class:`msgspec.Raw`, copied as they are when encoded), null
#: where the body has none, as in the dicts readers see.
_Exported = msgspec.defstruct(
    "_Exported",
    [
        (name, int, 0)
        if name == "seq"
        else (name, str, "")
        if name in ("content_hash", "chain_hash")
        else (name, msgspec.Raw, msgspec.Raw(b"null"))
        for name in EVENT_FIELDS
    ],
    forbid_unknown_fields=True,  # a body holding other members is exported as decoded
    gc=False,
)
_DECODE_EXPORTED: Callable[[bytes], Any] = msgspec.json.Decoder(_Exported).decode
_JSON = msgspec.json.Encoder()


class _Party(msgspec.Struct, frozen=True, gc=False):
    id: str | None = None
    name: str | None = None
    email: str | None = None
    role: str | None = None
    type: str | None = None


class _Subject(msgspec.Struct, frozen=True, gc=False):
    type: str | None = None
    id: str | None = None
    name: str | None = None
    url: str | None = None


class _Device(msgspec.Struct, frozen=True, gc=False):
    browser: str | None = None
    os: str | None = None
    device_type: str | None = None


class _Location(msgspec.Struct, frozen=True, gc=False):
    country: str | None = None


_NOBODY, _NOTHING = _Party(), _Subject()
_NO_JSON = msgspec.Raw()


class _CsvEntry(msgspec.Struct, gc=False):
    """What the CSV columns show of a stored body, read in one call; the JSON columns
    kept as the body's own compact text."""

    id: str | None = None
    occurred_at: str | None = None
    received_at: str | None = None
    workspace: str | None = None
    layer: str | None = None
    actor: _Party = _NOBODY
    impersonator: _Party = _NOBODY
    action: str | None = None
    category: str | None = None
    verb: str | None = None
    kind: str | None = None
    label: str | None = None
    result: str | None = None
    subject: _Subject = _NOTHING
    ip: str | None = None
    location: _Location = _Location()
    user_agent: str | None = None
    device: _Device = _Device()
    description: str | None = None
    changes: msgspec.Raw = _NO_JSON
    snapshot: msgspec.Raw = _NO_JSON
    details: msgspec.Raw = _NO_JSON
    related: msgspec.Raw = _NO_JSON
    request_id: str | None = None
    session_id: str | None = None
    batch_id: str | None = None


_DECODE_CSV_ENTRY = msgspec.json.Decoder(_CsvEntry).decode


def neutralise(value: str) -> str:
    """``value`` made safe to open in a spreadsheet (see the module docstring)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _json_cell(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def stored_event(row: StoredRow) -> dict[str, Any]:
    """The event readers see of a stored entry: every field, nulls included."""
    seq, body, content_hash, chain_hash = row
    event = EMPTY_EVENT.copy()
    event.update(orjson.loads(body))
    event.update(seq=seq, content_hash=content_hash, chain_hash=chain_hash)
    return event


def csv_row(event: dict[str, Any]) -> list[Any]:
    """The cells of one event, in :data:`CSV_COLUMNS` order, already neutralised."""
    return [neutralise(c) if c.__class__ is str else c for c in _cells(event)]


def _cells(event: dict[str, Any]) -> list[Any]:
    """The cells of one event as they are (not neutralised)."""
    get = event.get
    actor = get("actor") or _EMPTY
    imp = get("impersonator") or _EMPTY
    subject = get("subject") or _EMPTY
    device = get("device") or _EMPTY
    location = get("location") or _EMPTY
    return [
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


def csv_lines(rows: Iterable[list[Any]]) -> str:
    """Rows of cells as CSV text: text cells neutralised (:func:`neutralise`), then written
    exactly as :func:`csv.writer` writes them (None as an empty cell, other values as
    ``str()``, a cell holding ``"``, ``,``, CR or LF quoted, lines ending in CRLF).

    A column at a time, as the export's hot loop: a column of text is checked for
    formulas and for what needs quoting in a few calls, and looked at cell by cell only
    when it holds some."""
    columns: list[Sequence[str]] = []
    for column in zip(*rows, strict=True):
        kinds = set(map(type, column))
        if kinds <= _TEXT:
            if type(None) in kinds:
                column = tuple(map(_NONE_EMPTY.get, column, column))
            # Each cell follows a NUL: a formula's start is a NUL and a prefix (one inside
            # a cell only costs the look cell by cell).
            text = "\0" + "\0".join(column)
            if _FORMULA_AFTER_NUL(text):
                column = tuple(map(neutralise, column))
        else:
            column = tuple(
                neutralise(c) if c.__class__ is str else "" if c is None else str(c) for c in column
            )
            text = "".join(column)
        if _needs_quotes(text):
            column = tuple(
                '"' + c.replace('"', '""') + '"'
                if '"' in c or "," in c or "\n" in c or "\r" in c  # _needs_quotes(c), inlined
                else c
                for c in column
            )
        columns.append(column)
    lines = "\r\n".join(map(",".join, zip(*columns, strict=True)))
    return lines + "\r\n" if lines else lines


def _needs_quotes(text: str) -> bool:
    """Whether csv.writer (``QUOTE_MINIMAL``, ``\r\n`` line ends) quotes a cell holding
    ``text`` (four searches for one character: far quicker than a regex's class)."""
    return '"' in text or "," in text or "\n" in text or "\r" in text


class Encoder:
    """Encodes events as one format, a chunk of :data:`CHUNK` rows at a time, counting
    them: iterate it for UTF-8 byte chunks (what an HTTP response streams), then read
    :attr:`rows`. The events are dicts as readers see them or :data:`StoredRow` tuples
    (see the module docstring), one kind throughout."""

    def __init__(self, fmt: str, events: Events) -> None:
        if fmt not in ENCODINGS:
            raise ValueError(f"unknown export format {fmt!r}")
        self.format = fmt
        self.rows = 0
        self._events: Iterable[Any] = events

    def __iter__(self) -> Iterator[bytes | memoryview]:
        return ENCODINGS[self.format](self)

    def chunks(self) -> Iterator[list[Any]]:
        for chunk in _chunks(self._events):
            yield chunk
            self.rows += len(chunk)


def _stored(chunk: list[Any]) -> bool:
    return isinstance(chunk[0], tuple)


def _exported(rows: list[StoredRow]) -> list[Any]:
    """The entries of ``rows`` ready to encode: their bodies' members spliced as they
    are (a body that is not an object of event fields is decoded, as readers see it)."""
    decode = _DECODE_EXPORTED
    out: list[Any] = []
    append = out.append
    for row in rows:
        try:
            entry = decode(row[1])
        except msgspec.DecodeError:
            append(stored_event(row))
            continue
        entry.seq, entry.content_hash, entry.chain_hash = row[0], row[2], row[3]
        append(entry)
    return out


def _stored_cells(rows: list[StoredRow]) -> Iterator[list[Any]]:
    """The cells of stored entries (as :func:`_cells` of the events readers see: a body
    of another shape is read as they read it)."""
    decode = _DECODE_CSV_ENTRY
    for row in rows:
        seq, body, content_hash, chain_hash = row
        try:
            e = decode(body)
        except msgspec.DecodeError:
            yield _cells(stored_event(row))
            continue
        actor, imp, subject, device = e.actor, e.impersonator, e.subject, e.device
        yield [
            e.id,
            seq,
            e.occurred_at,
            e.received_at,
            e.workspace,
            e.layer,
            actor.id,
            actor.name,
            actor.email,
            actor.role,
            actor.type,
            imp.id,
            imp.name,
            e.action,
            e.category,
            e.verb,
            e.kind,
            e.label,
            e.result,
            subject.type,
            subject.id,
            subject.name,
            subject.url,
            e.ip,
            e.location.country,
            e.user_agent,
            device.browser,
            device.os,
            device.device_type,
            e.description,
            str(e.changes, "utf-8") or None,
            str(e.snapshot, "utf-8") or None,
            str(e.details, "utf-8") or None,
            str(e.related, "utf-8") or None,
            e.request_id,
            e.session_id,
            e.batch_id,
            content_hash,
            chain_hash,
        ]


def _encode_csv(encoder: Encoder) -> Iterator[bytes]:
    yield _HEADER
    for chunk in encoder.chunks():
        cells = _stored_cells if _stored(chunk) else _event_cells
        for start in range(0, len(chunk), CSV_PIECE):
            yield csv_lines(cells(chunk[start : start + CSV_PIECE])).encode()


def _event_cells(events: list[dict[str, Any]]) -> Iterator[list[Any]]:
    return map(_cells, events)


def _encode_json(encoder: Encoder) -> Iterator[bytes | memoryview]:
    yield b"["
    first = True
    for chunk in encoder.chunks():
        # One call per chunk: orjson gives every result a >= 16 KiB buffer, so a
        # thousand separate results would cost 16 MB and many large mallocs.
        yield b"\n" if first else b",\n"
        array = _JSON.encode(_exported(chunk)) if _stored(chunk) else orjson.dumps(chunk)
        yield memoryview(array)[1:-1]  # the elements, without [ ]
        first = False
    yield b"]\n" if first else b"\n]\n"


def _encode_ndjson(encoder: Encoder) -> Iterator[bytes]:
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    for chunk in encoder.chunks():
        if _stored(chunk):
            yield _JSON.encode_lines(_exported(chunk))
            continue
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


def _write(fmt: str, events: Events, out: TextIO) -> int:
    encoder = Encoder(fmt, events)
    write = _byte_writer(out)
    for part in encoder:
        write(part)
    _flush(out)
    return encoder.rows


def write_csv(events: Events, out: TextIO) -> int:
    """Write the header and one row per event to ``out``; returns the rows written."""
    return _write("csv", events, out)


def write_json(events: Events, out: TextIO) -> int:
    """Write one JSON array of the events to ``out``; returns the events written."""
    return _write("json", events, out)


def write_ndjson(events: Events, out: TextIO) -> int:
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


def _chunks(events: Iterable[Any]) -> Iterator[list[Any]]:
    iterator = iter(events)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


Writer = Callable[[Events, TextIO], int]

#: Writers by ``--format`` name.
WRITERS: dict[str, Writer] = {"csv": write_csv, "json": write_json, "ndjson": write_ndjson}

__all__ = [
    "CSV_COLUMNS",
    "ENCODINGS",
    "FORMULA_PREFIXES",
    "MEDIA_TYPES",
    "WRITERS",
    "Encoder",
    "Events",
    "StoredRow",
    "csv_lines",
    "csv_row",
    "neutralise",
    "stored_event",
    "write_csv",
    "write_json",
    "write_ndjson",
]
