"""``activitylog alerts channels list|add|remove`` end to end (CliRunner, each engine):
channels added and removed, bad input refused naming the field, changes recorded."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result
from standardwebhooks import Webhook

from activitylog import ActivityLog
from activitylog.cli import main
from activitylog.settings import Settings

from ._support import free_port, http_receiver, raise_alert, smtp_server


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no ./activitylog.toml
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    for name in ("ACTIVITYLOG_DB", "ACTIVITYLOG_CONFIG", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def run(db_url: str, *args: str) -> Result:
    result = CliRunner().invoke(main, ["--db", db_url, "alerts", "channels", *args])
    assert "Traceback" not in result.output
    return result


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout)


def check_secret(secret: str) -> str:
    """A ``whsec_`` secret: 32 random bytes, base64."""
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    return secret


def recorded(db_url: str) -> list[dict[str, Any]]:
    with ActivityLog(db_url, settings=Settings.from_env()) as log:
        actions = ["alert_channel.added", "alert_channel.removed"]
        return log.query(events=actions, per_page=100).items


def test_add_list_and_remove(db_url: str) -> None:
    hook = as_json(
        run(
            db_url,
            "add",
            "acme",
            "webhook",
            "https://hooks.example.com/in",
            "--min-severity",
            "high",
            "--format",
            "json",
        )
    )
    assert check_secret(hook["secret"]) == hook["secret"]
    mail = run(db_url, "add", "beta", "email", "Ops@Example.com,sec@example.com")
    assert mail.exit_code == 0, mail.output
    assert mail.stdout.startswith("added ch_")
    assert "email ops@example.com, sec@example.com" in mail.stdout
    listed = as_json(run(db_url, "list", "--format", "json"))
    assert [(c["workspace"], c["kind"], c["min_severity"]) for c in listed] == [
        ("acme", "webhook", "high"),
        ("beta", "email", "low"),
    ]
    assert hook["secret"] not in str(listed)
    assert [
        c["kind"] for c in as_json(run(db_url, "list", "--workspace", "beta", "--format", "json"))
    ] == ["email"]
    table = run(db_url, "list")
    assert table.exit_code == 0
    assert hook["id"] in table.stdout
    removed = run(db_url, "remove", hook["id"])
    assert removed.exit_code == 0, removed.output
    assert [c["workspace"] for c in as_json(run(db_url, "list", "--format", "json"))] == ["beta"]
    entries = recorded(db_url)
    assert sorted((e["workspace"], e["action"]) for e in entries) == [
        ("acme", "alert_channel.added"),
        ("acme", "alert_channel.removed"),
        ("beta", "alert_channel.added"),
    ]
    assert {e["layer"] for e in entries} == {"platform"}


def test_a_webhook_secret_is_printed_once(db_url: str) -> None:
    added = run(db_url, "add", "acme", "webhook", "https://hooks.example.com/in")
    assert added.exit_code == 0, added.output
    (secret,) = [
        line.split(" ", 1)[1] for line in added.stdout.splitlines() if line.startswith("secret: ")
    ]
    assert check_secret(secret) == secret
    assert secret not in run(db_url, "list").output
    assert secret not in run(db_url, "list", "--format", "json").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "acme", "email", "nobody"), "error: target: 'nobody' must be an email address"),
        (
            ("add", "acme", "slack", "http://hooks.slack.com/x"),
            "error: target: must use https",
        ),
        (("add", "acme", "pager", "x"), "'pager' is not one of"),
        (
            ("add", "acme", "email", "a@example.com", "--min-severity", "urgent"),
            "'urgent' is not one of",
        ),
        (("remove", "ch_missing"), "error: no alert channel 'ch_missing'"),
    ],
)
def test_bad_input_exits_2_naming_the_field(
    db_url: str, args: tuple[str, ...], message: str
) -> None:
    result = run(db_url, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert as_json(run(db_url, "list", "--format", "json")) == []


def test_test_sends_a_signed_test_webhook_now(db_url: str) -> None:
    with http_receiver() as receiver:
        hook = as_json(run(db_url, "add", "acme", "webhook", receiver.url, "--format", "json"))
        result = run(db_url, "test", hook["id"])
        assert result.exit_code == 0, result.output
        assert result.stdout == f"delivered (204) to webhook {receiver.url}\n"
        receiver.status[0] = 500
        failed = run(db_url, "test", hook["id"])
    assert failed.exit_code == 1
    assert "not delivered (500): HTTP 500" in failed.output
    first = receiver.requests[0]
    payload = Webhook(hook["secret"]).verify(first.body, first.headers)
    assert payload["type"] == "alert.test"
    assert payload["data"]["workspace"] == "acme"


def test_test_sends_a_test_email_through_the_smtp_settings(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    for name, value in {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "STARTTLS": "false",
        "FROM": "alerts@example.com",
    }.items():
        monkeypatch.setenv(f"ACTIVITYLOG_SMTP_{name}", value)
    mail = as_json(run(db_url, "add", "acme", "email", "ops@example.com", "--format", "json"))
    with smtp_server(port) as inbox:
        result = run(db_url, "test", mail["id"])
    assert result.exit_code == 0, result.output
    ((envelope, message),) = inbox.messages
    assert envelope.rcpt_tos == ["ops@example.com"]
    assert message["Subject"] == "Test of an alert channel of acme"
    missing = run(db_url, "test", "ch_missing")
    assert missing.exit_code == 2
    assert "error: no alert channel 'ch_missing'" in missing.output


def test_follow_once_sends_the_alerts_deliveries(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    for name, value in {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "STARTTLS": "false",
        "FROM": "alerts@example.com",
    }.items():
        monkeypatch.setenv(f"ACTIVITYLOG_SMTP_{name}", value)
    as_json(run(db_url, "add", "acme", "email", "ops@example.com", "--format", "json"))
    follow = ["--db", db_url, "follow", "--once"]
    assert CliRunner().invoke(main, follow).exit_code == 0  # every follower, at the end
    with ActivityLog(db_url, settings=Settings.from_env()) as log:
        raise_alert(log)
    with smtp_server(port) as inbox:
        result = CliRunner().invoke(main, follow)
        assert result.exit_code == 0, result.output
        assert CliRunner().invoke(main, follow).exit_code == 0  # nothing more
    ((envelope, message),) = inbox.messages
    assert envelope.rcpt_tos == ["ops@example.com"]
    assert message["X-Activitylog-Alert"] == "al_1"
