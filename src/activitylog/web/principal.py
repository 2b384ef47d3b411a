"""Who is calling: a signed-in person (session cookie), an embedded viewer (signed viewer
token) or a service (API key), turned into one :class:`Principal` holding the core
:class:`~activitylog.access.Viewer` every read is checked against.

Credentials, in order: ``Authorization: Bearer alk_...`` (API key), ``Authorization:
Bearer <viewer token>``, then the cookies: the session cookie of a signed-in person, or
the embed cookie ``/embed?token=...`` exchanged its viewer token for. The embedded page
and the requests its script makes (marked with :data:`EMBED_HEADER`) use only the embed
cookie, every other request the session cookie first.

What each may do: viewer tokens (as a header or an embed cookie) only read, whatever role
they name; API keys read or send events as their scope says; only a person's session
changes anything else (deletes, signs out, switches workspace), and only with its CSRF
token, since browsers send cookies on their own.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

from starlette.requests import HTTPConnection

from activitylog.access import Viewer, is_platform, widest_scope
from activitylog.accounts import ApiKey, WebSession
from activitylog.accounts.tokens import read_viewer_token
from activitylog.errors import AccessDenied, Unauthenticated
from activitylog.web.state import AppState, app_state

SESSION_COOKIE = "activitylog_session"
#: Holds the viewer token of an embedded page (set by ``/embed?token=...``).
EMBED_COOKIE = "activitylog_embed"
#: Sent by the embedded page's script, so its requests read as the embed, not a session.
EMBED_HEADER = "X-Activitylog-Embed"
CSRF_HEADER = "X-CSRF-Token"
API_KEY_PREFIX = "alk_"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Kind = Literal["session", "viewer_token", "api_key"]
READ_ONLY = "viewer tokens are read-only, whatever role they name"


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
    #: The raw session cookie or viewer token (to end a session).
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
    """The caller's principal, or None without credentials (or with a session or embed
    cookie that has ended); a bad ``Authorization`` header raises 401."""
    state = app_state(conn)
    header = conn.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("use 'Authorization: Bearer <API key or viewer token>'")
        return _bearer(state, value.strip())
    if is_embedded(conn):
        return from_embed_cookie(conn)
    cookie = conn.cookies.get(SESSION_COOKIE)
    if cookie:
        session = state.accounts.session(cookie)
        if session is not None:
            return _from_session(state, session, cookie)
    return from_embed_cookie(conn)


def is_embedded(conn: HTTPConnection) -> bool:
    """The embedded page, or a request its script made."""
    return conn.url.path == "/embed" or EMBED_HEADER.lower() in conn.headers


def from_embed_cookie(conn: HTTPConnection) -> Principal | None:
    """The viewer the embed cookie's token names; None without one, or once it expired."""
    token = conn.cookies.get(EMBED_COOKIE)
    if not token:
        return None
    try:
        return _viewer(app_state(conn), token)
    except Unauthenticated:
        return None


def require(conn: HTTPConnection) -> Principal:
    """Any caller with credentials. Viewer tokens only read: they are refused (403) on
    every request that would change something."""
    principal = authenticate(conn)
    if principal is None:
        raise Unauthenticated("sign in, or send 'Authorization: Bearer <key or token>'")
    if principal.kind == "viewer_token" and conn.scope.get("method", "GET") not in SAFE_METHODS:
        raise AccessDenied(READ_ONLY)
    return principal


def require_session(conn: HTTPConnection, doing: str, form_token: str | None = None) -> Principal:
    """A signed-in person (session cookie) who sent the session's CSRF token, to do
    ``doing`` ("delete activity"); API keys and viewer tokens get 403 saying why."""
    principal = authenticate(conn)
    if principal is None:
        raise Unauthenticated(f"sign in to {doing}")
    if principal.kind == "api_key":
        raise AccessDenied(f"API keys may not {doing}; a person signs in to do that")
    if principal.kind == "viewer_token":
        raise AccessDenied(f"{READ_ONLY}: they may not {doing}; a person signs in to do that")
    check_csrf(conn, principal, form_token)
    return principal


def require_reader(conn: HTTPConnection) -> Principal:
    """A caller that may read: any person or viewer token, or a key with scope ``read``."""
    principal = require(conn)
    if principal.key is not None and principal.key.scope != "read":
        raise AccessDenied("this API key may only send events (scope 'ingest')")
    return principal


def require_ingest(conn: HTTPConnection) -> Principal:
    """A caller that may send events: an API key with scope ``ingest``."""
    principal = require(conn)  # refuses viewer tokens, whatever role they name
    if principal.key is None or principal.key.scope != "ingest":
        raise AccessDenied("sending events needs an API key with scope 'ingest'")
    return principal


def check_csrf(conn: HTTPConnection, principal: Principal, form_token: str | None = None) -> None:
    """Session callers must echo their CSRF token on state-changing requests."""
    if principal.kind != "session" or conn.scope.get("method", "GET") in SAFE_METHODS:
        return
    sent = (form_token or conn.headers.get(CSRF_HEADER, "")).encode()  # any text compares
    if not principal.csrf_token or not hmac.compare_digest(sent, principal.csrf_token.encode()):
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
        viewer=_with_log_access(state, claims.viewer),
        name=claims.name or claims.viewer.user_id,
        email=claims.email,
        kind="viewer_token",
        credential=token,
    )


def _from_session(state: AppState, session: WebSession, cookie: str) -> Principal:
    user = session.user
    return Principal(
        viewer=_with_log_access(state, user.viewer(session.workspace or None)),
        name=user.name,
        email=user.email,
        kind="session",
        memberships=user.memberships,
        csrf_token=session.csrf_token,
        credential=cookie,
    )


def _with_log_access(state: AppState, viewer: Viewer) -> Viewer:
    """``viewer`` with its workspace's ``log_access`` setting, which the access rules read."""
    if is_platform(viewer) or not viewer.workspace:
        return viewer
    settings = state.accounts.workspace_settings(viewer.workspace)
    return replace(viewer, log_access=settings.log_access)
