"""Sign-in throttling: too many wrong passwords for one address lock it for a while.

The policy, per lower-cased email address (known to us or not, so the lock says nothing
about whether an account exists):

- :data:`MAX_FAILURES` failed sign-ins within :data:`FAILURE_WINDOW` of the first one lock
  the address for :data:`LOCKOUT`, counted from the failure that locked it;
- while it is locked every sign-in fails with reason ``locked``, even with the right
  password, and is not counted;
- a successful sign-in clears the count; after the window or the lock has passed, the
  next failure starts a new count.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Connection, select

from activitylog.accounts._time import span
from activitylog.accounts.schema import sign_in_throttle
from activitylog.errors import Unauthenticated

if TYPE_CHECKING:
    from activitylog.accounts.users import User

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)

Reason = Literal["unknown_user", "wrong_password", "locked", "disabled"]


class SignInFailed(Unauthenticated):
    """A sign-in was refused (401). ``reason`` is for the audit log, never for the person
    signing in: tell them only "wrong email or password" unless it is ``locked``.

    ``user`` is the account the email names (None when unknown); ``locked_until`` is set
    when the address is locked, and ``newly_locked`` when this very failure locked it.
    """

    def __init__(
        self,
        reason: Reason,
        email: str,
        *,
        user: User | None = None,
        locked_until: datetime | None = None,
        newly_locked: bool = False,
    ) -> None:
        self.reason: Reason = reason
        self.email = email
        self.user = user
        self.locked_until = locked_until
        self.newly_locked = newly_locked
        super().__init__(_MESSAGES[reason])


_MESSAGES: dict[Reason, str] = {
    "unknown_user": "wrong email or password",
    "wrong_password": "wrong email or password",
    "locked": "too many failed sign-ins; try again later",
    "disabled": "this account is disabled",
}


def locked_until(conn: Connection, email: str, at: int, *, for_update: bool = False) -> int | None:
    """When ``email``'s lock ends (epoch µs), or None when it is not locked at ``at``."""
    stmt = select(sign_in_throttle.c.locked_until_us).where(sign_in_throttle.c.email == email)
    until = conn.execute(stmt.with_for_update() if for_update else stmt).scalar()
    return until if until is not None and until > at else None


def record_failure(conn: Connection, email: str, at: int) -> tuple[int | None, bool]:
    """Count a failed sign-in at ``at`` (inside a write transaction); returns when the
    address is now locked until (or None) and whether this failure locked it."""
    insert_ignore(
        conn,
        {"email": email, "failures": 0, "first_failure_us": at, "locked_until_us": None},
    )
    row = conn.execute(
        select(sign_in_throttle).where(sign_in_throttle.c.email == email).with_for_update()
    ).one()
    if row.locked_until_us is not None and row.locked_until_us > at:
        return row.locked_until_us, False
    stale = at - row.first_failure_us >= span(FAILURE_WINDOW) or row.locked_until_us is not None
    failures = 1 if stale or row.failures == 0 else row.failures + 1
    first = at if failures == 1 else row.first_failure_us
    until = at + span(LOCKOUT) if failures >= MAX_FAILURES else None
    conn.execute(
        sign_in_throttle.update()
        .where(sign_in_throttle.c.email == email)
        .values(failures=failures, first_failure_us=first, locked_until_us=until)
    )
    return until, until is not None


def clear(conn: Connection, email: str) -> None:
    """Forget ``email``'s failures (after a successful sign-in)."""
    conn.execute(sign_in_throttle.delete().where(sign_in_throttle.c.email == email))


def insert_ignore(conn: Connection, values: dict[str, object]) -> None:
    """Insert a throttle row unless the address has one (concurrent sign-ins may race)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(sign_in_throttle).values(values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(sign_in_throttle).values(values).on_conflict_do_nothing())
