"""Commands that manage who may use the web UI and API: ``users``, ``keys`` and ``token``."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta

import click
from rich.table import Table
from rich.text import Text

from activitylog.accounts import Accounts, ApiKey, User
from activitylog.accounts.fields import WORKSPACE_ROLES, check_new_user
from activitylog.accounts.secret import load_or_create_secret
from activitylog.accounts.tokens import mint_viewer_token
from activitylog.cli.app import cli, current_settings, echo_json, open_log
from activitylog.cli.render import make_console
from activitylog.errors import FieldError, NotFound, ValidationError

_ROLE = click.Choice(WORKSPACE_ROLES)
_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
_PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from one line of stdin."
)
_TTL = re.compile(r"(\d+)\s*([smh]?)")
_TTL_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}


def open_accounts() -> Accounts:
    """The accounts of the command's log, in its ``accounts_db`` (opening them runs any
    pending migrations)."""
    return open_log().accounts()


def read_password(from_stdin: bool) -> str:
    """One line of stdin (without its line end), or a hidden prompt asked twice."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


# -- users ---------------------------------------------------------------------------------
@cli.group()
def users() -> None:
    """People who sign in to the web UI, and their roles per workspace.

    \b
    users add EMAIL [--name N] [--workspace W --role R] [--platform-admin] [--id ID]
    users list [--workspace W] [--format table|json]
    users set-role EMAIL --workspace W --role R
    users set-password EMAIL [--password-stdin]
    users remove EMAIL [--workspace W]
    users disable EMAIL / users enable EMAIL

    Roles: owner, admin, member, viewer (per workspace); platform admins see every
    workspace. Passwords are asked twice without echo, or read from one line of stdin
    with --password-stdin.
    """


@users.command("add")
@click.argument("email")
@click.option("--name", help="Display name [default: the part of EMAIL before @].")
@click.option("--workspace", help="Make the user a member of this workspace (with --role).")
@click.option("--role", type=_ROLE, help="Their role in --workspace.")
@click.option("--platform-admin", is_flag=True, help="May read every workspace.")
@click.option("--id", "user_id", metavar="ID", help="User id [default: u_ + 12 hex digits].")
@_PASSWORD_STDIN
def add_user(
    email: str,
    name: str | None,
    workspace: str | None,
    role: str | None,
    platform_admin: bool,
    user_id: str | None,
    password_stdin: bool,
) -> None:
    """Create a user; prints its id."""
    check_new_user(email, name=name, workspace=workspace, role=role, user_id=user_id)
    accounts = open_accounts()
    if accounts.get_user(email) is not None:  # before asking for a password
        raise ValidationError([FieldError("email", "is already taken")])
    user = accounts.add_user(
        email,
        password=read_password(password_stdin),
        name=name,
        workspace=workspace,
        role=role,
        platform_admin=platform_admin,
        user_id=user_id,
    )
    click.echo(user.id)


@users.command("list")
@click.option("--workspace", help="Only the members of this workspace.")
@_FORMAT
def list_users(workspace: str | None, fmt: str) -> None:
    """Users sorted by email, with their roles."""
    found = open_accounts().list_users(workspace)
    if fmt == "json":
        echo_json([user.to_dict() for user in found])
        return
    _print_users(found)


@users.command("set-role")
@click.argument("email")
@click.option("--workspace", required=True, help="Workspace id.")
@click.option("--role", type=_ROLE, required=True, help="The role there.")
def set_role(email: str, workspace: str, role: str) -> None:
    """Add a user to a workspace, or change their role in it."""
    user = open_accounts().set_role(email, workspace, role)
    click.echo(f"{user.email}: {_roles(user)}")


@users.command("set-password")
@click.argument("email")
@_PASSWORD_STDIN
def set_password(email: str, password_stdin: bool) -> None:
    """Replace a user's password (their web sessions end)."""
    accounts = open_accounts()
    if accounts.get_user(email) is None:  # before asking for a password
        raise NotFound(f"no user {email!r}")
    accounts.set_password(email, read_password(password_stdin))
    click.echo(f"password changed for {email}")


@users.command("remove")
@click.argument("email")
@click.option("--workspace", help="Only take away this membership.")
def remove_user(email: str, workspace: str | None) -> None:
    """Delete a user (their events stay), or only their membership of --workspace."""
    open_accounts().remove_user(email, workspace)
    click.echo(f"removed {email} from {workspace}" if workspace else f"removed {email}")


@users.command("disable")
@click.argument("email")
def disable_user(email: str) -> None:
    """Refuse a user's sign-ins and end their sessions (until enabled)."""
    open_accounts().set_disabled(email, True)
    click.echo(f"disabled {email}")


@users.command("enable")
@click.argument("email")
def enable_user(email: str) -> None:
    """Let a disabled user sign in again."""
    open_accounts().set_disabled(email, False)
    click.echo(f"enabled {email}")


def _roles(user: User) -> str:
    return ", ".join(f"{workspace}:{role}" for workspace, role in user.memberships.items())


