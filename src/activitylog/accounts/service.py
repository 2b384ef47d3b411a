"""The accounts of a log's web UI and API: users, memberships, sign-in, sessions, API keys.

Kept in the accounts database (``accounts_db``; by default the log's, on the log's
engine), whose tables their own migrations create when the accounts open::

    from activitylog import ActivityLog

    log = ActivityLog("sqlite:///activitylog.db")
    accounts = log.accounts()   # or Accounts.open("postgresql://...") on its own
    ava = accounts.add_user("ava@acme.io", password="correct horse", workspace="acme",
                            role="owner")
    user = accounts.authenticate("ava@acme.io", "correct horse")  # or SignInFailed
    token, session = accounts.start_session(user, "acme")

Bad input raises ValidationError naming each field; an unknown user or key, NotFound.
Every change is one transaction (``BEGIN IMMEDIATE`` on SQLite, so writers queue behind the
event writer instead of failing), so nothing is ever half stored. Methods that depend on
the time take ``now`` (default: the clock) so tests and callers can say when.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy.exc
from sqlalchemy import select

from activitylog.accounts import sessions, throttle
from activitylog.accounts._time import micros, moment
from activitylog.accounts.fields import (
    check,
    email_problem,
    new_user_problems,
    normalise_email,
    password_problem,
    role_problem,
    text_problem,
)
from activitylog.accounts.keys import ApiKeys
from activitylog.accounts.passwords import (
    DUMMY_HASH,
    hash_password,
    needs_rehash,
    verify_password,
)
from activitylog.accounts.schema import memberships, users
from activitylog.accounts.sessions import WebSessions
from activitylog.accounts.throttle import SignInFailed
from activitylog.accounts.users import (
    User,
    existing_id,
    load_user,
    load_users,
    reload_user,
    user_row,
)
from activitylog.accounts.workspaces import WorkspaceSettingsStore
from activitylog.errors import FieldError, NotFound, ValidationError


class Accounts(WebSessions, ApiKeys, WorkspaceSettingsStore):
    """Users, roles, sign-in, web sessions (:class:`WebSessions`), API keys
    (:class:`ApiKeys`) and workspace settings (:class:`WorkspaceSettingsStore`) in the
    database behind ``engine``, or at a URL (:meth:`open`); opening brings the tables to
    the accounts' newest migration."""

    # -- users -----------------------------------------------------------------------------
    def add_user(
        self,
        email: str,
        *,
        password: str,
        name: str | None = None,
        workspace: str | None = None,
        role: str | None = None,
        platform_admin: bool = False,
        user_id: str | None = None,
        now: datetime | None = None,
    ) -> User:
        """Create a user (optionally a member of ``workspace`` with ``role``; both or neither).

        ``email`` is stored stripped and lowercased and must be unused; ``name`` defaults to
        the part before the ``@``; ``user_id`` to ``u_`` + 12 hex characters.
        """
        check(
            *new_user_problems(email, name=name, workspace=workspace, role=role, user_id=user_id),
            ("password", password_problem(password)),
        )
        address = normalise_email(email)
        uid = user_id or "u_" + secrets.token_hex(6)
        password_hash = hash_password(password)  # before the transaction: it takes a while
        try:
            with self._write() as conn:
                taken = [
                    FieldError(field, "is already taken")
                    for field, condition in (
                        ("email", users.c.email == address),
                        ("user_id", users.c.id == uid),
                    )
                    if conn.execute(select(users.c.id).where(condition)).first()
                ]
                if taken:
                    raise ValidationError(taken)
                conn.execute(
                    users.insert().values(
                        id=uid,
                        email=address,
                        name=(name or "").strip() or address.split("@", 1)[0],
                        password_hash=password_hash,
                        is_platform_admin=platform_admin,
                        created_us=micros(now),
                        disabled_us=None,
                    )
                )
                if workspace is not None and role is not None:
                    conn.execute(
                        memberships.insert().values(user_id=uid, workspace=workspace, role=role)
                    )
                user = reload_user(conn, uid)
        except sqlalchemy.exc.IntegrityError:  # a concurrent add_user won the race
            raise ValidationError([FieldError("email", "is already taken")]) from None
        return user

    def get_user(self, email_or_id: str) -> User | None:
        """The user an email (any case) or user id names, or None."""
        with self._read() as conn:
            return load_user(conn, email_or_id)

    def list_users(self, workspace: str | None = None) -> list[User]:
        """Every user, or the members of ``workspace``; sorted by email."""
        stmt = select(users).order_by(users.c.email)
        if workspace is not None:
            members = select(memberships.c.user_id).where(memberships.c.workspace == workspace)
            stmt = stmt.where(users.c.id.in_(members))
        with self._read() as conn:
            return load_users(conn, conn.execute(stmt))

    def set_role(self, email: str, workspace: str, role: str) -> User:
        """Make ``email`` (or a user id) a member of ``workspace`` with ``role``, or change
        the role it has there."""
        check(("workspace", text_problem(workspace)), ("role", role_problem(role)))
        with self._write() as conn:
            uid = existing_id(conn, email)
            changed = conn.execute(
                memberships.update()
                .where(memberships.c.user_id == uid, memberships.c.workspace == workspace)
                .values(role=role)
            )
            if not changed.rowcount:
                conn.execute(
                    memberships.insert().values(user_id=uid, workspace=workspace, role=role)
                )
            return reload_user(conn, uid)

    def set_platform_admin(self, email: str, flag: bool) -> User:
        """Grant (or take away) the platform admin role: every workspace, both layers."""
        with self._write() as conn:
            uid = existing_id(conn, email)
            conn.execute(users.update().where(users.c.id == uid).values(is_platform_admin=flag))
            return reload_user(conn, uid)

    def set_password(self, email: str, password: str) -> None:
        """Replace the password and end the user's sessions (sign in again everywhere)."""
        check(("password", password_problem(password)))
        password_hash = hash_password(password)
        with self._write() as conn:
            uid = existing_id(conn, email)
            conn.execute(
                users.update().where(users.c.id == uid).values(password_hash=password_hash)
            )
            sessions.delete_for_user(conn, uid)

    def set_disabled(self, email: str, disabled: bool, *, now: datetime | None = None) -> User:
        """Disable a user (sign-in refused with reason ``disabled``, sessions ended) or
        enable them again. Their events and memberships stay."""
        with self._write() as conn:
            uid = existing_id(conn, email)
            conn.execute(
                users.update()
                .where(users.c.id == uid)
                .values(disabled_us=micros(now) if disabled else None)
            )
            if disabled:
                sessions.delete_for_user(conn, uid)
            return reload_user(conn, uid)

    def remove_user(self, email: str, workspace: str | None = None) -> None:
        """Without ``workspace``, delete the user with its memberships and sessions (its
        events stay, they carry a copy of the actor); with it, only that membership
        (NotFound when there is none)."""
        with self._write() as conn:
            uid = existing_id(conn, email)
            if workspace is not None:
                gone = conn.execute(
                    memberships.delete().where(
                        memberships.c.user_id == uid, memberships.c.workspace == workspace
                    )
                )
                if not gone.rowcount:
                    raise NotFound(f"{email} is not a member of workspace {workspace!r}")
                return
            conn.execute(memberships.delete().where(memberships.c.user_id == uid))
            sessions.delete_for_user(conn, uid)
            conn.execute(users.delete().where(users.c.id == uid))

    # -- signing in ------------------------------------------------------------------------
    def authenticate(
        self,
        email: str,
        password: str,
        *,
        client: str | None = None,
        now: datetime | None = None,
    ) -> User:
        """The user whose email and password these are, or SignInFailed (see
        :mod:`activitylog.accounts.throttle` for the lockout policy, per email address and
        per ``client`` address, the IP the attempt came from).

        Unknown addresses are checked against a dummy hash, so they take as long to refuse
        as a wrong password, and their failures count (and lock) the same way. A locked-out
        client is refused before any password is checked.
        """
        at = micros(now)
        address = normalise_email(email) if isinstance(email, str) else ""
        countable = email_problem(address) is None  # text that no user can have is not stored
        source = throttle.client_key(client)
        with self._read() as conn:
            row = user_row(conn, address) if countable else None
            user = load_users(conn, [row])[0] if row is not None else None
            throttled = throttle.locked_until(conn, source, at) if source else None
            locked = throttle.locked_until(conn, address, at) if countable else None
        if throttled is not None:
            raise SignInFailed("throttled", address, user=user, locked_until=moment(throttled))
        if locked is not None:
            raise SignInFailed("locked", address, user=user, locked_until=moment(locked))
        stored = row.password_hash if row is not None else DUMMY_HASH
        ok = isinstance(password, str) and verify_password(stored, password) and row is not None
        rehashed = hash_password(password) if ok and needs_rehash(stored) else None
        failure: SignInFailed | None = None
        if not countable and source is None:
            failure = SignInFailed("unknown_user", address)
        else:
            with self._write() as conn:
                throttled = (
                    throttle.locked_until(conn, source, at, for_update=True) if source else None
                )
                locked = (
                    throttle.locked_until(conn, address, at, for_update=True) if countable else None
                )
                if throttled is not None:  # locked out by concurrent attempts meanwhile
                    failure = SignInFailed(
                        "throttled", address, user=user, locked_until=moment(throttled)
                    )
                elif locked is not None:  # locked by a concurrent attempt meanwhile
                    failure = SignInFailed(
                        "locked", address, user=user, locked_until=moment(locked)
                    )
                elif not ok:
                    if source:
                        throttle.record_failure(
                            conn, source, at, limit=throttle.MAX_CLIENT_FAILURES
                        )
                    until, newly = (
                        throttle.record_failure(conn, address, at) if countable else (None, False)
                    )
                    failure = SignInFailed(
                        "wrong_password" if user is not None else "unknown_user",
                        address,
                        user=user,
                        locked_until=None if until is None else moment(until),
                        newly_locked=newly,
                    )
                elif user is not None and user.disabled:
                    failure = SignInFailed("disabled", address, user=user)
                else:
                    throttle.clear(conn, address)
                    if rehashed is not None and user is not None:
                        conn.execute(
                            users.update()
                            .where(users.c.id == user.id, users.c.password_hash == stored)
                            .values(password_hash=rehashed)
                        )
        if failure is not None or user is None:
            raise failure or SignInFailed("unknown_user", address)
        return user
