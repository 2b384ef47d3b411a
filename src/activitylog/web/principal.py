"""Who is calling: a signed-in person (session cookie), an embedded viewer (signed viewer
token) or a service (API key), turned into one :class:`Principal` holding the core
:class:`~activitylog.access.Viewer` every read is checked against.

Credentials, in order: ``Authorization: Bearer alk_...`` (API key), ``Authorization:
Bearer <viewer token>``, the session cookie. Only the cookie is sent by browsers on their
own, so only session callers need a CSRF token on state-changing requests.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from starlette.requests import HTTPConnection

from activitylog.access import Viewer, widest_scope
from activitylog.accounts import ApiKey, WebSession
from activitylog.accounts.tokens import read_viewer_token
from activitylog.errors import AccessDenied, Unauthenticated
from activitylog.web.state import AppState, app_state

SESSION_COOKIE = "activitylog_session"
CSRF_HEADER = "X-CSRF-Token"
API_KEY_PREFIX = "alk_"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Kind = Literal["session", "viewer_token", "api_key"]


@dataclass(frozen=True)
class Principal:
    """The caller, with the viewer (user id, role, workspace) the access rules use."""

    viewer: Viewer
    name: str
    kind: Kind
    email: str | None = None
    #: Workspaces a signed-in person may switch to (workspace -> role).
    memberships: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    csrf_token: str | None = None
    key: ApiKey | None = None
    #: The raw session cookie or viewer token (to end a session, to pass on when embedded).
    credential: str = ""

    @property
    def embedded(self) -> bool:
        return self.kind == "viewer_token"

    @property
    def default_scope(self) -> str:
        """Services read the workspace; people start with their own activity."""
        return "workspace" if self.kind == "api_key" else "mine"

    @property
    def widest_scope(self) -> str:
        return widest_scope(self.viewer)

    @property
    def actor(self) -> dict[str, Any]:
        """This caller as the actor of an event the server records about it."""
        if self.key is not None:
            return {"id": self.key.id, "name": self.key.name or "API key", "type": "api"}
        actor = {"id": self.viewer.user_id, "name": self.name, "type": "user"}
        if self.email:
            actor["email"] = self.email
        actor["role"] = self.viewer.role
        return actor


def authenticate(conn: HTTPConnection) -> Principal | None:
    """The caller's principal, or None without credentials; bad credentials raise 401."""
    state = app_state(conn)
    header = conn.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("use 'Authorization: Bearer <API key or viewer token>'")
        return _bearer(state, value.strip())
    cookie = conn.cookies.get(SESSION_COOKIE)
    if cookie:
        session = state.accounts.session(cookie)
        return _from_session(session, cookie) if session else None
    return None


def from_viewer_token(conn: HTTPConnection, token: str) -> Principal:
    """The principal a viewer token names (the ``/embed`` page)."""
    return _viewer(app_state(conn), token)


def require(conn: HTTPConnection) -> Principal:
    principal = authenticate(conn)
    if principal is None:
        raise Unauthenticated("sign in, or send 'Authorization: Bearer <key or token>'")
    return principal


def require_reader(conn: HTTPConnection) -> Principal:
    """A caller that may read: any person or viewer token, or a key with scope ``read``."""
    principal = require(conn)
    if principal.key is not None and principal.key.scope != "read":
        raise AccessDenied("this API key may only send events (scope 'ingest')")
    return principal


def require_ingest(conn: HTTPConnection) -> Principal:
    """A caller that may send events: an API key with scope ``ingest``."""
    principal = require(conn)
    if principal.key is None or principal.key.scope != "ingest":
        raise AccessDenied("sending events needs an API key with scope 'ingest'")
    return principal


def check_csrf(conn: HTTPConnection, principal: Principal, form_token: str | None = None) -> None:
    """Session callers must echo their CSRF token on state-changing requests."""
    if principal.kind != "session" or conn.scope.get("method", "GET") in SAFE_METHODS:
        return
    sent = form_token or conn.headers.get(CSRF_HEADER, "")
    if not principal.csrf_token or not hmac.compare_digest(sent, principal.csrf_token):
        raise AccessDenied("missing or wrong CSRF token; reload the page and try again")


def _bearer(state: AppState, value: str) -> Principal:
    if value.startswith(API_KEY_PREFIX):
        key = state.accounts.key_for_secret(value)
        if key is None:
            raise Unauthenticated("unknown or revoked API key")
        if key.workspace is None:
            viewer = Viewer(user_id=key.id, role="platform_admin")
        else:  # a read key sees its workspace as an admin does
            viewer = Viewer(user_id=key.id, role="admin", workspace=key.workspace)
        return Principal(viewer=viewer, name=key.name or key.id, kind="api_key", key=key)
    return _viewer(state, value)


def _viewer(state: AppState, token: str) -> Principal:
    claims = read_viewer_token(state.secret, token)
    return Principal(
        viewer=claims.viewer,
        name=claims.name or claims.viewer.user_id,
        email=claims.email,
        kind="viewer_token",
        credential=token,
    )


def _from_session(session: WebSession, cookie: str) -> Principal:
    user = session.user
    return Principal(
        viewer=user.viewer(session.workspace or None),
        name=user.name,
        email=user.email,
        kind="session",
        memberships=user.memberships,
        csrf_token=session.csrf_token,
        credential=cookie,
    )
