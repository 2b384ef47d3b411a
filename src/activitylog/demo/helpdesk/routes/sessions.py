"""Signing in and out, and platform admins' impersonation of a workspace's users.

These are the places the app tells the log about authentication, through the capture's
auth helpers: the ORM capture sees only rows, and a failed sign-in changes none.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import func, select

from activitylog.capture import auth as audit
from activitylog.demo.helpdesk.auth import (
    COOKIE,
    Principal,
    person,
    principal_for,
    role_in,
    start_session,
)
from activitylog.demo.helpdesk.deps import App, Db, Signed, commit
from activitylog.demo.helpdesk.models import User, Workspace

router = APIRouter(tags=["sessions"])

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)]
    password: Annotated[str, StringConstraints(max_length=1000)]
    #: The workspace signed in to (its sign-in page); platform admins pick the one they
    #: support.
    workspace: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ImpersonateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str
    reason: Reason


def me_json(principal: Principal) -> dict[str, Any]:
    return {
        "user": person(principal.user, principal.role),
        "workspace": principal.workspace,
        "impersonator": principal.impersonator,
        "session_id": principal.session.id,
    }


@router.post("/auth/sign-in")
def sign_in(body: SignIn, response: Response, db: Db, app: App) -> dict[str, Any]:
    """Check the password and start a session (cookie). A refusal says nothing about
    whether the address exists, and is recorded as a failed sign-in."""
    if db.get(Workspace, body.workspace) is None:
        raise HTTPException(404, "no such workspace")
    user = db.scalar(select(User).where(func.lower(User.email) == body.email.lower()))
    role = role_in(db, user, body.workspace) if user else None
    if not app.passwords.check(user, body.password) or user is None or role is None:
        known = person(user, None) if user is not None and role is not None else None
        db.rollback()  # let go of the write lock: the helper writes on its own connection
        audit.sign_in_failed(app.log, email=body.email, workspace=body.workspace, user=known)
        raise HTTPException(401, "wrong email or password")
    token = start_session(db, user, body.workspace, app.clock())
    commit(db)
    principal = principal_for(db, token)
    if principal is None:  # pragma: no cover - the session was just stored
        raise HTTPException(500, "the session vanished")
    audit.signed_in(
        app.log,
        principal.actor,
        workspace=body.workspace,
        method="password",
        session_id=principal.session.id,
    )
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="lax", secure=app.secure_cookies, max_age=43_200
    )
    return me_json(principal)


@router.post("/auth/sign-out", status_code=204)
def sign_out(request: Request, response: Response, db: Db, app: App) -> None:
    """End the session (signing out while impersonating ends the impersonation first)."""
    principal = principal_for(db, request.cookies.get(COOKIE))
    response.delete_cookie(COOKIE)
    if principal is None or principal.workspace is None:
        return
    ended = _stop_impersonation(db, app, principal) if principal.admin else None
    principal.session.ended_at = app.clock()
    commit(db)
    if ended is not None:
        ended()
    if principal.admin is None:
        audit.signed_out(app.log, principal.actor, workspace=principal.workspace)
        return
    # The request ran as the impersonated user; the admin signs out as themselves.
    with app.log.context(impersonator=None):
        admin = person(principal.admin, "platform_admin")
        audit.signed_out(app.log, admin, workspace=principal.workspace)


@router.get("/auth/me")
def me(principal: Signed) -> dict[str, Any]:
    return me_json(principal)


@router.post("/admin/impersonation")
def impersonate(body: ImpersonateIn, db: Db, app: App, principal: Signed) -> dict[str, Any]:
    """A platform admin starts acting as ``user_id`` in the workspace they signed in to."""
    if principal.role != "platform_admin" or principal.admin is not None:
        raise HTTPException(403, "only a platform admin (not impersonating) may impersonate")
    workspace = principal.workspace or ""
    target = db.get(User, body.user_id)
    role = role_in(db, target, workspace) if target else None
    if target is None or role is None or target.is_platform_admin:
        raise HTTPException(404, "no such user in this workspace")
    session = principal.session
    session.acting_user_id = target.id
    session.impersonation_reason = body.reason
    session.impersonation_started_at = app.clock()
    commit(db)
    audit.impersonation_started(
        app.log,
        admin=principal.actor,
        user=person(target, role),
        workspace=workspace,
        reason=body.reason,
    )
    return me_json(Principal(target, workspace, role, session, admin=principal.user))


@router.delete("/admin/impersonation")
def stop_impersonating(db: Db, app: App, principal: Signed) -> dict[str, Any]:
    if principal.admin is None:
        raise HTTPException(409, "not impersonating anyone")
    ended = _stop_impersonation(db, app, principal)
    commit(db)
    ended()
    admin = Principal(principal.admin, principal.workspace, "platform_admin", principal.session)
    return me_json(admin)


def _stop_impersonation(db: Db, app: App, principal: Principal) -> Callable[[], object]:
    """Clear the session's impersonation (for the caller to commit); returns what records
    its end, to call once the change is committed."""
    session = principal.session
    started = session.impersonation_started_at
    admin = person(principal.admin, "platform_admin") if principal.admin else principal.actor
    duration = app.clock() - started if started else None
    session.acting_user_id = None
    session.impersonation_reason = None
    session.impersonation_started_at = None
    return partial(
        audit.impersonation_ended,
        app.log,
        admin=admin,
        user=principal.actor,
        workspace=principal.workspace or "",
        duration=duration,
    )
