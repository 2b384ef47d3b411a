"""The Alerts page: the alerts rules raised (open first), one alert with its entries and
deliveries, acknowledge and resolve, the rules' settings and the followers' lag.

| route                              | answers                                               |
|------------------------------------|-------------------------------------------------------|
| GET /alerts                        | the list (``status``, ``workspace``, ``tz``), rules,  |
|                                    | followers; 303 to /signin without a session           |
| GET /alerts/{id}                   | one alert: why it fired, its entries, its deliveries  |
| POST /alerts/{id}/acknowledge      | form (``csrf_token``): 303 back to the alert          |
| POST /alerts/{id}/resolve          | form (``csrf_token``, ``note``): 303 back to it       |
| POST /alerts/rules/{name}          | form: a rule on/off, threshold, window, severity      |
| POST /alerts/rules                 | form: a custom rule (filters, threshold, window, per) |

Owners, admins and platform admins only (:func:`~activitylog.access.may_see_alerts`):
members and viewers get the 403 page other owner-only pages give, and no link to it.
Changes go through the :class:`~activitylog.alerts.Alerts` facade, which records them in
the workspace's log; every form needs the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from activitylog.access import in_workspace, is_platform, may_manage_alerts, may_see_alerts
from activitylog.alerts import STATUSES, Alerts
from activitylog.delivery import attempts, deliveries
from activitylog.errors import (
    AccessDenied,
    Conflict,
    FieldError,
    NotFound,
    Unauthenticated,
    ValidationError,
)
from activitylog.followers import status as follower_status
from activitylog.timeranges import zone
from activitylog.web import alert_views as views
from activitylog.web.principal import Principal, authenticate, require_session
from activitylog.web.state import app_state
from activitylog.web.templating import templates

router = APIRouter(include_in_schema=False)
#: A rule form's fields of a built-in rule's own settings: ``param.hours``, ...
PARAM = "param."
#: What the page says after a change (the redirect names it; nothing of the URL is shown).
DONE = {
    "acknowledged": "Alert acknowledged.",
    "resolved": "Alert resolved.",
    "rule": "Rule saved.",
    "added": "Rule added.",
}


@dataclass(frozen=True)
class AlertsBadge:
    """The header's link to the Alerts page and its count of open alerts (for those who
    may see them); ``current``: the page showing it ("activity" or "alerts")."""

    count: int
    tz: str
    current: str

    @property
    def href(self) -> str:
        return views.alerts_href(tz=self.tz)

    @property
    def activity_href(self) -> str:
        return "/activity" + (f"?tz={quote(self.tz, safe='')}" if self.tz != "UTC" else "")

    def rule_href(self, filters: str, workspace: str = "") -> str:
        """The Alerts page's form adding a rule, filled with an Activity Log URL's filters."""
        return views.alerts_href(tz=self.tz, workspace=workspace, filters=filters) + "#new-rule"


def alerts_badge(
    request: Request, principal: Principal, tz: str, current: str
) -> AlertsBadge | None:
    """The header's Alerts link, or None for those who may not see alerts."""
    if principal.kind != "session" or not may_see_alerts(principal.viewer.role):
        return None
    workspace = principal.viewer.workspace or None
    return AlertsBadge(Alerts(app_state(request).log).open_count(workspace), tz, current)


@router.get("/alerts")
def alerts_list(
    request: Request, status: str = "", workspace: str = "", tz: str = "UTC", done: str = ""
) -> Response:
    principal = _person(request)
    if not isinstance(principal, Principal):
        return principal
    errors = []
    if status and status not in STATUSES:
        errors.append(FieldError("status", f"must be one of {', '.join(STATUSES)}"))
        status = ""
    tz = _zone(tz, errors)
    return _list(request, principal, workspace, status, tz, error=_invalid(errors), done=done)


@router.get("/alerts/{alert_id}")
def alert_detail(request: Request, alert_id: str, tz: str = "UTC", done: str = "") -> Response:
    principal = _person(request)
    if not isinstance(principal, Principal):
        return principal
    errors: list[FieldError] = []
    tz = _zone(tz, errors)
    return _detail(request, principal, alert_id, tz, error=_invalid(errors), done=done)


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(
    request: Request,
    alert_id: str,
    csrf_token: Annotated[str, Form()] = "",
    tz: Annotated[str, Form()] = "UTC",
) -> Response:
    principal = _manager(request, "acknowledge alerts", csrf_token)
    facade = _alert_of(request, principal, alert_id)
    tz = _zone(tz, [])
    try:
        facade.ack(alert_id, by=principal.name, record=_record(request, principal))
    except Conflict as exc:
        return _detail(request, principal, alert_id, tz, error=_sentence(exc), status=409)
    return _back(views.alert_href(alert_id, tz), "acknowledged")


