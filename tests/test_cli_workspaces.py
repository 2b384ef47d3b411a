"""``activitylog workspace show`` and ``workspace set`` end to end (CliRunner, each engine):
a workspace's settings, and each change recorded in its log."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result

from activitylog import ActivityLog
from activitylog.cli import main
from activitylog.settings import Settings


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no ./activitylog.toml
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    for name in ("ACTIVITYLOG_DB", "ACTIVITYLOG_CONFIG", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def run(db_url: str, *args: str) -> Result:
    result = CliRunner().invoke(main, ["--db", db_url, *args])
    assert "Traceback" not in result.output
    return result


def shown(db_url: str, workspace: str = "acme") -> dict[str, Any]:
    result = run(db_url, "workspace", "show", workspace, "--format", "json")
    assert result.exit_code == 0, result.output
    settings: dict[str, Any] = orjson.loads(result.stdout)
    return settings


def recorded(db_url: str) -> list[dict[str, Any]]:
    with ActivityLog(db_url, settings=Settings.from_env()) as log:
        return log.query(events=["workspace.settings_updated"], per_page=100).items


def test_show_prints_the_defaults(db_url: str) -> None:
    settings = shown(db_url)
    assert (settings["workspace"], settings["log_access"], settings["link_base"]) == (
        "acme",
        "admins",
        None,
    )
    table = run(db_url, "workspace", "show", "acme")
    assert table.exit_code == 0
    assert re.search(r"^log_access\s+admins$", table.stdout, re.M)
    assert re.search(r"^link_base\s+none$", table.stdout, re.M)


def test_set_changes_and_records_before_and_after(db_url: str) -> None:
    result = run(
        db_url, "workspace", "set", "acme", "--log-access", "own",
        "--link-base", "https://app.acme.example/",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "changed: log_access, link_base" in result.stderr
    settings = shown(db_url)
    assert (settings["log_access"], settings["link_base"]) == ("own", "https://app.acme.example/")
    assert shown(db_url, "globex")["log_access"] == "admins"
    [entry] = recorded(db_url)
    assert entry["workspace"] == "acme"
    assert entry["layer"] == "platform"
    assert entry["actor"]["id"] == "operator"
    assert entry["changes"] == {
        "log_access": {"before": "admins", "after": "own"},
        "link_base": {"before": None, "after": "https://app.acme.example/"},
    }

    again = run(db_url, "workspace", "set", "acme", "--log-access", "own")
    assert again.exit_code == 0
    assert "nothing changed" in again.stderr
    assert len(recorded(db_url)) == 1

    cleared = run(db_url, "workspace", "set", "acme", "--link-base", "none")
    assert cleared.exit_code == 0
    assert shown(db_url)["link_base"] is None
    assert recorded(db_url)[0]["changes"] == {
        "link_base": {"before": "https://app.acme.example/", "after": None}
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--link-base", "ftp://files.acme.example"], "error: link_base: "),
        (["--link-base", "https://user:pw@acme.example/"], "error: link_base: "),
        (["--log-access", "everyone"], "Invalid value for '--log-access'"),
        ([], "error: settings: give --log-access"),
    ],
)
def test_bad_values_exit_2_naming_the_setting(db_url: str, args: list[str], message: str) -> None:
    result = run(db_url, "workspace", "set", "acme", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert shown(db_url)["log_access"] == "admins"
    assert recorded(db_url) == []


def test_a_bad_workspace_name_is_refused(db_url: str) -> None:
    result = run(db_url, "workspace", "show", "bad\tname")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: workspace:")
