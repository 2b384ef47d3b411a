"""Sign-in throttling: too many wrong passwords for one email address, or from one client
address, lock it for a while.

The policy, per lower-cased email address (known to us or not, so the lock says nothing
about whether an account exists):

- :data:`MAX_FAILURES` failed sign-ins within :data:`FAILURE_WINDOW` of the first one lock
  the address for :data:`LOCKOUT`, counted from the failure that locked it;
- while it is locked every sign-in fails with reason ``locked``, even with the right
  password, and is not counted;
- a successful sign-in clears the count; after the window or the lock has passed, the
  next failure starts a new count.

And per client address (:func:`client_key`: an IPv4 address, or the /64 network of an IPv6
one, since one subscriber usually holds a whole /64), against one client trying many
accounts (password spraying), which no per-account lock notices:

- :data:`MAX_CLIENT_FAILURES` failed sign-ins within :data:`FAILURE_WINDOW`, for any
  addresses, lock the client out for :data:`LOCKOUT`: every sign-in from it then fails
  with reason ``throttled`` before any password is checked, and is not counted;
- a successful sign-in does not clear that count (one valid account must not reset it).

Both counts live in ``sign_in_throttle``, keyed by the email address or by ``ip:`` + the
client address (no email address can look like that: it has no ``@``).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Connection, select

from activitylog.accounts._time import span
from activitylog.accounts.schema import sign_in_throttle
from activitylog.errors import Unauthenticated

if TYPE_CHECKING:
    from activitylog.accounts.users import User

MAX_FAILURES = 5
#: Failed sign-ins from one client address (for any accounts) before it is locked out. A
#: busy office behind one NAT address shares it, so it is well above MAX_FAILURES.
MAX_CLIENT_FAILURES = 20
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
CLIENT_PREFIX = "ip:"

Reason = Literal["unknown_user", "wrong_password", "locked", "throttled", "disabled"]


class SignInFailed(Unauthenticated):
    """A sign-in was refused (401). ``reason`` is for the audit log, never for the person
    signing in: tell them only "wrong email or password" unless it is ``locked``.

    ``user`` is the account the email names (None when unknown); ``locked_until`` is set
    when the address is locked (or, for ``throttled``, the client), and ``newly_locked``
    when this very failure locked the email address.
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
    "throttled": "too many failed sign-ins from this client address; try again later",
    "disabled": "this account is disabled",
}


def client_key(host: str | None) -> str | None:
    """The throttle key of a client address: ``ip:`` + the IPv4 address or the IPv6 /64
    network; None when ``host`` is no IP address (a Unix socket, a test client)."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return CLIENT_PREFIX + str(address.ipv4_mapped)
        return CLIENT_PREFIX + str(ipaddress.IPv6Network((address, 64), strict=False))
    return CLIENT_PREFIX + str(address)


def locked_until(conn: Connection, email: str, at: int, *, for_update: bool = False) -> int | None:
    """When ``email``'s (or a :func:`client_key`'s) lock ends (epoch µs), or None when it is
    not locked at ``at``."""
    stmt = select(sign_in_throttle.c.locked_until_us).where(sign_in_throttle.c.email == email)
    until = conn.execute(stmt.with_for_update() if for_update else stmt).scalar()
    return until if until is not None and until > at else None


def record_failure(
    conn: Connection, email: str, at: int, *, limit: int = MAX_FAILURES
) -> tuple[int | None, bool]:
    """Count a failed sign-in at ``at`` (inside a write transaction) for an email address
    (or a :func:`client_key`, with ``limit=MAX_CLIENT_FAILURES``); returns when it is now
    locked until (or None) and whether this failure locked it."""
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
    until = at + span(LOCKOUT) if failures >= limit else None
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
