"""Alerts and alert rules over the API: ``GET /api/v1/alerts``, ``GET
/api/v1/alerts/{id}``, ``POST /api/v1/alerts/{id}/ack`` and ``/resolve``; ``GET
/api/v1/alerts/rules``, ``PATCH /api/v1/alerts/rules/{name}``, ``POST
/api/v1/alerts/rules``.

Who may (:func:`~activitylog.access.may_see_alerts`,
:func:`~activitylog.access.may_manage_alerts`): a workspace's owners and admins (a session,
with its CSRF token to change anything, or the workspace's read key) and platform callers;
members, viewers and viewer tokens get 403. Another workspace's alert is a 404, its rules
a 403. Acknowledging, resolving and rule changes are recorded in the workspace's log.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from activitylog.access import in_workspace, is_platform, may_manage_alerts, may_see_alerts
from activitylog.accounts.fields import text_problem
from activitylog.alerts import BUILTINS, Alert, Alerts
from activitylog.errors import AccessDenied, FieldError, NotFound, ValidationError
from activitylog.web.body import read_json_body
from activitylog.web.principal import Principal, check_csrf, require_reader
from activitylog.web.state import app_state

router = APIRouter(prefix="/api/v1")
MAX_BODY = 16 * 1024
_OPEN = ConfigDict(extra="allow")
Severity = Literal["low", "medium", "high", "critical"]
StatusName = Literal["open", "acknowledged", "resolved"]
RULE_FIELDS = frozenset({"enabled", "threshold", "window", "severity", "params"})
NEW_RULE_FIELDS = frozenset(
    {"workspace", "name", "filters", "threshold", "window", "per", "severity"}
)


class AlertOut(BaseModel):
    """An alert: its rule, the entries that made it, its status and who changed it."""

    model_config = _OPEN
    id: str
    rule: str
    severity: Severity
    status: StatusName
    workspace: str
    event_ids: list[str] = Field(description="The matching entries' ids, in the log's order")
    raised_at: str
    updated_at: str
    summary: str = Field(description="One English sentence")
    acknowledged_by: str | None
    acknowledged_at: str | None
    resolved_by: str | None
    resolved_at: str | None
    note: str | None = Field(description="The note given when it was resolved")
    deliveries: list[dict[str, Any]] = Field(description="Attempts at sending it on")


class AlertRuleOut(BaseModel):
    """A rule as a workspace has it (defaults where never changed)."""

    model_config = _OPEN
    name: str
    workspace: str
    custom: bool
    description: str
    enabled: bool
    threshold: int | None = Field(description="null: the rule has none")
    window: int = Field(description="Minutes")
    severity: Severity
    params: dict[str, Any] = Field(description="The built-in rule's own settings")
    filters: dict[str, Any] | None = Field(description="A custom rule's filters")
    per: Literal["actor", "ip"] | None
    updated_at: str | None
    updated_by: str | None


def require_alert_reader(request: Request) -> Principal:
    """A person or read key whose role sees alerts; a session's unsafe request needs its
    CSRF token."""
    principal = require_reader(request)
    if principal.kind == "viewer_token":
        raise AccessDenied("viewer tokens may not see alerts")
    if not may_see_alerts(principal.viewer.role):
        raise AccessDenied("alerts are for a workspace's owners and admins")
    check_csrf(request, principal)
    return principal


Reader = Annotated[Principal, Depends(require_alert_reader)]


def _workspace(principal: Principal, workspace: str | None, *, required: bool) -> str | None:
    """The workspace asked about: the caller's own by default; another is a 403."""
    if workspace is not None and (problem := text_problem(workspace)):
        raise ValidationError([FieldError("workspace", problem)])
    viewer = principal.viewer
    if workspace is None and not is_platform(viewer):
        return viewer.workspace
    if workspace is None and required:
        raise ValidationError([FieldError("workspace", "is required for platform callers")])
    if workspace is not None and not in_workspace(viewer, workspace):
        raise AccessDenied(f"this caller may only see the alerts of {viewer.workspace!r}")
    return workspace


def _manager(principal: Principal) -> None:
    if not may_manage_alerts(principal.viewer.role):
        raise AccessDenied("only a workspace's owners and admins change its alerts")


def _alert(request: Request, principal: Principal, alert_id: str) -> Alert:
    alert = Alerts(app_state(request).log).get(alert_id)
    if alert is None or not in_workspace(principal.viewer, alert.workspace):
        raise NotFound(f"no alert {alert_id!r}")
    return alert


def _record(request: Request, principal: Principal) -> dict[str, Any]:
    return app_state(request).audit.deletion_fields(request, principal)


def _by(principal: Principal) -> str:
    return principal.email or principal.name


# -- rules (declared before /alerts/{alert_id}) ----------------------------------------------
@router.get(
    "/alerts/rules",
    summary="A workspace's alert rules",
    operation_id="listAlertRules",
    response_model=list[AlertRuleOut],
)
def list_rules(
    request: Request,
    principal: Reader,
    workspace: Annotated[str | None, Query(description="Platform callers: which.")] = None,
) -> list[dict[str, Any]]:
    where = str(_workspace(principal, workspace, required=True))
    return [s.as_json() for s in Alerts(app_state(request).log).rules(where)]


