"""``activitylog alerts channels``: where each workspace's alerts are sent, as the operator.
Adding and removing a channel is recorded in the workspace's log (platform layer, actor
the operator)."""

from __future__ import annotations

import click
from rich.table import Table

from activitylog.alerts.rules import SEVERITIES
from activitylog.cli.alerts import alerts
from activitylog.cli.app import echo_json, open_log
from activitylog.cli.render import make_console
from activitylog.cli.workspaces import OPERATOR_ACTOR
from activitylog.delivery import Channels, channel_event
from activitylog.delivery.channels import ADDED, KINDS, REMOVED
from activitylog.delivery.transports import send_test
from activitylog.errors import NotFound

_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)


@alerts.group()
def channels() -> None:
    """Where a workspace's alerts are sent.

    \b
    alerts channels list [--workspace W] [--format table|json]
    alerts channels add W email ADDRESS[,ADDRESS...] [--min-severity S]
    alerts channels add W webhook URL [--min-severity S]
    alerts channels add W slack URL [--min-severity S]
    alerts channels remove ID
    alerts channels test ID

    Each alert raised (or raised again) is sent to every channel of its workspace whose
    minimum severity it reaches: email through the SMTP server of the smtp_* settings,
    webhooks as Standard Webhooks (signed with the channel's whsec_ secret, printed once
    when it is added), Slack as an incoming-webhook message. Failed attempts are retried
    with exponential backoff for 24 hours; `serve` and `activitylog follow` send them.
    """


@channels.command("list")
@click.option("--workspace", metavar="W", help="One workspace [default: every workspace].")
@_FORMAT
def list_channels(workspace: str | None, fmt: str) -> None:
    """Print the channels (a Slack URL's token hidden; secrets never)."""
    found = Channels(open_log().store.engine).list(workspace)
    if fmt == "json":
        echo_json([channel.as_json() for channel in found])
        return
    table = Table("id", "workspace", "kind", "target", "min severity", "created")
    for channel in found:
        shown = channel.as_json()
        table.add_row(
            channel.id,
            channel.workspace,
            channel.kind,
            channel.shown_target,
            channel.min_severity,
            f"{shown['created_at'][:19]}Z by {channel.created_by}",
        )
    make_console().print(table)


@channels.command("add")
@click.argument("workspace", metavar="W")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("target", metavar="TARGET")
@click.option(
    "--min-severity",
    type=click.Choice(SEVERITIES),
    default="low",
    show_default=True,
    help="Send only alerts of this severity or higher.",
)
@_FORMAT
def add(workspace: str, kind: str, target: str, min_severity: str, fmt: str) -> None:
    """Add a channel: email addresses (comma-separated), a webhook URL or a Slack
    incoming-webhook URL. A webhook's signing secret is printed once."""
    log = open_log()
    channel = Channels(log.store.engine).add(
        workspace,
        kind,
        target,
        min_severity,
        by=str(OPERATOR_ACTOR["name"]),
        allow_private=log.settings.private_destinations,
    )
    log.record(**channel_event(channel, ADDED), layer="platform", actor=OPERATOR_ACTOR)
    if fmt == "json":
        echo_json({**channel.as_json(), "secret": channel.secret})
        return
    click.echo(f"added {channel.id}: {channel.kind} {channel.shown_target}")
    if channel.secret is not None:
        click.echo(f"secret: {channel.secret}")
        click.echo("(shown once: the receiver checks each webhook-signature with it)", err=True)


@channels.command("remove")
@click.argument("channel_id", metavar="ID")
def remove(channel_id: str) -> None:
    """Remove a channel; its deliveries not yet made give up."""
    log = open_log()
    channel = Channels(log.store.engine).remove(channel_id)
    if channel is None:
        raise NotFound(f"no alert channel {channel_id!r}")
    log.record(**channel_event(channel, REMOVED), layer="platform", actor=OPERATOR_ACTOR)
    click.echo(f"removed {channel.id}: {channel.kind} {channel.shown_target}")


@channels.command("test")
@click.argument("channel_id", metavar="ID")
def test(channel_id: str) -> None:
    """Send a test message (type alert.test) to a channel now, once, and say what came of
    it; exit 1 when it was not delivered."""
    log = open_log()
    channel = Channels(log.store.engine).get(channel_id)
    if channel is None:
        raise NotFound(f"no alert channel {channel_id!r}")
    outcome = send_test(log.settings, channel)
    code = f" ({outcome.status_code})" if outcome.status_code else ""
    if outcome.delivered:
        click.echo(f"delivered{code} to {channel.kind} {channel.shown_target}")
        if outcome.error:
            click.echo(outcome.error, err=True)
        return
    click.echo(f"not delivered{code}: {outcome.error}", err=True)
    click.get_current_context().exit(1)
