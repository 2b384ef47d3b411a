"""``activitylog serve`` and ``activitylog demo``: the web server (uvicorn) on the log."""

from __future__ import annotations

import signal
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from activitylog.cli.app import cli, current_settings, progress
from activitylog.client import ActivityLog
from activitylog.heap import settle_heap
from activitylog.settings import Settings

if TYPE_CHECKING:
    from activitylog.demo import DemoAccount

_HOST = click.option("--host", help="Interface to listen on [default: 127.0.0.1].")
_PORT = click.option("--port", type=click.IntRange(1, 65535), help="Port [default: 8000].")
_WITNESS = click.option(
    "--witness-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also append every kept checkpoint here (another disk) [default: witness_dir].",
)
_ACCOUNTS_DB = click.option(
    "--accounts-db",
    metavar="URL",
    help="Database of the users, API keys, sessions and workspace settings "
    "[default: accounts_db, else the log's database].",
)
_ARCHIVE = click.option(
    "--archive",
    metavar="DIR|s3://BUCKET/PREFIX",
    help="Write each purge's archive (and scheduled exports) here [default: archive].",
)


def _with(
    host: str | None, port: int | None, witness_dir: Path | None, accounts_db: str | None
) -> Settings:
    """The command's settings with this command's own flags on top."""
    settings = current_settings()
    return settings.replace(
        host=host or settings.host,
        port=port or settings.port,
        witness_dir=witness_dir or settings.witness_dir,
        accounts_db=accounts_db or settings.accounts_db,
    )


def _open(settings: Settings) -> ActivityLog:
    root = click.get_current_context().find_root()
    return root.with_resource(ActivityLog(settings.db, settings=settings))


def _configure_logging() -> None:
    """uvicorn's log lines, and this package's (INFO and up) in the same form on stderr:
    the purger, the exporter, the follower process's start and restarts."""
    from copy import deepcopy
    from logging.config import dictConfig

    from uvicorn.config import LOGGING_CONFIG

    config = deepcopy(LOGGING_CONFIG)
    ours = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"]["activitylog"] = ours
    dictConfig(config)


def _run(settings: Settings, log: ActivityLog, demo_accounts: Sequence[DemoAccount] = ()) -> None:
    import uvicorn

    from activitylog.followers import FollowerProcess
    from activitylog.store.engines import engine_for, scheme_of
    from activitylog.web.app import create_app

    # The followers and the indexer in a child process (follower_process), so that they and
    # the requests do not take turns on one interpreter lock; else the app runs them (and
    # always on a log one process at a time may open: chdb's).
    apart = settings.follower_process and not engine_for(scheme_of(settings.db)).one_process
    child = FollowerProcess(settings) if settings.followers and apart else None
    served = settings.replace(followers=False) if child is not None else settings
    app = create_app(served, log=log, demo_accounts=demo_accounts)
    settle_heap()
    # uvicorn stops gracefully on SIGTERM, then raises it again under the handler it found:
    # with this one, serve exits 0 after stopping its child (and before uvicorn runs, too).
    previous = signal.signal(signal.SIGTERM, _exit_cleanly)
    _configure_logging()
    try:
        if child is not None:
            child.start()
        # One web server process: SQLite has one writer anyway, and the app keeps
        # per-process state (API read sessions). Behind a proxy, uvicorn's
        # --forwarded-allow-ips rules apply.
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            proxy_headers=True,
            log_config=None,  # configured above
            log_level="info",
        )
    finally:
        if child is not None:
            child.stop()
        signal.signal(signal.SIGTERM, previous)


def _exit_cleanly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


@cli.command()
@_HOST
@_PORT
@_WITNESS
@_ACCOUNTS_DB
@_ARCHIVE
@click.option(
    "--no-followers",
    is_flag=True,
    help="Leave the followers (alerts, streams) and the indexer to `activitylog follow`.",
)
@click.option(
    "--follower-process/--no-follower-process",
    default=None,
    help="Run the followers and the indexer in a child process, or in threads of the "
    "server's (always on chdb) [default: follower_process].",
)
def serve(
    host: str | None,
    port: int | None,
    witness_dir: Path | None,
    accounts_db: str | None,
    archive: str | None,
    no_followers: bool,
    follower_process: bool | None,
) -> None:
    """Run the web server: the Activity Log page, the HTTP API, /docs, and the followers
    (alert rules, alert delivery, streams) and the indexer, by default in a child process
    it starts, watches and stops. Every checkpoint_seconds, and at shutdown, each moved
    head gets a kept checkpoint."""
    settings = _with(host, port, witness_dir, accounts_db)
    if archive is not None:
        settings = settings.replace(archive=archive)
    if no_followers:
        settings = settings.replace(followers=False)
    if follower_process is not None:
        settings = settings.replace(follower_process=follower_process)
    _run(settings, _open(settings))


@cli.command()
@_HOST
@_PORT
@_WITNESS
@_ACCOUNTS_DB
@click.option(
    "--events",
    type=click.IntRange(min=0),
    default=30_000,
    show_default=True,
    help="Seed events to add when the log is empty (--from-helpdesk: about 2,500).",
)
@click.option(
    "--from-helpdesk",
    is_flag=True,
    help="Fill an empty log by driving the example helpdesk app (events it really records).",
)
@click.option(
    "--days",
    type=click.IntRange(1, 90),
    default=14,
    show_default=True,
    help="With --from-helpdesk: the days of simulated use, ending now.",
)
@click.option("--no-serve", is_flag=True, help="Set up the log and the accounts, then exit.")
def demo(
    host: str | None,
    port: int | None,
    witness_dir: Path | None,
    accounts_db: str | None,
    events: int,
    from_helpdesk: bool,
    days: int,
    no_serve: bool,
) -> None:
    """A demo: seeded log, a sign-in for every role (printed), the server on loopback."""
    from activitylog import demo as demo_data

    settings = _with(host, port, witness_dir, accounts_db)
    log = _open(settings)
    if from_helpdesk:
        from activitylog.demo.driver import DEFAULT_EVENTS

        source = click.get_current_context().get_parameter_source("events")
        wanted = DEFAULT_EVENTS if source is click.core.ParameterSource.DEFAULT else events
        with progress("driving the helpdesk", wanted) as advance:
            added = demo_data.fill_from_helpdesk(
                log, settings, events=wanted, days=days, on_progress=advance
            )
        done = f"recorded {added:,} events from {days} days of helpdesk use into {settings.db}"
    else:
        with progress("seeding", events) as advance:
            added = demo_data.fill(log, events, advance)
        done = f"seeded {added:,} demo events into {settings.db}"
    click.echo(done if added else f"using the events already in {settings.db}")
    shown = demo_data.ensure_accounts(log.accounts())
    demo_data.ensure_retention(log)  # 90 days in each workspace, unless an owner chose
    alerts = demo_data.review_alerts(log)  # the alert rules over the story, once
    if alerts:
        click.echo(f"the alert rules found {alerts:,} open alerts in the story")
    url = f"http://{settings.host}:{settings.port}"
    click.echo(f"\nOpen {url}/activity and sign in with password {demo_data.DEMO_PASSWORD!r}:")
    for account in shown:
        who = f"{account.name}, {account.workspace}"
        click.echo(f"  {account.role:<15} {account.email:<32} ({who})")
    click.echo(f"API docs: {url}/docs\n")
    if not no_serve:
        _run(settings, log, shown)


__all__ = ["demo", "serve"]
