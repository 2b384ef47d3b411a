"""The API's reply shapes as pydantic models, for the OpenAPI document only: the handlers
build plain dicts (fast paths, orjson), and tests check every reply against these models
through the document (schemathesis' response conformance), so neither can drift.

The request shapes the handlers read by hand are in :mod:`activitylog.web.openapi`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_OPEN = ConfigDict(extra="allow")  # replies may gain fields; clients must keep working


class Party(BaseModel):
    """Who did it (``actor``) or on whose behalf (``impersonator``), as recorded."""

    model_config = _OPEN
    id: str | None = None
    name: str | None = None
    email: str | None = None
    role: str | None = None
    type: Literal["user", "system", "api"] = "user"


class Subject(BaseModel):
    """What the event affected, or a related record."""

    model_config = _OPEN
    type: str
    id: str | None = None
    name: str | None = None
    url: str | None = None


class Device(BaseModel):
    """Parsed from the user agent."""

    model_config = _OPEN
    browser: str | None = None
    os: str | None = None
    device_type: str | None = None


class Location(BaseModel):
    """Where the IP was when the entry was recorded (derived at ingest, kept in the body)."""

    model_config = _OPEN
    country: str | None = Field(description="ISO 3166-1 alpha-2, upper case")
    country_name: str | None
    asn: int | None = Field(description="The network's AS number, when the data names it")
    network: str | None = Field(description="The network's owner")
    scope: Literal["public", "private", "loopback", "link_local", "reserved"]


class Event(BaseModel):
    """An entry: its content, what the catalog derived, its hashes, and the tombstone's
    fields. Every field is present (null when unset); a tombstone (a deleted entry) keeps
    only its id, workspace, seq, occurred_at, hashes and the deletion's fields."""

    model_config = _OPEN
    id: str = Field(description="UUID; the idempotency key")
    seq: int = Field(description="Position in its workspace's chain: 1, 2, 3 …")
    workspace: str
    layer: Literal["workspace", "platform"] | None
    occurred_at: str = Field(description="RFC 3339 UTC with microseconds")
    received_at: str | None
    actor: Party | None
    impersonator: Party | None
    action: str | None
    subject: Subject | None
    related: list[Subject] | None
    result: Literal["success", "warning", "failure"] | None
    ip: str | None
    user_agent: str | None
    description: str | None
    changes: dict[str, Any] | None = Field(description="`{field: {before, after}}`")
    snapshot: dict[str, Any] | None
    details: dict[str, Any] | None
    request_id: str | None
    session_id: str | None
    batch_id: str | None
    category: str | None = Field(description="Derived from the action by the catalog")
    verb: str | None
    kind: Literal["auth", "read", "write"] | None
    label: str | None
    device: Device | None
    location: Location | None = Field(description="Null without an IP, or recorded before")
    content_hash: str = Field(description="SHA-256 of the canonical content, hex")
    chain_hash: str = Field(description="SHA-256 linking the previous entry, hex")
    deleted_at: str | None
    deleted_by: str | None
    delete_reason: str | None


class Integrity(BaseModel):
    """How one entry checks against its chain and the signed checkpoint covering it."""

    seq: int
    content_ok: bool | None = Field(description="Null for a tombstone (content erased)")
    linked: bool | None = Field(description="Null at seq 1 or when the previous is unread")
    checkpoint_seq: int | None
    signature_ok: bool | None = Field(description="Null when no key is available")
    verified: bool
    deleted: bool


class EventWithIntegrity(Event):
    """``GET /events/{id}``: the event and its :class:`Integrity`."""

    integrity: Integrity


class EventPage(BaseModel):
    """A page of events, in the order ``sort`` names."""

    model_config = _OPEN
    items: list[Event]
    total: int
    page: int
    per_page: int
    sort: str
    limit: int | None = Field(default=None, description="Cursor pages: the `limit` asked")
    next_cursor: str | None = Field(
        default=None, description="With `limit`: pass as `after` for the next page"
    )
    prev_cursor: str | None = Field(
        default=None, description="With `limit`: pass as `before` for the page before"
    )


class StoredEvent(BaseModel):
    model_config = _OPEN
    id: str
    seq: int
    content_hash: str
    chain_hash: str
    duplicate: bool = Field(description="Stored before with the same content: nothing new")


class IngestResult(BaseModel):
    """The events of the request, in its order: 201 when any was stored, 200 when every
    one was a duplicate."""

    model_config = _OPEN
    events: list[StoredEvent]


class Kpis(BaseModel):
    model_config = _OPEN
    total: int
    total_change_pct: float | None = Field(description="Null when the previous window had none")
    previous_total: int
    sign_ins: int
    writes: int
    reads_other: int
    unique_ips: int


class Split(BaseModel):
    """``sign_ins + writes + reads_other`` is the total."""

    model_config = _OPEN
    sign_ins: int
    writes: int
    reads_other: int


class VolumeBucket(BaseModel):
    model_config = _OPEN
    start: str
    label: str
    auth: int
    writes: int
    other: int


class TopActor(BaseModel):
    model_config = _OPEN
    id: str
    name: str
    initials: str
    count: int
    last_seen: str | None


class CategoryCount(BaseModel):
    model_config = _OPEN
    category: str
    count: int


class Stats(BaseModel):
    """KPIs, volume series, split, top actors and counts by category of the window."""

    model_config = _OPEN
    kpis: Kpis
    volume: list[VolumeBucket]
    split: Split
    split_percent: Split = Field(description="The split in whole percent, adding up to 100")
    top_actors: list[TopActor]
    by_category: list[CategoryCount]


class Break(BaseModel):
    model_config = _OPEN
    seq: int
    kind: str
    reason: str = Field(description="Repeats `kind` (older clients)")
    text: str


class VerifyReport(BaseModel):
    """The integrity report of one workspace (as ``activitylog verify``)."""

    model_config = _OPEN
    workspace: str
    ok: bool
    entries: int
    tombstones: int
    head_seq: int
    head_hash: str | None
    root: str | None
    checkpoints: int
    signatures_checked: bool
    witness_checked: bool
    first_break: Break | None
    breaks: list[Break]


class DeleteResult(BaseModel):
    model_config = _OPEN
    deleted: list[str]
    not_found: list[str]
    count: int


class ViewerToken(BaseModel):
    model_config = _OPEN
    token: str
    expires_in: int = Field(description="Seconds")


class WorkspaceSettings(BaseModel):
    model_config = _OPEN
    workspace: str
    log_access: Literal["admins", "own"]
    link_base: str | None
    retention_days: int | Literal["forever"] | None
    legal_hold: str | None
    require_archive: bool
    export_schedule: Literal["off", "daily", "weekly", "monthly"]
    export_format: Literal["csv", "json", "pdf"]


class Health(BaseModel):
    status: Literal["ok"]


class FieldProblem(BaseModel):
    """One invalid value: where, why, and a machine-readable code."""

    model_config = _OPEN
    field: str
    reason: str
    code: str | None = Field(default=None, examples=["format", "required", "not_allowed"])
    index: int | None = Field(default=None, description="Position in the batch")


class Error(BaseModel):
    """Every error reply: RFC 9457 problem details, with the older fields kept (``error``,
    ``message``) and every invalid field at once (``errors``)."""

    model_config = _OPEN
    type: str = Field(description="A URI naming the problem (`about:blank`)")
    title: str = Field(description="The status's phrase")
    status: int
    detail: str
    error: str = Field(examples=["validation"], description="A code for the status")
    message: str = Field(description="The same text as `detail`")
    errors: list[FieldProblem]
