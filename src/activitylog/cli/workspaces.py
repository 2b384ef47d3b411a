"""``workspace show`` and ``workspace set``: a workspace's settings, as the operator.

A change is recorded in that workspace's log (``workspace.settings_updated``, platform
layer, actor the operator) with each setting's value before and after.
"""

from __future__ import annotations

from typing import Any

import click

from activitylog.access import LOG_ACCESS, OPERATOR
from activitylog.accounts.workspaces import WorkspaceSettings, settings_event
from activitylog.cli.accounts import open_accounts
from activitylog.cli.app import cli, echo_json, open_log
from activitylog.errors import FieldError, ValidationError
from activitylog.schedules import EXPORT_FORMATS, SCHEDULES

#: Who a change made at the command line is recorded as.
OPERATOR_ACTOR = {"id": OPERATOR.user_id, "name": "Operator (command line)", "type": "system"}
_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)


@cli.group()
def workspace() -> None:
    """A workspace's settings.

    \b
    workspace show W [--format table|json]
    workspace set W [--log-access admins|own] [--link-base URL|none]
                    [--retention-days N|forever|default] [--require-archive yes|no]
                    [--export-schedule daily|weekly|monthly|off] [--export-format csv|json|pdf]
    workspace hold W --reason TEXT
    workspace release W

    log_access: who may open the workspace's activity log: admins (owners and admins;
    the default) or own (everyone sees their own activity, owners and admins everyone's).
    link_base: the URL relative subject links resolve against ("none" removes it).
    retention_days: how many days entries are kept before `purge` removes them; forever
    keeps them; default follows the platform's retention_days setting.
    require_archive: purge only what was archived first (with no archive location set,
    nothing is purged). A legal hold suspends purging until it is released.
    export_schedule: write each closed UTC day, ISO week or month's entries to the archive
    location, once, as export_format (see `export-scheduled`); off (the default) writes none.
    """


@workspace.command("show")
@click.argument("name", metavar="W")
@_FORMAT
def show(name: str, fmt: str) -> None:
    """Print a workspace's settings (defaults for those never set)."""
    _print(open_accounts().workspace_settings(name), fmt)


@workspace.command("set")
@click.argument("name", metavar="W")
@click.option(
    "--log-access",
    type=click.Choice(LOG_ACCESS),
    help="admins: owners and admins open the log; own: everyone sees their own activity.",
)
@click.option(
    "--link-base",
    metavar="URL",
    help="Absolute http(s) URL relative subject links resolve against; 'none' removes it.",
)
@click.option(
    "--retention-days",
    metavar="N|forever|default",
    help="Days entries are kept before purges remove them; forever keeps them; default "
    "follows the platform's retention_days.",
)
@click.option(
    "--require-archive",
    type=click.Choice(["yes", "no"]),
    help="yes: purge only what was archived first (no archive location: nothing is purged).",
)
@click.option(
    "--export-schedule",
    type=click.Choice(SCHEDULES),
    help="Export each closed UTC day, ISO week or month to the archive location; off: none.",
)
@click.option(
    "--export-format",
    type=click.Choice(EXPORT_FORMATS),
    help="The scheduled exports' format (a PDF report holds at most 50,000 entries).",
)
@_FORMAT
def set_settings(
    name: str,
    log_access: str | None,
    link_base: str | None,
    retention_days: str | None,
    require_archive: str | None,
    export_schedule: str | None,
    export_format: str | None,
    fmt: str,
) -> None:
    """Change a workspace's settings; the change is recorded in its log."""
    changes: dict[str, Any] = {}
    if log_access is not None:
        changes["log_access"] = log_access
    if link_base is not None:
        changes["link_base"] = None if link_base.lower() == "none" else link_base
    if retention_days is not None:
        changes["retention_days"] = _days(retention_days)
    if require_archive is not None:
        changes["require_archive"] = require_archive == "yes"
    if export_schedule is not None:
        changes["export_schedule"] = export_schedule
    if export_format is not None:
        changes["export_format"] = export_format
    if not changes:
        raise ValidationError(
            [
                FieldError(
                    "settings",
                    "give --log-access, --link-base, --retention-days, --require-archive, "
                    "--export-schedule or --export-format",
                )
            ]
        )
    _change(name, changes, fmt)


@workspace.command()
@click.argument("name", metavar="W")
@click.option("--reason", required=True, help="Why purging is suspended (shown and recorded).")
@_FORMAT
def hold(name: str, reason: str, fmt: str) -> None:
    """Place a legal hold: nothing is purged from the workspace until it is released."""
    _change(name, {"legal_hold": reason}, fmt)


@workspace.command()
@click.argument("name", metavar="W")
@_FORMAT
def release(name: str, fmt: str) -> None:
    """Release a legal hold: purging by the retention policy resumes."""
    _change(name, {"legal_hold": None}, fmt)


def _days(value: str) -> int | str | None:
    lowered = value.strip().lower()
    if lowered in ("forever", "default"):
        return "forever" if lowered == "forever" else None
    try:
        return int(lowered)
    except ValueError:
        raise ValidationError(
            [FieldError("retention_days", 'must be a number of days, "forever" or "default"')]
        ) from None


def _change(name: str, changes: dict[str, Any], fmt: str) -> None:
    log = open_log()
    after, changed = open_accounts().change_workspace_settings(name, changes, by=OPERATOR.user_id)
    if changed:
        log.record(**settings_event(name, changed), layer="platform", actor=OPERATOR_ACTOR)
    _print(after, fmt)
    if fmt == "table":
        click.echo("changed: " + ", ".join(changed) if changed else "nothing changed", err=True)


def _print(settings: WorkspaceSettings, fmt: str) -> None:
    if fmt == "json":
        echo_json(settings.to_dict())
        return
    for key, value in settings.to_dict().items():
        click.echo(f"{key:<16} {'none' if value is None else value}")
