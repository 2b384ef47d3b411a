"""The event: validation, normalisation and canonical form.

:func:`validate` turns what a caller sends (a mapping in the JSON shape of the API) into
the event's *content*: a plain dict holding only the fields below, normalised (UTC
timestamps as RFC 3339 strings with microseconds, IPs compressed, absent actor = System).
The content is what gets hashed; :func:`canonical_json` is its one canonical encoding.
What an event may hold is stated by its schema, :mod:`activitylog.event_schema`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

import msgspec
import orjson
import uuid_utils
from msgspec import UNSET
from pydantic import ValidationError as PydanticValidationError

from activitylog.errors import BatchValidationError, FieldError, ValidationError

# The schema's limits and input type, named here too: where the rest of the package reads them.
from activitylog.event_schema import ACTION_PATTERN as ACTION_PATTERN
from activitylog.event_schema import DESCRIPTION_MAX as DESCRIPTION_MAX
from activitylog.event_schema import EVENT_IN, FastEvent, FastParty, schema_errors
from activitylog.event_schema import NAME_MAX as NAME_MAX
from activitylog.event_schema import URL_MAX as URL_MAX
from activitylog.event_schema import USER_AGENT_MAX as USER_AGENT_MAX
from activitylog.event_schema import EventIn as EventIn

# Times as events hold them, named here too: where most of the package reads them.
from activitylog.json_text import parse_json as parse_json
from activitylog.timestamps import EPOCH, MICROSECOND
from activitylog.timestamps import format_micros as format_micros
from activitylog.timestamps import format_time as format_time
from activitylog.timestamps import micros as micros
from activitylog.timestamps import parse_time as parse_time
from activitylog.timestamps import to_micros as to_micros

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

_ACTION_RE = re.compile(ACTION_PATTERN)
_MIN_TIME = EPOCH
T = TypeVar("T")


def new_id() -> str:
    """A new UUIDv7 (time-ordered) as a string."""
    return str(uuid_utils.uuid7())


def normal_id(text: str) -> str:
    """An event id as it is stored. Ids are UUIDs, stored lower-case with hyphens whatever
    spelling the writer used (upper case, no hyphens, braces, ``urn:uuid:``); reads name
    them in any of those spellings too. Text that is no UUID is returned unchanged: it
    names no event."""
    try:
        return str(uuid_utils.UUID(text))
    except (ValueError, TypeError):
        return text


def canonical_json(content: Mapping[str, Any]) -> bytes:
    """The canonical encoding hashed for integrity (see docs/INTEGRITY.md).

    UTF-8 JSON, keys sorted at every level, no insignificant whitespace, fields whose
    value is null, an empty list or an empty object left out.
    """
    return orjson.dumps(
        {
            k: v
            for k, v in content.items()
            # A str is never null nor empty in this sense (the common case, tested first).
            if v.__class__ is str or (v is not None and v != [] and v != {})
        },
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
    received = received_at or now
    content = _fast_content(raw, now, format_time(received), reserved)
    if content is None:
        content = _schema_content(raw, now, received, reserved)
    return content


def validate_batch(
    raws: Sequence[Mapping[str, Any]], *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Validate a batch; any invalid event -> :class:`BatchValidationError` for all of them."""
    return check_batch(raws, _content_of, _as_is, now=now)


def check_batch(
    raws: Sequence[Mapping[str, Any]],
    fast: Callable[[Mapping[str, Any], FastEvent], T | None],
    slow: Callable[[Mapping[str, Any], dict[str, Any]], T],
    *,
    now: datetime | None = None,
) -> list[T]:
    """Validate a batch and make something of each event: ``fast(raw, event)`` of what
    the fast path vouches for (None: unsure after all), else ``slow(raw, content)`` of the
    schema's content. Any invalid event -> :class:`BatchValidationError` for all of them."""
    now = now or datetime.now(UTC)
    received_at = format_time(now)
    out: list[T] = []
    bad: dict[int, tuple[FieldError, ...]] = {}
    for index, raw in enumerate(raws):
        # Events without occurred_at get now + index µs: distinct, in batch order.
        moment = now + index * MICROSECOND
        event = fast_event(raw, moment, received_at, False)
        made = None if event is None else fast(raw, event)
        if made is None:
            try:
                content = _schema_content(raw, moment, now, False)
            except ValidationError as exc:
                bad[index] = exc.errors
                continue
            made = slow(raw, content)
        out.append(made)
    if bad:
        raise BatchValidationError(bad)
    return out


