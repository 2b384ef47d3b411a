"""Who may do what, over HTTP: viewer tokens only read whatever role they name, API keys do
what their scope says, and only a signed-in owner's (or platform admin's) session with its
CSRF token deletes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from activitylog.accounts.tokens import mint_viewer_token
from activitylog.web.principal import EMBED_COOKIE, EMBED_HEADER, SESSION_COOKIE

from ._support import World, csrf_of


def _event(world: World) -> str:
    event_id: str = world.state.log.record(workspace="acme", action="contact.updated")["id"]
    return event_id


def _delete(client: TestClient, event_id: str, **headers: str) -> Any:
    return client.post(
        "/api/v1/events/delete", json={"ids": [event_id], "reason": "GDPR"}, headers=headers
    )


def _deleted(world: World, event_id: str) -> bool:
    return world.state.log.get(event_id)["deleted_at"] is not None


def _owner_token(world: World, **extra: Any) -> str:
    """What a read key can mint: a token naming any role of its workspace, owner too."""
    reply = world.client().post(
        "/api/v1/viewer-tokens",
        json={"user_id": "u_ava", "role": "owner", **extra},
        headers=world.bearer("acme_read"),
    )
    assert reply.status_code == 201, reply.text
    token: str = reply.json()["token"]
    return token


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- viewer tokens only read -----------------------------------------------------------------
def test_an_owner_token_minted_by_a_read_key_cannot_delete(fresh: World) -> None:
    event_id = _event(fresh)
    token = _owner_token(fresh)
    client = fresh.client()
    assert client.get("/api/v1/events?scope=workspace", headers=_bearer(token)).status_code == 200
    reply = _delete(client, event_id, **_bearer(token))
    assert reply.status_code == 403
    assert "viewer tokens are read-only" in reply.json()["message"]
    assert not _deleted(fresh, event_id)


def test_a_viewer_token_cannot_send_events(fresh: World) -> None:
    token = _owner_token(fresh)
    reply = fresh.client().post(
        "/api/v1/events",
        json={"workspace": "acme", "action": "contact.updated"},
        headers=_bearer(token),
    )
    assert reply.status_code == 403
    assert "read-only" in reply.json()["message"]
    assert fresh.state.log.count() == 0


def test_a_viewer_token_cannot_mint_tokens(fresh: World) -> None:
    token = _owner_token(fresh)
    reply = fresh.client().post(
        "/api/v1/viewer-tokens", json={"user_id": "u_x", "role": "owner"}, headers=_bearer(token)
    )
    assert reply.status_code == 403


def test_the_embed_cookie_only_reads_too(fresh: World) -> None:
    event_id = _event(fresh)
    client = fresh.client()
    assert client.get(f"/embed?token={_owner_token(fresh)}").status_code == 200
    assert EMBED_COOKIE in client.cookies
    for headers in ({}, {EMBED_HEADER: "1"}):
        reply = _delete(client, event_id, **headers)
        assert reply.status_code == 403, reply.text
        assert "read-only" in reply.json()["message"]
    ingest = client.post("/api/v1/events", json={"workspace": "acme", "action": "a.b"})
    assert ingest.status_code == 403
    assert client.post("/signout", data={"csrf_token": ""}).status_code == 403
    assert client.post("/workspace", data={"workspace": "acme"}).status_code == 403
    assert not _deleted(fresh, event_id)
    assert fresh.state.log.count(events=("contact.updated",)) == 1


def test_an_expired_token_is_refused(fresh: World) -> None:
    expired = mint_viewer_token(
        fresh.state.secret,
        workspace="acme",
        user_id="u_ava",
        role="owner",
        ttl=timedelta(minutes=5),
        now=datetime.now(UTC) - timedelta(minutes=6),
    )
    reply = fresh.client().get("/api/v1/events", headers=_bearer(expired))
    assert reply.status_code == 401
    assert reply.json()["message"] == "viewer token expired"


# -- deleting needs an owner's session and its CSRF token ------------------------------------
@pytest.mark.parametrize("role", ["owner", "platform_admin"])
def test_an_owner_or_platform_admin_session_with_its_csrf_token_deletes(
    fresh: World, role: str
) -> None:
    event_id = _event(fresh)
    client = fresh.client(role)
    reply = _delete(client, event_id, **{"X-CSRF-Token": csrf_of(client)})
    assert reply.status_code == 200, reply.text
    assert reply.json()["deleted"] == [event_id]
    assert _deleted(fresh, event_id)


def test_a_session_without_its_csrf_token_cannot_delete(fresh: World) -> None:
    event_id = _event(fresh)
    client = fresh.client("owner")
    csrf_of(client)
    for headers in ({}, {"X-CSRF-Token": "wrong"}):
        reply = _delete(client, event_id, **headers)
        assert reply.status_code == 403, reply.text
        assert "CSRF" in reply.json()["message"]
    assert not _deleted(fresh, event_id)
    assert client.post("/signout", data={"csrf_token": "é"}).status_code == 403  # not a 500


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_other_roles_cannot_delete_even_with_the_csrf_token(fresh: World, role: str) -> None:
    event_id = _event(fresh)
    client = fresh.client(role)
    reply = _delete(client, event_id, **{"X-CSRF-Token": csrf_of(client)})
    assert reply.status_code == 403
    assert "only owners" in reply.json()["message"]
    assert not _deleted(fresh, event_id)


def test_an_owner_deletes_only_in_their_workspace(fresh: World) -> None:
    globex = fresh.state.log.record(workspace="globex", action="contact.updated")["id"]
    client = fresh.client("owner")
    reply = _delete(client, globex, **{"X-CSRF-Token": csrf_of(client)})
    assert reply.json() == {"deleted": [], "not_found": [globex], "count": 0}
    assert not _deleted(fresh, globex)


@pytest.mark.parametrize("key", ["acme_read", "acme_ingest", "platform_read"])
def test_api_keys_cannot_delete(fresh: World, key: str) -> None:
    event_id = _event(fresh)
    reply = _delete(fresh.client(), event_id, **fresh.bearer(key))
    assert reply.status_code == 403
    assert reply.json()["message"].startswith("API keys may not delete activity")
    assert not _deleted(fresh, event_id)


def test_without_credentials_deleting_is_401(fresh: World) -> None:
    assert _delete(fresh.client(), _event(fresh)).status_code == 401


# -- which cookie counts -----------------------------------------------------------------------
def test_a_session_and_an_embed_cookie_in_one_browser_stay_apart(fresh: World) -> None:
    """The full page reads as the person signed in, the embed (and what its script asks)
    as the token: a member's embed does not narrow an owner's session, nor the reverse."""
    client = fresh.client("owner")
    member = mint_viewer_token(fresh.state.secret, workspace="acme", user_id="u_x", role="member")
    assert client.get(f"/embed?token={member}").status_code == 200
    assert {SESSION_COOKIE, EMBED_COOKIE} <= set(client.cookies)
    page = client.get("/activity?scope=workspace")
    assert page.status_code == 200
    assert 'action="/signout"' in page.text
    assert client.get("/api/v1/events?scope=workspace").status_code == 200  # the session
    embedded = client.get("/activity/partials?scope=workspace", headers={EMBED_HEADER: "1"})
    assert embedded.status_code == 403  # a member's token: its own activity only
    assert client.get("/embed?scope=workspace").status_code == 403


def test_the_full_page_needs_a_session_not_an_embed_cookie(fresh: World) -> None:
    client = fresh.client()
    client.get(f"/embed?token={_owner_token(fresh)}")
    reply = client.get("/activity", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"].startswith("/signin")