@router.post("/alerts/{alert_id}/resolve")
def resolve(
    request: Request,
    alert_id: str,
    csrf_token: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    tz: Annotated[str, Form()] = "UTC",
) -> Response:
    principal = _manager(request, "resolve alerts", csrf_token)
    facade = _alert_of(request, principal, alert_id)
    tz = _zone(tz, [])
    try:
        facade.resolve(
            alert_id, by=principal.name, note=note or None, record=_record(request, principal)
        )
    except ValidationError as exc:
        return _detail(request, principal, alert_id, tz, error=_invalid(exc.errors), status=422)
    except Conflict as exc:
        return _detail(request, principal, alert_id, tz, error=_sentence(exc), status=409)
    return _back(views.alert_href(alert_id, tz), "resolved")


@router.post("/alerts/rules/{name}")
async def change_rule(request: Request, name: str) -> Response:
    """A rule's form: ``enabled`` ("on" when checked; absent: off), ``threshold``,
    ``window`` (minutes), ``severity`` and ``param.<name>`` for a built-in rule's own
    settings; a field left out (or empty) is left as it is."""
    form = {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str)}
    return await run_in_threadpool(_change_rule, request, name, form)


def _change_rule(request: Request, name: str, form: dict[str, str]) -> Response:
    principal = _manager(request, "change alert rules", form.get("csrf_token", ""))
    target = _rule_workspace(request, principal, form.get("workspace", ""))
    tz = _zone(form.get("tz", "UTC"), [])
    changes: dict[str, Any] = {"enabled": form.get("enabled") == "on"}
    try:
        for field in ("threshold", "window"):
            if form.get(field, "").strip():
                changes[field] = _whole(form[field], field)
        if form.get("severity"):
            changes["severity"] = form["severity"]
        for key, value in form.items():
            if key.startswith(PARAM):
                changes[key.removeprefix(PARAM)] = views.param_value(key.removeprefix(PARAM), value)
        Alerts(app_state(request).log).set_rule(
            target, name, by=principal.name, record=_record(request, principal), **changes
        )
    except ValidationError as exc:
        error = f"{views.rule_label(name)}: {_invalid(exc.errors)} Nothing was changed."
        return _list(request, principal, target, "", tz, error=error, code=422)
    return _back(views.alerts_href(tz, _shown(principal, target)) + "#rules", "rule")


@router.post("/alerts/rules")
def add_rule(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    workspace: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    filters: Annotated[str, Form()] = "",
    threshold: Annotated[str, Form()] = "",
    window: Annotated[str, Form()] = "",
    per: Annotated[str, Form()] = "",
    severity: Annotated[str, Form()] = "medium",
    tz: Annotated[str, Form()] = "UTC",
) -> Response:
    """A custom rule: ``filters`` is an Activity Log page's query string (or URL), the
    entries it matches counted per ``per`` ("actor", "ip" or "" for the workspace)."""
    principal = _manager(request, "add alert rules", csrf_token)
    target = _rule_workspace(request, principal, workspace)
    tz = _zone(tz, [])
    form = {"name": name, "filters": filters, "threshold": threshold, "window": window}
    form |= {"per": per, "severity": severity}
    try:
        Alerts(app_state(request).log).add_rule(
            target,
            name.strip(),
            views.rule_filters(filters, principal),
            _whole(threshold, "threshold"),
            _whole(window, "window"),
            per or None,
            severity,
            by=principal.name,
            record=_record(request, principal),
        )
    except ValidationError as exc:
        error = _invalid(exc.errors)
        return _list(request, principal, target, "", tz, error=error, code=422, new_rule=form)
    except Conflict as exc:  # a rule of that name already
        error = _sentence(exc)
        return _list(request, principal, target, "", tz, error=error, code=409, new_rule=form)
    return _back(views.alerts_href(tz, _shown(principal, target)) + "#rules", "added")


def _list(
    request: Request,
    principal: Principal,
    workspace: str,
    tab: str,
    tz: str,
    *,
    error: str = "",
    done: str = "",
    code: int = 200,
    new_rule: dict[str, str] | None = None,
) -> Response:
    state = app_state(request)
    try:
        chosen = _list_workspace(request, principal, workspace)
    except ValidationError as exc:  # a platform admin's unknown workspace: all of them
        chosen, error = None, " ".join(filter(None, (error, _invalid(exc.errors))))
    page = views.build_list(
        Alerts(state.log),
        principal,
        workspace=chosen,
        status=tab,
        tz=tz,
        followers=follower_status(state.log),
        workspaces=state.log.workspaces() if is_platform(principal.viewer) else (),
    )
    page.error, page.message = error, DONE.get(done, "")
    page.new_rule = new_rule or {"filters": request.query_params.get("filters", "")}
    return _render(request, principal, "alerts.html", page, tz, code)


