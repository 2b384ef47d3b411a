"""The ``activitylog`` command group and what every command shares.

Errors the library raises (:class:`~activitylog.errors.ActivityLogError`) become one line
on stderr, ``error: <field>: <reason>``, and exit code 2, without a traceback. Usage
errors click detects itself (unknown flags, bad choices) also exit with 2.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import click
import orjson

from activitylog.client import ActivityLog
from activitylog.config import load_settings
from activitylog.errors import ActivityLogError
from activitylog.settings import DEFAULT_DB, Settings

T = TypeVar("T")
EXIT_ERROR = 2


class CliError(click.ClickException):
    """A one-line ``error: ...`` on stderr, exit code 2."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def error_message(exc: ActivityLogError) -> str:
    """One line: ``field: reason; field: reason`` for validation errors, else the text."""
    return " ".join(str(exc).split()) or type(exc).__name__


class _Group(click.Group):
    """Every command and group added to it takes ``--db URL`` after its name too (``query
    --db URL``), the same option as the group's own; subgroups are of this class."""

    group_class = type

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not any(param.name == "db" for param in cmd.params):
            cmd.params.append(_db_option())
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ActivityLogError as exc:
            raise CliError(error_message(exc)) from None
        except BrokenPipeError:  # e.g. `activitylog export | head`: stop quietly
            _silence_stdout()
            ctx.exit(1)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so flushing at exit does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


@dataclass
class State:
    db: str | None = None
    config: str | None = None
    settings: Settings | None = None


DB_HELP = (
    "Database URL: sqlite:///FILE, postgresql://..., chdb:///DIR or clickhouse://... "
    f"[default: $ACTIVITYLOG_DB, else {DEFAULT_DB}]"
)


def _db_option() -> click.Option:
    """``--db`` after a command's name; the one nearest the command wins."""
    return click.Option(
        ["--db"],
        metavar="URL",
        expose_value=False,
        callback=_remember_db,
        help="Database URL, as the --db before the command.",
    )


def _remember_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        state = _state(ctx)
        state.db, state.settings = value, None


def _state(ctx: click.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj


@click.group(cls=_Group)
@click.option("--db", metavar="URL", help=DB_HELP)
@click.option(
    "--config",
    metavar="FILE",
    help="TOML settings file [default: $ACTIVITYLOG_CONFIG, else ./activitylog.toml if it exists].",
)
@click.version_option(package_name="activitylog")
@click.pass_context
def cli(ctx: click.Context, db: str | None, config: str | None) -> None:
    """A self-hosted, tamper-evident Activity Log (audit trail).

    Settings come from flags, then the environment (ACTIVITYLOG_DB, ACTIVITYLOG_SIGNING_KEY,
    ... one ACTIVITYLOG_<NAME> per setting), then the TOML file, then the defaults.
    """
    state = _state(ctx)
    state.db, state.config = db, config


def current_settings() -> Settings:
    """The settings of this command: ``--db`` over the environment over the ``--config``
    file over the defaults (read once per command)."""
    state = _state(click.get_current_context())
    if state.settings is None:
        state.settings = load_settings({"db": state.db}, config_file=state.config)
    return state.settings


def open_log(**changes: Any) -> ActivityLog:
    """The ActivityLog for the command's settings (with ``changes``, a command's own
    options), closed when the command ends."""
    settings = current_settings()
    if changes:
        settings = settings.replace(**changes)
    root = click.get_current_context().find_root()
    return root.with_resource(ActivityLog(settings.db, settings=settings))


def echo_json(value: Any) -> None:
    """Pretty JSON on stdout."""
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


@contextmanager
def progress(label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """``advance(n)`` for a rich progress bar on stderr, a no-op unless stderr is a TTY."""
    if not stderr_is_tty():
        yield _ignore
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def counted(items: Iterable[T], advance: Callable[[int], None], every: int = 1000) -> Iterator[T]:
    """``items`` unchanged, calling ``advance`` every ``every`` items (and at the end)."""
    if advance is _ignore:
        yield from items
        return
    n = 0
    for item in items:
        yield item
        n += 1
        if n == every:
            advance(n)
            n = 0
    advance(n)


def _ignore(_n: int) -> None:
    return None


def stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
