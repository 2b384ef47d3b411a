"""The event: its input schema, validation, normalisation and canonical form.

:func:`validate` turns what a caller sends (a mapping in the JSON shape of the API) into
the event's *content*: a plain dict holding only the fields below, normalised (UTC
timestamps as RFC 3339 strings with microseconds, IPs compressed, absent actor = System).
The content is what gets hashed; :func:`canonical_json` is its one canonical encoding.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal, Required

import orjson
import uuid_utils
from pydantic import ConfigDict, Field, StringConstraints, TypeAdapter, with_config
from pydantic import ValidationError as PydanticValidationError
from typing_extensions import TypedDict

from activitylog.errors import BatchValidationError, FieldError, ValidationError

ACTION_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
NAME_MAX = 200
DESCRIPTION_MAX = 2000
URL_MAX = 2000
USER_AGENT_MAX = 1000
JSON_MAX_BYTES = 64 * 1024
#: Integers a JSON value may hold: what fits in 64 bits, signed or unsigned (orjson's range;
#: beyond it orjson would read a number as a float and refuses to write one).
INT_MIN = -(2**63)
INT_MAX = 2**64 - 1
OUT_OF_RANGE = f"is an integer outside the 64-bit range ({INT_MIN} to {INT_MAX})"
FUTURE_TOLERANCE = timedelta(minutes=5)
RESULTS = ("success", "warning", "failure")
LAYERS = ("workspace", "platform")
SYSTEM_ACTOR: dict[str, str] = {"id": "system", "name": "System", "type": "system"}
#: Written only by the log itself: the records of a deletion and of a retention purge,
#: which verify relies on.
RESERVED_ACTIONS = frozenset({"activity_log.deleted", "activity_log.purged"})

#: Content fields in the order the API documents them.
CONTENT_FIELDS: tuple[str, ...] = (
    "id",
    "workspace",
    "layer",
    "occurred_at",
    "received_at",
    "actor",
    "impersonator",
    "action",
    "subject",
    "related",
    "result",
    "ip",
    "user_agent",
    "description",
    "changes",
    "snapshot",
    "details",
    "request_id",
    "session_id",
    "batch_id",
)
#: Fields derived from the content at ingest (by the catalog, the user-agent parser and
#: the IP's location).
DERIVED_FIELDS: tuple[str, ...] = ("category", "verb", "kind", "label", "device", "location")
#: What an entry's body holds and its content hash covers: what a reader is shown, less
#: the store's own fields (seq, the hashes, the tombstone's).
BODY_FIELDS: tuple[str, ...] = (*CONTENT_FIELDS, *DERIVED_FIELDS)
TOMBSTONE_FIELDS: tuple[str, ...] = ("deleted_at", "deleted_by", "delete_reason")
EVENT_FIELDS: tuple[str, ...] = (
    "id",
    "seq",
    *[f for f in CONTENT_FIELDS if f != "id"],
    *DERIVED_FIELDS,
    "content_hash",
    "chain_hash",
    *TOMBSTONE_FIELDS,
)

Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]
#: A workspace names a log (a signed checkpoint's origin line): one line, no control
#: characters.
WorkspaceName = Annotated[
    str, StringConstraints(min_length=1, max_length=NAME_MAX, pattern=r"^[^\x00-\x1f\x7f]+$")
]
OptName = Annotated[str, StringConstraints(max_length=NAME_MAX)] | None
_ACTION_RE = re.compile(ACTION_PATTERN)
_EPOCH = _MIN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


_STRICT = ConfigDict(extra="forbid")


@with_config(_STRICT)
class Party(TypedDict, total=False):
    """Who did it (``actor``) or on whose behalf (``impersonator``)."""

    id: OptName
    name: OptName
    email: OptName
    role: OptName
    type: Literal["user", "system", "api"]


@with_config(_STRICT)
class Subject(TypedDict, total=False):
    """What the event affected, or a related record."""

    type: Required[Name]
    id: OptName
    name: OptName
    url: Annotated[str, StringConstraints(max_length=URL_MAX)] | None


@with_config(_STRICT)
class EventIn(TypedDict, total=False):
    """The input shape of one event (HTTP API, NDJSON, SDK keyword arguments)."""

    id: str | None
    workspace: Required[WorkspaceName]
    layer: Literal["workspace", "platform"]
    occurred_at: datetime | None
    actor: Party | None
    impersonator: Party | None
    action: Required[Annotated[str, StringConstraints(max_length=NAME_MAX)]]
    subject: Subject | None
    related: Annotated[list[Subject], Field(max_length=100)] | None
    result: Literal["success", "warning", "failure"]
    ip: Annotated[str, StringConstraints(max_length=64)] | None
    user_agent: Annotated[str, StringConstraints(max_length=USER_AGENT_MAX)] | None
    description: Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)] | None
    changes: Any
    snapshot: Any
    details: Any
    request_id: OptName
    session_id: OptName
    batch_id: OptName


_EVENT_IN: TypeAdapter[EventIn] = TypeAdapter(EventIn)


def event_json_schema() -> dict[str, Any]:
    """JSON Schema of the input shape (for the OpenAPI document), self-contained."""
    schema = _EVENT_IN.json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    return _inline(schema, definitions)  # type: ignore[no-any-return]


def _inline(node: Any, definitions: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            return _inline(definitions[ref.rsplit("/", 1)[-1]], definitions)
        return {k: _inline(v, definitions) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, definitions) for v in node]
    return node


def new_id() -> str:
    """A new UUIDv7 (time-ordered) as a string."""
    return str(uuid_utils.uuid7())


def format_time(value: datetime) -> str:
    """RFC 3339 UTC with microseconds: ``2026-11-22T19:42:53.123456Z``."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def micros(moment: datetime) -> int:
    """Microseconds since the epoch (exact integer arithmetic)."""
    return (moment.astimezone(UTC) - _EPOCH) // _MICROSECOND


