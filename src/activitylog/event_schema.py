"""The input schema of an event: its limits, stated twice.

The pydantic types (:class:`EventIn`) are the source of truth for what an event may hold:
the OpenAPI document is generated from them, and every error report names their fields.
The msgspec structs (:class:`FastEvent`) state the same limits for the fast path of
:func:`activitylog.events.validate`, which takes only what they accept and asks the
pydantic types whenever it is unsure. They may accept less (workspace names, times and
the JSON fields are checked by :mod:`activitylog.events` itself), never more: a property
test compares the two paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, Required

import msgspec
from msgspec import UNSET, Meta, UnsetType
from pydantic import ConfigDict, Field, StringConstraints, TypeAdapter, with_config
from pydantic import ValidationError as PydanticValidationError
from typing_extensions import TypedDict

from activitylog.errors import FieldError

ACTION_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
NAME_MAX = 200
DESCRIPTION_MAX = 2000
URL_MAX = 2000
USER_AGENT_MAX = 1000
IP_MAX = 64
RELATED_MAX = 100

Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]
#: A workspace names a log (a signed checkpoint's origin line): one line, no control
#: characters.
WorkspaceName = Annotated[
    str, StringConstraints(min_length=1, max_length=NAME_MAX, pattern=r"^[^\x00-\x1f\x7f]+$")
]
OptName = Annotated[str, StringConstraints(max_length=NAME_MAX)] | None


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
    related: Annotated[list[Subject], Field(max_length=RELATED_MAX)] | None
    result: Literal["success", "warning", "failure"]
    ip: Annotated[str, StringConstraints(max_length=IP_MAX)] | None
    user_agent: Annotated[str, StringConstraints(max_length=USER_AGENT_MAX)] | None
    description: Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)] | None
    changes: Any
    snapshot: Any
    details: Any
    request_id: OptName
    session_id: OptName
    batch_id: OptName


EVENT_IN: TypeAdapter[EventIn] = TypeAdapter(EventIn)


def event_json_schema() -> dict[str, Any]:
    """JSON Schema of the input shape (for the OpenAPI document), self-contained."""
    schema = EVENT_IN.json_schema(ref_template="#/components/schemas/{model}")
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


def schema_errors(exc: PydanticValidationError) -> Iterable[FieldError]:
    """What the schema found wrong, one :class:`FieldError` per problem, in the API's words."""
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


_Text = Annotated[str, Meta(max_length=NAME_MAX)]
_Name = Annotated[str, Meta(min_length=1, max_length=NAME_MAX)]


class FastParty(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, gc=False):
    """:class:`Party`; ``type`` unset (not "user") when not given, so that
    ``msgspec.to_builtins`` leaves out exactly what the content leaves out."""

    id: _Text | None = None
    name: _Text | None = None
    email: _Text | None = None
    role: _Text | None = None
    type: Literal["user", "system", "api"] | UnsetType = UNSET


class FastSubject(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, gc=False):
    """:class:`Subject`."""

    type: _Name
    id: _Text | None = None
    name: _Text | None = None
    url: Annotated[str, Meta(max_length=URL_MAX)] | None = None


class FastEvent(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, gc=False):
    """:class:`EventIn`, less the workspace's pattern and the time's parsing (``Any``
    here: :func:`activitylog.events.validate` checks them) and the JSON fields' content.

    The same struct then carries the event through normalisation and enrichment, so that
    ``msgspec.to_builtins`` makes its body in one call: fields left null are left out
    (``omit_defaults``), the layer and the result are set even when they take their
    default (unset until then), and the fields after ``batch_id`` are the ones the log
    adds (a sender who gives one is sent to the schema, which refuses it).

    These structs live for one event's check and hold no reference cycle, so the garbage
    collector does not track them (``gc=False``)."""

    workspace: _Name
    action: _Text
    id: str | None = None
    layer: Literal["workspace", "platform"] | UnsetType = UNSET
    occurred_at: Any = None
    actor: FastParty | None = None
    impersonator: FastParty | None = None
    subject: FastSubject | None = None
    related: Annotated[list[FastSubject], Meta(max_length=RELATED_MAX)] | None = None
    result: Literal["success", "warning", "failure"] | UnsetType = UNSET
    ip: Annotated[str, Meta(max_length=IP_MAX)] | None = None
    user_agent: Annotated[str, Meta(max_length=USER_AGENT_MAX)] | None = None
    description: Annotated[str, Meta(max_length=DESCRIPTION_MAX)] | None = None
    changes: Any = None
    snapshot: Any = None
    details: Any = None
    request_id: _Text | None = None
    session_id: _Text | None = None
    batch_id: _Text | None = None
    # Set by the log, never taken from a sender:
    received_at: str | UnsetType = UNSET
    category: str | UnsetType = UNSET
    verb: str | UnsetType = UNSET
    kind: str | UnsetType = UNSET
    label: str | UnsetType = UNSET
    device: dict[str, str] | None = None
    location: dict[str, Any] | None = None
