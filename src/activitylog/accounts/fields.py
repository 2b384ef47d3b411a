"""What each account field may hold: one function per field, returning the reason a value
is refused (or None), so a caller can name every bad field at once with :func:`check`."""

from __future__ import annotations

import re

from activitylog.errors import FieldError, ValidationError
from activitylog.events import NAME_MAX

#: The roles a workspace membership may have (``platform_admin`` is a user flag instead).
WORKSPACE_ROLES: tuple[str, ...] = ("owner", "admin", "member", "viewer")
EMAIL_MAX = 320
PASSWORD_MIN = 8
PASSWORD_MAX = 1024
USER_ID_MAX = 64

_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f.]+(\.[^@\s\x00-\x1f\x7f.]+)+")
_USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check(*problems: tuple[str, str | None]) -> None:
    """Raise one ValidationError naming every ``(field, reason)`` whose reason is set."""
    errors = [FieldError(field, reason) for field, reason in problems if reason]
    if errors:
        raise ValidationError(errors)


def normalise_email(email: str) -> str:
    """The stored form of an address: stripped and lowercased."""
    return email.strip().lower()


def email_problem(email: object) -> str | None:
    """``email`` (already normalised) must look like ``name@domain.tld``."""
    if not isinstance(email, str):
        return "must be a string"
    if len(email) > EMAIL_MAX:
        return f"must be at most {EMAIL_MAX} characters"
    if not _EMAIL.fullmatch(email):
        return "must be an email address like ava@example.com"
    return None


def password_problem(password: object) -> str | None:
    if not isinstance(password, str):
        return "must be a string"
    if len(password) < PASSWORD_MIN:
        return f"must be at least {PASSWORD_MIN} characters"
    if len(password) > PASSWORD_MAX:
        return f"must be at most {PASSWORD_MAX} characters"
    if "\x00" in password:
        return "contains a NUL byte"
    return None


def text_problem(value: object, *, required: bool = True, limit: int = NAME_MAX) -> str | None:
    """A name, workspace id or label: a string of at most ``limit`` characters without
    control characters, non-blank when ``required``."""
    if not isinstance(value, str):
        return "must be a string"
    if required and not value.strip():
        return "must not be empty"
    if len(value) > limit:
        return f"must be at most {limit} characters"
    if _CONTROL.search(value):
        return "contains a control character"
    return None


def role_problem(role: object) -> str | None:
    if role not in WORKSPACE_ROLES:
        return f"must be one of {', '.join(WORKSPACE_ROLES)}"
    return None


def user_id_problem(user_id: object) -> str | None:
    """Ids are ASCII letters, digits and ``_ . : -`` (never ``@``, so an id is never
    mistaken for an email), starting with a letter or digit."""
    if not isinstance(user_id, str):
        return "must be a string"
    if len(user_id) > USER_ID_MAX:
        return f"must be at most {USER_ID_MAX} characters"
    if not _USER_ID.fullmatch(user_id):
        return "must be letters, digits, '_', '.', ':' or '-', starting with a letter or digit"
    return None


def new_user_problems(
    email: str,
    *,
    name: str | None = None,
    workspace: str | None = None,
    role: str | None = None,
    user_id: str | None = None,
) -> list[tuple[str, str | None]]:
    """``(field, reason or None)`` for every rule a new user must meet except the
    password's (so a command line can refuse bad input before prompting for one)."""
    address = normalise_email(email) if isinstance(email, str) else email
    role_reason = None if role is None else role_problem(role)
    if role is not None and workspace is None:
        role_reason = role_reason or "needs a workspace"
    if role is None and workspace is not None:
        role_reason = "is required with a workspace"
    return [
        ("email", email_problem(address)),
        ("name", None if name is None else text_problem(name, required=False)),
        ("workspace", None if workspace is None else text_problem(workspace)),
        ("role", role_reason),
        ("user_id", None if user_id is None else user_id_problem(user_id)),
    ]


def check_new_user(
    email: str,
    *,
    name: str | None = None,
    workspace: str | None = None,
    role: str | None = None,
    user_id: str | None = None,
) -> None:
    """Raise ValidationError naming each of :func:`new_user_problems`."""
    check(*new_user_problems(email, name=name, workspace=workspace, role=role, user_id=user_id))
