"""A workspace's settings over HTTP: reading and changing them for the API
(``GET``/``PATCH /api/v1/workspaces/{workspace}/settings``) and the page's settings panel
(``POST /workspace/settings``, a form).

Who may: :func:`~activitylog.access.may_read_settings` and
:func:`~activitylog.access.may_change_settings`. Every change that changes something is
recorded in that workspace's log as ``workspace.settings_updated`` with ``changes``
(before and after).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from activitylog.access import may_change_settings, may_read_settings
from activitylog.accounts.fields import check, text_problem
from activitylog.accounts.workspaces import WorkspaceSettings, parse_changes
from activitylog.errors import AccessDenied
from activitylog.web.principal import Principal, require_session
from activitylog.web.settings_panel import retention_setting
from activitylog.web.state import app_state

router = APIRouter(include_in_schema=False)


def read_settings(request: Request, principal: Principal, workspace: str) -> WorkspaceSettings:
    """``workspace``'s settings, for its owners and admins (and platform admins)."""
    check(("workspace", text_problem(workspace)))
    if not may_read_settings(principal.viewer, workspace):
        raise AccessDenied(f"only owners and admins of {workspace!r} may see its settings")
    return app_state(request).accounts.workspace_settings(workspace)


def change_settings(
    request: Request, principal: Principal, workspace: str, payload: Any
) -> WorkspaceSettings:
    """Apply ``payload`` (some settings as JSON) for an owner of ``workspace`` (or a
    platform admin), record what changed, and return the settings after."""
    check(("workspace", text_problem(workspace)))
    if not may_change_settings(principal.viewer, workspace):
        raise AccessDenied(f"only owners of {workspace!r} may change its settings")
    state = app_state(request)
    changes = parse_changes(payload)
    after, changed = state.accounts.change_workspace_settings(
        workspace, changes, by=principal.viewer.user_id
    )
    if changed:  # after the change committed: what is recorded did happen
        state.audit.settings_changed(request, principal, workspace, changed)
    return after


@router.post("/workspace/settings")
def settings_form(
    request: Request,
    workspace: Annotated[str, Form()],
    log_access: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    retention: Annotated[str | None, Form()] = None,
    retention_days: Annotated[str, Form()] = "",
    export_schedule: Annotated[str | None, Form()] = None,
    export_format: Annotated[str | None, Form()] = None,
) -> Response:
    """The page's settings panel: a signed-in owner with the session's CSRF token. It
    changes log_access, retention_days (:func:`retention_setting`), export_schedule and
    export_format; a field the form leaves out is left as it is."""
    principal = require_session(request, "change workspace settings", csrf_token)
    changes: dict[str, Any] = {"log_access": log_access}
    if retention is not None:
        changes["retention_days"] = retention_setting(retention, retention_days)
    if export_schedule is not None:
        changes["export_schedule"] = export_schedule
    if export_format is not None:
        changes["export_format"] = export_format
    change_settings(request, principal, workspace, changes)
    return RedirectResponse("/activity", status_code=303)