def to_micros(timestamp: str) -> int:
    """Microseconds since the epoch of an RFC 3339 timestamp."""
    return micros(parse_time(timestamp))


def format_micros(value: int) -> str:
    """RFC 3339 UTC with microseconds from microseconds since the epoch."""
    return format_time(_EPOCH + value * _MICROSECOND)


def parse_time(value: str) -> datetime:
    """Inverse of :func:`format_time` (accepts any ISO 8601 with offset; naive = UTC)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def normal_id(text: str) -> str:
    """An event id as it is stored. Ids are UUIDs, stored lower-case with hyphens whatever
    spelling the writer used (upper case, no hyphens, braces, ``urn:uuid:``); reads name
    them in any of those spellings too. Text that is no UUID is returned unchanged: it
    names no event."""
    try:
        return str(uuid_utils.UUID(text))
    except (ValueError, TypeError):
        return text


#: Bytes -> "0" for a digit, " " otherwise: a run of 19 zeros then marks a long number.
_DIGIT_MAP = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_DIGITS = b"0" * 19  # every integer outside INT_MIN..INT_MAX has 19 digits or more


def parse_json(text: bytes | bytearray | memoryview | str) -> Any:
    """JSON text -> Python values, every integer exact.

    orjson reads integers outside :data:`INT_MIN`..:data:`INT_MAX` as floats, which would
    store a rounded number without a word. Text holding no run of 19 digits cannot hold
    such an integer (the common case: one pass of ``bytes.translate``); otherwise it is
    read again by the standard library, which keeps integers exact, so that validation
    can name them. Invalid JSON raises ``orjson.JSONDecodeError`` (a ``ValueError``).
    """
    value = orjson.loads(text)  # checks syntax, UTF-8, surrogates and NaN for both paths
    raw = text.encode() if isinstance(text, str) else text
    if isinstance(raw, memoryview):
        raw = raw.tobytes()
    if _LONG_DIGITS not in raw.translate(_DIGIT_MAP):
        return value
    try:
        return json.loads(raw)
    except RecursionError:  # orjson allows deeper nesting than the standard library
        raise orjson.JSONDecodeError("nested too deeply", "", 0) from None


def canonical_json(content: Mapping[str, Any]) -> bytes:
    """The canonical encoding hashed for integrity (see docs/INTEGRITY.md).

    UTF-8 JSON, keys sorted at every level, no insignificant whitespace, fields whose
    value is null, an empty list or an empty object left out.
    """
    return orjson.dumps(
        {k: v for k, v in content.items() if v is not None and v != [] and v != {}},
        option=orjson.OPT_SORT_KEYS,
    )


def event_body(event: Mapping[str, Any]) -> bytes:
    """The canonical body of an event as read (or exported): what its content hash is of."""
    return canonical_json({name: event.get(name) for name in BODY_FIELDS})


def fit_name(name: str) -> str:
    """``name`` as an entry's names may hold it: a longer one is cut, ending in "…"."""
    return name if len(name) <= NAME_MAX else name[: NAME_MAX - 1] + "…"


