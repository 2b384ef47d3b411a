"""The ``activitylog`` command line, run with click's CliRunner on every engine."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import orjson
import psycopg
import pytest
from click.testing import CliRunner, Result

from activitylog import ActivityLog
from activitylog.cli import main
from activitylog.events import CONTENT_FIELDS, EVENT_FIELDS
from activitylog.exports import CSV_COLUMNS
from activitylog.settings import Settings

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    monkeypatch.setenv("ACTIVITYLOG_CHECKPOINT_EVERY", "10")
    monkeypatch.delenv("ACTIVITYLOG_DB", raising=False)
    monkeypatch.delenv("ACTIVITYLOG_DURABILITY", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)  # tables are 160 wide when not a terminal


def run(db_url: str, *args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(main, ["--db", db_url, *args], input=input)
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def stored(db_url: str) -> Iterator[ActivityLog]:
    """An SDK view of the CLI's database (same environment settings)."""
    with ActivityLog(db_url, settings=Settings.from_env()) as log:
        yield log


def event(n: int, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "workspace": "acme",
        "action": "contact.updated",
        "actor": {"id": f"u_{n % 3}", "name": f"User {n % 3}"},
        "subject": {"type": "contact", "id": f"c_{n}"},
        "occurred_at": (NOW - timedelta(minutes=n)).isoformat(),
        "ip": f"203.0.113.{n % 250}",
        "description": f"event number {n}",
    }
    return {**base, **fields}


def populate(log: ActivityLog, count: int = 30) -> list[dict[str, Any]]:
    events = [event(n, result="failure" if n % 5 == 0 else "success") for n in range(1, count + 1)]
    events.append(event(100, workspace="globex", action="auth.signed_in"))
    return log.record_many(events)


def ndjson(*items: Any) -> str:
    return "\n".join(i if isinstance(i, str) else orjson.dumps(i).decode() for i in items) + "\n"


