"""Alert channels over the API: ``GET``/``POST /api/v1/alerts/channels``, ``DELETE
/api/v1/alerts/channels/{id}`` and ``POST /api/v1/alerts/channels/{id}/test``.

Who may (:func:`~activitylog.access.may_see_alerts`,
:func:`~activitylog.access.may_manage_alerts`): a workspace's owners and admins (a
session, with its CSRF token to change anything, or the workspace's read key) its
channels, platform callers any workspace's. Members, viewers and viewer tokens get 403; a
channel of another workspace is a 404. Adding and removing are recorded in the
workspace's log (``alert_channel.added`` / ``alert_channel.removed``).

The router is included before the alerts' own, whose ``/alerts/{alert_id}`` would
otherwise take ``/alerts/channels``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from activitylog.access import in_workspace, is_platform, may_manage_alerts
from activitylog.accounts.fields import text_problem
from activitylog.delivery import Channel, Channels, channel_event
from activitylog.delivery.channels import ADDED, REMOVED
from activitylog.delivery.transports import send_test
from activitylog.errors import AccessDenied, FieldError, NotFound, ValidationError
from activitylog.web.alerts_api import require_alert_reader
from activitylog.web.body import read_json_body
from activitylog.web.principal import Principal
from activitylog.web.state import app_state

router = APIRouter(prefix="/api/v1")
MAX_BODY = 16 * 1024
#: The fields a new channel's body may hold.
FIELDS = frozenset({"workspace", "kind", "target", "min_severity"})
Severity = Literal["low", "medium", "high", "critical"]


class AlertChannelOut(BaseModel):
    """A channel (a Slack URL's token hidden; a webhook's secret never shown again)."""

    model_config = ConfigDict(extra="allow")
    id: str
    workspace: str
    kind: Literal["email", "webhook", "slack"]
    target: str = Field(description="Addresses, or the URL")
    min_severity: Severity = Field(description="Alerts of this severity or higher are sent")
    created_at: str
    created_by: str


class AlertChannelTest(BaseModel):
    """What came of a test message (nothing is kept)."""

    delivered: bool
    status_code: int | None = Field(description="The HTTP status or SMTP reply code")
    error: str | None


class AlertChannelCreated(AlertChannelOut):
    secret: str | None = Field(
        None, description="A webhook's whsec_ signing secret: shown only in this reply"
    )


Reader = Annotated[Principal, Depends(require_alert_reader)]


def _manager(principal: Principal) -> None:
    if not may_manage_alerts(principal.viewer.role):
        raise AccessDenied("only a workspace's owners and admins change its alert channels")


def _workspace(principal: Principal, workspace: object) -> str | None:
    """The workspace asked about: the caller's own by default (None: every workspace, for
    a platform caller); another workspace is a 403."""
    viewer = principal.viewer
    if workspace is None:
        return None if is_platform(viewer) else viewer.workspace
    problem = text_problem(workspace)
    if problem is not None or not isinstance(workspace, str):
        raise ValidationError([FieldError("workspace", problem or "must be a string")])
    if not in_workspace(viewer, workspace):
        raise AccessDenied(f"this caller may only see the alert channels of {viewer.workspace!r}")
    return workspace


def _by(principal: Principal) -> str:
    return principal.key.id if principal.key is not None else principal.email or principal.name


def _recorded(request: Request, principal: Principal, channel: Channel, action: str) -> None:
    state = app_state(request)
    fields = state.audit.deletion_fields(request, principal)  # who, from where
    state.log.record(**fields, **channel_event(channel, action))


@router.get(
    "/alerts/channels",
    summary="The alert channels the caller sees",
    operation_id="listAlertChannels",
    response_model=list[AlertChannelOut],
)
def list_channels(
    request: Request,
    principal: Reader,
    workspace: Annotated[
        str | None, Query(description="Platform callers: one workspace's [default: all].")
    ] = None,
) -> list[dict[str, Any]]:
    where = _workspace(principal, workspace)
    found = Channels(app_state(request).log.store.engine).list(where)
    return [channel.as_json() for channel in found]


@router.post(
    "/alerts/channels",
    status_code=201,
    summary="Add an alert channel",
    operation_id="createAlertChannel",
    response_model=AlertChannelCreated,
)
async def create_channel(request: Request, principal: Reader) -> dict[str, Any]:
    _manager(principal)
    payload = await read_json_body(request, MAX_BODY)
    if not isinstance(payload, dict):
        raise ValidationError([FieldError("body", "must be a JSON object")])
    errors = [FieldError(name, "unknown field") for name in sorted(set(payload) - FIELDS)]
    errors += [FieldError(f, "is required") for f in ("kind", "target") if f not in payload]
    if is_platform(principal.viewer) and "workspace" not in payload:
        errors.append(FieldError("workspace", "is required for platform callers"))
    if errors:
        raise ValidationError(errors)
    where = _workspace(principal, payload.get("workspace"))
    severity = payload.get("min_severity", "low")
    state = app_state(request)
    service = Channels(state.log.store.engine)
    channel = await run_in_threadpool(
        lambda: service.add(
            str(where),
            payload["kind"],
            payload["target"],
            severity,
            by=_by(principal),
            allow_private=state.settings.private_destinations,
        )
    )
    await run_in_threadpool(_recorded, request, principal, channel, ADDED)
    return {**channel.as_json(), "secret": channel.secret}


def _channel(request: Request, principal: Principal, channel_id: str) -> Channel:
    channel = Channels(app_state(request).log.store.engine).get(channel_id)
    if channel is None or not in_workspace(principal.viewer, channel.workspace):
        raise NotFound(f"no alert channel {channel_id!r}")
    return channel


@router.post(
    "/alerts/channels/{channel_id}/test",
    summary="Send an alert channel a test message",
    operation_id="testAlertChannel",
    response_model=AlertChannelTest,
)
async def test_channel(request: Request, principal: Reader, channel_id: str) -> dict[str, Any]:
    _manager(principal)
    channel = await run_in_threadpool(_channel, request, principal, channel_id)
    settings = app_state(request).settings
    outcome = await run_in_threadpool(send_test, settings, channel)
    return {
        "delivered": outcome.delivered,
        "status_code": outcome.status_code,
        "error": outcome.error,
    }


@router.delete(
    "/alerts/channels/{channel_id}",
    summary="Remove an alert channel",
    operation_id="deleteAlertChannel",
    response_model=AlertChannelOut,
)
async def delete_channel(request: Request, principal: Reader, channel_id: str) -> dict[str, Any]:
    _manager(principal)
    channel = await run_in_threadpool(_channel, request, principal, channel_id)
    service = Channels(app_state(request).log.store.engine)
    await run_in_threadpool(service.remove, channel_id)
    await run_in_threadpool(_recorded, request, principal, channel, REMOVED)
    return channel.as_json()
