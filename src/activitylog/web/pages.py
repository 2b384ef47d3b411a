"""The Activity Log page: ``/activity``, its fragments for the page's script, the detail
panel of one entry, and ``/embed`` (the same page for a viewer token, without chrome).

| route                        | answers                                                  |
|------------------------------|----------------------------------------------------------|
| GET /                        | 303 to /activity                                         |
| GET /activity                | the page; 303 to /signin without a session               |
| GET /activity/partials       | JSON ``{kpis, charts, table, filters, url}`` (HTML each) |
| GET /activity/events/{id}    | the detail panel (``X-Fragment: 1``) or a page holding it |
| GET /embed?token=...         | 303 to the same URL without the token, with the embed    |
|                              | cookie set; 401 page when the token expired or is bad    |
| GET /embed                   | the page for the embed cookie's viewer; 401 page without |

``/embed?token=...`` exchanges the viewer token for the *embed cookie* and redirects, so
the token is in one request only, not in the page's links, the browser's history or the
access logs of what follows (uvicorn's log of that one request is redacted, see
:mod:`activitylog.web.security`). The cookie holds the token itself: it reads as that
token's viewer (read-only), ends when the token does (``Max-Age``; the token's expiry is
checked on every request), is ``HttpOnly``, and is ``SameSite=None; Secure; Partitioned``
over https, because a frame on another site is a third-party context where a ``Lax`` or
``Strict`` cookie is never sent; ``Partitioned`` (CHIPS) keys it to the framing site, so
browsers that block third-party cookies still keep it and no other site's frame shares it.
Over plain http (development) it is ``SameSite=Lax``: browsers refuse ``None`` without
``Secure``, so only a page of the same site can frame it there. A cookie sent from other
sites is safe to accept because the embed never changes anything: every request that would
is refused to viewer tokens (:func:`~activitylog.web.principal.require`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from math import ceil
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from activitylog.access import may_open_log
from activitylog.accounts.tokens import read_viewer_token
from activitylog.errors import AccessDenied, NotFound, Unauthenticated, ValidationError
from activitylog.timeranges import zone
from activitylog.web.activity import ActivityPage, audit_filters, build_page, page_href
from activitylog.web.alerts_page import alerts_badge
from activitylog.web.entries import present_detail
from activitylog.web.errors import error_body, field_errors
from activitylog.web.params import ViewParams, view_params
from activitylog.web.principal import (
    EMBED_COOKIE,
    Principal,
    authenticate,
    from_embed_cookie,
)
from activitylog.web.state import app_state
from activitylog.web.templating import templates

router = APIRouter(include_in_schema=False)
#: Fragments of the page the script swaps in: JSON key -> partial template.
FRAGMENTS = {
    "kpis": "_kpis.html",
    "charts": "_charts.html",
    "table": "_table.html",
    "filters": "_filter_fields.html",
}
FRAGMENT_HEADER = "x-fragment"
SUBJECT_RANGE = "last_90_days"
#: A JWT in compact form: three base64url parts; nothing else may go into a cookie.
_COMPACT_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


@router.get("/")
def home() -> Response:
    return RedirectResponse("/activity", status_code=303)


@router.get("/activity")
def activity(request: Request) -> Response:
    principal = _principal(request)
    if principal is None or principal.embedded:  # the full page is for people signed in
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)
    return _page(request, principal, "/activity")


@router.get("/embed")
def embed(request: Request, token: str | None = None) -> Response:
    if token is not None:
        return _exchange(request, token)
    principal = from_embed_cookie(request)
    if principal is None:
        return _expired(request)
    return _page(request, principal, "/embed")


def _exchange(request: Request, token: str) -> Response:
    """The embed cookie for ``token``, and a redirect to this URL without it."""
    https = request.url.scheme == "https"
    try:
        if not _COMPACT_JWT.fullmatch(token):  # base64 decoding would skip stray ";" etc.
            raise Unauthenticated("invalid viewer token")
        claims = read_viewer_token(app_state(request).secret, token)
    except Unauthenticated:
        response = _expired(request)
        # Drop an earlier embed cookie: it is not the viewer the host now asks for.
        response.headers.append("set-cookie", _embed_cookie("", 0, https=https))
        return response
    rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    response = RedirectResponse("/embed" + (f"?{urlencode(rest)}" if rest else ""), 303)
    seconds = ceil((claims.expires_at - datetime.now(UTC)).total_seconds())
    response.headers.append("set-cookie", _embed_cookie(token, max(1, seconds), https=https))
    return response


def _embed_cookie(token: str, max_age: int, *, https: bool) -> str:
    """The embed cookie's ``Set-Cookie`` value (written here: the standard library's
    cookies learn ``Partitioned`` only in Python 3.14); ``token`` is a compact JWT."""
    attributes = [f"{EMBED_COOKIE}={token}", f"Max-Age={max_age}", "Path=/", "HttpOnly"]
    attributes += ["Secure", "SameSite=None", "Partitioned"] if https else ["SameSite=Lax"]
    return "; ".join(attributes)


def _expired(request: Request) -> Response:
    return error_page(
        request,
        401,
        "This link has expired",
        "Embedded activity links last a short time. Reload the page that showed it "
        "to get a fresh one.",
        embedded=True,
    )


@router.get("/activity/partials")
def partials(request: Request) -> Response:
    try:
        principal = authenticate(request)
    except Unauthenticated as exc:
        return _json_error(401, str(exc))
    if principal is None:
        return _json_error(401, "your session ended; sign in again")
    as_of = _as_of()
    try:
        view = view_params(_query(request))
        page = build_page(app_state(request), principal, view, base=_base(principal))
    except ValidationError as exc:
        return _json_error(422, _invalid(exc), field_errors(exc))
    except AccessDenied as exc:
        return _json_error(403, str(exc))
    body: dict[str, Any] = {
        key: templates.get_template(name).render(request=request, page=page, as_of=as_of)
        for key, name in FRAGMENTS.items()
    }
    body["url"] = page.url
    body["total"] = page.page.total
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/activity/events/{event_id}")
def event_detail(request: Request, event_id: str, tz: str = "UTC") -> Response:
    fragment = request.headers.get(FRAGMENT_HEADER) == "1"
    try:
        principal = authenticate(request)
    except Unauthenticated:
        principal = None
    if principal is None:
        if fragment:
            return _missing(request, 401, "Your session ended. Sign in again to see this entry.")
        return RedirectResponse(f"/signin?next={quote(request.url.path, safe='')}", 303)
    state = app_state(request)
    try:
        zone(tz)
    except ValidationError:
        tz = "UTC"
    try:
        event = state.log.get(event_id, viewer=principal.viewer)
    except NotFound:
        message = "This entry does not exist or is not visible to you."
        if not fragment:
            return error_page(request, 404, "Entry not found", message, embedded=principal.embedded)
        return _missing(request, 404, message)
    except AccessDenied as exc:
        if not fragment:
            message = _denied(exc, principal)
            title = "You can’t see this entry"
            return error_page(request, 403, title, message, embedded=principal.embedded)
        return _missing(request, 403, str(exc))
    log = state.log
    deletion = log.deletion_record(event, viewer=principal.viewer)
    workspace = event.get("workspace")
    link_base = state.accounts.workspace_settings(workspace).link_base if workspace else None
    detail = present_detail(event, tz, log.check_entry(event), deletion, link_base)
    subject = event.get("subject") or {}
    subject_href = ""
    if subject.get("type") and not detail.deleted:
        view = ViewParams(
            range=SUBJECT_RANGE,
            tz=tz,
            scope=principal.widest_scope,
            subject_type=str(subject["type"]),
            subject_id=str(subject.get("id") or ""),
        )
        subject_href = page_href(_base(principal), view)
    context = {"detail": detail, "subject_href": subject_href, "principal": principal}
    if fragment:
        return templates.TemplateResponse(request, "_event.html", context)
    context["back_href"] = page_href(_base(principal), ViewParams(tz=tz))
    return templates.TemplateResponse(request, "event.html", context)


def error_page(
    request: Request,
    status: int,
    title: str,
    message: str,
    *,
    embedded: bool = False,
    principal: Principal | None = None,
) -> Response:
    """``error.html``: a title, a message and a way back (none inside a host's frame);
    with ``principal``, the page's top bar too (switch workspace, sign out) and no link
    back to a log they may not open."""
    context = {
        "title": title,
        "message": message,
        "status": status,
        "embedded": embedded,
        "principal": principal,
        "csrf_token": principal.csrf_token if principal else None,
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=status)


def _for_admins(request: Request, principal: Principal) -> Response:
    """The full 403 page of a member or viewer whose workspace keeps its log for admins."""
    workspace = principal.viewer.workspace
    message = (
        f"In {workspace}, the activity log is open to owners and admins only. "
        "Ask a workspace owner if you need to see it."
    )
    if len(principal.memberships) > 1:
        message += " You can switch to another workspace above."
    embedded = principal.embedded
    return error_page(
        request,
        403,
        "The activity log is for admins",
        message,
        embedded=embedded,
        principal=None if embedded else principal,
    )


def _page(request: Request, principal: Principal, base: str) -> Response:
    if not may_open_log(principal.viewer):
        return _for_admins(request, principal)
    state = app_state(request)
    status, error = 200, ""
    as_of = _as_of()
    try:
        view = view_params(_query(request))
    except ValidationError as exc:
        view, status = ViewParams(), 422
        error = f"{_invalid(exc)} Showing the default view instead."
    try:
        page = _build(request, principal, view, base, error)
    except AccessDenied as exc:
        message = _denied(exc, principal)
        title = "You can’t see this activity"
        return error_page(request, 403, title, message, embedded=principal.embedded)
    except ValidationError as exc:
        status = 422
        error = f"{_invalid(exc)} Showing the default view instead."
        view = ViewParams(tz=view.tz)
        page = _build(request, principal, view, base, error)
    workspace = view.workspace or principal.viewer.workspace or None
    state.audit.viewed(request, principal, workspace, page_visit=True, filters=audit_filters(view))
    return templates.TemplateResponse(
        request,
        "activity.html",
        {
            "page": page,
            "principal": principal,
            "csrf_token": principal.csrf_token,
            "as_of": as_of,
            "alerts_badge": alerts_badge(request, principal, view.tz, "activity"),
        },
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def _as_of() -> str:
    """Now, before a page counts its entries: "all N matching" deletes only what was
    received by then (not the visit the page records, nor anything later)."""
    return datetime.now(UTC).isoformat()


def _build(
    request: Request, principal: Principal, view: ViewParams, base: str, error: str
) -> ActivityPage:
    return build_page(app_state(request), principal, view, base=base, error=error)


def _principal(request: Request) -> Principal | None:
    try:
        return authenticate(request)
    except Unauthenticated:
        return None


def _base(principal: Principal) -> str:
    return "/embed" if principal.embedded else "/activity"


def _query(request: Request) -> dict[str, list[str]]:
    params = request.query_params
    return {key: params.getlist(key) for key in params}


def _invalid(exc: ValidationError) -> str:
    """ "Invalid parameter 'per_page': must be one of 10, 20, 25, 50, 100." (each named)."""
    reasons = "; ".join(f"'{e.field}' {e.reason}" for e in exc.errors)
    plural = "s" if len({e.field for e in exc.errors}) > 1 else ""
    return f"Invalid parameter{plural}: {reasons}."


def _denied(exc: AccessDenied, principal: Principal) -> str:
    if principal.widest_scope == "mine":
        return (
            f"Your role ({principal.viewer.role}) shows only your own activity. "
            "Ask a workspace owner or admin if you need to see everyone’s."
        )
    return str(exc)[:1].upper() + str(exc)[1:] + "."


def _missing(request: Request, status: int, message: str) -> Response:
    context = {"status": status, "message": message}
    return templates.TemplateResponse(request, "_event_missing.html", context, status_code=status)


def _json_error(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> Response:
    return JSONResponse(error_body(status, message, errors), status_code=status)
