"""``activitylog alerts``: rules, set-rule, add-rule, list (the JSON shape), ack, resolve;
bad input exits 2 naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from activitylog import ActivityLog
from activitylog.cli import main
from activitylog.settings import Settings

from ._support import entries_with, failed, follow, start_following

LIST_FIELDS = {
    "id",
    "rule",
    "severity",
    "status",
    "workspace",
    "event_ids",
    "raised_at",
    "updated_at",
    "summary",
    "acknowledged_by",
    "acknowledged_at",
    "resolved_by",
    "resolved_at",
    "note",
    "deliveries",
}


@pytest.fixture
def cli_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ActivityLog:
    db = f"sqlite:///{tmp_path / 'log.db'}"
    monkeypatch.setenv("ACTIVITYLOG_DB", db)
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    return ActivityLog(db, settings=Settings.from_env())


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), env={"COLUMNS": "300"})


def test_list_ack_resolve(cli_log: ActivityLog) -> None:
    start_following(cli_log)
    ids = [e["id"] for e in cli_log.record_many([failed(m) for m in range(5)])]
    follow(cli_log)
    result = run("alerts", "list", "--workspace", "acme", "--format", "json")
    assert result.exit_code == 0, result.output
    [alert] = orjson.loads(result.output)
    assert set(alert) == LIST_FIELDS
    assert (alert["rule"], alert["severity"], alert["status"]) == (
        "failed_sign_in_burst",
        "high",
        "open",
    )
    assert (alert["workspace"], alert["event_ids"]) == ("acme", ids)
    table = run("alerts", "list")
    assert "failed_sign_in_burst" in table.output
    assert alert["id"] in table.output
    acked = run("alerts", "ack", alert["id"])
    assert orjson.loads(acked.output)["status"] == "acknowledged"
    resolved = run("alerts", "resolve", alert["id"], "--note", "a user's typo, reset")
    assert orjson.loads(resolved.output)["note"] == "a user's typo, reset"
    assert orjson.loads(run("alerts", "list", "--status", "open", "--format", "json").output) == []
    [entry] = entries_with(cli_log, "alert.resolved")
    assert entry["actor"]["name"] == "Operator (command line)"
    assert entry["layer"] == "platform"
    again = run("alerts", "resolve", alert["id"])
    assert again.exit_code == 2
    assert "resolved already" in again.output


def test_rules_set_rule_add_rule(cli_log: ActivityLog) -> None:
    cli_log.record(workspace="acme", action="contact.created")
    result = run("alerts", "rules", "--workspace", "acme", "--format", "json")
    rules = orjson.loads(result.output)
    assert [r["name"] for r in rules][:2] == ["failed_sign_in_burst", "new_country_sign_in"]
    assert len(rules) == 10
    changed = run(
        "alerts",
        "set-rule",
        "acme",
        "off_hours",
        "--on",
        "--hours",
        "08:00-17:00",
        "--days",
        "mon-fri",
        "--timezone",
        "Europe/Berlin",
        "--window",
        "30",
    )
    assert changed.exit_code == 0, changed.output
    state = orjson.loads(changed.output)
    assert state["enabled"] is True
    assert state["params"]["timezone"] == "Europe/Berlin"
    off = run("alerts", "set-rule", "acme", "failed_sign_in_burst", "--off", "--threshold", "8")
    assert orjson.loads(off.output)["threshold"] == 8
    added = run(
        "alerts",
        "add-rule",
        "acme",
        "--name",
        "failures",
        "--result",
        "failure",
        "--country",
        "de",
        "--threshold",
        "3",
        "--window",
        "5",
        "--per",
        "ip",
    )
    assert added.exit_code == 0, added.output
    assert orjson.loads(added.output)["filters"] == {"results": ["failure"], "countries": ["DE"]}
    table = run("alerts", "rules", "--workspace", "acme")
    assert "failures" in table.output
    assert "Europe/Berlin" in table.output
    assert len(entries_with(cli_log, "alert_rule.updated")) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("set-rule", "acme", "off_hours", "--hours", "9-5"), "hours: must be HH:MM-HH:MM"),
        (("set-rule", "acme", "off_hours", "--timezone", "Nowhere/Land"), "timezone:"),
        (("set-rule", "acme", "new_ip_sign_in", "--threshold", "3"), "has no threshold"),
        (("set-rule", "acme", "nonsense", "--on"), "no alert rule 'nonsense'"),
        (("set-rule", "acme", "bulk_delete", "--window", "0"), "window: must be between"),
        (
            (
                "add-rule",
                "acme",
                "--name",
                "x",
                "--role",
                "boss",
                "--threshold",
                "1",
                "--window",
                "1",
            ),
            "filters.roles:",
        ),
        (("add-rule", "acme", "--name", "Bad", "--threshold", "1", "--window", "1"), "name:"),
        (("ack", "no-such-alert"), "no alert no-such-alert"),
    ],
)
def test_bad_input_exits_2_naming_the_field(
    cli_log: ActivityLog, args: tuple[str, ...], message: str
) -> None:
    result = run("alerts", *args)
    assert result.exit_code == 2
    assert message in result.output
