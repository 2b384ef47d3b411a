"""Web sessions: an opaque cookie token, stored only as its SHA-256.

A session ends :data:`SESSION_TTL` after it started (or whatever ttl it was given), or
after :data:`IDLE_TIMEOUT` without a request; ``last_seen`` is written at most once per
:data:`TOUCH_EVERY` so that reading pages does not mean writing on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, or_, select

from activitylog.accounts._time import micros, moment, span
from activitylog.accounts.database import AccountsDatabase
from activitylog.accounts.schema import web_sessions
from activitylog.accounts.users import User, load_user
from activitylog.errors import AccessDenied, FieldError, Unauthenticated, ValidationError

SESSION_TTL = timedelta(hours=12)
IDLE_TIMEOUT = timedelta(hours=2)
TOUCH_EVERY = timedelta(minutes=1)
TOKEN_MAX = 128  # token_urlsafe(32) is 43 characters; anything much longer is not ours


@dataclass(frozen=True)
class WebSession:
    """A signed-in user, the workspace they are looking at (``""``: a platform admin
    without one), the CSRF token forms must echo, and when the session ends at the latest."""

    user: User
    workspace: str
    csrf_token: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _create(
    conn: Connection, user_id: str, workspace: str, *, at: int, ttl: timedelta
) -> tuple[str, str]:
    """Store a new session; returns ``(token, csrf_token)``. Also drops the user's ended
    sessions, so the table does not grow with every sign-in."""
    conn.execute(
        web_sessions.delete().where(
            web_sessions.c.user_id == user_id,
            or_(
                web_sessions.c.expires_us <= at,
                web_sessions.c.last_seen_us < at - span(IDLE_TIMEOUT),
            ),
        )
    )
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    conn.execute(
        web_sessions.insert().values(
            token_hash=token_hash(token),
            user_id=user_id,
            workspace=workspace,
            csrf_token=csrf,
            created_us=at,
            expires_us=at + span(ttl),
            last_seen_us=at,
        )
    )
    return token, csrf


def _find(conn: Connection, token: str) -> Row[Any] | None:
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX:
        return None
    return conn.execute(
        select(web_sessions).where(web_sessions.c.token_hash == token_hash(token))
    ).first()


def _is_live(row: Row[Any], at: int) -> bool:
    """Not past its end, and not idle for longer than :data:`IDLE_TIMEOUT`."""
    return bool(at < row.expires_us and at - row.last_seen_us <= span(IDLE_TIMEOUT))


def _needs_touch(row: Row[Any], at: int) -> bool:
    return bool(at - row.last_seen_us >= span(TOUCH_EVERY))


def _touch(conn: Connection, digest: str, at: int) -> None:
    conn.execute(
        web_sessions.update().where(web_sessions.c.token_hash == digest).values(last_seen_us=at)
    )


def _delete(conn: Connection, digest: str) -> None:
    conn.execute(web_sessions.delete().where(web_sessions.c.token_hash == digest))


def delete_for_user(conn: Connection, user_id: str) -> None:
    conn.execute(web_sessions.delete().where(web_sessions.c.user_id == user_id))


class WebSessions(AccountsDatabase):
    """The session half of :class:`~activitylog.accounts.Accounts`."""

    def start_session(
        self,
        user: User,
        workspace: str,
        *,
        ttl: timedelta = SESSION_TTL,
        now: datetime | None = None,
    ) -> tuple[str, WebSession]:
        """A new session for ``user`` looking at ``workspace`` (``""`` for a platform admin
        without one). Returns the token (shown once: only its hash is stored) and the
        session; AccessDenied if the user may not read that workspace."""
        if ttl <= timedelta(0):
            raise ValidationError([FieldError("ttl", "must be positive")])
        user.viewer(workspace)
        at = micros(now)
        with self._write() as conn:
            token, csrf = _create(conn, user.id, workspace, at=at, ttl=ttl)
        return token, WebSession(user, workspace, csrf, moment(at) + ttl)

    def session(self, token: str, *, now: datetime | None = None) -> WebSession | None:
        """The live session ``token`` names, or None: unknown, ended, idle too long, or
        its user deleted, disabled or no longer a member of its workspace."""
        at = micros(now)
        with self._read() as conn:
            row = _find(conn, token)
            user = load_user(conn, row.user_id) if row is not None else None
        if row is None:
            return None
        if user is None or user.disabled or not _is_live(row, at):
            with self._write() as conn:
                _delete(conn, row.token_hash)
            return None
        try:
            user.viewer(row.workspace)
        except AccessDenied:
            return None
        if _needs_touch(row, at):
            with self._write() as conn:
                _touch(conn, row.token_hash, at)
        return WebSession(user, row.workspace, row.csrf_token, moment(row.expires_us))

    def end_session(self, token: str) -> None:
        """Sign out: forget the session (nothing happens for an unknown token)."""
        if not isinstance(token, str) or not token:
            return
        with self._write() as conn:
            _delete(conn, token_hash(token))

    def switch_workspace(
        self, token: str, workspace: str, *, now: datetime | None = None
    ) -> WebSession:
        """Point the session at another workspace the user belongs to (any, for a platform
        admin): AccessDenied otherwise, Unauthenticated when the session has ended."""
        current = self.session(token, now=now)
        if current is None:
            raise Unauthenticated("session expired; sign in again")
        current.user.viewer(workspace)
        with self._write() as conn:
            conn.execute(
                web_sessions.update()
                .where(web_sessions.c.token_hash == token_hash(token))
                .values(workspace=workspace)
            )
        return WebSession(current.user, workspace, current.csrf_token, current.expires_at)