def _detail(
    request: Request,
    principal: Principal,
    alert_id: str,
    tz: str,
    *,
    error: str = "",
    done: str = "",
    status: int = 200,
) -> Response:
    state = app_state(request)
    facade = _alert_of(request, principal, alert_id)
    engine = state.log.store.engine
    waiting = sum(1 for d in deliveries(engine, alert_id) if not d.attempts)
    page = views.build_detail(
        facade, state.log, principal, alert_id, tz, attempts(engine, alert_id), waiting
    )
    page.error, page.message = error, DONE.get(done, "")
    return _render(request, principal, "alert.html", page, tz, status)


def _render(
    request: Request, principal: Principal, template: str, page: Any, tz: str, status: int
) -> Response:
    context = {
        "page": page,
        "principal": principal,
        "csrf_token": principal.csrf_token,
        "alerts_badge": alerts_badge(request, principal, tz, "alerts"),
        "switch_next": "/alerts",
    }
    return templates.TemplateResponse(
        request, template, context, status_code=status, headers={"Cache-Control": "no-store"}
    )


def _person(request: Request) -> Principal | Response:
    """The signed-in person who may see alerts; else a redirect to sign in (no session,
    an embedded viewer) or the 403 page (members, viewers, API keys)."""
    try:
        principal = authenticate(request)
    except Unauthenticated:  # a bad Authorization header: this page is for people
        principal = None
    if principal is None or principal.embedded:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)
    if principal.kind == "session" and may_see_alerts(principal.viewer.role):
        return principal
    person = principal.kind == "session"
    message = "Alerts are for a workspace's owners and admins." + (
        " Ask a workspace owner if you need to see them." if person else ""
    )
    context = {
        "title": "Alerts are for admins",
        "message": message,
        "status": 403,
        "principal": principal if person else None,
        "csrf_token": principal.csrf_token,
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=403)


def _manager(request: Request, doing: str, csrf_token: str) -> Principal:
    principal = require_session(request, doing, csrf_token)
    if not may_manage_alerts(principal.viewer.role):
        raise AccessDenied(f"only a workspace's owners and admins may {doing}")
    return principal


def _alert_of(request: Request, principal: Principal, alert_id: str) -> Alerts:
    """The facade, once ``alert_id`` is known to be an alert ``principal`` may see."""
    facade = Alerts(app_state(request).log)
    alert = facade.get(alert_id)
    if alert is None or not in_workspace(principal.viewer, alert.workspace):
        raise NotFound(f"no alert {alert_id}")
    return facade


def _list_workspace(request: Request, principal: Principal, workspace: str) -> str | None:
    """The workspace whose alerts are listed: one's own, or (platform admins) the one
    picked among those the log holds, None for every workspace."""
    if is_platform(principal.viewer):
        picked = workspace.strip() or principal.viewer.workspace
        if picked and picked not in app_state(request).log.workspaces():
            raise ValidationError([FieldError("workspace", f"no workspace {picked!r} in the log")])
        return picked or None
    own = principal.viewer.workspace
    if workspace and workspace != own:
        raise AccessDenied(f"role {principal.viewer.role} may only see the alerts of {own!r}")
    return own


def _rule_workspace(request: Request, principal: Principal, workspace: str) -> str:
    chosen = _list_workspace(request, principal, workspace)
    if not chosen:
        raise ValidationError([FieldError("workspace", "pick the workspace whose rules to change")])
    return chosen


def _shown(principal: Principal, workspace: str) -> str:
    """The ``workspace`` parameter of the list's URL (only platform admins pick one)."""
    return workspace if is_platform(principal.viewer) else ""


def _record(request: Request, principal: Principal) -> dict[str, Any]:
    """Who changes an alert or a rule, from where: the fields of the entry recording it."""
    return app_state(request).audit.deletion_fields(request, principal)


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + "."


def _whole(text: str, name: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValidationError([FieldError(name, "must be a whole number")]) from None
    if value < 1:
        raise ValidationError([FieldError(name, "must be at least 1")])
    return value


def _zone(tz: str, errors: list[FieldError]) -> str:
    try:
        zone(tz)
    except ValidationError as exc:
        errors.extend(exc.errors)
        return "UTC"
    return tz


def _invalid(errors: Sequence[FieldError]) -> str:
    if not errors:
        return ""
    reasons = "; ".join(f"'{e.field}' {e.reason}" for e in errors)
    return f"Invalid: {reasons}."


def _back(href: str, done: str) -> Response:
    path, _, fragment = href.partition("#")
    separator = "&" if "?" in path else "?"
    target = f"{path}{separator}done={done}" + (f"#{fragment}" if fragment else "")
    return RedirectResponse(target, status_code=303)
