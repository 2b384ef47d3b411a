"""A workspace's settings: what each may hold, its default, and where they are kept.

| setting      | holds                                                      | default  |
|--------------|------------------------------------------------------------|----------|
| ``log_access`` | who may open the log: ``admins`` (owners and admins) or  | ``admins`` |
|              | ``own`` (everyone their own activity, admins everyone's)   |          |
| ``link_base``  | an absolute ``http(s)`` URL that relative subject and    | none     |
|              | related-record ``url``\\s resolve against, or none         |          |
| ``retention_days`` | days entries are kept, ``"forever"``, or none: the   | none     |
|              | platform's ``retention_days`` setting applies              |          |
| ``legal_hold`` | why purging is suspended (a legal hold), or none         | none     |
| ``require_archive`` | purge only what was archived first (no archive   | false    |
|              | location set: nothing is purged)                           |          |
| ``export_schedule`` | ``off``, or ``daily``, ``weekly``, ``monthly``: each | ``off``  |
|              | closed period's export is written to the archive location  |          |
| ``export_format`` | the scheduled exports' format: ``csv``, ``json``, ``pdf`` | ``csv`` |

Each setting is one row of ``workspace_settings`` (its value as JSON), so a later setting
(retention, legal hold) is a new entry in :data:`SETTINGS` and a field of
:class:`WorkspaceSettings`, not a migration. A change is one transaction and returns what
changed as ``{name: {"before", "after"}}``, which the caller records in the log
(:func:`settings_event`) once it committed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import orjson
from sqlalchemy import select

from activitylog.access import DEFAULT_LOG_ACCESS, LOG_ACCESS, LogAccess
from activitylog.accounts._time import micros, moment
from activitylog.accounts.database import AccountsDatabase
from activitylog.accounts.fields import check, text_problem
from activitylog.accounts.schema import workspace_settings
from activitylog.errors import FieldError, ValidationError
from activitylog.schedules import export_format_problem, schedule_problem

LINK_BASE_MAX = 500
HOLD_REASON_MAX = 500
#: The most days a retention may name (100 years).
RETENTION_DAYS_MAX = 36_500
#: The action recorded in a workspace when its settings change (with ``changes``).
SETTINGS_UPDATED = "workspace.settings_updated"


@dataclass(frozen=True)
class WorkspaceSettings:
    """Every setting of one workspace, defaults filled in."""

    workspace: str
    log_access: LogAccess = DEFAULT_LOG_ACCESS
    link_base: str | None = None
    retention_days: int | Literal["forever"] | None = None
    legal_hold: str | None = None
    require_archive: bool = False
    export_schedule: str = "off"
    export_format: str = "csv"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def log_access_problem(value: object) -> str | None:
    if value not in LOG_ACCESS:
        return f"must be one of {', '.join(LOG_ACCESS)}"
    return None


def link_base_problem(value: object) -> str | None:
    """None (no links), or an absolute http(s) URL without credentials or a fragment."""
    if value is None:
        return None
    if not isinstance(value, str):
        return "must be a URL string or null"
    if len(value) > LINK_BASE_MAX:
        return f"must be at most {LINK_BASE_MAX} characters"
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  # raises ValueError for a port out of range
    except ValueError:
        return f"is not a valid URL ({value!r})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http or https URL, like https://app.example.com/"
    if parts.username is not None or parts.password is not None:
        return "must not hold a user name or password"
    if parts.fragment:
        return "must not have a #fragment"
    return None


def retention_days_problem(value: object) -> str | None:
    """A whole number of days (1 to 100 years), "forever", or None (the platform's)."""
    if value is None or value == "forever":
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        return 'must be a number of days, "forever", or null (the platform default)'
    if not 1 <= value <= RETENTION_DAYS_MAX:
        return f"must be between 1 and {RETENTION_DAYS_MAX} days"
    return None


def legal_hold_problem(value: object) -> str | None:
    """None (no hold), or the hold's reason: one line of text."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        return "must be the reason for the hold, or null to release it"
    if len(value) > HOLD_REASON_MAX:
        return f"must be at most {HOLD_REASON_MAX} characters"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "must be one line without control characters"
    return None


def _link_base(value: Any) -> Any:
    """A blank URL removes the setting, like null."""
    return (value.strip() or None) if isinstance(value, str) else value


#: Each setting: (why a value is refused or None, the value stored for an accepted one).
SETTINGS: Mapping[str, tuple[Callable[[object], str | None], Callable[[Any], Any]]] = {
    "log_access": (log_access_problem, str),
    "link_base": (lambda v: link_base_problem(_link_base(v)), _link_base),
    "retention_days": (retention_days_problem, lambda v: v),
    "legal_hold": (legal_hold_problem, lambda v: v.strip() if isinstance(v, str) else v),
    "require_archive": (
        lambda v: None if isinstance(v, bool) else "must be true or false",
        bool,
    ),
    "export_schedule": (schedule_problem, str),
    "export_format": (export_format_problem, str),
}


def parse_changes(payload: object) -> dict[str, Any]:
    """The settings a change asks for (a JSON object of some settings), every bad or
    unknown name refused at once, naming it."""
    if not isinstance(payload, dict) or not payload:
        raise ValidationError(
            [FieldError("body", f"must be an object with some of {', '.join(SETTINGS)}")]
        )
    errors = []
    changes: dict[str, Any] = {}
    for name, value in payload.items():
        rule = SETTINGS.get(name)
        if rule is None:
            errors.append(
                FieldError(str(name), f"is not a workspace setting ({', '.join(SETTINGS)})")
            )
            continue
        problem, stored = rule
        reason = problem(value)
        if reason:
            errors.append(FieldError(name, reason))
        else:
            changes[name] = stored(value)
    if errors:
        raise ValidationError(errors)
    return changes


def settings_event(workspace: str, changes: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The fields of the entry recording a change of ``workspace``'s settings (the caller
    adds actor, layer and request fields): ``changes`` as ``{name: {before, after}}``."""
    names = ", ".join(changes)
    return {
        "workspace": workspace,
        "action": SETTINGS_UPDATED,
        "subject": {"type": "workspace", "id": workspace, "name": workspace},
        "changes": {name: dict(change) for name, change in changes.items()},
        "description": f"Changed the settings of workspace {workspace}: {names}",
    }


class WorkspaceSettingsStore(AccountsDatabase):
    """Reading and changing workspace settings (a part of :class:`Accounts`)."""

    def workspace_settings(self, workspace: str) -> WorkspaceSettings:
        """``workspace``'s settings; a setting never changed has its default."""
        check(("workspace", text_problem(workspace)))
        stmt = select(workspace_settings.c.name, workspace_settings.c.value).where(
            workspace_settings.c.workspace == workspace
        )
        with self._read() as conn:
            rows = conn.execute(stmt).all()
        return _settings(workspace, {name: orjson.loads(value) for name, value in rows})

    def setting_everywhere(self, name: str) -> dict[str, tuple[Any, datetime]]:
        """``{workspace: (value, when it was last changed)}`` of every workspace that
        changed the setting ``name`` at least once (the others have its default)."""
        table = workspace_settings
        stmt = select(table.c.workspace, table.c.value, table.c.updated_us).where(
            table.c.name == name
        )
        with self._read() as conn:
            rows = conn.execute(stmt).all()
        return {ws: (orjson.loads(value), moment(us)) for ws, value, us in rows}

    def change_workspace_settings(
        self,
        workspace: str,
        changes: Mapping[str, Any],
        *,
        by: str,
        now: datetime | None = None,
    ) -> tuple[WorkspaceSettings, dict[str, dict[str, Any]]]:
        """Apply ``changes`` (as :func:`parse_changes` returns them) in one transaction:
        the settings after, and what changed (``{name: {"before", "after"}}``; a value set
        to what it already was is not a change)."""
        check(("workspace", text_problem(workspace)))
        requested = parse_changes(dict(changes))
        table = workspace_settings
        with self._write() as conn:
            stmt = select(table.c.name, table.c.value).where(table.c.workspace == workspace)
            stored = {name: orjson.loads(value) for name, value in conn.execute(stmt)}
            before = _settings(workspace, stored)
            changed = {
                name: {"before": getattr(before, name), "after": value}
                for name, value in requested.items()
                if getattr(before, name) != value
            }
            for name, change in changed.items():
                key = (table.c.workspace == workspace, table.c.name == name)
                conn.execute(table.delete().where(*key))
                conn.execute(
                    table.insert().values(
                        workspace=workspace,
                        name=name,
                        value=orjson.dumps(change["after"]).decode(),
                        updated_us=micros(now),
                        updated_by=by,
                    )
                )
        after = replace(before, **{name: change["after"] for name, change in changed.items()})
        return after, changed


def _settings(workspace: str, stored: Mapping[str, Any]) -> WorkspaceSettings:
    known = {f.name for f in fields(WorkspaceSettings)} - {"workspace"}
    return WorkspaceSettings(workspace, **{k: v for k, v in stored.items() if k in known})
