"""Filter and viewer flags shared by ``query``, ``stats`` and ``export``, and the
:class:`~activitylog.selection.Selection` they describe.

Values are checked by the library (one place for every rule), so a bad ``--range``,
``--result`` or ``--tz`` fails as ``error: range: must be one of ...`` with exit code 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import click

from activitylog.access import OPERATOR, Viewer, is_platform, spans_workspaces
from activitylog.cli.app import open_log
from activitylog.errors import FieldError, ValidationError
from activitylog.selection import Selection

F = TypeVar("F", bound=Callable[..., Any])

_FILTERS = (
    click.option("--workspace", help="Workspace id (operator: omit for every workspace)."),
    click.option(
        "--range",
        "range_",
        metavar="PRESET",
        help="today, yesterday, this_week, last_7_days, last_24_hours, last_30_days, "
        "this_month, last_month, last_90_days.",
    ),
    click.option(
        "--since", metavar="DATE|DATETIME", help="Start (ISO 8601; a date = its midnight)."
    ),
    click.option(
        "--until", metavar="DATE|DATETIME", help="End, exclusive (a date = the whole day)."
    ),
    click.option(
        "--tz", default="UTC", show_default=True, help="IANA time zone for days and display."
    ),
    click.option("--user", "users", multiple=True, metavar="ID", help="Actor id (repeatable)."),
    click.option("--category", "categories", multiple=True, help="Category (repeatable)."),
    click.option(
        "--event",
        "events",
        multiple=True,
        help="Action if dotted (contact.updated), else verb (updated); repeatable.",
    ),
    click.option(
        "--result", "results", multiple=True, help="success, warning or failure (repeatable)."
    ),
    click.option(
        "--role",
        "roles",
        multiple=True,
        help="The actor's role at the time: owner, admin, member, viewer or platform_admin "
        "(repeatable).",
    ),
    click.option("--layer", help="workspace or platform."),
    click.option("--subject-type", help="Subject type, e.g. contact."),
    click.option("--subject-id", help="Subject id."),
    click.option("--ip", help="IP address."),
    click.option(
        "--country",
        "countries",
        multiple=True,
        metavar="CC",
        help="Country of the IP, ISO 3166-1 alpha-2 such as DE (repeatable).",
    ),
    click.option("--search", help="Free text (label, description, subject, actor, IP)."),
    click.option(
        "--id", "ids", multiple=True, metavar="ID", help="Event id, any case (repeatable)."
    ),
)

_VIEWER = (
    click.option(
        "--as-user", metavar="ID", help="Read as this user (with --as-role, --workspace)."
    ),
    click.option(
        "--as-role",
        metavar="ROLE",
        help="owner, admin, member, viewer or platform_admin (default: the operator).",
    ),
    click.option(
        "--scope",
        default="workspace",
        show_default=True,
        help="workspace (everyone's activity) or mine (the viewer's own).",
    ),
)

#: The keyword names the flags above hand to a command.
FILTER_KEYS: tuple[str, ...] = (
    "workspace",
    "range_",
    "since",
    "until",
    "tz",
    "users",
    "categories",
    "events",
    "results",
    "roles",
    "layer",
    "subject_type",
    "subject_id",
    "ip",
    "countries",
    "search",
    "ids",
    "as_user",
    "as_role",
    "scope",
)


def filter_options(command: F) -> F:
    """Add the filter and viewer flags to ``command``."""
    for option in reversed((*_FILTERS, *_VIEWER)):
        command = option(command)
    return command


def viewer_from(workspace: str | None, as_user: str | None, as_role: str | None) -> Viewer:
    """The viewer ``--as-user``/``--as-role`` describe; the operator without them."""
    if not as_user and not as_role:
        return OPERATOR
    errors = []
    if not as_user:
        errors.append(FieldError("as_user", "is required with --as-role"))
    if not as_role:
        errors.append(FieldError("as_role", "is required with --as-user"))
    if not spans_workspaces(as_role or "") and not workspace:
        errors.append(FieldError("workspace", "is required with --as-user/--as-role"))
    if errors or not as_user or not as_role:
        raise ValidationError(errors)
    return Viewer(as_user, as_role, workspace or "")  # type: ignore[arg-type]  # Viewer checks


def selection_from(options: dict[str, Any]) -> Selection:
    """Pop the filter and viewer flags out of ``options``; the Selection they describe
    (a viewer reads with its workspace's ``log_access`` setting, from the database)."""
    values = {key: options.pop(key) for key in FILTER_KEYS}
    workspace = values["workspace"] or None
    viewer = viewer_from(workspace, values["as_user"], values["as_role"])
    if not is_platform(viewer):
        settings = open_log().accounts().workspace_settings(viewer.workspace)
        viewer = replace(viewer, log_access=settings.log_access)
    return Selection(
        workspace=workspace,
        viewer=viewer,
        scope=values["scope"],
        range=values["range_"] or None,
        since=values["since"] or None,
        until=values["until"] or None,
        tz=values["tz"],
        users=tuple(values["users"]),
        categories=tuple(values["categories"]),
        events=tuple(values["events"]),
        results=tuple(values["results"]),
        roles=tuple(values["roles"]),
        layer=values["layer"] or None,
        subject_type=values["subject_type"] or None,
        subject_id=values["subject_id"] or None,
        ip=values["ip"] or None,
        countries=tuple(values["countries"]),
        search=values["search"] or None,
        ids=tuple(values["ids"]),
    )
