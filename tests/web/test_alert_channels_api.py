"""Alert channels over the API: who may list, add and remove them, the 422s naming each
field, the webhook secret shown once, the log's records of each change, and the route not
taken by /alerts/{alert_id}."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook
from starlette.testclient import TestClient

from activitylog.delivery import Channels
from activitylog.selection import Selection

from ._support import World, csrf_of

URL = "/api/v1/alerts/channels"
HOOK = "https://hooks.example.com/alerts"


def _post(client: TestClient, body: Any, headers: dict[str, str]) -> Any:
    return client.post(URL, json=body, headers=headers)


@contextmanager
def receiver(statuses: list[int], seen: list[tuple[dict[str, str], bytes]]) -> Iterator[str]:
    """An HTTP server on loopback answering POSTs with the next of ``statuses``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            seen.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(statuses.pop(0))
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def _records(world: World, action: str) -> list[dict[str, Any]]:
    page = world.state.log.query(Selection(since="1970-01-01", events=(action,)))
    return list(page.items)


def test_a_read_key_adds_lists_and_removes_its_workspace_channels(fresh: World) -> None:
    client = TestClient(fresh.app)
    key = fresh.bearer("acme_read")
    reply = _post(client, {"kind": "webhook", "target": HOOK, "min_severity": "high"}, key)
    assert reply.status_code == 201, reply.text
    made = reply.json()
    assert (made["workspace"], made["kind"], made["target"]) == ("acme", "webhook", HOOK)
    assert made["min_severity"] == "high"
    assert made["secret"].startswith("whsec_")
    (stored,) = Channels(fresh.state.log.store.engine).list()
    assert stored.secret == made["secret"]
    mail = _post(client, {"kind": "email", "target": "ops@example.com"}, key)
    assert mail.status_code == 201
    assert mail.json()["secret"] is None
    assert mail.json()["min_severity"] == "low"
    listed = client.get(URL, headers=key).json()
    assert [c["id"] for c in listed] == [made["id"], mail.json()["id"]]
    assert made["secret"] not in str(listed)
    (added, _) = sorted(_records(fresh, "alert_channel.added"), key=lambda e: e["seq"])
    assert added["workspace"] == "acme"
    assert added["subject"]["id"] == made["id"]
    assert added["actor"]["type"] == "api"
    assert made["secret"] not in str(added)
    gone = client.delete(f"{URL}/{made['id']}", headers=key)
    assert gone.status_code == 200, gone.text
    assert gone.json()["id"] == made["id"]
    assert [c["kind"] for c in client.get(URL, headers=key).json()] == ["email"]
    (removed,) = _records(fresh, "alert_channel.removed")
    assert removed["subject"]["id"] == made["id"]
    assert client.delete(f"{URL}/{made['id']}", headers=key).status_code == 404


def test_other_workspaces_channels_are_out_of_reach(fresh: World) -> None:
    acme = Channels(fresh.state.log.store.engine).add(
        "acme", "email", "a@example.com", by="u", allow_private=True
    )
    client = TestClient(fresh.app)
    globex = fresh.bearer("globex_read")
    assert client.get(URL, headers=globex).json() == []
    assert client.get(f"{URL}?workspace=acme", headers=globex).status_code == 403
    assert client.delete(f"{URL}/{acme.id}", headers=globex).status_code == 404
    body = {"workspace": "acme", "kind": "email", "target": "thief@evil.example"}
    assert _post(client, body, globex).status_code == 403
    assert len(Channels(fresh.state.log.store.engine).list()) == 1


