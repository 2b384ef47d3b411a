"""Everything the helpdesk does for its audit trail, in one place.

Three capture APIs, no hand-written ``log.record`` anywhere in the app:

- :class:`~activitylog.capture.asgi.ActivityLogMiddleware` with :func:`identify`: every
  event recorded during a request gets the signed-in person (or, while a platform admin
  impersonates them, the person *and* the admin), the workspace, the session, the client
  IP behind the trusted proxies, the user agent and a request id.
- :func:`~activitylog.capture.sqlalchemy.track` on the models: creates, updates and
  deletes become events with snapshots and before/after values, written in the same
  transaction as the change (the app and the log share one database); updates that are
  the inbox's and broadcasts' verbs are named as such (:data:`ACTIONS`).
- :mod:`activitylog.capture.auth` in the sign-in, sign-out, impersonation and role-change
  endpoints (:mod:`~activitylog.demo.helpdesk.routes.sessions`, ``routes.teams``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from activitylog.capture.context import Identity
from activitylog.capture.sqlalchemy import Tracker, track
from activitylog.capture.sqlalchemy_models import snake_case
from activitylog.client import ActivityLog
from activitylog.demo.helpdesk.auth import COOKIE, principal_for
from activitylog.demo.helpdesk.models import (
    Broadcast,
    Contact,
    Conversation,
    Membership,
    Note,
    Team,
    Webhook,
    WorkspaceSettings,
)

#: The models whose changes are recorded. Users, workspaces and sessions are not: people
#: and workspaces span the platform (no one workspace's log), and sessions are recorded
#: as sign-ins and sign-outs by the auth helpers. Messages are not either: what the
#: customer wrote is not the log's to keep, and an agent's reply is recorded as
#: ``conversation.replied`` (the conversation's ``last_replied_at`` moves).
TRACKED: tuple[type, ...] = (
    Contact,
    Conversation,
    Note,
    Team,
    Membership,
    Broadcast,
    Webhook,
    WorkspaceSettings,
)

#: Subject types (and action prefixes) that differ from the class name: the catalog files
#: ``member.*`` under users and ``settings.*`` under settings.
TYPES: dict[type, str] = {Membership: "member", WorkspaceSettings: "settings"}

#: Left out of every event: the workspace is the event's own, ``updated_at`` moves with
#: every change (it would add a line to each diff), and messages and notes are recorded as
#: themselves rather than as changes of their conversation's lists. Memberships leave out
#: ``role`` because role changes are recorded by ``auth.role_changed`` (with who changed
#: it); recording the column too would log each change twice.
EXCLUDE: dict[type, list[str]] = {
    Contact: ["workspace_id", "updated_at", "conversations"],
    Conversation: ["workspace_id", "updated_at", "messages", "notes"],
    Note: ["workspace_id", "updated_at"],
    Team: ["workspace_id"],
    Membership: ["workspace_id", "role"],
    Broadcast: ["workspace_id"],
    Webhook: ["workspace_id"],
    WorkspaceSettings: ["updated_at"],
}

#: Updates named for what they do (``conversation.assigned``, ``broadcast.sent``) rather
#: than ``*.updated``: the first rule whose field changed (to that value) names the verb.
#: Editing a draft broadcast, or a conversation's subject, stays ``*.updated``.
_STATUS_VERBS = {"resolved": "resolved", "open": "reopened", "snoozed": "snoozed"}


def conversation_verb(_conversation: Conversation, changes: dict[str, Any]) -> str | None:
    """``replied``, ``assigned`` / ``unassigned`` (to nobody, also when the assignee
    leaves the team), or the status it moved to; None: ``conversation.updated``."""
    if "last_replied_at" in changes:
        return "replied"
    if "assignee_id" in changes:
        return "assigned" if changes["assignee_id"]["after"] is not None else "unassigned"
    status = changes.get("status")
    return _STATUS_VERBS.get(status["after"]) if status else None


ACTIONS: dict[type, Any] = {
    Conversation: conversation_verb,
    Broadcast: {"status": {"scheduled": "scheduled", "sent": "sent"}},
}

#: Shown as ``********``. (Names with secret or token in them are masked by default, so
#: the settings' ``inbound_token`` is too; naming the webhook secret says so.)
MASK: dict[type, list[str]] = {Webhook: ["secret"]}

_NAMES: dict[type, Callable[[Any], object]] = {
    Conversation: lambda c: f"#{c.id} {c.subject}",
    Note: lambda n: f"Note on #{n.conversation_id}",
    Membership: lambda m: m.user.name,
    Webhook: lambda w: w.url,
    WorkspaceSettings: lambda s: f"{s.name} settings",
}
_URLS: dict[type, Callable[[Any], object]] = {
    Contact: lambda c: f"/contacts/{c.id}",
    Conversation: lambda c: f"/conversations/{c.id}",
    Note: lambda n: f"/conversations/{n.conversation_id}",
    Team: lambda t: f"/teams/{t.id}",
    Broadcast: lambda b: f"/broadcasts/{b.id}",
    Webhook: lambda w: f"/webhooks/{w.id}",
    WorkspaceSettings: lambda _s: "/settings",
}
#: Column names the capture looks for first when a model has no entry in ``_NAMES``.
_NAME_COLUMNS = ("name", "title")


def type_name(cls: type) -> str:
    return TYPES.get(cls) or snake_case(cls)


def subject_name(record: Any) -> object:
    named = _NAMES.get(type(record))
    if named is not None:
        return named(record)
    return next((getattr(record, c) for c in _NAME_COLUMNS if hasattr(record, c)), None)


def subject_url(record: Any) -> object:
    url = _URLS.get(type(record))
    return url(record) if url is not None else None


def start_tracking(log: ActivityLog, sessions: sessionmaker[Session]) -> Tracker:
    """Record changes to :data:`TRACKED` made through ``sessions``; ``stop()`` it on
    shutdown. Each model names its workspace in ``workspace_id``."""
    return track(
        log,
        *TRACKED,
        session=sessions,
        workspace="workspace_id",
        exclude=EXCLUDE,
        mask=MASK,
        actions=ACTIONS,
        type_name=type_name,
        subject_name=subject_name,
        subject_url=subject_url,
    )


def identifier(sessions: sessionmaker[Session]) -> Callable[[Request], Identity | None]:
    """The middleware's ``identify``: the app's own session cookie -> who is acting.
    A plain function (the middleware runs it in the thread pool: it reads the database)."""

    def identify(request: Request) -> Identity | None:
        with sessions() as db:
            principal = principal_for(db, request.cookies.get(COOKIE))
            if principal is None:
                return None
            return Identity(
                actor=principal.actor,
                workspace=principal.workspace,
                session_id=principal.session.id,
                impersonator=principal.impersonator,
            )

    return identify
