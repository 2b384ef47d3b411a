"""Signing in and out, and switching workspace.

The sign-in form is protected against login CSRF by a double-submit token (a cookie and a
hidden field that must match); once signed in, every form carries the session's own CSRF
token. Unknown addresses and wrong passwords get the same message; repeated failures lock
the email address, or the client address they come from, for a while
(:mod:`activitylog.accounts.throttle`): 429 with ``Retry-After`` and the ``RateLimit`` /
``RateLimit-Policy`` fields (IETF httpapi draft: ``address`` and ``client``). Every attempt is
recorded, and every failure is answered with the form, whatever was typed into it.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime
from functools import partial
from math import ceil
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from activitylog.accounts import SignInFailed
from activitylog.accounts.throttle import (
    FAILURE_WINDOW,
    MAX_CLIENT_FAILURES,
    MAX_FAILURES,
)
from activitylog.web.audit import shown_address
from activitylog.web.principal import SESSION_COOKIE, authenticate, require_session
from activitylog.web.state import app_state
from activitylog.web.templating import templates

SIGNIN_COOKIE = "activitylog_signin"
FAILED = "Wrong email or password."
LOCKED = "Too many failed attempts. Try again in a few minutes."
THROTTLED = "Too many failed sign-ins from your network. Try again in a few minutes."
#: The sign-in throttle's two quotas: failures per email address, and per client address.
RATE_LIMIT_POLICY = (
    f'"address";q={MAX_FAILURES};w={int(FAILURE_WINDOW.total_seconds())}, '
    f'"client";q={MAX_CLIENT_FAILURES};w={int(FAILURE_WINDOW.total_seconds())}'
)
router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only local paths: never redirect to another site after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/activity"
    return target


@router.get("/signin")
def signin_page(request: Request, next: str = "/activity") -> Response:
    if authenticate(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form(request, next=next)


@router.post("/signin")
async def signin(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/activity",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    state = app_state(request)
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _form(
            request, next=next, email=shown_address(email), error="The form expired. Try again."
        )
    email = email.strip()
    client = request.client.host if request.client else None
    try:
        user = await run_in_threadpool(
            partial(state.accounts.authenticate, email, password, client=client)
        )
    except SignInFailed as failure:
        await run_in_threadpool(
            state.audit.sign_in_failed,
            request,
            email,
            failure.user,
            locked=failure.newly_locked,
        )
        shown = shown_address(email)
        if failure.locked_until is None or failure.reason not in ("locked", "throttled"):
            message = LOCKED if failure.newly_locked else FAILED
            return _form(request, next=next, email=shown, error=message, status=401)
        wait = ceil((failure.locked_until - datetime.now(UTC)).total_seconds())
        message = THROTTLED if failure.reason == "throttled" else LOCKED
        response = _form(request, next=next, email=shown, error=message, status=429)
        response.headers["Retry-After"] = str(max(1, wait))
        # The IETF RateLimit fields: the policies, and which one ran out, for how long.
        response.headers["RateLimit-Policy"] = RATE_LIMIT_POLICY
        policy = "client" if failure.reason == "throttled" else "address"
        response.headers["RateLimit"] = f'"{policy}";r=0;t={max(1, wait)}'
        return response
    workspace = min(user.memberships) if user.memberships else ""
    token, _session = state.accounts.start_session(user, workspace)
    await run_in_threadpool(state.audit.signed_in, request, user, workspace)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=12 * 3600,
        path="/",
    )
    response.delete_cookie(SIGNIN_COOKIE, path="/signin")
    return response


@router.post("/signout")
def signout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    state = app_state(request)
    principal = require_session(request, "sign out", csrf_token)
    state.audit.signed_out(request, principal)
    state.accounts.end_session(principal.credential)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/workspace")
def switch_workspace(
    request: Request,
    workspace: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/activity",
) -> Response:
    state = app_state(request)
    principal = require_session(request, "switch workspace", csrf_token)
    if workspace != principal.viewer.workspace:  # switching to where one is: nothing to do
        state.accounts.switch_workspace(principal.credential, workspace)
        entered = authenticate(request)  # the same session, now in ``workspace``
        if entered is not None:
            state.audit.switched_workspace(request, principal, entered)
    return RedirectResponse(safe_next(next).split("?", 1)[0], status_code=303)


def _form(
    request: Request,
    *,
    next: str,
    email: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    token = secrets.token_urlsafe(32)
    context = {
        "error": error,
        "email": email,
        "next": safe_next(next),
        "csrf_token": token,
        "notice": None,
        "demo_accounts": app_state(request).demo_accounts,
    }
    response = templates.TemplateResponse(request, "signin.html", context, status_code=status)
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=3600,
        path="/signin",
    )
    return response
