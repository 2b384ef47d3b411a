"""``activitylog alerts``: alert rules (rules, set-rule, add-rule) and alerts (list, ack,
resolve), as the operator. Every change is recorded in the workspace's log (platform
layer, actor the operator)."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from activitylog.alerts import SEVERITIES, STATUSES, Alert, Alerts, RuleState
from activitylog.alerts.rules import PERS
from activitylog.cli.app import cli, echo_json, open_log
from activitylog.cli.render import make_console
from activitylog.cli.workspaces import OPERATOR_ACTOR

_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
#: How changes made at the command line are recorded.
_RECORD = {"actor": OPERATOR_ACTOR, "layer": "platform"}
_BY = str(OPERATOR_ACTOR["name"])


@cli.group()
def alerts() -> None:
    """Alert rules and alerts.

    \b
    alerts rules [--workspace W] [--format table|json]
    alerts set-rule W NAME [--on|--off] [--threshold N] [--window MINUTES]
                    [--severity low|medium|high|critical]
                    [--hours 09:00-18:00] [--days mon-fri] [--timezone ZONE]
                    [--lookback-days N] [--action ACTION ...]
    alerts add-rule W --name N [filters] --threshold N --window MINUTES
                    [--per actor|ip] [--severity S]
    alerts list [--workspace W] [--status open|acknowledged|resolved] [--format table|json]
    alerts ack ID
    alerts resolve ID [--note TEXT]

    Built-in rules: failed_sign_in_burst, new_country_sign_in, new_ip_sign_in,
    new_device_sign_in, off_hours (off by default), permission_change, bulk_delete,
    large_export, log_entries_deleted, impersonation. The `alerts` follower (run by
    `serve` and `activitylog follow`) raises alerts as entries are written.
    """


@alerts.command("rules")
@click.option("--workspace", metavar="W", help="One workspace [default: every workspace].")
@_FORMAT
def rules(workspace: str | None, fmt: str) -> None:
    """Print each rule of a workspace: on or off, threshold, window, severity, settings."""
    log = open_log()
    service = Alerts(log)
    names = [workspace] if workspace else log.workspaces()
    states = [state for name in names for state in service.rules(name)]
    if fmt == "json":
        echo_json([state.as_json() for state in states])
        return
    table = Table("workspace", "rule", "on", "threshold", "window", "severity", "settings")
    for state in states:
        table.add_row(
            state.workspace,
            state.name,
            "on" if state.enabled else "off",
            "" if state.threshold is None else f"{state.threshold:,}",
            f"{state.window} min",
            state.severity,
            _settings_text(state),
        )
    make_console().print(table)


@alerts.command("set-rule")
@click.argument("workspace", metavar="W")
@click.argument("name", metavar="NAME")
@click.option("--on/--off", "enabled", default=None, help="Turn the rule on or off.")
@click.option("--threshold", type=int, help="How many entries make an alert (where it has one).")
@click.option("--window", type=int, metavar="MINUTES", help="How far apart a burst's entries.")
@click.option("--severity", type=click.Choice(SEVERITIES))
@click.option("--hours", metavar="HH:MM-HH:MM", help="off_hours: business hours.")
@click.option("--days", metavar="DAYS", help="off_hours: business days, like mon-fri.")
@click.option("--timezone", metavar="ZONE", help="off_hours: IANA time zone [default: UTC].")
@click.option("--lookback-days", type=int, help="new_*_sign_in: how far back 'seen' looks.")
@click.option("--action", "actions", multiple=True, help="permission_change: an action it watches.")
def set_rule(
    workspace: str,
    name: str,
    enabled: bool | None,
    threshold: int | None,
    window: int | None,
    severity: str | None,
    actions: tuple[str, ...],
    **params: Any,
) -> None:
    """Change a rule of workspace W; prints the rule as it is now."""
    given = {key: value for key, value in params.items() if value is not None}
    if actions:
        given["actions"] = list(actions)
    state = Alerts(open_log()).set_rule(
        workspace,
        name,
        enabled,
        threshold,
        window,
        severity=severity,
        by=_BY,
        record=_RECORD,
        **given,
    )
    echo_json(state.as_json())


@alerts.command("add-rule")
@click.argument("workspace", metavar="W")
@click.option("--name", required=True, help="Lower-case letters, digits and _.")
@click.option("--threshold", type=int, required=True, help="Entries within the window.")
@click.option("--window", type=int, required=True, metavar="MINUTES")
@click.option("--per", type=click.Choice(PERS), help="Count per actor or per IP.")
@click.option("--severity", type=click.Choice(SEVERITIES), default="medium", show_default=True)
@click.option("--category", "categories", multiple=True, help="Category (repeatable).")
@click.option("--event", "events", multiple=True, help="Action if dotted, else verb (repeatable).")
@click.option("--user", "users", multiple=True, metavar="ID", help="Actor id (repeatable).")
@click.option("--role", "roles", multiple=True, help="The actor's role at the time.")
@click.option("--result", "results", multiple=True, help="success, warning or failure.")
@click.option("--country", "countries", multiple=True, metavar="CC", help="Country of the IP.")
@click.option("--search", help="Free text.")
def add_rule(
    workspace: str,
    name: str,
    threshold: int,
    window: int,
    per: str | None,
    severity: str,
    search: str | None,
    **lists: tuple[str, ...],
) -> None:
    """Add a custom rule to workspace W: at least --threshold entries matching the filters
    within --window minutes (per actor or IP with --per); prints the rule."""
    filters: dict[str, Any] = {key: list(value) for key, value in lists.items() if value}
    if search:
        filters["search"] = search
    state = Alerts(open_log()).add_rule(
        workspace, name, filters, threshold, window, per, severity, by=_BY, record=_RECORD
    )
    echo_json(state.as_json())


@alerts.command("list")
@click.option("--workspace", metavar="W", help="One workspace [default: every workspace].")
@click.option("--status", type=click.Choice(STATUSES))
@_FORMAT
def list_alerts(workspace: str | None, status: str | None, fmt: str) -> None:
    """Print alerts, newest first."""
    found = Alerts(open_log()).list(workspace, status)
    if fmt == "json":
        echo_json([alert.as_json() for alert in found])
        return
    table = Table("raised", "id", "workspace", "rule", "severity", "status", "entries", "summary")
    for alert in found:
        raised = alert.as_json()["raised_at"]
        table.add_row(
            raised[:19].replace("T", " "),
            alert.id,
            alert.workspace,
            alert.rule,
            alert.severity,
            alert.status,
            f"{len(alert.event_ids):,}",
            alert.summary,
        )
    make_console().print(table)


@alerts.command("ack")
@click.argument("alert_id", metavar="ID")
def ack(alert_id: str) -> None:
    """Acknowledge an alert (someone is on it); prints it."""
    _print(Alerts(open_log()).ack(alert_id, _BY, record=_RECORD))


@alerts.command("resolve")
@click.argument("alert_id", metavar="ID")
@click.option("--note", help="What was found or done.")
def resolve(alert_id: str, note: str | None) -> None:
    """Resolve an alert, with an optional note; prints it."""
    _print(Alerts(open_log()).resolve(alert_id, _BY, note, record=_RECORD))


def _print(alert: Alert) -> None:
    echo_json(alert.as_json())


def _settings_text(state: RuleState) -> str:
    if state.custom:
        parts = [
            f"{k}={','.join(v) if isinstance(v, list) else v}"
            for k, v in (state.filters or {}).items()
        ]
        return " ".join([*parts, f"per={state.per}" if state.per else ""]).strip()
    return " ".join(
        f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in state.params.items()
    )
