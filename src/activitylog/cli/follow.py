"""``activitylog follow``: the followers (alert rules, alert delivery, streams) without the
web server, in a worker process of their own."""

from __future__ import annotations

import click

from activitylog.cli.app import cli, open_log
from activitylog.delivery import Sender
from activitylog.followers import Following, follow_until_stopped
from activitylog.followers.registry import registered


@cli.command()
@click.option(
    "--once",
    is_flag=True,
    help="Index and catch every follower up to the end of the log as it is now, then exit.",
)
def follow(once: bool) -> None:
    """Run the followers and the indexer (the copies, search index and counts pages read,
    kept behind the log) until stopped (SIGTERM or Ctrl-C). Run `serve --no-followers`
    beside it (or set followers = false) so that one process runs them; by default `serve`
    runs the same loop in a child process of its own."""
    log = open_log()
    if once:
        log.store.settle()  # the counts and search index, up to the end of the log
        failures = Following(log).catch_up(registered(log))
        for name, workspace, error in failures:
            click.echo(f"{name}: workspace {workspace}: {error}", err=True)
        sender = Sender(log)
        try:
            sender.send_due()  # the alerts' deliveries due now, once each
        finally:
            sender.close()
        if failures:
            click.get_current_context().exit(1)
        return
    click.echo("following; stop with SIGTERM or Ctrl-C", err=True)
    follow_until_stopped(log)