def _print_users(found: list[User]) -> None:
    console = make_console()
    if not found:
        console.print(Text("no users"))
        return
    table = Table(box=None, pad_edge=False, header_style="bold", padding=(0, 2))
    for column in ("email", "name", "id", "roles", "platform admin"):
        table.add_column(column, no_wrap=column != "roles")
    for user in found:
        admin = "yes" if user.is_platform_admin else ""
        name = user.name + (" (disabled)" if user.disabled else "")
        table.add_row(*(Text(cell) for cell in (user.email, name, user.id, _roles(user), admin)))
    console.print(table)


# -- API keys ------------------------------------------------------------------------------
@cli.group()
def keys() -> None:
    """API keys for the HTTP API (Authorization: Bearer <key>).

    \b
    keys create (--workspace W | --platform) --scope ingest|read [--name N]
    keys list [--workspace W] [--all] [--format table|json]
    keys revoke KEY_ID

    An ingest key writes events, a read key reads them and mints viewer tokens; a
    workspace key is limited to its workspace, a platform key is not. The secret is shown
    once, by create; only its hash is stored.
    """


@keys.command("create")
@click.option("--workspace", help="The workspace the key may use.")
@click.option("--platform", is_flag=True, help="A platform key: every workspace.")
@click.option("--scope", type=click.Choice(["ingest", "read"]), required=True, help="What for.")
@click.option("--name", default="", help="A label, e.g. the service that uses it.")
def create_key(workspace: str | None, platform: bool, scope: str, name: str) -> None:
    """Create a key and print its secret (once).

    When stdout is not a terminal only the secret is printed, so
    KEY=$(activitylog keys create ...) works; the key id goes to stderr.
    """
    if platform == (workspace is not None):
        raise ValidationError([FieldError("workspace", "give either --workspace or --platform")])
    key, secret = open_accounts().create_key(workspace=workspace, scope=scope, name=name)
    if _stdout_is_tty():
        click.echo("API key (shown once; store it now):")
        click.echo(f"  {secret}")
    else:
        click.echo(secret)
    where = "every workspace" if key.is_platform else f"workspace {key.workspace}"
    click.echo(f"created {key.id} ({key.scope}, {where})", err=True)


@keys.command("list")
@click.option("--workspace", help="Only this workspace's keys.")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked keys.")
@_FORMAT
def list_keys(workspace: str | None, include_revoked: bool, fmt: str) -> None:
    """Keys, oldest first, with their prefix (never the secret)."""
    found = open_accounts().list_keys(workspace, include_revoked=include_revoked)
    if fmt == "json":
        echo_json([key.to_dict() for key in found])
        return
    _print_keys(found)


@keys.command("revoke")
@click.argument("key_id")
def revoke_key(key_id: str) -> None:
    """Revoke a key for good: requests with it are refused from now on."""
    key = open_accounts().revoke_key(key_id)
    click.echo(f"revoked {key.id}")


def _print_keys(found: list[ApiKey]) -> None:
    console = make_console()
    if not found:
        console.print(Text("no keys"))
        return
    table = Table(box=None, pad_edge=False, header_style="bold", padding=(0, 2))
    columns = ("id", "name", "workspace", "scope", "prefix", "created", "last used", "revoked")
    for column in columns:
        table.add_column(column, no_wrap=True)
    for key in found:
        cells = (
            key.id,
            key.name,
            key.workspace or "(platform)",
            key.scope,
            key.prefix + "…",
            _when(key.created_at),
            _when(key.last_used_at),
            _when(key.revoked_at),
        )
        table.add_row(*(Text(cell) for cell in cells))
    console.print(table)


def _when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _stdout_is_tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


# -- viewer tokens -------------------------------------------------------------------------
def parse_ttl(text: str) -> timedelta:
    """``900``, ``900s``, ``15m`` or ``1h`` as a duration."""
    match = _TTL.fullmatch(text.strip().lower())
    if not match:
        raise ValidationError([FieldError("ttl", "must be seconds or like 15m or 1h")])
    return timedelta(seconds=int(match.group(1)) * _TTL_UNITS[match.group(2)])


@cli.command()
@click.option("--workspace", required=True, help="The workspace the token may read.")
@click.option("--user", "user_id", required=True, metavar="ID", help="Who reads (user id).")
@click.option("--role", type=_ROLE, required=True, help="Their role in the workspace.")
@click.option("--ttl", default="15m", show_default=True, help="Lifetime: 900, 15m, 1h (max 1h).")
@click.option("--name", help="Display name carried in the token.")
@click.option("--email", help="Email carried in the token.")
def token(
    workspace: str, user_id: str, role: str, ttl: str, name: str | None, email: str | None
) -> None:
    """Print a viewer token for embedding the Activity Log (signed with the secret key file,
    ACTIVITYLOG_SECRET_KEY; created on first use)."""
    secret = load_or_create_secret(current_settings().secret_key)
    click.echo(
        mint_viewer_token(
            secret,
            workspace=workspace,
            user_id=user_id,
            role=role,
            ttl=parse_ttl(ttl),
            name=name,
            email=email,
        )
    )


__all__ = ["keys", "parse_ttl", "token", "users"]
