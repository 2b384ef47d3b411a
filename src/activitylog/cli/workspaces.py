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

    log_access: who may open the workspace's activity log: admins (owners and admins;
    the default) or own (everyone sees their own activity, owners and admins everyone's).
    link_base: the URL relative subject links resolve against ("none" removes it).
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
@_FORMAT
def set_settings(name: str, log_access: str | None, link_base: str | None, fmt: str) -> None:
    """Change a workspace's settings; the change is recorded in its log."""
    changes: dict[str, Any] = {}
    if log_access is not None:
        changes["log_access"] = log_access
    if link_base is not None:
        changes["link_base"] = None if link_base.lower() == "none" else link_base
    if not changes:
        raise ValidationError([FieldError("settings", "give --log-access or --link-base")])
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
        click.echo(f"{key:<12} {'none' if value is None else value}")
