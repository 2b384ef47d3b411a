"""A client generated from ``/openapi.json`` by openapi-python-client, as an integrator
would: it has every operation, and a small script using it ingests, lists (by page and
by cursor), gets, reads stats, exports, verifies and reads a 422, typed (``mypy --strict``)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

from ._support import World, build_world

BIN = Path(sys.executable).parent
PACKAGE = "activitylog_client"
SCRIPT = '''
from __future__ import annotations

from activitylog_client import AuthenticatedClient
from activitylog_client.api.events import get_event, ingest_events, list_events
from activitylog_client.api.integrity import verify_log
from activitylog_client.api.reports import export_events, get_stats
from activitylog_client.models import (
    Error,
    EventBatch,
    EventIn,
    EventPage,
    EventWithIntegrity,
    ExportFormat,
    IngestResult,
    Range,
    PartyIn,
    Stats,
    SubjectIn,
    VerifyReport,
)


def ingest(client: AuthenticatedClient) -> list[str]:
    """Two events in a batch; their ids."""
    first = EventIn(
        action="contact.updated",
        actor=PartyIn(id="u_gen", name="Generated Client"),
        subject=SubjectIn(type_="contact", id="c_42"),
    )
    second = EventIn(action="contact.created", ip="2001:db8::7")
    reply = ingest_events.sync(client=client, body=EventBatch(events=[first, second]))
    assert isinstance(reply, IngestResult), reply
    return [stored.id for stored in reply.events]


def listed(client: AuthenticatedClient) -> list[str]:
    page = list_events.sync(client=client, range_=Range.LAST_24_HOURS)
    assert isinstance(page, EventPage), page
    return [event.id for event in page.items]


def cursor_pages(client: AuthenticatedClient) -> tuple[list[str], list[str]]:
    """The first two pages of one event each, by cursor."""
    first = list_events.sync(client=client, range_=Range.LAST_24_HOURS, limit=1)
    assert isinstance(first, EventPage), first
    cursor = first.next_cursor
    assert isinstance(cursor, str), cursor
    second = list_events.sync(client=client, range_=Range.LAST_24_HOURS, limit=1, after=cursor)
    assert isinstance(second, EventPage), second
    return [e.id for e in first.items], [e.id for e in second.items]


def actor_of(client: AuthenticatedClient, event_id: str) -> str | None:
    event = get_event.sync(event_id, client=client)
    assert isinstance(event, EventWithIntegrity), event
    assert event.integrity.content_ok is True
    name = event.actor.name if event.actor else None
    return name if isinstance(name, str) else None


def total(client: AuthenticatedClient) -> int:
    stats = get_stats.sync(client=client, range_=Range.LAST_24_HOURS)
    assert isinstance(stats, Stats), stats
    return stats.kpis.total


def exported(client: AuthenticatedClient, fmt: ExportFormat) -> tuple[str, bytes]:
    reply = export_events.sync_detailed(client=client, format_=fmt)
    return reply.headers["content-type"], reply.content


def verified(client: AuthenticatedClient) -> bool:
    report = verify_log.sync(client=client)
    assert isinstance(report, VerifyReport), report
    return report.ok


def refused_fields(client: AuthenticatedClient) -> list[str]:
    bad = EventIn(action="Not An Action", ip="999.0.0.1")
    reply = ingest_events.sync(client=client, body=bad)
    assert isinstance(reply, Error), reply
    assert reply.status == 422
    return sorted(problem.field for problem in reply.errors)
'''


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(Path(tmp_path_factory.mktemp("client-world")), 40)


@pytest.fixture(scope="module")
def generated(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated package and the script, in a temporary directory, made offline:
    any download would go to a proxy that does not answer."""
    root = Path(tmp_path_factory.mktemp("client"))
    spec = root / "openapi.json"
    spec.write_text(TestClient(world.app).get("/openapi.json").text)
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
    }
    result = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(spec),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout  # nothing skipped
    (root / "use_client.py").write_text(SCRIPT)
    return root


@pytest.fixture
def script(generated: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(generated))
    try:
        yield importlib.import_module("use_client")
    finally:
        sys.path.remove(str(generated))
        for name in [n for n in sys.modules if n == "use_client" or n.startswith(PACKAGE)]:
            del sys.modules[name]


def _client(script: ModuleType, world: World, key: str) -> object:
    package = sys.modules[PACKAGE]
    client = package.AuthenticatedClient(base_url="http://testserver", token=world.keys[key])
    client.set_httpx_client(
        TestClient(world.app, base_url="http://testserver", headers=world.bearer(key))
    )
    return client


def test_every_operation_is_generated(generated: Path) -> None:
    modules = {p.stem for p in (generated / PACKAGE / "api").rglob("*.py")} - {"__init__"}
    assert {
        "ingest_events",
        "list_events",
        "get_event",
        "get_stats",
        "export_events",
        "verify_log",
        "delete_events",
        "create_viewer_token",
        "get_health",
        "get_workspace_settings",
        "update_workspace_settings",
    } <= modules


def test_the_script_using_the_client_type_checks(generated: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--follow-imports=silent",
            "--cache-dir",
            str(generated / ".mypy_cache"),
            "use_client.py",
        ],
        cwd=generated,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_generated_client_works(script: ModuleType, world: World) -> None:
    writer = _client(script, world, "acme_ingest")
    reader = _client(script, world, "acme_read")
    before = script.total(reader)
    ids = script.ingest(writer)
    assert len(ids) == 2
    assert set(ids) <= set(script.listed(reader))
    first, second = script.cursor_pages(reader)
    assert len(first) == len(second) == 1
    assert first != second
    assert script.actor_of(reader, ids[0]) == "Generated Client"
    assert script.total(reader) >= before + 2
    assert script.verified(reader) is True
    assert script.refused_fields(writer) == ["action", "ip"]
    formats = script.ExportFormat
    media, body = script.exported(reader, formats.CSV)
    assert media.startswith("text/csv")
    assert ids[0].encode() in body
    media, body = script.exported(reader, formats.NDJSON)
    assert media == "application/x-ndjson"
    assert len(body.splitlines()) >= 2
    media, body = script.exported(reader, formats.JSON)
    assert media == "application/json"
    assert body.startswith(b"[")
    media, body = script.exported(reader, formats.PDF)
    assert media == "application/pdf"
    assert body.startswith(b"%PDF")
