"""Streams over the API: who may list, add and remove them, the 422s naming each field,
the secret shown once, and the log's records of each change."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from activitylog.selection import Selection
from activitylog.streams import Streams, new_stream

from ._support import World, csrf_of

HOOK = "https://hooks.example/activity"


def _post(client: TestClient, body: Any, headers: dict[str, str]) -> Any:
    return client.post("/api/v1/streams", json=body, headers=headers)


def _records(world: World, action: str) -> list[dict[str, Any]]:
    page = world.state.log.query(Selection(since="1970-01-01", events=(action,)))
    return list(page.items)


def test_a_read_key_adds_lists_and_removes_its_workspace_streams(fresh: World) -> None:
    client = TestClient(fresh.app)
    key = fresh.bearer("acme_read")
    reply = _post(
        client,
        {"name": "siem", "url": HOOK, "format": "ocsf", "filters": {"results": ["failure"]}},
        key,
    )
    assert reply.status_code == 201, reply.text
    made = reply.json()
    assert made["workspace"] == "acme"
    assert made["platform"] is False
    assert made["secret"].startswith("whsec_")
    assert made["from"] == "now"
    assert made["filters"] == {"results": ["failure"]}
    listed = client.get("/api/v1/streams", headers=key).json()
    assert [s["id"] for s in listed] == [made["id"]]
    assert "secret" not in listed[0]  # shown once
    status = client.get("/api/v1/streams/status", headers=key).json()
    assert [s["id"] for s in status] == [made["id"]]
    assert {"behind", "delay_seconds", "last_error", "workspaces"} <= set(status[0])
    created = _records(fresh, "stream.created")
    assert created[0]["workspace"] == "acme"
    assert created[0]["subject"] == {"type": "stream", "id": made["id"], "name": "siem"}
    assert created[0]["changes"]["target"] == {"before": None, "after": HOOK}
    assert "secret" not in str(created[0]["changes"])
    gone = client.delete(f"/api/v1/streams/{made['id']}", headers=key)
    assert gone.status_code == 200
    assert client.get("/api/v1/streams", headers=key).json() == []
    removed = _records(fresh, "stream.removed")
    assert removed[0]["changes"]["name"] == {"before": "siem", "after": None}


def test_a_given_secret_is_not_echoed(fresh: World) -> None:
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    reply = _post(
        TestClient(fresh.app),
        {"name": "s", "url": HOOK, "secret": secret},
        fresh.bearer("acme_read"),
    )
    assert reply.status_code == 201
    assert reply.json()["secret"] is None
    (stream,) = Streams(fresh.state.log).list()
    assert stream.secret == secret


def test_other_workspaces_streams_are_out_of_reach(fresh: World) -> None:
    log = fresh.state.log
    acme = Streams(log).add(new_stream(allow_private=True, name="a", workspace="acme", url=HOOK))
    platform = Streams(log).add(new_stream(allow_private=True, name="p", workspace=None, url=HOOK))
    client = TestClient(fresh.app)
    globex = fresh.bearer("globex_read")
    assert client.get("/api/v1/streams", headers=globex).json() == []
    assert client.get("/api/v1/streams?workspace=acme", headers=globex).status_code == 403
    assert client.get("/api/v1/streams?platform=true", headers=globex).status_code == 403
    for stream in (acme, platform):
        assert client.delete(f"/api/v1/streams/{stream.id}", headers=globex).status_code == 404
    reply = _post(client, {"name": "x", "url": HOOK, "workspace": "acme"}, globex)
    assert reply.status_code == 403
    reply = _post(client, {"name": "x", "url": HOOK, "platform": True}, globex)
    assert reply.status_code == 403
    assert len(Streams(log).list()) == 2


def test_platform_callers_see_and_add_every_kind(fresh: World, tmp_path: Any) -> None:
    log = fresh.state.log
    Streams(log).add(new_stream(allow_private=True, name="a", workspace="acme", url=HOOK))
    client = TestClient(fresh.app)
    key = fresh.bearer("platform_read")
    reply = _post(
        client,
        {"name": "all", "platform": True, "file": str(tmp_path / "out.cef"), "format": "cef"},
        key,
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["workspace"] is None
    assert reply.json()["secret"] is None
    names = [s["name"] for s in client.get("/api/v1/streams", headers=key).json()]
    assert names == ["all", "a"]
    only = client.get("/api/v1/streams?platform=true", headers=key).json()
    assert [s["name"] for s in only] == ["all"]
    reply = _post(client, {"name": "x", "url": HOOK}, key)
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["field"] == "workspace"
    created = _records(fresh, "stream.created")
    assert created[0]["workspace"] == "platform"
    assert created[0]["layer"] == "platform"


def test_files_on_the_server_are_for_platform_admins(fresh: World, tmp_path: Any) -> None:
    client = TestClient(fresh.app)
    key = fresh.bearer("acme_read")
    reply = _post(client, {"name": "f", "file": str(tmp_path / "x")}, key)
    assert reply.status_code == 403
    reply = _post(
        client,
        {"name": "s", "syslog": "127.0.0.1:514", "syslog_tls": True, "syslog_ca": "/etc/passwd"},
        key,
    )
    assert reply.status_code == 403
    assert Streams(fresh.state.log).list() == []


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "x", "url": "http://hooks.example/x"}, {"url"}),
        ({"name": "x", "url": "not a url"}, {"url"}),
        ({"name": "x"}, {"destination"}),
        ({"name": "x", "url": HOOK, "syslog": "h:1"}, {"destination"}),
        ({"name": "x", "syslog": "collector"}, {"syslog"}),
        ({"name": "x", "syslog": "[::1]:99999"}, {"syslog"}),
        (
            {"name": "", "url": HOOK, "format": "xml", "from": "yesterday"},
            {"name", "format", "from"},
        ),
        ({"name": "x", "url": HOOK, "secret": "nope"}, {"secret"}),
        (
            {"name": "x", "url": HOOK, "filters": {"results": ["maybe"], "colour": "red"}},
            {"filters.colour"},
        ),
        (
            {"name": "x", "url": HOOK, "filters": {"results": ["maybe"], "countries": ["ZZ"]}},
            {"filters.results", "filters.countries"},
        ),
        (
            {"name": "x", "url": HOOK, "filters": {"events": "contact.updated", "search": 3}},
            {"filters.search"},
        ),
        ({"name": "x", "url": HOOK, "syslog_tls": True}, {"syslog_tls"}),
        ({"name": "x", "url": HOOK, "extra": 1}, {"extra"}),
        (["not", "an", "object"], {"body"}),
        (
            {"name": ["x"], "url": HOOK, "from": ["now"], "format": {"a": 1}},
            {"name", "from", "format"},
        ),
        ({"name": "x", "url": ["https://h.example"], "platform": "yes"}, {"platform"}),
        ({"name": "x", "url": HOOK, "filters": ["results"]}, {"filters"}),
    ],
)
def test_bad_streams_are_422_naming_each_field(fresh: World, body: Any, fields: set[str]) -> None:
    reply = _post(TestClient(fresh.app), body, fresh.bearer("acme_read"))
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in reply.json()["errors"]} == fields


def test_a_name_is_unique_in_its_workspace(fresh: World) -> None:
    client = TestClient(fresh.app)
    key = fresh.bearer("acme_read")
    assert _post(client, {"name": "s", "url": HOOK}, key).status_code == 201
    reply = _post(client, {"name": "s", "url": HOOK}, key)
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["field"] == "name"
    other = _post(client, {"name": "s", "url": HOOK}, fresh.bearer("globex_read"))
    assert other.status_code == 201


def test_sessions_owners_and_admins_with_csrf_members_not(fresh: World) -> None:
    owner = fresh.client("owner")
    body = {"name": "s", "url": HOOK}
    assert owner.post("/api/v1/streams", json=body).status_code == 403  # no CSRF token
    reply = owner.post("/api/v1/streams", json=body, headers={"X-CSRF-Token": csrf_of(owner)})
    assert reply.status_code == 201, reply.text
    created = _records(fresh, "stream.created")
    assert created[0]["actor"]["id"] == "u_ava"
    admin = fresh.client("admin")
    assert [s["name"] for s in admin.get("/api/v1/streams").json()] == ["s"]
    for role in ("member", "viewer"):
        person = fresh.client(role)
        assert person.get("/api/v1/streams").status_code == 403
        token = {"X-CSRF-Token": csrf_of(person)}
        assert person.post("/api/v1/streams", json=body, headers=token).status_code == 403
    client = TestClient(fresh.app)
    assert client.get("/api/v1/streams").status_code == 401
    ingest = fresh.bearer("acme_ingest")
    assert client.get("/api/v1/streams", headers=ingest).status_code == 403
