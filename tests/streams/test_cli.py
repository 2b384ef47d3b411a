"""``activitylog streams add|list|remove|status`` and ``follow --once`` sending them."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from activitylog import ActivityLog
from activitylog.cli import main
from activitylog.settings import Settings

from ._receivers import WebhookReceiver


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    monkeypatch.setenv("ACTIVITYLOG_DB", db_url)
    monkeypatch.setenv("COLUMNS", "400")  # tables unwrapped
    return CliRunner()


def _seed(db_url: str, n: int, workspace: str = "acme") -> None:
    with ActivityLog(db_url, settings=Settings.from_env()) as log:
        log.record_many([{"workspace": workspace, "action": "contact.updated"}] * n)


def test_add_list_follow_status_remove(cli: CliRunner, db_url: str, tmp_path: Path) -> None:
    _seed(db_url, 3)
    out = tmp_path / "acme.cef"
    added = cli.invoke(
        main,
        [
            "streams",
            "add",
            "--workspace",
            "acme",
            "--name",
            "siem",
            "--file",
            str(out),
            "--format",
            "cef",
            "--from",
            "beginning",
            "--result",
            "success",
        ],
    )
    assert added.exit_code == 0, added.output
    stream_id = added.stdout.strip()
    assert stream_id.startswith("st_")
    assert "secret" not in added.output  # files have none
    listed = cli.invoke(main, ["streams", "list", "--format", "json"])
    (shown,) = orjson.loads(listed.stdout)
    assert shown["id"] == stream_id
    assert shown["destination"] == "file"
    assert shown["target"] == str(out)
    assert shown["filters"] == {"results": ["success"]}
    table = cli.invoke(main, ["streams", "list"])
    assert "siem" in table.stdout
    assert "results=success" in table.stdout
    before = orjson.loads(cli.invoke(main, ["streams", "status", "--format", "json"]).stdout)
    assert before[0]["started"] is False
    assert before[0]["behind"] == 4  # 3 entries and stream.created
    followed = cli.invoke(main, ["follow", "--once"])
    assert followed.exit_code == 0, followed.output
    lines = out.read_text().splitlines()
    assert len(lines) == 3  # stream.created is a platform-layer entry: not the workspace's
    assert all(line.startswith("CEF:0|activitylog|activitylog|") for line in lines)
    after = orjson.loads(cli.invoke(main, ["streams", "status", "--format", "json"]).stdout)
    assert after[0]["started"] is True
    assert after[0]["behind"] == 0
    assert after[0]["workspaces"][0]["position"] == 4
    status_table = cli.invoke(main, ["streams", "status"])
    assert stream_id in status_table.stdout
    removed = cli.invoke(main, ["streams", "remove", stream_id])
    assert removed.exit_code == 0
    assert f"removed {stream_id}" in removed.stdout
    assert orjson.loads(cli.invoke(main, ["streams", "list", "--format", "json"]).stdout) == []
    again = cli.invoke(main, ["streams", "remove", stream_id])
    assert again.exit_code == 2
    assert "no stream" in again.output
    with ActivityLog(db_url, settings=Settings.from_env()) as log:
        from activitylog.selection import Selection

        page = log.query(Selection(since="1970-01-01", events=("stream.created", "stream.removed")))
        assert sorted(e["action"] for e in page.items) == ["stream.created", "stream.removed"]


def test_webhook_secret_is_shown_once_and_signs(cli: CliRunner, db_url: str) -> None:
    _seed(db_url, 2, workspace="globex")
    receiver = WebhookReceiver(secret="")
    receiver.start()
    try:
        added = cli.invoke(
            main,
            [
                "streams",
                "add",
                "--platform",
                "--name",
                "all",
                "--url",
                receiver.url,
                "--from",
                "beginning",
            ],
        )
        assert added.exit_code == 0, added.output
        (secret_line,) = [line for line in added.stderr.splitlines() if line.startswith("secret:")]
        receiver.secret = secret_line.split(" ", 1)[1]
        listed = cli.invoke(main, ["streams", "list", "--format", "json"])
        assert receiver.secret not in listed.stdout
        assert cli.invoke(main, ["follow", "--once"]).exit_code == 0
    finally:
        receiver.stop()
    assert receiver.bad_signatures == 0
    # every workspace: globex's entries and the platform's record of the stream
    assert {(e["workspace"], e["action"]) for e in receiver.events()} == {
        ("globex", "contact.updated"),
        ("platform", "stream.created"),
    }


def test_follow_once_fails_naming_a_stream_that_is_down(cli: CliRunner, db_url: str) -> None:
    _seed(db_url, 1)
    added = cli.invoke(
        main,
        [
            "streams",
            "add",
            "--workspace",
            "acme",
            "--name",
            "down",
            "--syslog",
            "127.0.0.1:9",
            "--from",
            "beginning",
        ],
    )
    assert added.exit_code == 0, added.output
    result = cli.invoke(main, ["follow", "--once"])
    assert result.exit_code == 1
    assert "workspace acme: ConnectionRefusedError" in result.output
    status = orjson.loads(cli.invoke(main, ["streams", "status", "--format", "json"]).stdout)
    assert "ConnectionRefusedError" in status[0]["last_error"]
    assert status[0]["workspaces"][0]["retry_at"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "x", "--url", "https://h.example/x"], "give --workspace W or --platform"),
        (
            ["--workspace", "a", "--platform", "--name", "x", "--url", "https://h.example/x"],
            "not both",
        ),
        (["--workspace", "a", "--name", "x"], "destination: give exactly one of url"),
        (["--workspace", "a", "--name", "x", "--url", "http://h.example/x"], "url: must use"),
        (["--workspace", "a", "--name", "x", "--syslog", "h"], "syslog: must be HOST:PORT"),
        (["--workspace", "a", "--name", "x", "--file", "/no/such/folder/f"], "file: folder"),
        (
            ["--workspace", "a", "--name", "x", "--url", "https://h.example/x", "--result", "ok"],
            "filters.results: unknown value 'ok'",
        ),
        (
            ["--workspace", "a", "--name", "x", "--url", "https://h.example/x", "--country", "XX"],
            "filters.countries",
        ),
        (
            ["--workspace", "a", "--name", "x", "--url", "https://h.example/x", "--secret", "s"],
            "secret: must start with whsec_",
        ),
        (
            ["--workspace", "a", "--name", "x", "--url", "https://h.example/x", "--syslog-tls"],
            "syslog_tls: is for syslog destinations",
        ),
    ],
)
def test_bad_additions_exit_2_naming_the_field(
    cli: CliRunner, args: list[str], message: str
) -> None:
    result = cli.invoke(main, ["streams", "add", *args])
    assert result.exit_code == 2
    assert message in result.output
    listed = cli.invoke(main, ["streams", "list", "--format", "json"])
    assert orjson.loads(listed.stdout) == []
