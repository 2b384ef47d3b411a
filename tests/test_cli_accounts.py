"""``activitylog users``, ``keys`` and ``token`` end to end (CliRunner, each engine)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from activitylog import ActivityLog
from activitylog.accounts import Accounts
from activitylog.accounts.secret import load_or_create_secret
from activitylog.accounts.tokens import read_viewer_token
from activitylog.cli import main
from activitylog.cli.accounts import parse_ttl
from activitylog.errors import ValidationError
from activitylog.settings import Settings

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no ./activitylog.toml
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    monkeypatch.setenv("ACTIVITYLOG_SECRET_KEY", str(tmp_path / "secret-key"))
    for name in ("ACTIVITYLOG_DB", "ACTIVITYLOG_CONFIG", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def run(db_url: str, *args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(main, ["--db", db_url, *args], input=input)
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def accounts(db_url: str) -> Iterator[Accounts]:
    """An SDK view of the CLI's database."""
    with ActivityLog(db_url, settings=Settings.from_env()) as log:
        yield Accounts(log.store.engine)


def add(db_url: str, email: str, *flags: str) -> Result:
    return run(db_url, "users", "add", email, *flags, "--password-stdin", input=PASSWORD + "\n")


# -- users ---------------------------------------------------------------------------------
def test_users_add_reads_the_password_from_stdin(db_url: str, accounts: Accounts) -> None:
    result = add(db_url, "Ava@Acme.io", "--workspace", "acme", "--role", "owner", "--id", "u_ava")
    assert result.exit_code == 0, result.output
    assert result.stdout == "u_ava\n"
    user = accounts.authenticate("ava@acme.io", PASSWORD)
    assert (user.id, user.name, dict(user.memberships)) == ("u_ava", "ava", {"acme": "owner"})


def test_the_commands_reach_the_accounts_where_accounts_db_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = f"sqlite:///{tmp_path / 'log.db'}"
    accounts_db = f"sqlite:///{tmp_path / 'accounts.db'}"
    monkeypatch.setenv("ACTIVITYLOG_ACCOUNTS_DB", accounts_db)
    assert add(db, "ava@acme.io", "--workspace", "acme", "--role", "owner").exit_code == 0
    assert run(db, "keys", "create", "--workspace", "acme", "--scope", "read").exit_code == 0
    with Accounts.open(accounts_db) as apart:
        assert apart.authenticate("ava@acme.io", PASSWORD).memberships == {"acme": "owner"}
        assert [key.workspace for key in apart.list_keys()] == ["acme"]
    monkeypatch.delenv("ACTIVITYLOG_ACCOUNTS_DB")
    assert orjson.loads(run(db, "users", "list", "--format", "json").stdout) == []


def test_users_add_prompts_twice_for_the_password(db_url: str, accounts: Accounts) -> None:
    typed = f"{PASSWORD}\n{PASSWORD}\n"
    result = run(db_url, "users", "add", "ben@acme.io", "--name", "Ben Ng", input=typed)
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden
    user = accounts.get_user("ben@acme.io")
    assert user is not None
    assert result.stdout.strip().endswith(user.id)
    assert user.name == "Ben Ng"
    mismatch = run(db_url, "users", "add", "cy@acme.io", input=f"{PASSWORD}\nother one\n")
    assert mismatch.exit_code != 0
    assert accounts.get_user("cy@acme.io") is None


def test_users_add_refuses_bad_input_before_asking(db_url: str, accounts: Accounts) -> None:
    result = run(db_url, "users", "add", "not-an-email", "--role", "owner")
    assert result.exit_code == 2
    assert result.stderr == "error: email: must be an email address like ava@example.com; " + (
        "role: needs a workspace\n"
    )
    assert "Password" not in result.output
    assert add(db_url, "ava@acme.io").exit_code == 0
    again = run(db_url, "users", "add", "AVA@acme.io")
    assert (again.exit_code, again.stderr) == (2, "error: email: is already taken\n")
    short = run(db_url, "users", "add", "dee@acme.io", "--password-stdin", input="short\n")
    assert (short.exit_code, short.stderr) == (
        2,
        "error: password: must be at least 8 characters\n",
    )
    bad_role = run(db_url, "users", "add", "dee@acme.io", "--workspace", "acme", "--role", "boss")
    assert bad_role.exit_code == 2  # click's own choice check


