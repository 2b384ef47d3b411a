"""People who sign in: :class:`User`, and reading users with their memberships."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, select

from activitylog.access import Viewer
from activitylog.accounts.fields import EMAIL_MAX, normalise_email
from activitylog.accounts.schema import memberships, users
from activitylog.errors import AccessDenied, NotFound
from activitylog.store.base import chunks


@dataclass(frozen=True)
class User:
    """A user and its workspace roles (``memberships``: workspace -> role).

    ``is_platform_admin`` users may read every workspace, member or not.
    """

    id: str
    email: str
    name: str
    is_platform_admin: bool
    memberships: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    disabled: bool = False

    def viewer(self, workspace: str | None) -> Viewer:
        """This user reading ``workspace``: a platform admin anywhere (``""`` = no workspace
        chosen), anyone else with their membership's role; AccessDenied if not a member."""
        if self.is_platform_admin:
            return Viewer(self.id, "platform_admin", workspace or "")
        role = self.memberships.get(workspace or "")
        if workspace is None or role is None:
            raise AccessDenied(f"{self.email} is not a member of workspace {workspace or ''!r}")
        return Viewer(self.id, role, workspace)  # type: ignore[arg-type]  # Viewer checks

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "is_platform_admin": self.is_platform_admin,
            "memberships": dict(sorted(self.memberships.items())),
            "disabled": self.disabled,
        }


def lookup_condition(email_or_id: str) -> ColumnElement[bool] | None:
    """The row an email (with ``@``) or user id names; None when it cannot name one
    (so no database is asked about text it cannot store)."""
    if not isinstance(email_or_id, str) or "\x00" in email_or_id:
        return None
    if "@" in email_or_id:
        email = normalise_email(email_or_id)
        return users.c.email == email if len(email) <= EMAIL_MAX else None
    return users.c.id == email_or_id if 0 < len(email_or_id) <= 64 else None


def user_row(conn: Connection, email_or_id: str) -> Row[Any] | None:
    """The ``users`` row (every column) an email or id names."""
    condition = lookup_condition(email_or_id)
    if condition is None:
        return None
    return conn.execute(select(users).where(condition)).first()


def load_users(conn: Connection, rows: Iterable[Row[Any]]) -> list[User]:
    """Users for ``users`` rows, memberships included, in the rows' order."""
    rows = list(rows)
    roles: dict[str, dict[str, str]] = {row.id: {} for row in rows}
    for ids in chunks(list(roles)):
        found = conn.execute(
            select(memberships.c.user_id, memberships.c.workspace, memberships.c.role).where(
                memberships.c.user_id.in_(ids)
            )
        )
        for user_id, workspace, role in found:
            roles[user_id][workspace] = role
    return [
        User(
            id=row.id,
            email=row.email,
            name=row.name,
            is_platform_admin=bool(row.is_platform_admin),
            memberships=MappingProxyType(dict(sorted(roles[row.id].items()))),
            disabled=row.disabled_us is not None,
        )
        for row in rows
    ]


def load_user(conn: Connection, email_or_id: str) -> User | None:
    row = user_row(conn, email_or_id)
    return None if row is None else load_users(conn, [row])[0]


def existing_id(conn: Connection, email_or_id: str) -> str:
    """The id of the user ``email_or_id`` names (NotFound if none)."""
    condition = lookup_condition(email_or_id)
    uid = None if condition is None else conn.execute(select(users.c.id).where(condition)).scalar()
    if uid is None:
        raise NotFound(f"no user {email_or_id!r}")
    return str(uid)


def reload_user(conn: Connection, uid: str) -> User:
    user = load_user(conn, uid)
    if user is None:
        raise NotFound(f"no user {uid!r}")
    return user
