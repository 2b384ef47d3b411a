"""Streams over the API: ``GET``/``POST /api/v1/streams``, ``DELETE
/api/v1/streams/{id}`` and ``GET /api/v1/streams/status``.

Who may (:func:`~activitylog.access.may_manage_streams`): a workspace's owners and admins
(people with a session, or its read key) its streams, platform admins every stream and
the platform's; file destinations and CA bundles name files on the server, so only
platform admins give them (:func:`~activitylog.access.may_name_server_files`). Viewer
tokens and ingest keys get 403; a stream of another workspace is a 404. Adding and
removing are recorded in the log (``stream.created`` / ``stream.removed``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from activitylog.access import (
    is_platform,
    may_manage_streams,
    may_name_server_files,
)
from activitylog.accounts.fields import text_problem
from activitylog.errors import AccessDenied, FieldError, NotFound, ValidationError
from activitylog.streams import ALL, Stream, Streams, new_stream, stream_event
from activitylog.streams.records import CREATED, REMOVED
from activitylog.streams.service import status_json
from activitylog.web.body import read_json_body
from activitylog.web.principal import Principal, check_csrf, require_reader
from activitylog.web.state import app_state

router = APIRouter(prefix="/api/v1")
MAX_BODY = 64 * 1024
#: The fields a new stream's body may hold.
FIELDS = frozenset(
    {
        "name",
        "workspace",
        "platform",
        "url",
        "syslog",
        "file",
        "syslog_tls",
        "syslog_ca",
        "format",
        "filters",
        "secret",
        "from",
    }
)
_OPEN = ConfigDict(extra="allow")


class StreamOut(BaseModel):
    """A stream (its webhook secret is never shown again after it was made)."""

    model_config = _OPEN
    id: str
    name: str
    workspace: str | None = Field(description="null: a platform stream (every workspace)")
    platform: bool
    destination: Literal["webhook", "syslog", "file"]
    target: str = Field(description="The URL, HOST:PORT or file path")
    syslog_tls: bool
    format: Literal["json", "ocsf", "cef"]
    filters: dict[str, Any]
    from_: Literal["beginning", "now"] = Field(alias="from")
    created_at: str
    created_by: str


class StreamCreated(StreamOut):
    secret: str | None = Field(
        None, description="A webhook's new whsec_ signing secret: shown only in this reply"
    )


class StreamPosition(BaseModel):
    model_config = _OPEN
    workspace: str
    position: int = Field(description="The last seq sent (or passed over by the filters)")
    head: int
    behind: int
    delay_seconds: float = Field(description="How long ago the oldest unsent entry occurred")
    last_error: str | None
    error_at: str | None
    retry_at: str | None


class StreamStatus(BaseModel):
    model_config = _OPEN
    id: str
    name: str
    workspace: str | None
    follower: str
    started: bool
    behind: int
    delay_seconds: float
    last_error: str | None
    workspaces: list[StreamPosition]


def require_manager(request: Request) -> Principal:
    """A person or read key whose role may manage streams somewhere; a session's unsafe
    request needs its CSRF token."""
    principal = require_reader(request)
    if principal.kind == "viewer_token":
        raise AccessDenied("viewer tokens may not see or change streams")
    viewer = principal.viewer
    if not (is_platform(viewer) or may_manage_streams(viewer, viewer.workspace)):
        raise AccessDenied("streams are for a workspace's owners and admins")
    check_csrf(request, principal)
    return principal


Manager = Annotated[Principal, Depends(require_manager)]


def _scope(principal: Principal, workspace: str | None, platform: bool) -> str | None:
    """Which streams a listing shows (:data:`ALL`, a workspace, or None: the platform's)."""
    if workspace is not None and (problem := text_problem(workspace)):
        raise ValidationError([FieldError("workspace", problem)])
    if platform and workspace:
        raise ValidationError([FieldError("platform", "give workspace or platform, not both")])
    viewer = principal.viewer
    if is_platform(viewer):
        return None if platform else (workspace or ALL)
    if platform:
        raise AccessDenied("platform streams are for platform admins")
    if workspace and workspace != viewer.workspace:
        raise AccessDenied(f"this caller may only manage the streams of {viewer.workspace!r}")
    return viewer.workspace


def _listed(
    request: Request, principal: Principal, workspace: str | None, platform: bool
) -> list[Stream]:
    return Streams(app_state(request).log).list(_scope(principal, workspace, platform))


@router.get(
    "/streams",
    summary="The streams the caller manages",
    operation_id="listStreams",
    response_model=list[StreamOut],
)
def list_streams(
    request: Request,
    principal: Manager,
    workspace: Annotated[str | None, Query(description="Only this workspace's.")] = None,
    platform: Annotated[bool, Query(description="Only the platform's.")] = False,
) -> list[dict[str, Any]]:
    return [stream.to_dict() for stream in _listed(request, principal, workspace, platform)]


@router.get(
    "/streams/status",
    summary="Each stream's position, lag and last error",
    operation_id="getStreamsStatus",
    response_model=list[StreamStatus],
)
def streams_status(
    request: Request,
    principal: Manager,
    workspace: Annotated[str | None, Query(description="Only this workspace's.")] = None,
    platform: Annotated[bool, Query(description="Only the platform's.")] = False,
) -> list[dict[str, Any]]:
    found = _listed(request, principal, workspace, platform)
    service = Streams(app_state(request).log)
    return [status_json(stream, state) for stream, state in service.status(found)]


@router.post(
    "/streams",
    status_code=201,
    summary="Add a stream",
    operation_id="createStream",
    response_model=StreamCreated,
)
async def create_stream(request: Request, principal: Manager) -> dict[str, Any]:
    payload = await read_json_body(request, MAX_BODY)
    state = app_state(request)
    stream = _new_stream(principal, payload, state.settings.private_destinations)
    await run_in_threadpool(Streams(state.log).add, stream)
    record = stream_event(stream, CREATED)
    await run_in_threadpool(state.audit.stream_changed, request, principal, record)
    generated = stream.kind == "webhook" and payload.get("secret") is None
    return {**stream.to_dict(), "secret": stream.secret if generated else None}


@router.delete(
    "/streams/{stream_id}",
    summary="Remove a stream",
    operation_id="deleteStream",
    response_model=StreamOut,
)
async def delete_stream(request: Request, principal: Manager, stream_id: str) -> dict[str, Any]:
    state = app_state(request)
    service = Streams(state.log)
    stream = await run_in_threadpool(service.get, stream_id)
    if stream is None or not may_manage_streams(principal.viewer, stream.workspace):
        raise NotFound(f"no stream {stream_id!r}")
    await run_in_threadpool(service.remove, stream_id)
    record = stream_event(stream, REMOVED)
    await run_in_threadpool(state.audit.stream_changed, request, principal, record)
    return stream.to_dict()


def _new_stream(principal: Principal, payload: Any, allow_private: bool) -> Stream:
    """The stream a request body describes, for this caller; every bad field named."""
    if not isinstance(payload, dict):
        raise ValidationError([FieldError("body", "must be a JSON object")])
    unknown = sorted(set(payload) - FIELDS)
    if unknown:
        raise ValidationError([FieldError(name, "unknown field") for name in unknown])
    viewer = principal.viewer
    platform = payload.get("platform", False)
    if not isinstance(platform, bool):
        raise ValidationError([FieldError("platform", "must be true or false")])
    workspace = payload.get("workspace")
    if workspace is not None and not isinstance(workspace, str):
        raise ValidationError([FieldError("workspace", "must be a string")])
    if platform and workspace:
        raise ValidationError([FieldError("platform", "give workspace or platform, not both")])
    if not platform and not workspace:
        if is_platform(viewer):
            raise ValidationError([FieldError("workspace", "is required (or platform: true)")])
        workspace = viewer.workspace
    where = None if platform else workspace
    if not may_manage_streams(viewer, where):
        raise AccessDenied(
            "platform streams are for platform admins"
            if where is None
            else f"only owners and admins of {where!r} may add its streams"
        )
    if (payload.get("file") or payload.get("syslog_ca")) and not may_name_server_files(viewer):
        raise AccessDenied("only platform admins name files on the server (file, syslog_ca)")
    return new_stream(
        name=payload.get("name"),
        workspace=where,
        url=payload.get("url"),
        syslog=payload.get("syslog"),
        file=payload.get("file"),
        syslog_tls=payload.get("syslog_tls", False),
        syslog_ca=payload.get("syslog_ca"),
        format=payload.get("format", "json"),
        filters=payload.get("filters"),
        secret=payload.get("secret"),
        start=payload.get("from", "now"),
        created_by=viewer.user_id if principal.key is None else principal.key.id,
        allow_private=allow_private,
    )