def test_users_list_set_role_and_remove(db_url: str, accounts: Accounts) -> None:
    add(db_url, "ava@acme.io", "--workspace", "acme", "--role", "owner", "--id", "u_ava")
    add(db_url, "root@ops.io", "--platform-admin", "--id", "u_root")
    result = run(
        db_url, "users", "set-role", "ava@acme.io", "--workspace", "globex", "--role", "viewer"
    )
    assert result.stdout == "ava@acme.io: acme:owner, globex:viewer\n"

    table = run(db_url, "users", "list")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["email", "name", "id", "roles", "platform", "admin"]
    assert lines[1].split() == ["ava@acme.io", "ava", "u_ava", "acme:owner,", "globex:viewer"]
    assert lines[2].split() == ["root@ops.io", "root", "u_root", "yes"]

    listed = orjson.loads(
        run(db_url, "users", "list", "--workspace", "globex", "--format", "json").stdout
    )
    assert listed == [
        {
            "id": "u_ava",
            "email": "ava@acme.io",
            "name": "ava",
            "is_platform_admin": False,
            "memberships": {"acme": "owner", "globex": "viewer"},
            "disabled": False,
        }
    ]

    assert run(db_url, "users", "remove", "ava@acme.io", "--workspace", "globex").exit_code == 0
    assert run(db_url, "users", "list", "--workspace", "globex").stdout == "no users\n"
    missing = run(db_url, "users", "remove", "ava@acme.io", "--workspace", "globex")
    assert missing.exit_code == 2
    assert missing.stderr.startswith("error: ava@acme.io is not a member")
    assert run(db_url, "users", "remove", "ava@acme.io").stdout == "removed ava@acme.io\n"
    assert accounts.get_user("u_ava") is None
    unknown = run(db_url, "users", "set-role", "ava@acme.io", "--workspace", "a", "--role", "owner")
    assert (unknown.exit_code, unknown.stderr) == (2, "error: no user 'ava@acme.io'\n")


def test_users_set_password_disable_and_enable(db_url: str, accounts: Accounts) -> None:
    add(db_url, "ava@acme.io")
    new = "a much better password"
    result = run(
        db_url, "users", "set-password", "ava@acme.io", "--password-stdin", input=new + "\n"
    )
    assert result.exit_code == 0, result.output
    assert accounts.authenticate("ava@acme.io", new).email == "ava@acme.io"
    assert run(db_url, "users", "disable", "ava@acme.io").exit_code == 0
    user = accounts.get_user("ava@acme.io")
    assert user is not None
    assert user.disabled
    assert "(disabled)" in run(db_url, "users", "list").stdout
    assert run(db_url, "users", "enable", "ava@acme.io").exit_code == 0
    assert not accounts.get_user("ava@acme.io").disabled  # type: ignore[union-attr]
    nobody = run(db_url, "users", "set-password", "no@acme.io")
    assert (nobody.exit_code, nobody.stderr) == (2, "error: no user 'no@acme.io'\n")