# -- record --------------------------------------------------------------------------------
def test_record_prints_the_id_and_stores_every_flag(db_url: str, stored: ActivityLog) -> None:
    result = run(
        db_url,
        "record",
        "--workspace", "acme",
        "--action", "contact.updated",
        "--actor-id", "u_ava", "--actor-name", "Ava", "--actor-email", "ava@acme.example",
        "--actor-role", "owner", "--actor-type", "user",
        "--impersonator-id", "u_sam", "--impersonator-name", "Sam",
        "--impersonator-email", "sam@x.example",
        "--subject-type", "contact", "--subject-id", "c_9", "--subject-name", "Iris",
        "--subject-url", "https://app.example/c/9",
        "--result", "warning", "--layer", "workspace", "--ip", "203.0.113.9",
        "--user-agent", "curl/8.0", "--description", "Updated Iris",
        "--changes", '{"email": {"before": "a@x.io", "after": "b@x.io"}}',
        "--snapshot", '{"plan": "pro"}', "--details", '{"source": "cli"}',
        "--request-id", "req_1", "--session-id", "sess_1", "--batch-id", "b_1",
        "--occurred-at", "2026-01-02T03:04:05Z",
        "--id", "01a204d4-56b9-7382-b37f-a538d7664684",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == "01a204d4-56b9-7382-b37f-a538d7664684\n"
    got = stored.get("01a204d4-56b9-7382-b37f-a538d7664684")
    assert got["actor"] == {
        "id": "u_ava", "name": "Ava", "email": "ava@acme.example", "role": "owner", "type": "user",
    }  # fmt: skip
    assert got["impersonator"]["email"] == "sam@x.example"
    assert got["subject"] == {
        "type": "contact", "id": "c_9", "name": "Iris", "url": "https://app.example/c/9",
    }  # fmt: skip
    assert got["changes"] == {"email": {"before": "a@x.io", "after": "b@x.io"}}
    assert (got["snapshot"], got["details"]) == ({"plan": "pro"}, {"source": "cli"})
    assert (got["result"], got["ip"], got["batch_id"]) == ("warning", "203.0.113.9", "b_1")
    assert got["occurred_at"] == "2026-01-02T03:04:05.000000Z"


def test_record_minimal_is_a_system_event(db_url: str, stored: ActivityLog) -> None:
    result = run(db_url, "record", "--workspace", "acme", "--action", "billing.invoice_paid")
    assert result.exit_code == 0, result.output
    assert stored.get(result.stdout.strip())["actor"]["id"] == "system"


def test_record_invalid_names_each_field(db_url: str, stored: ActivityLog) -> None:
    result = run(
        db_url, "record", "--workspace", "acme", "--action", "Bad", "--changes", "{x", "--ip", "1"
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    line = result.stderr.strip()
    assert line.startswith("error: ")
    assert "\n" not in line
    for field in ("action:", "changes: is not valid JSON", "ip:"):
        assert field in line
    assert stored.total_events() == 0


def test_db_comes_from_the_environment(
    db_url: str, stored: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIVITYLOG_DB", db_url)
    result = CliRunner().invoke(main, ["record", "--workspace", "acme", "--action", "a.b"])
    assert result.exit_code == 0, result.output
    assert stored.total_events() == 1


def test_db_after_the_command(db_url: str, stored: ActivityLog, tmp_path: Path) -> None:
    populate(stored)
    result = CliRunner().invoke(
        main, ["query", "--db", db_url, "--workspace", "acme", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["total"] == 30
    elsewhere = f"sqlite:///{tmp_path / 'other.db'}"
    # The --db nearest the command wins; a group's subcommands take it too.
    nearest = CliRunner().invoke(main, ["--db", elsewhere, "users", "list", "--db", db_url])
    assert nearest.exit_code == 0, nearest.output
    assert not (tmp_path / "other.db").exists()
    counted = CliRunner().invoke(
        main, ["--db", elsewhere, "stats", "--db", db_url, "--format", "json"]
    )
    assert orjson.loads(counted.stdout)["kpis"]["total"] == 31


def test_every_command_takes_db() -> None:
    def commands(group: click.Group, path: str) -> Iterator[tuple[str, click.Command]]:
        for name, command in group.commands.items():
            yield f"{path} {name}", command
            if isinstance(command, click.Group):
                yield from commands(command, f"{path} {name}")

    found = dict(commands(main, "activitylog"))
    assert {"activitylog query", "activitylog users list", "activitylog serve"} <= set(found)
    for path, command in found.items():
        assert any(p.name == "db" for p in command.params), path
        assert "--db URL" in CliRunner().invoke(main, [*path.split()[1:], "--help"]).stdout, path


def test_bad_database_url_is_a_one_line_error() -> None:
    result = run("http://localhost:8000", "verify")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")


# -- ingest --------------------------------------------------------------------------------
def test_ingest_mixed_lines(db_url: str, stored: ActivityLog, tmp_path: Path) -> None:
    good = [event(1, id="01a204d4-0000-7000-8000-000000000001"), event(2), event(3)]
    path = tmp_path / "events.ndjson"
    path.write_text(
        ndjson(
            good[0],
            {"workspace": "acme", "action": "Not Dotted", "ip": "999.1.1.1"},
            "",
            "{not json",
            good[1],
            "   ",
            good[2],
        )
    )
    result = run(db_url, "ingest", str(path))
    assert result.exit_code == 1
    assert result.stdout == "accepted 3, rejected 2\n"
    errors = result.stderr.splitlines()
    assert errors[0].startswith("line 2: action: must be dotted lowercase")
    assert errors[1].startswith("line 2: ip: is not a valid IPv4 or IPv6 address")
    assert errors[2].startswith("line 4: event: is not valid JSON")
    assert len(errors) == 3
    assert stored.count(range=None) == 3
    descriptions = {e["description"] for e in stored.export()}
    assert descriptions == {"event number 1", "event number 2", "event number 3"}
    # Again: the event with an id is not duplicated, the others are new events.
    again = run(db_url, "ingest", "-", input=ndjson(good[0]))
    assert (again.exit_code, again.stdout) == (0, "accepted 1, rejected 0\n")
    assert stored.count() == 3


def test_ingest_all_good_from_stdin(db_url: str, stored: ActivityLog) -> None:
    lines = ndjson(*(event(n) for n in range(1, 1205)))  # more than one record_many batch
    result = run(db_url, "ingest", "-", input=lines)
    assert result.exit_code == 0, result.output
    assert result.stdout == "accepted 1204, rejected 0\n"
    assert result.stderr == ""
    assert stored.count() == 1204


def test_ingest_reads_bytes_as_they_are(db_url: str, stored: ActivityLog) -> None:
    data = (
        b"\xef\xbb\xbf" + orjson.dumps(event(1)) + b"\n"  # a BOM on the first line is fine
        b'{"workspace": "acme", "action": "a.b", "description": "caf\xe9"}\n'  # Latin-1
    )
    result = CliRunner().invoke(main, ["--db", db_url, "ingest", "-"], input=data)
    assert result.exit_code == 1
    assert result.stdout == "accepted 1, rejected 1\n"
    assert result.stderr.startswith("line 2: event: is not valid JSON (str is not valid UTF-8")
    assert stored.count() == 1


def test_ingest_names_integers_beyond_64_bits(db_url: str, stored: ActivityLog) -> None:
    lines = (
        '{"workspace": "acme", "action": "a.b", "details": {"n": 18446744073709551615}}\n'
        '{"workspace": "acme", "action": "a.b", "details": {"n": [18446744073709551616]}}\n'
    )
    result = run(db_url, "ingest", "-", input=lines)
    assert result.exit_code == 1
    assert result.stdout == "accepted 1, rejected 1\n"
    assert result.stderr == (
        "line 2: details.n[0]: is an integer outside the 64-bit range "
        "(-9223372036854775808 to 18446744073709551615)\n"
    )
    [kept] = stored.export()
    assert kept["details"] == {"n": 18446744073709551615}  # exact, not a float


# -- query ---------------------------------------------------------------------------------
def query_json(db_url: str, *args: str) -> dict[str, Any]:
    result = run(db_url, "query", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = orjson.loads(result.stdout)
    return data


def test_query_json_shape_filters_sort_and_paging(db_url: str, stored: ActivityLog) -> None:
    populate(stored)
    everything = query_json(db_url, "--per-page", "100")
    assert list(everything) == ["items", "total", "page", "per_page"]
    assert (everything["total"], everything["page"], everything["per_page"]) == (31, 1, 100)
    assert all(set(item) == set(EVENT_FIELDS) for item in everything["items"])
    times = [item["occurred_at"] for item in everything["items"]]
    assert times == sorted(times, reverse=True)

    acme = query_json(db_url, "--workspace", "acme", "--per-page", "10", "--page", "2")
    assert (acme["total"], acme["page"], len(acme["items"])) == (30, 2, 10)
    failures = query_json(db_url, "--result", "failure", "--user", "u_1", "--user", "u_2")
    assert failures["total"] == 4  # n in 5, 10, 20, 25 (15 and 30 are u_0)
    assert {i["actor"]["id"] for i in failures["items"]} == {"u_1", "u_2"}
    assert query_json(db_url, "--event", "signed_in")["total"] == 1
    assert query_json(db_url, "--event", "contact.updated", "--workspace", "acme")["total"] == 30
    assert query_json(db_url, "--search", "number 7")["total"] == 1
    assert query_json(db_url, "--subject-type", "contact", "--subject-id", "c_3")["total"] == 1
    oldest = query_json(db_url, "--sort", "time:asc", "--per-page", "10")["items"][0]
    assert oldest["workspace"] == "globex"
    by_actor = query_json(db_url, "--sort", "actor:asc", "--workspace", "acme", "--per-page", "50")
    names = [i["actor"]["name"] for i in by_actor["items"]]
    assert names == sorted(names)
    old = (NOW - timedelta(days=400)).date().isoformat()
    assert query_json(db_url, "--since", old, "--until", old)["total"] == 0


def test_query_table_and_csv(db_url: str, stored: ActivityLog) -> None:
    populate(stored, 12)
    table = run(db_url, "query", "--workspace", "acme", "--per-page", "10", "--tz", "Asia/Tokyo")
    assert table.exit_code == 0, table.output
    assert "Updated contact" in table.stdout
    assert "event number 1" in table.stdout
    assert table.stdout.rstrip().endswith("page 1 of 2, 12 events")
    page_csv = run(
        db_url, "query", "--workspace", "acme", "--format", "csv", "--per-page", "10",
        "--page", "2", "--sort", "time:asc",
    )  # fmt: skip
    assert page_csv.exit_code == 0
    header, *rows = csv.reader(io.StringIO(page_csv.stdout, newline=""))
    assert header == list(CSV_COLUMNS)
    assert [row[CSV_COLUMNS.index("description")] for row in rows] == [
        "event number 2",
        "event number 1",
    ]
    empty = run(db_url, "query", "--workspace", "nobody")
    assert empty.stdout == "page 1 of 1, 0 events\n"


def test_query_as_member_sees_only_their_own(db_url: str, stored: ActivityLog) -> None:
    populate(stored)
    closed = run(db_url, "query", "--workspace", "acme", "--as-user", "u_1", "--as-role", "member",
                 "--scope", "mine")  # fmt: skip
    assert closed.exit_code == 2
    assert "owners and admins" in closed.stderr  # log_access "admins", the default
    assert run(db_url, "workspace", "set", "acme", "--log-access", "own").exit_code == 0
    mine = query_json(
        db_url, "--workspace", "acme", "--as-user", "u_1", "--as-role", "member",
        "--scope", "mine", "--per-page", "100",
    )  # fmt: skip
    assert mine["total"] == 10
    assert {i["actor"]["id"] for i in mine["items"]} == {"u_1"}
    denied = run(db_url, "query", "--workspace", "acme", "--as-user", "u_1", "--as-role", "member")
    assert denied.exit_code == 2
    assert denied.stderr.startswith("error: ")
    assert "scope 'mine'" in denied.stderr
    admin = query_json(db_url, "--workspace", "acme", "--as-user", "u_9", "--as-role", "admin")
    assert admin["total"] == 30


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--per-page", "7"], "per_page"),
        (["--page", "0"], "page"),
        (["--page", "461168601842738792"], "page"),  # its offset overflows 64 bits
        (["--page", str(10**30)], "page"),
        (["--range", "bogus"], "range"),
        (["--result", "nope"], "result"),
        (["--category", "nope"], "category"),
        (["--event", "nope"], "events"),
        (["--event", "contact.updatd"], "events"),
        (["--event", "Not An Event"], "events"),
        (["--layer", "moon"], "layer"),
        (["--role", "boss"], "roles"),
        (["--tz", "Mars/Olympus"], "tz"),
        (["--sort", "colour"], "sort"),
        (["--since", "someday"], "since"),
        (["--scope", "everyone"], "scope"),
        (["--as-role", "boss", "--as-user", "u_1", "--workspace", "acme"], "role"),
        (["--as-role", "member"], "as_user"),
        (["--range", "today", "--since", "2026-01-01"], "range"),
    ],
)
def test_bad_flag_values_exit_2_naming_the_field(db_url: str, args: list[str], field: str) -> None:
    result = run(db_url, "query", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {field}: ") or f"; {field}: " in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_bad_choice_is_a_usage_error(db_url: str) -> None:
    result = CliRunner().invoke(main, ["--db", db_url, "query", "--format", "xml"])
    assert result.exit_code == 2
    assert "--format" in result.stderr


def test_query_by_country_of_the_ip(db_url: str, stored: ActivityLog) -> None:
    stored.record_many(
        [event(1, ip="2003::1"), event(2, ip="81.2.69.142"), event(3, ip="10.0.0.1")]
    )
    german = query_json(db_url, "--country", "DE")["items"]
    assert [(i["ip"], i["location"]["country_name"]) for i in german] == [("2003::1", "Germany")]
    both = query_json(db_url, "--country", "de", "--country", "GB")["items"]
    assert {i["ip"] for i in both} == {"2003::1", "81.2.69.142"}
    bad = run(db_url, "query", "--country", "Germany")
    assert bad.exit_code == 2
    assert "countries: unknown country code 'GERMANY'" in bad.stderr


# -- stats ---------------------------------------------------------------------------------
def test_stats_json_and_table(db_url: str, stored: ActivityLog) -> None:
    populate(stored)
    result = run(db_url, "stats", "--workspace", "acme", "--format", "json", "--group", "hourly")
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.stdout)
    assert list(data) == [
        "kpis",
        "volume",
        "split",
        "top_actors",
        "by_category",
        "split_percent",
    ]
    assert data["kpis"]["total"] == 30
    assert data["by_category"] == [{"category": "contacts", "count": 30}]
    assert len(data["volume"]) >= 7 * 24
    table = run(db_url, "stats", "--range", "last_30_days", "--tz", "America/New_York")
    assert table.exit_code == 0, table.output
    for text in ("Total events", "31", "Volume", "Top actors", "By category"):
        assert text in table.stdout
    assert "Split: Sign-ins 1 (3%) · Writes 30 (97%) · Reads / other 0 (0%)" in table.stdout
    bad = run(db_url, "stats", "--as-user", "u_1", "--as-role", "viewer", "--workspace", "acme")
    assert bad.exit_code == 2


def test_stats_cards_add_up_with_failures_sign_outs_and_impersonation(
    db_url: str, stored: ActivityLog
) -> None:
    actions = (
        "auth.signed_in",
        "auth.signed_out",
        "auth.sign_in_failed",
        "auth.mfa_enabled",
        "impersonation.started",
        "contact.viewed",
    )
    stored.record_many(
        [
            event(n, action=action, result="failure" if n % 2 else "success")
            for n, action in enumerate(actions, start=1)
        ]
        + [event(n, result="failure") for n in range(7, 10)]
    )
    for args in ([], ["--result", "failure"], ["--category", "auth"]):
        result = run(db_url, "stats", "--workspace", "acme", "--format", "json", *args)
        assert result.exit_code == 0, result.output
        data = orjson.loads(result.stdout)
        kpis = data["kpis"]
        assert kpis["sign_ins"] + kpis["writes"] + kpis["reads_other"] == kpis["total"], args
        assert sum(data["split_percent"].values()) == 100
    failures = orjson.loads(
        run(
            db_url, "stats", "--workspace", "acme", "--format", "json", "--result", "failure"
        ).stdout
    )["kpis"]
    # signed_in (1), sign_in_failed (3), impersonation.started (5) and 3 updates fail.
    assert (failures["total"], failures["sign_ins"], failures["writes"]) == (6, 1, 3)
    assert failures["reads_other"] == 2
    table = run(db_url, "stats", "--workspace", "acme", "--result", "failure")
    assert "Split: Sign-ins 1 (17%) · Writes 3 (50%) · Reads / other 2 (33%)" in table.stdout


# -- verify, delete, checkpoint ------------------------------------------------------------
def tamper(db_url: str, workspace: str, seq: int) -> None:
    """Rewrite one stored event body behind the log's back."""
    forged = b'{"action":"contact.viewed","workspace":"acme"}'
    if db_url.startswith("sqlite"):
        with closing(sqlite3.connect(db_url.removeprefix("sqlite:///"))) as conn, conn:
            conn.execute(
                "UPDATE entries SET body = ? WHERE workspace = ? AND seq = ?",
                (forged, workspace, seq),
            )
    else:
        with psycopg.connect(db_url) as pg:
            pg.execute(
                "UPDATE entries SET body = %s WHERE workspace = %s AND seq = %s",
                (forged, workspace, seq),
            )


def test_verify_ok_then_tampered(db_url: str, stored: ActivityLog) -> None:
    populate(stored)
    ok = run(db_url, "verify")
    assert ok.exit_code == 0, ok.output
    assert re.search(
        r"^workspace acme: ok, head seq 30, 30 entries, 0 tombstones, [1-9]\d* ch", ok.stdout, re.M
    )
    assert ok.stdout.splitlines()[-1].startswith("ok: 2 workspaces, 31 entries, 0 tombstones")
    assert run(db_url, "verify", "--workspace", "globex").exit_code == 0

    tamper(db_url, "acme", 7)
    broken = run(db_url, "verify")
    assert broken.exit_code == 1
    assert "workspace 'acme': seq 7: content modified" in broken.stdout
    assert "workspace globex: ok" in broken.stdout
    assert run(db_url, "verify", "--workspace", "globex").exit_code == 0
    assert run(db_url, "verify", "--workspace", "acme").exit_code == 1
    missing = run(db_url, "verify", "--workspace", "nope")
    assert missing.exit_code == 2
    assert missing.stderr.startswith("error: workspace:")


def test_verify_with_a_public_key(db_url: str, stored: ActivityLog, tmp_path: Path) -> None:
    populate(stored, 12)
    key = tmp_path / "public.pem"
    key.write_bytes(stored.signing_key.public.pem().encode())
    assert run(db_url, "verify", "--public-key", str(key)).exit_code == 0
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    result = run(db_url, "verify", "--public-key", str(garbage))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: public_key:")


def test_delete_and_checkpoint(db_url: str, stored: ActivityLog) -> None:
    ids = [e["id"] for e in populate(stored, 12)]
    stored.record(**event(13))  # past the last automatic checkpoint
    result = run(db_url, "delete", ids[0], ids[1], "unknown-id", "--by", "ops", "--reason", "GDPR")
    assert result.exit_code == 0, result.output
    assert result.stdout == "deleted 2 events\n"
    assert "unknown-id" in result.stderr
    assert stored.get(ids[0])["deleted_by"] == "ops"
    no_reason = run(db_url, "delete", ids[2], "--by", "ops", "--reason", " ")
    assert no_reason.exit_code == 2
    assert no_reason.stderr.startswith("error: reason: is required")

    signed = run(db_url, "checkpoint", "--workspace", "acme")
    assert signed.exit_code == 0, signed.output
    # 13 events, and the deletion's record
    assert signed.stdout == "workspace acme: checkpoint at size 14\n"
    again = run(db_url, "checkpoint", "--workspace", "acme")
    assert again.stdout == "workspace acme: head seq 14 is already kept\n"
    assert run(db_url, "checkpoint", "--workspace", "nope").exit_code == 2
    verified = run(db_url, "verify", "--workspace", "acme")
    assert verified.exit_code == 0, verified.output
    assert re.search(r"head seq 14, 14 entries, 2 tombstones, [2-9] checkpoints", verified.stdout)


def test_ids_are_matched_in_any_case(db_url: str, stored: ActivityLog) -> None:
    ids = [e["id"] for e in populate(stored, 3)]
    shouted = ids[0].upper()
    found = query_json(db_url, "--id", shouted, "--id", ids[1].replace("-", ""))
    assert {e["id"] for e in found["items"]} == {ids[0], ids[1]}
    exported = run(db_url, "export", "--format", "ndjson", "--id", shouted)
    assert exported.exit_code == 0, exported.output
    assert [orjson.loads(line)["id"] for line in exported.stdout.splitlines()] == [ids[0]]
    result = run(db_url, "delete", shouted, "--by", "ops", "--reason", "GDPR")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "deleted 1 event\n", "")
    assert stored.get(ids[0])["deleted_by"] == "ops"
    again = run(db_url, "delete", shouted, "--by", "ops", "--reason", "GDPR")
    assert again.stderr == f"not deleted: {shouted} (no such event, or already deleted)\n"


# -- export and seed -----------------------------------------------------------------------
def test_export_files(db_url: str, stored: ActivityLog, tmp_path: Path) -> None:
    populate(stored)
    stored.record(**event(40, occurred_at=(NOW - timedelta(days=200)).isoformat()))
    out = tmp_path / "week.csv"
    result = run(db_url, "export", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr == f"exported 31 events to {out}\n"  # no range: the last 7 days
    with out.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 31
    assert list(rows[0]) == list(CSV_COLUMNS)
    everything = run(db_url, "export", "--since", "1970-01-01", "--out", str(out))
    assert everything.stderr == f"exported 32 events to {out}\n"  # the 200-day-old one too
    old = next(e for e in stored.export() if e["description"] == "event number 40")
    chosen = run(db_url, "export", "--id", old["id"], "--format", "ndjson")
    assert [orjson.loads(line)["id"] for line in chosen.stdout.splitlines()] == [old["id"]]

    out_json = tmp_path / "failures.json"
    result = run(
        db_url, "export", "--format", "json", "--out", str(out_json),
        "--workspace", "acme", "--result", "failure",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    items = orjson.loads(out_json.read_bytes())
    assert len(items) == 6
    assert all(set(i) == set(EVENT_FIELDS) and i["result"] == "failure" for i in items)

    piped = run(db_url, "export", "--format", "ndjson", "--out", "-", "--range", "last_7_days")
    assert piped.exit_code == 0, piped.output
    assert len([orjson.loads(line) for line in piped.stdout.splitlines()]) == 31
    assert piped.stderr == "exported 31 events to stdout\n"
    # Without the fields the log adds, exported lines are ingest input again (same ids).
    added = set(EVENT_FIELDS) - set(CONTENT_FIELDS) | {"received_at"}
    lines = [
        {k: v for k, v in orjson.loads(line).items() if k not in added}
        for line in piped.stdout.splitlines()
    ]
    again = run(db_url, "ingest", "-", input=ndjson(*lines))
    assert (again.exit_code, again.stdout) == (0, "accepted 31, rejected 0\n")
    assert stored.count() == 32

    assert run(db_url, "workspace", "set", "acme", "--log-access", "own").exit_code == 0
    mine = run(
        db_url, "export", "--workspace", "acme", "--as-user", "u_2", "--as-role", "member",
        "--scope", "mine", "--format", "ndjson",
    )  # fmt: skip
    assert {orjson.loads(line)["actor"]["id"] for line in mine.stdout.splitlines()} == {"u_2"}
    bad = run(db_url, "export", "--out", str(tmp_path / "nope.csv"), "--range", "bogus")
    assert bad.exit_code == 2
    assert not (tmp_path / "nope.csv").exists()


def test_seed_then_query(db_url: str) -> None:
    result = run(db_url, "seed", "--events", "2000", "--days", "30", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("seeded 2,000 events in 3 workspaces by ")
    data = query_json(db_url, "--range", "last_30_days", "--per-page", "100")
    assert data["total"] >= 1900
    assert len(data["items"]) == 100
    assert run(db_url, "verify").exit_code == 0


def test_verify_without_a_key_says_signatures_were_not_checked(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(12):
        assert (
            run(db_url, "record", "--workspace", "acme", "--action", "note.created").exit_code == 0
        )
    absent = tmp_path / "elsewhere" / "key.pem"
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(absent))
    result = run(db_url, "verify")
    assert result.exit_code == 0, result.output
    assert "signatures were not checked" in result.stderr
    assert not absent.exists()