def _as_is(_raw: Mapping[str, Any], content: dict[str, Any]) -> dict[str, Any]:
    return content


def _schema_content(
    raw: Mapping[str, Any], now: datetime, received_at: datetime, reserved: bool
) -> dict[str, Any]:
    """:func:`validate` by the schema: the reference for what is valid, and the one path
    that reports errors."""
    errors: list[FieldError] = []
    if not isinstance(raw, Mapping):
        raise ValidationError([FieldError("event", "must be a JSON object")])
    try:
        model = EVENT_IN.validate_python(raw)
    except PydanticValidationError as exc:
        errors.extend(schema_errors(exc))
        _check_raw(raw, errors)
        _check_nul(raw, "", errors)
        raise ValidationError(_dedupe(errors)) from None
    content = _normalise(model, now, received_at, errors)
    if content["action"] in RESERVED_ACTIONS and not reserved:
        errors.append(FieldError("action", "is reserved for the log's own records"))
    if _has_nul(content):
        _check_nul(content, "", errors)
    if errors:
        raise ValidationError(_dedupe(errors))
    return content


_CHANGE_KEYS = frozenset({"before", "after"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: The times taken without the schema: RFC 3339 with an offset, which the schema and
#: ``datetime.fromisoformat`` read alike. Microseconds in UTC are already canonical.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_UTC = frozenset({"Z", "+00:00", "-00:00"})
_convert = msgspec.convert
_to_builtins = msgspec.to_builtins
_NULL_CONTENT: dict[str, Any] = dict.fromkeys(CONTENT_FIELDS)
_EMPTY_PARTY = FastParty()


def _user_party() -> FastParty:
    return FastParty(type="user")


def _system_party() -> FastParty:
    return FastParty(**SYSTEM_ACTOR)  # type: ignore[arg-type]


class _Unsure(Exception):
    """The fast path cannot vouch for an event: the schema decides."""


def _fast_content(
    raw: Mapping[str, Any], now: datetime, received_at: str, reserved: bool
) -> dict[str, Any] | None:
    """The content of a valid event, as :func:`_schema_content` makes it; None when unsure
    (an invalid event, or a valid one in a rarer shape). See :func:`fast_event`."""
    event = fast_event(raw, now, received_at, reserved)
    return None if event is None else _content_of(raw, event)


def _content_of(_raw: Mapping[str, Any], event: FastEvent) -> dict[str, Any] | None:
    """The content of an event :func:`fast_event` made, nulls included; None when a
    string in it is not plain (see there)."""
    try:
        content = {**_NULL_CONTENT, **_to_builtins(event)}
        encoded = orjson.dumps(content)  # raises for lone surrogates
    except Exception:
        return None
    return None if has_escaped_nul(encoded) else content


def has_escaped_nul(encoded: bytes) -> bool:
    """Whether JSON text holds a NUL character (escaped: it needs a backslash, which most
    events lack, so one memchr decides)."""
    return b"\\" in encoded and b"\\u0000" in encoded


def fast_event(
    raw: Mapping[str, Any], now: datetime, received_at: str, reserved: bool
) -> FastEvent | None:
    """A valid event normalised in its :class:`~activitylog.event_schema.FastEvent` (its
    fields as :func:`_schema_content` makes them, null ones unset); None when unsure.

    :class:`~activitylog.event_schema.FastEvent` checks the schema's limits; times are
    taken in RFC 3339 with an offset or as ``datetime``. Any exception here (a malformed
    UUID, an unhashable value) means unsure too: the schema path then reports, or raises,
    as it always did. Not checked here, but by whoever encodes the struct: that every
    string is a plain ``str`` (``msgspec.to_builtins`` raises for a subclass, which the
    schema turns into ``str``), holds no lone surrogate and no NUL.
    """
    try:
        event = _convert(raw, FastEvent)
        workspace, action = event.workspace, event.action
        if _CONTROL.search(workspace) or not _good_action(action):
            return None
        if action in RESERVED_ACTIONS and not reserved:
            return None
        if not _only_given(event):
            return None
        ip = event.ip
        if ip is not None:
            ip = event.ip = _normal_ip(ip)
            if ip is None:
                return None
        changes = event.changes
        if changes is not None:
            changes = event.changes = _fast_json(changes)
            if changes is not None and not all(map(_good_change, changes.values())):
                return None
        if event.snapshot is not None:
            event.snapshot = _fast_json(event.snapshot)
        if event.details is not None:
            event.details = _fast_json(event.details)
        # As _party: an empty party stands for none; a party's type defaults to user.
        actor, impersonator = event.actor, event.impersonator
        if actor is None or actor == _EMPTY_PARTY:
            event.actor = _user_party() if raw.get("actor") else _system_party()
        elif actor.type is UNSET:
            actor.type = "user"
        if impersonator is None or impersonator == _EMPTY_PARTY:
            event.impersonator = _user_party() if raw.get("impersonator") else None
        elif impersonator.type is UNSET:
            impersonator.type = "user"
        event_id = event.id
        event.id = new_id() if event_id is None else str(uuid_utils.UUID(event_id))
        if event.layer is UNSET:
            event.layer = "workspace"
        if event.result is UNSET:
            event.result = "success"
        event.occurred_at = _fast_time(event.occurred_at, now)
        event.received_at = received_at
        if not event.related:
            event.related = None
        if not event.user_agent:
            event.user_agent = None
        if not event.description:
            event.description = None
    except Exception:
        return None
    return event


def _only_given(event: FastEvent) -> bool:
    """Whether the sender left the log's own fields alone."""
    return (
        event.received_at is UNSET
        and event.category is UNSET
        and event.verb is UNSET
        and event.kind is UNSET
        and event.label is UNSET
        and event.device is None
        and event.location is None
    )


def _good_change(change: Any) -> bool:
    """As :func:`_check_changes` wants each change: ``{before, after}``, one of them at least."""
    return isinstance(change, dict) and bool(change) and change.keys() <= _CHANGE_KEYS


@lru_cache(maxsize=4096)
def _good_action(action: str) -> bool:
    return _ACTION_RE.fullmatch(action) is not None


def _fast_time(value: Any, now: datetime) -> str:
    """``occurred_at`` (given, else ``now``) in canonical form; raises :class:`_Unsure`
    outside the window the schema path accepts."""
    canonical = None
    if value is None:
        moment = now
    elif type(value) is str:
        shape = _RFC3339.fullmatch(value)
        if shape is None:
            raise _Unsure
        moment = datetime.fromisoformat(value)
        if shape[2] in _UTC and len(shape[1] or "") == 7:
            canonical = value[:26] + "Z"
    elif type(value) is datetime:
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    else:
        raise _Unsure
    if moment > now + FUTURE_TOLERANCE or moment < _MIN_TIME:
        raise _Unsure
    return canonical or format_time(moment)


def _fast_json(value: Any) -> dict[str, Any] | None:
    """``changes``, ``snapshot`` or ``details`` (not None) as :func:`_json_field` makes
    them; raises :class:`_Unsure` where it would report an error."""
    if isinstance(value, str | bytes):
        value = parse_json(value)
    if not isinstance(value, dict):
        raise _Unsure
    if not value:
        return None
    encoded = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    if len(encoded) > JSON_MAX_BYTES:
        raise _Unsure
    return orjson.loads(encoded)  # type: ignore[no-any-return]


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


def _dedupe(errors: list[FieldError]) -> list[FieldError]:
    return list(dict.fromkeys(errors))
