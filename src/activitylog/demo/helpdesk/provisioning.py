"""Creating workspaces and people outside the HTTP API (the product's sign-up and the
platform's back office, which this example does not have). Run outside a request these
changes are recorded as done by System."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.orm import Session

from activitylog.demo.helpdesk.auth import Passwords
from activitylog.demo.helpdesk.models import Membership, User, Workspace, WorkspaceSettings
from activitylog.demo.seed.cast import PLATFORM_ADMINS, USERS, WORKSPACES

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
#: IANA zones of the demo cast's workspaces.
TIMEZONES = {"acme": "America/New_York", "globex": "Europe/Berlin", "initech": "Australia/Sydney"}


def add_workspace(
    db: Session, workspace_id: str, name: str, *, timezone: str, now: datetime
) -> Workspace:
    """A workspace and its settings (added to ``db``, not committed)."""
    workspace = Workspace(id=workspace_id, name=name, created_at=now)
    db.add(workspace)
    db.add(
        WorkspaceSettings(
            workspace_id=workspace_id,
            name=name,
            timezone=timezone,
            business_hours={"days": WEEKDAYS, "start": "09:00", "end": "17:00"},
            auto_close_days=7,
            inbound_token=secrets.token_urlsafe(24),
            updated_at=now,
        )
    )
    return workspace


def add_user(
    db: Session,
    *,
    user_id: str,
    name: str,
    email: str,
    password_hash: str,
    now: datetime,
    platform_admin: bool = False,
) -> User:
    """A person who can sign in (added to ``db``, not committed); ``password_hash`` from
    :meth:`~activitylog.demo.helpdesk.auth.Passwords.hash`."""
    user = User(
        id=user_id,
        name=name,
        email=email,
        password_hash=password_hash,
        is_platform_admin=platform_admin,
        created_at=now,
    )
    db.add(user)
    return user


def add_member(db: Session, user: User, workspace_id: str, role: str, now: datetime) -> Membership:
    membership = Membership(workspace_id=workspace_id, user=user, role=role, created_at=now)
    db.add(membership)
    return membership


def add_cast(db: Session, passwords: Passwords, password: str, now: datetime) -> None:
    """The demo cast (:mod:`activitylog.demo.seed.cast`): its three workspaces, their people
    with their roles and the platform admins, all with ``password`` (not committed)."""
    for workspace in WORKSPACES:
        add_workspace(db, workspace.id, workspace.name, timezone=TIMEZONES[workspace.id], now=now)
    for person in (*USERS, *PLATFORM_ADMINS):
        user = add_user(
            db,
            user_id=person.id,
            name=person.name,
            email=person.email,
            password_hash=passwords.hash(password),  # a salt of its own each
            now=now,
            platform_admin=person.role == "platform_admin",
        )
        if person.workspace:
            add_member(db, user, person.workspace, person.role, now)