# -- keys ----------------------------------------------------------------------------------
def test_keys_create_prints_only_the_secret_when_piped(db_url: str, accounts: Accounts) -> None:
    result = run(
        db_url, "keys", "create", "--workspace", "acme", "--scope", "ingest", "--name", "ci"
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.removesuffix("\n")
    assert "\n" not in secret
    key = accounts.key_for_secret(secret)
    assert key is not None
    assert (key.workspace, key.scope, key.name) == ("acme", "ingest", "ci")
    assert result.stderr == f"created {key.id} (ingest, workspace acme)\n"

    platform = run(db_url, "keys", "create", "--platform", "--scope", "read")
    found = accounts.key_for_secret(platform.stdout.strip())
    assert found is not None
    assert found.is_platform


@pytest.mark.parametrize(
    "flags",
    [
        ("--scope", "read"),
        ("--workspace", "acme", "--platform", "--scope", "read"),
    ],
)
def test_keys_create_needs_a_workspace_or_platform(db_url: str, flags: tuple[str, ...]) -> None:
    result = run(db_url, "keys", "create", *flags)
    assert (result.exit_code, result.stderr) == (
        2,
        "error: workspace: give either --workspace or --platform\n",
    )


def test_keys_list_and_revoke(db_url: str) -> None:
    first = run(
        db_url, "keys", "create", "--workspace", "acme", "--scope", "ingest", "--name", "ci"
    )
    second = run(db_url, "keys", "create", "--platform", "--scope", "read")
    secrets = [first.stdout.strip(), second.stdout.strip()]
    listed = orjson.loads(run(db_url, "keys", "list", "--format", "json").stdout)
    assert [(k["workspace"], k["scope"], k["name"]) for k in listed] == [
        ("acme", "ingest", "ci"),
        (None, "read", ""),
    ]
    assert [k["prefix"] for k in listed] == [s[:12] for s in secrets]
    table = run(db_url, "keys", "list")
    assert table.exit_code == 0
    assert "(platform)" in table.stdout
    for secret in secrets:
        assert secret not in table.stdout
        assert secret[:12] + "…" in table.stdout

    revoked = run(db_url, "keys", "revoke", listed[0]["id"])
    assert revoked.stdout == f"revoked {listed[0]['id']}\n"
    assert [
        k["id"] for k in orjson.loads(run(db_url, "keys", "list", "--format", "json").stdout)
    ] == [listed[1]["id"]]
    everything = orjson.loads(run(db_url, "keys", "list", "--all", "--format", "json").stdout)
    assert everything[0]["revoked_at"] is not None
    acme = orjson.loads(
        run(db_url, "keys", "list", "--workspace", "acme", "--all", "--format", "json").stdout
    )
    assert [k["id"] for k in acme] == [listed[0]["id"]]
    unknown = run(db_url, "keys", "revoke", "key_nope")
    assert (unknown.exit_code, unknown.stderr) == (2, "error: no API key 'key_nope'\n")


# -- token ---------------------------------------------------------------------------------
def test_token_is_signed_with_the_secret_key_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["token", "--workspace", "acme", "--user", "u_ava", "--role", "member", "--ttl", "5m"],
    )
    assert result.exit_code == 0, result.output
    secret = load_or_create_secret(tmp_path / "secret-key")
    claims = read_viewer_token(secret, result.stdout.strip())
    assert (claims.viewer.user_id, claims.viewer.role, claims.viewer.workspace) == (
        "u_ava",
        "member",
        "acme",
    )


@pytest.mark.parametrize(
    ("ttl", "error"),
    [
        ("2h", "error: ttl: must be at most 1 hour\n"),
        ("0", "error: ttl: must be positive\n"),
        ("soon", "error: ttl: must be seconds or like 15m or 1h\n"),
    ],
)
def test_token_refuses_a_bad_ttl(ttl: str, error: str) -> None:
    args = ["token", "--workspace", "acme", "--user", "u_ava", "--role", "viewer", "--ttl", ttl]
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.stderr) == (2, error)


@pytest.mark.parametrize(
    ("text", "seconds"), [("900", 900), ("900s", 900), ("15m", 900), ("1h", 3600), (" 2M ", 120)]
)
def test_parse_ttl(text: str, seconds: int) -> None:
    assert parse_ttl(text).total_seconds() == seconds


def test_parse_ttl_refuses_other_text() -> None:
    with pytest.raises(ValidationError):
        parse_ttl("1d")


# -- --config ------------------------------------------------------------------------------
def test_the_config_file_names_the_database(tmp_path: Path) -> None:
    config = tmp_path / "log.toml"
    config.write_text(f'db = "sqlite:///{tmp_path / "configured.db"}"\n')
    created = CliRunner().invoke(
        main,
        ["--config", str(config), "keys", "create", "--workspace", "acme", "--scope", "read"],
    )
    assert created.exit_code == 0, created.output
    assert (tmp_path / "configured.db").exists()
    listed = CliRunner().invoke(main, ["--config", str(config), "keys", "list", "--format", "json"])
    assert len(orjson.loads(listed.stdout)) == 1


def test_a_missing_or_bad_config_file_is_one_error_line(tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["--config", str(tmp_path / "nope.toml"), "keys", "list"])
    assert missing.exit_code == 2
    assert missing.stderr == f"error: config file {tmp_path / 'nope.toml'} does not exist\n"
    bad = tmp_path / "bad.toml"
    bad.write_text("colour = 'blue'\n")
    result = CliRunner().invoke(main, ["--config", str(bad), "keys", "list"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {bad}: unknown setting 'colour'")
