"""Django's own sign-in signals, recorded with the shapes of :mod:`activitylog.capture.auth`:

- ``user_logged_in`` -> ``auth.signed_in`` by the user; details ``{"method"}`` from the
  backend that authenticated them (``password`` for Django's ``ModelBackend``), session id
  of the session the sign-in starts (hashed, see :func:`session_id_of`).
- ``user_logged_out`` -> ``auth.signed_out`` by the user (nothing for an anonymous one).
- ``user_login_failed`` -> ``auth.sign_in_failed`` by **System**, result failure, the
  attempted username or address in details ``{"email"}``. Django hands the receivers the
  credentials with every sensitive-looking value (``password``, ``token``, ``key`` …)
  already replaced by stars; only the user model's ``USERNAME_FIELD`` (or ``username`` /
  ``email``) is read from them, never anything else.

They are recorded at once, not on commit: a sign-in attempt happened whatever becomes of
the transaction around it. The workspace is the ``WORKSPACE`` resolver's for the request
(after ``login()`` the request's user is the one who signed in), else the context's, else
``DEFAULT_WORKSPACE``; with none, nothing can be recorded and an error is logged.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from activitylog.capture import auth as auth_events
from activitylog.contrib.django.recording import current_context, get_log
from activitylog.contrib.django.settings import config
from activitylog.events import NAME_MAX

logger = logging.getLogger("activitylog.contrib.django")

_METHODS = {
    "ModelBackend": "password",
    "AllowAllUsersModelBackend": "password",
    "RemoteUserBackend": "remote_user",
    "AllowAllUsersRemoteUserBackend": "remote_user",
}


def connect() -> None:
    from django.contrib.auth import signals

    signals.user_logged_in.connect(signed_in, dispatch_uid="activitylog:signed_in")
    signals.user_logged_out.connect(signed_out, dispatch_uid="activitylog:signed_out")
    signals.user_login_failed.connect(sign_in_failed, dispatch_uid="activitylog:failed")


def disconnect() -> None:
    from django.contrib.auth import signals

    signals.user_logged_in.disconnect(dispatch_uid="activitylog:signed_in")
    signals.user_logged_out.disconnect(dispatch_uid="activitylog:signed_out")
    signals.user_login_failed.disconnect(dispatch_uid="activitylog:failed")


def actor_of(user: Any) -> dict[str, Any] | None:
    """``{id, name, email, type}`` of a signed-in Django user; None for anonymous or none.
    The name is ``get_full_name()``, else the username."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    full_name = getattr(user, "get_full_name", None)
    name = (full_name() if callable(full_name) else "") or user.get_username() or str(user.pk)
    email_field = getattr(user, "get_email_field_name", lambda: "email")()
    email = getattr(user, email_field, None)
    actor = {"id": str(user.pk), "name": str(name).strip()[:NAME_MAX], "type": "user"}
    if isinstance(email, str) and email:
        actor["email"] = email[:NAME_MAX]
    return actor


def session_id_of(request: Any) -> str | None:
    """The request's session as the log names it: the first 32 hex digits of the SHA-256
    of the session key (the key itself would let a reader of the log take the session)."""
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    return hashlib.sha256(key.encode()).hexdigest()[:32] if isinstance(key, str) else None


def signed_in(sender: Any, request: Any = None, user: Any = None, **_: Any) -> None:
    person = actor_of(user)
    if person is not None:
        backend = str(getattr(user, "backend", "") or "").rsplit(".", 1)[-1]
        _record(
            "auth.signed_in",
            request,
            lambda log, workspace: auth_events.signed_in(
                log,
                person,
                workspace=workspace,
                method=_METHODS.get(backend, backend.lower() or "password")[:NAME_MAX],
                session_id=session_id_of(request),
            ),
        )


def signed_out(sender: Any, request: Any = None, user: Any = None, **_: Any) -> None:
    person = actor_of(user)
    if person is not None:
        _record(
            "auth.signed_out",
            request,
            lambda log, workspace: auth_events.signed_out(log, person, workspace=workspace),
        )


def sign_in_failed(sender: Any, credentials: Any = None, request: Any = None, **_: Any) -> None:
    attempted = _attempted(credentials or {})
    _record(
        "auth.sign_in_failed",
        request,
        lambda log, workspace: auth_events.sign_in_failed(
            log, email=attempted, workspace=workspace
        ),
    )


def _attempted(credentials: Any) -> str:
    from django.contrib.auth import get_user_model

    field = get_user_model().USERNAME_FIELD
    for key in (field, "username", "email"):
        value = credentials.get(key)
        if isinstance(value, str):
            return value
    return ""


def _record(action: str, request: Any, record: Callable[[Any, str], Any]) -> None:
    workspace = workspace_of(request)
    if workspace is None:
        logger.error(
            "activitylog: %s not recorded: no workspace (set ACTIVITYLOG['WORKSPACE'] or "
            "['DEFAULT_WORKSPACE'])",
            action,
        )
        return
    try:
        record(get_log(), workspace)
    except Exception:
        logger.exception("activitylog: %s not recorded", action)


def workspace_of(request: Any) -> str | None:
    """The request's workspace by the ``WORKSPACE`` resolver, else the context's, else
    ``DEFAULT_WORKSPACE``."""
    cfg = config()
    if request is not None and cfg.workspace is not None:
        try:
            value = cfg.workspace(request)
        except Exception:
            logger.exception("activitylog: the WORKSPACE resolver failed")
            value = None
        if value is not None:
            return str(value)
    found: str | None = current_context()["workspace"] or cfg.default_workspace
    return found