def validate(
    raw: Mapping[str, Any],
    *,
    now: datetime | None = None,
    received_at: datetime | None = None,
    reserved: bool = False,
) -> dict[str, Any]:
    """Validate and normalise one event; raise :class:`ValidationError` naming every bad field.

    Actions in :data:`RESERVED_ACTIONS` are the log's own records (a deletion's); only the
    log writes them (``reserved=True``), so no client can forge one."""
    now = now or datetime.now(UTC)
    errors: list[FieldError] = []
    if not isinstance(raw, Mapping):
        raise ValidationError([FieldError("event", "must be a JSON object")])
    try:
        model = _EVENT_IN.validate_python(raw)
    except PydanticValidationError as exc:
        errors.extend(_from_pydantic(exc))
        _check_raw(raw, errors)
        _check_nul(raw, "", errors)
        raise ValidationError(_dedupe(errors)) from None
    content = _normalise(model, now, received_at or now, errors)
    if content["action"] in RESERVED_ACTIONS and not reserved:
        errors.append(FieldError("action", "is reserved for the log's own records"))
    if _has_nul(content):
        _check_nul(content, "", errors)
    if errors:
        raise ValidationError(_dedupe(errors))
    return content


def validate_batch(
    raws: Sequence[Mapping[str, Any]], *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Validate a batch; any invalid event -> :class:`BatchValidationError` for all of them."""
    now = now or datetime.now(UTC)
    out: list[dict[str, Any]] = []
    bad: dict[int, tuple[FieldError, ...]] = {}
    for index, raw in enumerate(raws):
        try:
            # Events without occurred_at get now + index µs: distinct, in batch order.
            moment = now + timedelta(microseconds=index)
            out.append(validate(raw, now=moment, received_at=now))
        except ValidationError as exc:
            bad[index] = exc.errors
    if bad:
        raise BatchValidationError(bad)
    return out


def _normalise(
    model: EventIn, now: datetime, received_at: datetime, errors: list[FieldError]
) -> dict[str, Any]:
    event_id = model.get("id")
    if event_id is None:
        event_id = new_id()
    else:
        try:
            event_id = str(uuid_utils.UUID(event_id))
        except ValueError:
            errors.append(FieldError("id", "must be a UUID"))
    action = model["action"]
    if not _ACTION_RE.fullmatch(action):  # match(): `$` allows a trailing newline
        errors.append(_bad_action(action))
    occurred = model.get("occurred_at") or now
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)
    if occurred > now + FUTURE_TOLERANCE:
        errors.append(FieldError("occurred_at", "is more than 5 minutes in the future"))
    elif occurred < _MIN_TIME:
        errors.append(FieldError("occurred_at", "is before 1970-01-01"))
    raw_ip = model.get("ip")
    ip = _normal_ip(raw_ip) if raw_ip is not None else None
    if raw_ip is not None and ip is None:
        errors.append(_bad_ip(raw_ip))
    changes = _json_field("changes", model.get("changes"), errors)
    if changes is not None:
        _check_changes(changes, errors)
    actor = model.get("actor")
    impersonator = model.get("impersonator")
    subject = model.get("subject")
    related = model.get("related")
    return {
        "id": event_id,
        "workspace": model["workspace"],
        "layer": model.get("layer") or "workspace",
        "occurred_at": format_time(occurred),
        "received_at": format_time(received_at),
        "actor": _party(actor) if actor else dict(SYSTEM_ACTOR),
        "impersonator": _party(impersonator) if impersonator else None,
        "action": action,
        "subject": _compact(subject) if subject else None,
        "related": [_compact(r) for r in related] if related else None,
        "result": model.get("result") or "success",
        "ip": ip,
        "user_agent": model.get("user_agent") or None,
        "description": model.get("description") or None,
        "changes": changes,
        "snapshot": _json_field("snapshot", model.get("snapshot"), errors),
        "details": _json_field("details", model.get("details"), errors),
        "request_id": model.get("request_id"),
        "session_id": model.get("session_id"),
        "batch_id": model.get("batch_id"),
    }


def _bad_action(action: str) -> FieldError:
    return FieldError("action", f"must be dotted lowercase like 'contact.updated' (got {action!r})")


def _bad_ip(ip: str) -> FieldError:
    return FieldError("ip", f"is not a valid IPv4 or IPv6 address ({ip!r})")


def _check_raw(raw: Mapping[str, Any], errors: list[FieldError]) -> None:
    """The checks beyond the schema, for an event the schema already rejected: the fields
    it let through are still checked, so one 422 names every invalid field."""
    event_id, action, ip = raw.get("id"), raw.get("action"), raw.get("ip")
    if isinstance(event_id, str):
        try:
            uuid_utils.UUID(event_id)
        except ValueError:
            errors.append(FieldError("id", "must be a UUID"))
    if isinstance(action, str) and not _ACTION_RE.fullmatch(action):
        errors.append(_bad_action(action))
    if isinstance(ip, str) and _normal_ip(ip) is None:
        errors.append(_bad_ip(ip))
    for name in ("changes", "snapshot", "details"):
        if any(e.field == name or e.field.startswith(f"{name}.") for e in errors):
            continue  # the schema said what is wrong with it
        checked = _json_field(name, raw.get(name), errors)
        if name == "changes" and checked is not None:
            _check_changes(checked, errors)


@lru_cache(maxsize=65536)
def _normal_ip(text: str) -> str | None:
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return None


def _party(party: Mapping[str, Any]) -> dict[str, Any]:
    out = _compact(party)
    out.setdefault("type", "user")
    return out


def _compact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _json_field(name: str, value: Any, errors: list[FieldError]) -> Any:
    if value is None:
        return None
    if isinstance(value, str | bytes):
        try:
            value = parse_json(value)
        except orjson.JSONDecodeError:
            errors.append(FieldError(name, "is not valid JSON"))
            return None
    if not isinstance(value, dict):
        errors.append(FieldError(name, "must be a JSON object"))
        return None
    if not value:
        return None  # an empty object is stored (and hashed) as absent
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError as exc:
        # Only now look for the integers orjson refused: the valid path never walks.
        too_big = [FieldError(path, OUT_OF_RANGE) for path in _big_integers(value, name)]
        errors.extend(too_big or [FieldError(name, f"is not JSON-serialisable ({exc})")])
        return None
    if len(encoded) > JSON_MAX_BYTES:
        errors.append(FieldError(name, f"is {len(encoded):,} bytes; the limit is 64 KiB"))
        return None
    return orjson.loads(encoded)


def _big_integers(value: Any, path: str) -> Iterator[str]:
    """The paths of the integers in ``value`` that do not fit 64 bits."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not INT_MIN <= value <= INT_MAX:
            yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _big_integers(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _big_integers(item, f"{path}[{i}]")


def _check_changes(changes: dict[str, Any], errors: list[FieldError]) -> None:
    for field, change in changes.items():
        if not isinstance(change, dict) or not set(change) <= {"before", "after"} or not change:
            errors.append(FieldError(f"changes.{field}", "must be an object {before, after}"))


def _has_nul(content: Mapping[str, Any]) -> bool:
    return b"\\u0000" in orjson.dumps(content)


def _check_nul(value: Any, path: str, errors: list[FieldError]) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            errors.append(FieldError(path or "event", "contains a NUL byte"))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            sub = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and "\x00" in key:
                errors.append(FieldError(sub, "key contains a NUL byte"))
            _check_nul(item, sub, errors)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_nul(item, f"{path}[{i}]", errors)


def _from_pydantic(exc: PydanticValidationError) -> Iterable[FieldError]:
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "event"
        kind = err["type"]
        if kind == "missing":
            reason = "is required"
        elif kind == "extra_forbidden":
            reason = "is not a known field"
        elif kind == "string_too_long":
            reason = f"is longer than {err['ctx']['max_length']:,} characters"
        elif kind == "literal_error":
            reason = f"must be one of {err['ctx']['expected']}"
        elif kind == "string_pattern_mismatch" and loc == "workspace":
            reason = "must be one line without control characters"
        else:
            reason = err["msg"][:1].lower() + err["msg"][1:]
        yield FieldError(loc, reason)


def _dedupe(errors: list[FieldError]) -> list[FieldError]:
    return list(dict.fromkeys(errors))
