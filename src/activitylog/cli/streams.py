"""``activitylog streams``: add, list, remove and watch the streams that send the log's
entries on to a webhook, a syslog collector or a file."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table
from rich.text import Text

from activitylog.cli.app import cli, current_settings, echo_json, open_log
from activitylog.cli.render import make_console
from activitylog.cli.workspaces import OPERATOR_ACTOR
from activitylog.streams import ALL, FORMATS, Stream, Streams, new_stream, stream_event
from activitylog.streams.records import CREATED, REMOVED
from activitylog.streams.service import status_json

_OUTPUT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
_WHERE = (
    click.option("--workspace", help="The streams of this workspace."),
    click.option("--platform", is_flag=True, help="The platform's streams (every workspace)."),
)


def _where(command: Any) -> Any:
    for option in reversed(_WHERE):
        command = option(command)
    return command


def _scope(workspace: str | None, platform: bool, *, required: bool) -> str | None:
    """The workspace, None for the platform, :data:`ALL` for every stream."""
    if workspace and platform:
        raise click.UsageError("give --workspace or --platform, not both")
    if required and not workspace and not platform:
        raise click.UsageError("give --workspace W or --platform")
    if platform:
        return None
    return workspace or ALL


@cli.group()
def streams() -> None:
    """Streams: the log's entries sent on as they are written.

    \b
    streams add --workspace W|--platform --name N --url URL|--syslog HOST:PORT|--file PATH
                [--format json|ocsf|cef] [--from now|beginning] [filters]
    streams list [--workspace W|--platform] [--format table|json]
    streams remove ID
    streams status [--workspace W|--platform] [--format table|json]

    Delivery is at least once, in order per workspace; drop repeats by event id.
    `serve` and `activitylog follow` send them.
    """


@streams.command("add")
@_where
@click.option("--name", required=True, help="Unique in its workspace (or on the platform).")
@click.option("--url", help="HTTPS webhook (http:// only to a loopback address).")
@click.option("--syslog", metavar="HOST:PORT", help="Syslog collector (RFC 5424 over TCP).")
@click.option("--file", "file_", metavar="PATH", help="Append lines to this file.")
@click.option("--syslog-tls", is_flag=True, help="Syslog over TLS.")
@click.option(
    "--syslog-ca",
    metavar="FILE",
    help="CA bundle (PEM) to trust for --syslog-tls instead of the system's.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="json",
    show_default=True,
    help="Native JSON (as export ndjson), OCSF 1.3 or CEF.",
)
@click.option(
    "--secret", metavar="WHSEC", help="Webhook signing secret [default: a new whsec_ secret]."
)
@click.option(
    "--from",
    "start",
    type=click.Choice(["now", "beginning"]),
    default="now",
    show_default=True,
    help="Send entries from now on, or the whole log first.",
)
@click.option("--user", "users", multiple=True, metavar="ID", help="Actor id (repeatable).")
@click.option("--category", "categories", multiple=True, help="Category (repeatable).")
@click.option(
    "--event",
    "events",
    multiple=True,
    help="Action if dotted (contact.updated), else verb (updated); repeatable.",
)
@click.option("--result", "results", multiple=True, help="success, warning or failure.")
@click.option("--role", "roles", multiple=True, help="The actor's role at the time.")
@click.option("--country", "countries", multiple=True, metavar="CC", help="Country of the IP.")
@click.option("--layer", help="workspace or platform.")
@click.option("--search", help="Free text.")
def add(
    workspace: str | None,
    platform: bool,
    name: str,
    url: str | None,
    syslog: str | None,
    file_: str | None,
    syslog_tls: bool,
    syslog_ca: str | None,
    fmt: str,
    secret: str | None,
    start: str,
    **filters: Any,
) -> None:
    """Add a stream; prints its id (and a webhook's signing secret, shown only now)."""
    where = _scope(workspace, platform, required=True)
    kept = {k: list(v) if isinstance(v, tuple) else v for k, v in filters.items()}
    stream = new_stream(
        name=name,
        workspace=where,
        url=url,
        syslog=syslog,
        file=file_,
        syslog_tls=syslog_tls,
        syslog_ca=syslog_ca,
        format=fmt,
        filters={key: value for key, value in kept.items() if value},
        secret=secret,
        start=start,
        allow_private=current_settings().private_destinations,
    )
    log = open_log()
    Streams(log).add(stream)
    log.record(**stream_event(stream, CREATED), layer="platform", actor=OPERATOR_ACTOR)
    click.echo(stream.id)
    if stream.secret and not secret:
        click.echo(f"secret: {stream.secret}", err=True)
        click.echo("(shown only now: receivers check webhook-signature with it)", err=True)


@streams.command("list")
@_where
@_OUTPUT
def list_streams(workspace: str | None, platform: bool, fmt: str) -> None:
    """Streams, by workspace and name (never their secrets)."""
    found = Streams(open_log()).list(_scope(workspace, platform, required=False))
    if fmt == "json":
        echo_json([stream.to_dict() for stream in found])
        return
    table = Table("id", "name", "workspace", "destination", "format", "filters", "from")
    for stream in found:
        table.add_row(
            *(
                Text(value)
                for value in (
                    stream.id,
                    stream.name,
                    stream.workspace or "(platform)",
                    f"{stream.kind} {stream.target}" + (" (TLS)" if stream.tls else ""),
                    stream.format,
                    _filters_text(stream),
                    "beginning" if stream.start == "beginning" else "now",
                )
            )
        )
    make_console().print(table)


@streams.command("remove")
@click.argument("stream_id", metavar="ID")
def remove(stream_id: str) -> None:
    """Remove a stream and forget where it was."""
    log = open_log()
    stream = Streams(log).remove(stream_id.strip())
    log.record(**stream_event(stream, REMOVED), layer="platform", actor=OPERATOR_ACTOR)
    click.echo(f"removed {stream.id} ({stream.name})")


@streams.command("status")
@_where
@_OUTPUT
def status(workspace: str | None, platform: bool, fmt: str) -> None:
    """Each stream's position, entries behind, delay and last error, per workspace.

    json prints [{"id", "name", "workspace", "behind", "delay_seconds", "last_error",
    "workspaces": [{"workspace", "position", "head", "behind", "delay_seconds",
    "last_error", "error_at", "retry_at"}]}].
    """
    service = Streams(open_log())
    found = service.list(_scope(workspace, platform, required=False))
    rows = service.status(found)
    if fmt == "json":
        echo_json([status_json(stream, state) for stream, state in rows])
        return
    table = Table("id", "name", "workspace", "position", "head", "behind", "delay", "last error")
    for stream, state in rows:
        for place in state.workspaces or ():
            table.add_row(
                *(
                    Text(value)
                    for value in (
                        stream.id,
                        stream.name,
                        place.workspace,
                        str(place.position),
                        str(place.head),
                        str(place.behind),
                        f"{place.delay_s:.1f} s",
                        place.last_error or "",
                    )
                )
            )
        if not state.workspaces:
            table.add_row(Text(stream.id), Text(stream.name), Text(stream.workspace or "-"))
    make_console().print(table)


def _filters_text(stream: Stream) -> str:
    return "; ".join(
        f"{key}={','.join(value) if isinstance(value, list) else value}"
        for key, value in stream.filters.items()
    )