def test_platform_callers_see_every_workspace_and_name_the_one_they_add_to(
    fresh: World,
) -> None:
    Channels(fresh.state.log.store.engine).add(
        "acme", "email", "a@example.com", by="u", allow_private=True
    )
    client = TestClient(fresh.app)
    key = fresh.bearer("platform_read")
    reply = _post(client, {"kind": "slack", "target": "https://hooks.slack.com/x/y/z"}, key)
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["field"] == "workspace"
    body = {"workspace": "globex", "kind": "slack", "target": "https://hooks.slack.com/x/y/z"}
    reply = _post(client, body, key)
    assert reply.status_code == 201, reply.text
    assert reply.json()["target"] == "https://hooks.slack.com/x/y/…"
    assert [c["workspace"] for c in client.get(URL, headers=key).json()] == ["acme", "globex"]
    only = client.get(f"{URL}?workspace=globex", headers=key).json()
    assert [c["kind"] for c in only] == ["slack"]
    (added,) = [e for e in _records(fresh, "alert_channel.added") if e["workspace"] == "globex"]
    assert added["layer"] == "platform"
    assert "/z" not in str(added)  # the Slack token is not copied into the log


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"kind": "pager", "target": "x"}, {"kind"}),
        ({"kind": "email", "target": "nobody"}, {"target"}),
        ({"kind": "webhook", "target": "http://hooks.example.com/x"}, {"target"}),
        ({"kind": "webhook", "target": HOOK, "min_severity": "urgent"}, {"min_severity"}),
        ({"kind": "webhook", "target": 7, "min_severity": 3}, {"target", "min_severity"}),
        ({"kind": "email"}, {"target"}),
        ({"target": HOOK, "colour": "red"}, {"colour", "kind"}),
        ({"kind": "email", "target": "a@example.com", "workspace": ""}, {"workspace"}),
        (["not", "an", "object"], {"body"}),
    ],
)
def test_bad_channels_are_422_naming_each_field(fresh: World, body: Any, fields: set[str]) -> None:
    reply = _post(TestClient(fresh.app), body, fresh.bearer("acme_read"))
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in reply.json()["errors"]} == fields
    assert Channels(fresh.state.log.store.engine).list() == []


def test_sessions_owners_and_admins_with_csrf_members_and_viewers_not(fresh: World) -> None:
    owner = fresh.client("owner")
    body = {"kind": "email", "target": "ops@example.com"}
    assert owner.post(URL, json=body).status_code == 403  # no CSRF token
    reply = owner.post(URL, json=body, headers={"X-CSRF-Token": csrf_of(owner)})
    assert reply.status_code == 201, reply.text
    assert _records(fresh, "alert_channel.added")[0]["actor"]["id"] == "u_ava"
    admin = fresh.client("admin")
    assert [c["kind"] for c in admin.get(URL).json()] == ["email"]
    channel_id = reply.json()["id"]
    assert admin.delete(f"{URL}/{channel_id}").status_code == 403  # no CSRF token
    for role in ("member", "viewer"):
        person = fresh.client(role)
        assert person.get(URL).status_code == 403
        token = {"X-CSRF-Token": csrf_of(person)}
        assert person.post(URL, json=body, headers=token).status_code == 403
        assert person.delete(f"{URL}/{channel_id}", headers=token).status_code == 403
    client = TestClient(fresh.app)
    assert client.get(URL).status_code == 401
    assert client.get(URL, headers=fresh.bearer("acme_ingest")).status_code == 403
    assert len(Channels(fresh.state.log.store.engine).list()) == 1


def test_a_test_message_says_what_came_of_it(fresh: World) -> None:
    client = TestClient(fresh.app)
    key = fresh.bearer("acme_read")
    channels = Channels(fresh.state.log.store.engine)
    seen: list[tuple[dict[str, str], bytes]] = []
    with receiver([204, 503], seen) as url:
        hook = channels.add("acme", "webhook", url, by="u", allow_private=True)
        reply = client.post(f"{URL}/{hook.id}/test", headers=key)
        assert reply.status_code == 200, reply.text
        assert reply.json() == {"delivered": True, "status_code": 204, "error": None}
        failed = client.post(f"{URL}/{hook.id}/test", headers=key).json()
        other = channels.add("globex", "webhook", url, by="u", allow_private=True)
        assert client.post(f"{URL}/{other.id}/test", headers=key).status_code == 404
        member = fresh.client("member")
        token = {"X-CSRF-Token": csrf_of(member)}
        assert member.post(f"{URL}/{hook.id}/test", headers=token).status_code == 403
    assert failed == {"delivered": False, "status_code": 503, "error": "HTTP 503"}
    assert len(seen) == 2
    headers, body = seen[0]
    assert hook.secret is not None
    assert Webhook(hook.secret).verify(body, headers)["type"] == "alert.test"
    mail = channels.add("acme", "email", "ops@example.com", by="u")
    no_smtp = client.post(f"{URL}/{mail.id}/test", headers=key).json()
    assert no_smtp == {
        "delivered": False,
        "status_code": None,
        "error": "no SMTP server is set (smtp_host)",
    }
