"""The server's own entries in the log: reading and exporting activity (deleting it is
recorded by the log itself, in the deleting transaction), and signing in and out of the
Activity Log itself.

``activity_log.viewed`` is recorded once per page visit, and for API callers once per
*API session*: the first read of a workspace by a key or person after
:data:`API_SESSION_GAP` without reads.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection

from activitylog.access import is_platform
from activitylog.accounts.workspaces import settings_event
from activitylog.events import NAME_MAX, SYSTEM_ACTOR, fit_name

if TYPE_CHECKING:
    from activitylog.accounts import User
    from activitylog.client import ActivityLog
    from activitylog.web.principal import Principal

#: Where events without a workspace go (failed sign-ins for unknown addresses).
PLATFORM_WORKSPACE = "platform"
API_SESSION_GAP = 30 * 60.0
#: The most of an attempted sign-in address kept (an event's names hold NAME_MAX).
ADDRESS_SHOWN = NAME_MAX
_REMEMBERED = 10_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def shown_address(text: str) -> str:
    """An address typed into the sign-in form, as it may be stored in an event and shown
    again: control characters (NUL among them, which no event may hold) replaced by
    U+FFFD, and cut to :data:`ADDRESS_SHOWN` characters, the last one "…" when cut."""
    clean = _CONTROL.sub("\ufffd", text)
    return clean if len(clean) <= ADDRESS_SHOWN else clean[: ADDRESS_SHOWN - 1] + "…"


class ReadAudit:
    """Records what people do with the log, with the request's IP and user agent."""

    def __init__(self, log: ActivityLog, *, api_session_gap: float = API_SESSION_GAP) -> None:
        self._log = log
        self._gap = api_session_gap
        self._last_read: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def viewed(
        self,
        conn: HTTPConnection,
        principal: Principal,
        workspace: str | None,
        *,
        page_visit: bool,
        filters: Mapping[str, Any],
    ) -> None:
        """A page visit always counts; API reads count once per API session."""
        if not page_visit and not self._new_api_session(principal, workspace):
            return
        self._record(
            conn,
            principal,
            workspace,
            "activity_log.viewed",
            description=f"{principal.name} viewed the activity log",
            details={"filters": dict(filters), "via": "page" if page_visit else "api"},
        )

    def exported(
        self,
        conn: HTTPConnection,
        principal: Principal,
        workspace: str | None,
        *,
        fmt: str,
        filters: Mapping[str, Any],
        rows: int,
    ) -> None:
        self._record(
            conn,
            principal,
            workspace,
            "activity_log.exported",
            description=f"{principal.name} exported {rows:,} entries as {fmt.upper()}",
            details={"format": fmt, "filters": dict(filters), "rows": rows},
        )

    def deletion_fields(self, conn: HTTPConnection, principal: Principal) -> dict[str, Any]:
        """Who deletes, from where: the fields of the deletion record the log writes in
        the deleting transaction (:meth:`ActivityLog.delete`)."""
        platform = is_platform(principal.viewer)
        return {
            **_request_fields(conn),
            "layer": "platform" if platform else "workspace",
            "actor": principal.actor,
        }

    def settings_changed(
        self,
        conn: HTTPConnection,
        principal: Principal,
        workspace: str,
        changes: Mapping[str, Mapping[str, Any]],
    ) -> None:
        """``workspace.settings_updated`` in ``workspace``: who changed which settings,
        each with its value before and after."""
        event = settings_event(workspace, changes)
        self._log.record(
            **_request_fields(conn),
            **event,
            layer="platform" if is_platform(principal.viewer) else "workspace",
            actor=principal.actor,
        )

    def stream_changed(
        self, conn: HTTPConnection, principal: Principal, event: Mapping[str, Any]
    ) -> None:
        """A stream added or removed (``event``: :func:`activitylog.streams.stream_event`),
        as this caller, from this request."""
        self._log.record(
            **_request_fields(conn),
            **event,
            layer="platform" if is_platform(principal.viewer) else "workspace",
            actor=principal.actor,
        )

    def switched_workspace(
        self, conn: HTTPConnection, principal: Principal, entered: Principal
    ) -> None:
        """``workspace.switched`` in the workspace entered (details: ``from``), as the
        person is there (their role in it); re-entering the same one records nothing."""
        origin, target = principal.viewer.workspace, entered.viewer.workspace
        if origin == target or not target:
            return
        self._log.record(
            **_request_fields(conn),
            workspace=target,
            layer="platform" if is_platform(entered.viewer) else "workspace",
            actor=entered.actor,
            action="workspace.switched",
            subject={"type": "workspace", "id": target, "name": target},
            details={"from": origin or None, "to": target},
            description=f"{entered.name} switched to workspace {target}",
        )

    def signed_in(self, conn: HTTPConnection, user: User, workspace: str) -> None:
        self._auth(conn, user, workspace, "auth.signed_in", f"{user.name} signed in")

    def signed_out(self, conn: HTTPConnection, principal: Principal) -> None:
        self._record(
            conn,
            principal,
            principal.viewer.workspace or None,
            "auth.signed_out",
            description=f"{principal.name} signed out",
        )

    def sign_in_failed(
        self, conn: HTTPConnection, email: str, user: User | None, *, locked: bool
    ) -> None:
        """Actor System; the attempted address is in the details (never the password),
        as :func:`shown_address` cleans and cuts it: whatever was typed is recorded."""
        workspace = next(iter(sorted(user.memberships)), None) if user else None
        action = "auth.locked_out" if locked else "auth.sign_in_failed"
        details: dict[str, Any] = {"email": shown_address(email)}
        if len(email) > ADDRESS_SHOWN:
            details["email_length"] = len(email)
        email = details["email"]
        text = (
            f"Sign-in locked for {email} after repeated failures"
            if locked
            else f"Failed sign-in for {email}"
        )
        self._log.record(
            **_request_fields(conn),
            workspace=workspace or PLATFORM_WORKSPACE,
            layer="workspace" if workspace else "platform",
            actor=SYSTEM_ACTOR,
            action=action,
            result="failure",
            subject={"type": "user", "id": user.id, "name": user.name}
            if user
            else {"type": "user", "name": email},
            description=text,
            details=details,
        )

    def _auth(
        self, conn: HTTPConnection, user: User, workspace: str, action: str, text: str
    ) -> None:
        actor = {"id": user.id, "name": user.name, "email": user.email, "type": "user"}
        self._log.record(
            **_request_fields(conn),
            workspace=workspace or PLATFORM_WORKSPACE,
            layer="platform" if user.is_platform_admin else "workspace",
            actor=actor,
            action=action,
            subject={"type": "user", "id": user.id, "name": user.name},
            description=text,
        )

    def _record(
        self,
        conn: HTTPConnection,
        principal: Principal,
        workspace: str | None,
        action: str,
        *,
        description: str,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        platform = is_platform(principal.viewer)
        where = workspace or principal.viewer.workspace or PLATFORM_WORKSPACE
        self._log.record(
            **_request_fields(conn),
            workspace=where,
            layer="platform" if platform else "workspace",
            actor=principal.actor,
            action=action,
            subject={
                "type": "activity_log",
                "id": where,
                "name": fit_name(f"Activity log of {where}"),
            },
            description=description,
            details=dict(details) if details else None,
        )

    def _new_api_session(self, principal: Principal, workspace: str | None) -> bool:
        key = (principal.viewer.user_id, workspace or "")
        now = time.monotonic()
        with self._lock:
            last = self._last_read.pop(key, None)
            self._last_read[key] = now
            while len(self._last_read) > _REMEMBERED:
                self._last_read.popitem(last=False)
        return last is None or now - last > self._gap


def _request_fields(conn: HTTPConnection) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    host = conn.client.host if conn.client else ""
    with suppress(ValueError):  # a test client or a Unix socket: no address to record
        fields["ip"] = ipaddress.ip_address(host).compressed
    agent = conn.headers.get("user-agent")
    if agent:
        fields["user_agent"] = agent[:1000]
    request_id = conn.headers.get("x-request-id")
    if request_id:
        fields["request_id"] = request_id[:200]
    return fields
