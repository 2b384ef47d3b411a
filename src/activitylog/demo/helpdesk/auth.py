"""Sign-in for the helpdesk: argon2id password hashes and cookie sessions.

The cookie carries a random token (256 bits); the table keeps only its SHA-256, so a
leaked database does not sign anyone in. A session belongs to one workspace; a platform
admin's session may instead *act as* someone else (impersonation), and then the person
acting is that user while the admin stays on record as the impersonator.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error, InvalidHashError
from sqlalchemy import select
from sqlalchemy.orm import Session

from activitylog.demo.helpdesk.models import AppSession, Membership, User

COOKIE = "hd_session"


class Passwords:
    """argon2id password hashes: ``PasswordHasher()``'s defaults (RFC 9106 low-memory),
    or the cheaper parameters of a hasher given (the demo signs people in by the hundred;
    parameters live in each hash, so a stored hash keeps verifying when they change)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def check(self, user: User | None, password: str) -> bool:
        """Whether ``password`` is ``user``'s; as slow for an unknown user (checked
        against a throwaway hash) as for a known one."""
        if self._dummy is None:
            self._dummy = self._hasher.hash(secrets.token_hex(16))
        try:
            matches = self._hasher.verify(user.password_hash if user else self._dummy, password)
        except (Argon2Error, InvalidHashError):
            return False
        return matches and user is not None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: ``user`` in ``workspace`` with ``role``; ``admin`` is the
    platform admin behind it while impersonating, else None."""

    user: User
    workspace: str | None
    role: str
    session: AppSession
    admin: User | None = None

    @property
    def actor(self) -> dict[str, Any]:
        return person(self.user, self.role)

    @property
    def impersonator(self) -> dict[str, Any] | None:
        return person(self.admin, "platform_admin") if self.admin else None


def person(user: User, role: str | None) -> dict[str, Any]:
    """The ``{id, name, email, role, type}`` activitylog keeps of a user."""
    out: dict[str, Any] = {"id": user.id, "name": user.name, "email": user.email, "type": "user"}
    if role:
        out["role"] = role
    return out


def role_in(db: Session, user: User, workspace: str | None) -> str | None:
    """``user``'s role in ``workspace`` (``platform_admin`` for staff), or None."""
    if workspace is None:
        return "platform_admin" if user.is_platform_admin else None
    role = db.scalar(
        select(Membership.role).where(
            Membership.workspace_id == workspace, Membership.user_id == user.id
        )
    )
    if role is None and user.is_platform_admin:
        return "platform_admin"
    return role


def start_session(db: Session, user: User, workspace: str | None, now: datetime) -> str:
    """A new session for ``user``; returns the cookie's token (added, not committed)."""
    token = secrets.token_urlsafe(32)
    db.add(
        AppSession(
            id="s_" + secrets.token_hex(8),
            token_hash=token_hash(token),
            user_id=user.id,
            workspace_id=workspace,
            created_at=now,
        )
    )
    return token


def principal_for(db: Session, token: str | None) -> Principal | None:
    """The signed-in principal of a cookie token, or None (no, unknown or ended session)."""
    if not token:
        return None
    session = db.scalar(select(AppSession).where(AppSession.token_hash == token_hash(token)))
    if session is None or session.ended_at is not None:
        return None
    user = db.get(User, session.user_id)
    if user is None:
        return None
    if session.acting_user_id is not None and session.workspace_id is not None:
        acting = db.get(User, session.acting_user_id)
        role = role_in(db, acting, session.workspace_id) if acting else None
        if acting is None or role is None:
            return None
        return Principal(acting, session.workspace_id, role, session, admin=user)
    role = role_in(db, user, session.workspace_id)
    if role is None:
        return None
    return Principal(user, session.workspace_id, role, session)