@router.patch(
    "/alerts/rules/{name}",
    summary="Change an alert rule",
    operation_id="updateAlertRule",
    response_model=AlertRuleOut,
)
async def update_rule(
    request: Request,
    principal: Reader,
    name: str,
    workspace: Annotated[str | None, Query(description="Platform callers: which.")] = None,
) -> dict[str, Any]:
    _manager(principal)
    where = _workspace(principal, workspace, required=True)
    payload = _object(await read_json_body(request, MAX_BODY), RULE_FIELDS)
    params = _params(name, payload.get("params", {}))
    service = Alerts(app_state(request).log)
    state = await run_in_threadpool(
        lambda: service.set_rule(
            str(where),
            name,
            payload.get("enabled"),
            payload.get("threshold"),
            payload.get("window"),
            severity=payload.get("severity"),
            by=_by(principal),
            record=_record(request, principal),
            **params,
        )
    )
    return state.as_json()


@router.post(
    "/alerts/rules",
    status_code=201,
    summary="Add a custom alert rule",
    operation_id="createAlertRule",
    response_model=AlertRuleOut,
)
async def create_rule(request: Request, principal: Reader) -> dict[str, Any]:
    _manager(principal)
    payload = _object(await read_json_body(request, MAX_BODY), NEW_RULE_FIELDS)
    workspace = payload.get("workspace")
    if workspace is not None and not isinstance(workspace, str):
        raise ValidationError([FieldError("workspace", "must be a string")])
    where = _workspace(principal, workspace, required=True)
    missing = [f for f in ("name", "threshold", "window") if f not in payload]
    if missing:
        raise ValidationError([FieldError(f, "is required") for f in missing])
    service = Alerts(app_state(request).log)
    state = await run_in_threadpool(
        lambda: service.add_rule(
            str(where),
            payload["name"],
            payload.get("filters", {}),
            payload["threshold"],
            payload["window"],
            payload.get("per"),
            payload.get("severity", "medium"),
            by=_by(principal),
            record=_record(request, principal),
        )
    )
    return state.as_json()


# -- alerts -----------------------------------------------------------------------------------
@router.get(
    "/alerts",
    summary="Alerts, newest first",
    operation_id="listAlerts",
    response_model=list[AlertOut],
)
def list_alerts(
    request: Request,
    principal: Reader,
    workspace: Annotated[str | None, Query(description="Platform callers: which.")] = None,
    status: Annotated[StatusName | None, Query(description="Only alerts with it.")] = None,
) -> list[dict[str, Any]]:
    where = _workspace(principal, workspace, required=False)
    found = Alerts(app_state(request).log).list(where, status)
    return [alert.as_json() for alert in found]


@router.get(
    "/alerts/{alert_id}",
    summary="One alert",
    operation_id="getAlert",
    response_model=AlertOut,
)
def get_alert(request: Request, principal: Reader, alert_id: str) -> dict[str, Any]:
    return _alert(request, principal, alert_id).as_json()


@router.post(
    "/alerts/{alert_id}/ack",
    summary="Acknowledge an alert",
    operation_id="acknowledgeAlert",
    response_model=AlertOut,
)
def ack_alert(request: Request, principal: Reader, alert_id: str) -> dict[str, Any]:
    _manager(principal)
    alert = _alert(request, principal, alert_id)
    service = Alerts(app_state(request).log)
    return service.ack(alert.id, _by(principal), record=_record(request, principal)).as_json()


@router.post(
    "/alerts/{alert_id}/resolve",
    summary="Resolve an alert",
    operation_id="resolveAlert",
    response_model=AlertOut,
)
async def resolve_alert(request: Request, principal: Reader, alert_id: str) -> dict[str, Any]:
    _manager(principal)
    payload: Any = {}
    if await request.body():
        payload = _object(await read_json_body(request, MAX_BODY), frozenset({"note"}))
    note = payload.get("note")
    if note is not None and not isinstance(note, str):
        raise ValidationError([FieldError("note", "must be a string")])
    alert = await run_in_threadpool(_alert, request, principal, alert_id)
    service = Alerts(app_state(request).log)
    resolved = await run_in_threadpool(
        lambda: service.resolve(alert.id, _by(principal), note, record=_record(request, principal))
    )
    return resolved.as_json()


def _params(rule: str, params: Any) -> dict[str, Any]:
    """A built-in rule's own settings from a body, each name one the rule has."""
    if not isinstance(params, dict):
        raise ValidationError([FieldError("params", "must be an object")])
    known = BUILTINS[rule].params if rule in BUILTINS else {}
    unknown = sorted(set(params) - set(known))
    if unknown:
        has = ", ".join(known) or "none"
        raise ValidationError(
            [FieldError(f"params.{p}", f"is not a setting of rule {rule} ({has})") for p in unknown]
        )
    return params


def _object(payload: Any, fields: frozenset[str]) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ValidationError([FieldError("body", "must be a JSON object")])
    unknown = sorted(set(payload) - fields)
    if unknown:
        raise ValidationError([FieldError(name, "is not a known field") for name in unknown])
    return payload
