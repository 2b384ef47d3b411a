"""Viewer tokens: short-lived, signed statements "this user may read this workspace with
this role", for embedding the Activity Log in another application's pages.

A token is a JWT signed with HS256 by the server secret (:mod:`activitylog.accounts.secret`)::

    {"iss": "activitylog", "aud": "activitylog:viewer", "sub": "<user id>",
     "ws": "<workspace>", "role": "owner|admin|member|viewer",
     "iat": <seconds>, "exp": <seconds>, "name": "...", "email": "..."}

It lives at most :data:`MAX_TTL` (``exp - iat``; longer ones are refused even when signed
correctly) and cannot carry ``platform_admin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from activitylog.access import Viewer
from activitylog.accounts.fields import check, role_problem, text_problem
from activitylog.errors import Unauthenticated

ISSUER = "activitylog"
AUDIENCE = "activitylog:viewer"
ALGORITHM = "HS256"
DEFAULT_TTL = timedelta(minutes=15)
MAX_TTL = timedelta(hours=1)
#: How far a token's ``iat`` may lie in the future (clocks of minting apps drift).
CLOCK_SKEW = timedelta(seconds=30)
_REQUIRED = ("iss", "aud", "sub", "ws", "role", "iat", "exp")


@dataclass(frozen=True)
class ViewerClaims:
    """What a valid token says: who reads (as a Viewer), their name and email for
    display, and when the token stops working."""

    viewer: Viewer
    name: str | None
    email: str | None
    expires_at: datetime


def mint_viewer_token(
    secret: bytes,
    *,
    workspace: str,
    user_id: str,
    role: str,
    ttl: timedelta = DEFAULT_TTL,
    name: str | None = None,
    email: str | None = None,
    now: datetime | None = None,
) -> str:
    """A token letting ``user_id`` read ``workspace`` as ``role`` for ``ttl`` (at most an
    hour). ValidationError names each bad argument."""
    check(
        ("workspace", text_problem(workspace)),
        ("user_id", text_problem(user_id)),
        ("role", role_problem(role)),
        ("ttl", _ttl_problem(ttl)),
        ("name", None if name is None else text_problem(name, required=False)),
        ("email", None if email is None else text_problem(email, required=False, limit=320)),
    )
    issued = int(_now(now).timestamp())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user_id,
        "ws": workspace,
        "role": role,
        "iat": issued,
        "exp": issued + int(ttl.total_seconds()),
    }
    if name is not None:
        claims["name"] = name
    if email is not None:
        claims["email"] = email
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_viewer_token(secret: bytes, token: str, *, now: datetime | None = None) -> ViewerClaims:
    """The claims of a token this server minted and that has not expired; otherwise
    Unauthenticated ("viewer token expired" or "invalid viewer token")."""
    invalid = Unauthenticated("invalid viewer token")
    if not isinstance(token, str) or len(token) > 4096:
        raise invalid
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            # Times are checked below, against ``now`` (PyJWT would use the clock).
            options={"require": list(_REQUIRED), "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        raise invalid from None
    at = int(_now(now).timestamp())
    issued, expires = claims["iat"], claims["exp"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (issued, expires)):
        raise invalid
    if expires - issued > MAX_TTL.total_seconds() or issued > at + CLOCK_SKEW.total_seconds():
        raise invalid
    if at >= expires:
        raise Unauthenticated("viewer token expired")
    user_id, workspace, role = claims["sub"], claims["ws"], claims["role"]
    name, email = claims.get("name"), claims.get("email")
    if text_problem(user_id) or text_problem(workspace) or role_problem(role):
        raise invalid
    if not all(value is None or isinstance(value, str) for value in (name, email)):
        raise invalid
    return ViewerClaims(
        viewer=Viewer(user_id, role, workspace),
        name=name,
        email=email,
        expires_at=datetime.fromtimestamp(expires, UTC),
    )


def _ttl_problem(ttl: object) -> str | None:
    if not isinstance(ttl, timedelta):
        return "must be a duration"
    if ttl <= timedelta(0):
        return "must be positive"
    if ttl > MAX_TTL:
        return "must be at most 1 hour"
    return None


def _now(now: datetime | None) -> datetime:
    """``now``, the clock when None; a naive datetime is read as UTC."""
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)
