"""Who is acting, and from where, for everything recorded while a request or a job runs.

The middlewares (:mod:`~activitylog.capture.asgi`, :mod:`~activitylog.capture.wsgi`) open
:func:`request_context` around each request; background jobs open :func:`system_job`, so
their events are done by **System** even when the job was started from a request.

Context is kept in context variables, which follow the code that runs, not the request:

- asyncio tasks (``asyncio.create_task``, task groups) and ``asyncio.to_thread`` copy the
  context when they start: they see the request's actor, even after the request ended.
- Starlette and FastAPI run sync endpoints and dependencies in a thread pool through anyio,
  which copies the context: they see it too.
- A ``threading.Thread`` or a ``concurrent.futures`` executor starts with an *empty*
  context: its events are done by System (with no workspace: pass one, or open
  :func:`system_job`). To keep the request's actor, run the function in a copy:
  ``executor.submit(contextvars.copy_context().run, fn)``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from activitylog.errors import FieldError, ValidationError
from activitylog.events import NAME_MAX, SYSTEM_ACTOR, USER_AGENT_MAX

if TYPE_CHECKING:
    from activitylog.client import ActivityLog

#: The fields a request sets, and a job clears.
REQUEST_FIELDS = ("ip", "user_agent", "request_id", "session_id", "impersonator")


@dataclass(frozen=True)
class Identity:
    """Who makes a request, as an ``identify`` callable returns it: the ``actor``
    (``{id, name, email, role, type}``), the ``workspace`` the request acts in (None when it
    is not known: each ``record()`` then names one), the ``session_id``, and the platform
    admin who is ``impersonator`` while impersonating the actor."""

    actor: Mapping[str, Any] | None
    workspace: str | None
    session_id: str | None = None
    impersonator: Mapping[str, Any] | None = None


def new_request_id() -> str:
    """A fresh request id: ``req_`` and 16 hex digits (64 random bits)."""
    return "req_" + secrets.token_hex(8)


def request_id_from(header: str | None) -> str | None:
    """An incoming request id when it is sane — 1 to 200 printable ASCII characters —
    else None (so the caller generates one). Sane ids are safe to echo in a header."""
    if header is None:
        return None
    value = header.strip()
    if not value or len(value) > NAME_MAX or not all(" " <= c <= "~" for c in value):
        return None
    return value


def user_agent_from(header: str | None) -> str | None:
    """The user agent as the log can store it: control characters dropped, cut to the
    event's 1,000-character limit (a long header must not make every record fail)."""
    if not header:
        return None
    value = "".join(c for c in header if c >= " " and c != "\x7f").strip()
    return value[:USER_AGENT_MAX] or None


@contextmanager
def request_context(
    log: ActivityLog,
    *,
    actor: Mapping[str, Any] | None,
    workspace: str | None,
    ip: str | None,
    user_agent: str | None,
    request_id: str | None,
    session_id: str | None = None,
    impersonator: Mapping[str, Any] | None = None,
) -> Iterator[None]:
    """Fill the context of everything recorded inside (``log.context``); None values are
    left out, so an absent actor means System and an absent workspace must be given to
    ``record()``. Reset when the block ends."""
    fields = {
        "actor": actor,
        "workspace": workspace,
        "ip": ip,
        "user_agent": user_agent,
        "request_id": request_id,
        "session_id": session_id,
        "impersonator": impersonator,
    }
    with log.context(**{name: value for name, value in fields.items() if value is not None}):
        yield


@contextmanager
def system_job(log: ActivityLog, workspace: str, *, name: str | None = None) -> Iterator[None]:
    """Record what runs inside as **System** in ``workspace`` — or as a named system actor
    (``{"id": "system", "name": name, "type": "system"}``, e.g. "Nightly import") — with
    the request fields (IP, user agent, request, session, impersonator) cleared, whatever
    context the job was started from. Also a decorator: ``@system_job(log, "acme")``."""
    if not isinstance(workspace, str) or not workspace:
        raise ValidationError([FieldError("workspace", "must be a non-empty string")])
    actor = dict(SYSTEM_ACTOR) if name is None else {**SYSTEM_ACTOR, "name": name}
    with log.context(actor=actor, workspace=workspace, **dict.fromkeys(REQUEST_FIELDS)):
        yield


__all__ = [
    "REQUEST_FIELDS",
    "Identity",
    "new_request_id",
    "request_context",
    "request_id_from",
    "system_job",
    "user_agent_from",
]
