"""The JSON API, ``/api/v1``: ingest, list, detail, stats, export, delete, verify, and
viewer tokens for embedding.

Every read builds a :class:`~activitylog.selection.Selection` for the caller's viewer, so
the core access rules apply: 401 without credentials, 403 for a role or key that may not,
404 for an event the caller may not see. Errors are ``{"error", "message", "errors"}``
(see :mod:`activitylog.web.errors`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from activitylog.access import may_delete, may_verify
from activitylog.accounts.tokens import mint_viewer_token
from activitylog.errors import (
    AccessDenied,
    ActivityLogError,
    BatchValidationError,
    FieldError,
    ValidationError,
)
from activitylog.events import normal_id
from activitylog.exports import MEDIA_TYPES, Encoder
from activitylog.web import schemas
from activitylog.web.body import read_json_body
from activitylog.web.bulk import matching_deletion
from activitylog.web.head import is_head
from activitylog.web.params import ViewParams, page_cursor, view_params
from activitylog.web.pdf_export import pdf_response
from activitylog.web.principal import (
    Principal,
    require_ingest,
    require_reader,
    require_session,
)
from activitylog.web.state import AppState, app_state
from activitylog.web.workspace_settings import change_settings, read_settings

MAX_BATCH = 1000
log = logging.getLogger("activitylog.web")
MAX_DELETE = 1000
MAX_TOKEN_SECONDS = 3600
router = APIRouter(prefix="/api/v1")


class ORJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _view(request: Request) -> ViewParams:
    return view_params({k: request.query_params.getlist(k) for k in request.query_params})


def view_query(
    request: Request,
    range: Annotated[str | None, Query(description="Preset, or `custom` with since/until.")] = None,
    since: Annotated[
        str | None, Query(description="Start (date or date-time), range=custom.")
    ] = None,
    until: Annotated[str | None, Query(description="End, exclusive, range=custom.")] = None,
    tz: Annotated[str | None, Query(description="IANA time zone for days and presets.")] = None,
    scope: Annotated[str | None, Query(description="`mine` or `workspace`.")] = None,
    workspace: Annotated[
        str | None, Query(description="Platform callers: which workspace.")
    ] = None,
    user: Annotated[list[str] | None, Query(description="Actor id (repeatable).")] = None,
    category: Annotated[list[str] | None, Query(description="Category (repeatable).")] = None,
    events: Annotated[
        list[str] | None,
        Query(description="Action if dotted (contact.updated), else verb (repeatable)."),
    ] = None,
    event: Annotated[
        list[str] | None, Query(description="Another name for `events`.", deprecated=True)
    ] = None,
    result: Annotated[list[str] | None, Query(description="success, warning, failure.")] = None,
    roles: Annotated[
        list[str] | None,
        Query(description="Actor's role then: owner, admin, member, viewer, platform_admin."),
    ] = None,
    id: Annotated[list[str] | None, Query(description="Event ids (repeatable).")] = None,
    layer: Annotated[str | None, Query(description="`workspace` or `platform`.")] = None,
    subject_type: Annotated[str | None, Query()] = None,
    subject_id: Annotated[str | None, Query()] = None,
    ip: Annotated[str | None, Query()] = None,
    countries: Annotated[
        list[str] | None,
        Query(description="Country of the IP, ISO 3166-1 alpha-2 such as DE (repeatable)."),
    ] = None,
    country: Annotated[
        list[str] | None, Query(description="Another name for `countries`.", deprecated=True)
    ] = None,
    search: Annotated[str | None, Query(description="Free text.")] = None,
    sort: Annotated[str | None, Query(description="time, -time, actor:asc, ...")] = None,
    page: Annotated[str | None, Query(description="Page number, from 1.")] = None,
    per_page: Annotated[str | None, Query(description="10, 20, 25, 50 or 100.")] = None,
    group: Annotated[str | None, Query(description="Stats: hourly, daily, weekly.")] = None,
) -> ViewParams:
    """The view the query string describes (parameters declared here for the OpenAPI
    document; one parser, :func:`view_params`, reads them)."""
    return _view(request)


View = Annotated[ViewParams, Depends(view_query)]
Reader = Annotated[Principal, Depends(require_reader)]
Ingester = Annotated[Principal, Depends(require_ingest)]


@router.get("/health", summary="Liveness", operation_id="getHealth", response_model=schemas.Health)
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post(
    "/events",
    status_code=201,
    summary="Record one event or a batch (atomic, idempotent on id)",
    operation_id="ingestEvents",
    response_model=schemas.IngestResult,
    responses={200: {"model": schemas.IngestResult, "description": "Every event a duplicate"}},
    response_class=ORJSONResponse,
)
async def ingest(request: Request, principal: Ingester) -> ORJSONResponse:
    state = app_state(request)
    payload = await read_json_body(request, state.settings.max_body_bytes)
    events = _batch(payload)
    _check_key_may_write(principal, events)
    recorded = await run_in_threadpool(state.log.record_batch, events)
    body = [r.receipt() for r in recorded]
    stored_any = not all(r.duplicate for r in recorded)
    return ORJSONResponse({"events": body}, status_code=201 if stored_any else 200)


@router.get(
    "/events",
    summary="List events (filters, sort, page)",
    operation_id="listEvents",
    response_model=schemas.EventPage,
    response_class=ORJSONResponse,
)
def list_events(request: Request, principal: Reader, view: View) -> ORJSONResponse:
    state = app_state(request)
    cursor = page_cursor({k: request.query_params.getlist(k) for k in request.query_params})
    selection = view.selection(principal)
    page = state.log.query(
        selection,
        sort=view.sort,
        page=view.page,
        per_page=view.per_page,
        limit=cursor.limit or (view.per_page if cursor.after or cursor.before else None),
        after=cursor.after,
        before=cursor.before,
    )
    _viewed(request, state, principal, selection.workspace, view)
    body = {
        **page.to_dict(),
        "next_cursor": page.next_cursor,
        "prev_cursor": page.prev_cursor,
        "sort": view.sort,
    }
    if page.limit is not None:
        body["limit"] = page.limit
    links = [
        f'<{_page_url(request, cursor.link_params(at, rel, page.per_page))}>; rel="{rel}"'
        for rel, at in (("next", page.next_cursor), ("prev", page.prev_cursor))
        if at is not None
    ]
    return ORJSONResponse(body, headers={"Link": ", ".join(links)} if links else None)


@router.get(
    "/events/{event_id}",
    summary="One event, with its integrity",
    operation_id="getEvent",
    response_model=schemas.EventWithIntegrity,
    response_class=ORJSONResponse,
)
def get_event(request: Request, principal: Reader, event_id: str) -> ORJSONResponse:
    state = app_state(request)
    event = state.log.get(event_id, viewer=principal.viewer, workspace=_workspace(request))
    integrity = state.log.check_entry(event)
    _viewed(request, state, principal, event["workspace"], None)
    return ORJSONResponse({**event, "integrity": integrity.__dict__})


@router.get(
    "/stats",
    summary="KPIs, volume, split, top actors, by category",
    operation_id="getStats",
    response_model=schemas.Stats,
    response_class=ORJSONResponse,
)
def stats(request: Request, principal: Reader, view: View) -> ORJSONResponse:
    state = app_state(request)
    selection = view.selection(principal)
    result = state.log.stats(selection, group=view.group)
    _viewed(request, state, principal, selection.workspace, view)
    return ORJSONResponse(result.to_dict())


@router.get(
    "/export",
    summary="Export the current filters as CSV, JSON or NDJSON (streamed), or a PDF report",
    operation_id="exportEvents",
)
def export(
    request: Request,
    principal: Reader,
    view: View,
    format: Annotated[str, Query(description="csv, json, ndjson or pdf")] = "csv",
) -> Response:
    if format not in MEDIA_TYPES:
        raise ValidationError([FieldError("format", "must be csv, json, ndjson or pdf")])
    state = app_state(request)
    selection = view.selection(principal)
    if view.id:  # chosen rows are exported whatever the window
        selection = replace(selection, range=None, since=None, until=None)
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", selection.workspace or "all")  # header-safe ASCII
    name = f"activity-{safe}.{format}"
    if format == "pdf":  # a report, built whole (at most MAX_ENTRIES entries)
        return pdf_response(request, principal, view, selection, _filters(view), name)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if is_head(request):  # headers only: no rows read, nothing exported
        return Response(media_type=MEDIA_TYPES[format], headers=headers)
    events = state.log.export_rows(selection, order=view.sort)
    encoder = Encoder(format, events)
    filters = _filters(view)

    def body() -> Iterator[bytes | memoryview]:
        completed = False
        try:
            yield from encoder
            completed = True
        finally:
            filters["completed"] = completed
            try:
                state.audit.exported(
                    request,
                    principal,
                    selection.workspace,
                    fmt=format,
                    filters=filters,
                    rows=encoder.rows,
                )
            except ActivityLogError:  # the reply is already on its way: log, don't break it
                log.exception("could not record the export of %s rows", encoder.rows)

    return StreamingResponse(
        body(),
        media_type=MEDIA_TYPES[format],
        headers=headers,
    )


@router.post(
    "/events/delete",
    summary="Tombstone events (a signed-in owner, with the session's CSRF token)",
    operation_id="deleteEvents",
    response_model=schemas.DeleteResult,
    response_class=ORJSONResponse,
)
async def delete_events(request: Request) -> ORJSONResponse:
    """Only a signed-in owner (of the session's workspace) or platform admin, with the
    session's CSRF token: API keys and viewer tokens get 403 whatever role they name.
    ``{"ids", "reason"}`` deletes chosen entries; ``{"filters", "count", "reason"}`` every
    entry the filters match for the caller (see :mod:`activitylog.web.bulk`)."""
    state = app_state(request)
    principal = require_session(request, "delete activity")
    viewer = principal.viewer
    if not may_delete(viewer, viewer.workspace):
        raise AccessDenied("only owners (and platform admins) may delete activity")
    payload = await read_json_body(request, state.settings.max_body_bytes)
    if isinstance(payload, dict) and "filters" in payload:  # "all N matching" on the page
        ids, reason = await run_in_threadpool(matching_deletion, state.log, principal, payload)
    else:
        ids, reason = _delete_request(payload)
    # The deletion record (who, from where) is written in the deleting transaction.
    deleted = await run_in_threadpool(
        state.log.delete,
        ids,
        by=viewer.user_id,
        reason=reason,
        viewer=viewer,
        record=state.audit.deletion_fields(request, principal),
    )
    missing = [i for i in ids if i not in set(deleted)]
    return ORJSONResponse({"deleted": deleted, "not_found": missing, "count": len(deleted)})


@router.get(
    "/verify",
    summary="Integrity report of the caller's workspace",
    operation_id="verifyLog",
    response_model=schemas.VerifyReport,
)
def verify(request: Request, principal: Reader) -> ORJSONResponse:
    state = app_state(request)
    viewer = principal.viewer
    workspace = _workspace(request) or viewer.workspace
    if not workspace:
        raise ValidationError([FieldError("workspace", "is required for platform callers")])
    if viewer.workspace and workspace != viewer.workspace:
        raise AccessDenied(f"this caller may only verify workspace {viewer.workspace!r}")
    if not may_verify(viewer, workspace):
        raise AccessDenied("verifying the log is for owners and admins")
    report = state.log.verify(workspace)
    result = report.workspaces[0]
    return ORJSONResponse(
        {
            "workspace": workspace,
            "ok": report.ok,
            "entries": result.entries,
            "tombstones": result.tombstones,
            "head_seq": result.head_seq,
            "head_hash": result.head_hash,
            "root": result.root,
            "checkpoints": result.checkpoints,
            "signatures_checked": report.signatures_checked,
            "witness_checked": report.witness_checked,
            "first_break": _break(result.broken),
            "breaks": [_break(b) for b in result.breaks],
        }
    )


@router.get(
    "/workspaces/{workspace}/settings",
    summary="A workspace's settings (owners and admins)",
    operation_id="getWorkspaceSettings",
    response_model=schemas.WorkspaceSettings,
    response_class=ORJSONResponse,
)
def workspace_settings(request: Request, principal: Reader, workspace: str) -> ORJSONResponse:
    return ORJSONResponse(read_settings(request, principal, workspace).to_dict())


@router.patch(
    "/workspaces/{workspace}/settings",
    summary="Change a workspace's settings (a signed-in owner, with the session's CSRF token)",
    operation_id="updateWorkspaceSettings",
    response_model=schemas.WorkspaceSettings,
    response_class=ORJSONResponse,
)
async def change_workspace_settings(request: Request, workspace: str) -> ORJSONResponse:
    """Only a signed-in owner of ``workspace`` (or platform admin), with the session's
    CSRF token; the change is recorded in the workspace's log with before and after."""
    principal = require_session(request, "change workspace settings")
    payload = await read_json_body(request, 64 * 1024)
    after = await run_in_threadpool(change_settings, request, principal, workspace, payload)
    return ORJSONResponse(after.to_dict())


@router.post(
    "/viewer-tokens",
    status_code=201,
    summary="Mint a short-lived viewer token for embedding",
    operation_id="createViewerToken",
    response_model=schemas.ViewerToken,
)
async def viewer_token(request: Request, principal: Reader) -> ORJSONResponse:
    state = app_state(request)
    if principal.key is None:
        raise AccessDenied("viewer tokens are minted with an API key (scope 'read')")
    payload = await read_json_body(request, 64 * 1024)
    if not isinstance(payload, dict):
        raise ValidationError([FieldError("body", "must be a JSON object")])
    workspace = payload.get("workspace") or principal.key.workspace
    if principal.key.workspace is not None and workspace != principal.key.workspace:
        raise AccessDenied(f"this key may only mint tokens for {principal.key.workspace!r}")
    ttl = payload.get("ttl_seconds", 900)
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 1 <= ttl <= MAX_TOKEN_SECONDS:
        raise ValidationError(
            [FieldError("ttl_seconds", f"must be whole seconds from 1 to {MAX_TOKEN_SECONDS}")]
        )
    token = mint_viewer_token(
        state.secret,
        workspace=str(workspace or ""),
        user_id=str(payload.get("user_id") or ""),
        role=str(payload.get("role") or ""),
        ttl=timedelta(seconds=ttl),
        name=payload.get("name"),
        email=payload.get("email"),
    )
    return ORJSONResponse({"token": token, "expires_in": ttl}, status_code=201)


# -- helpers ----------------------------------------------------------------------------
def _batch(payload: Any) -> list[dict[str, Any]]:
    if isinstance(payload, dict) and "events" in payload:
        events = payload["events"]
        if not isinstance(events, list) or not events:
            raise ValidationError([FieldError("events", "must be a non-empty list of events")])
        if len(events) > MAX_BATCH:
            raise ValidationError([FieldError("events", f"at most {MAX_BATCH} per request")])
        bad = [i for i, e in enumerate(events) if not isinstance(e, dict)]
        if bad:
            raise BatchValidationError({i: [FieldError("", "must be an object")] for i in bad})
        return events
    if isinstance(payload, dict):
        return [payload]
    raise ValidationError([FieldError("body", "must be an event object or {'events': [...]}")])


def _check_key_may_write(principal: Principal, events: list[dict[str, Any]]) -> None:
    """A workspace key writes its own workspace (filled in when absent), never the
    platform layer; a platform key writes anywhere."""
    key = principal.key
    if key is None or key.workspace is None:
        return
    for index, event in enumerate(events):
        event.setdefault("workspace", key.workspace)
        if event["workspace"] != key.workspace:
            raise AccessDenied(
                f"events[{index}]: this key may only write workspace {key.workspace!r}"
            )
        if event.get("layer") == "platform":
            raise AccessDenied(f"events[{index}]: only a platform key may write the platform layer")


def _delete_request(payload: Any) -> tuple[list[str], str]:
    errors = []
    if not isinstance(payload, dict):
        raise ValidationError([FieldError("body", "must be {'ids': [...], 'reason': '...'}")])
    ids = payload.get("ids")
    reason = payload.get("reason")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        errors.append(FieldError("ids", "must be a non-empty list of event ids"))
    elif len(ids) > MAX_DELETE:
        errors.append(FieldError("ids", f"at most {MAX_DELETE} per request"))
    if not isinstance(reason, str) or not reason.strip():
        errors.append(FieldError("reason", "is required"))
    if errors or not isinstance(ids, list) or not isinstance(reason, str):
        raise ValidationError(errors)
    return list(dict.fromkeys(normal_id(i) for i in ids)), reason.strip()


def _page_url(request: Request, params: dict[str, str]) -> str:
    """This request's URL for another page: its filters and sort, ``params`` for paging."""
    paging = {"page", "per_page", "limit", "after", "before"}
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in paging]
    return str(request.url.replace(query=urlencode([*kept, *params.items()])))


def _workspace(request: Request) -> str | None:
    return request.query_params.get("workspace") or None


def _filters(view: ViewParams) -> dict[str, Any]:
    """The view as recorded in audit entries: only what differs from the defaults."""
    defaults = ViewParams()
    return {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in view.__dict__.items()
        if v != getattr(defaults, k) or k == "range"
    }


def _viewed(
    request: Request,
    state: AppState,
    principal: Principal,
    workspace: str | None,
    view: ViewParams | None,
) -> None:
    if is_head(request):  # nothing was shown
        return
    state.audit.viewed(
        request,
        principal,
        workspace,
        page_visit=False,
        filters=_filters(view) if view else {},
    )


def _break(first: Any) -> Mapping[str, Any] | None:
    if first is None:
        return None
    return {"seq": first.seq, "kind": first.kind, "reason": first.kind, "text": str(first)}


__all__: Sequence[str] = ["router"]
