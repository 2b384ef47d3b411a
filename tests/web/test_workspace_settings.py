"""Workspace settings over HTTP (GET/PATCH /api/v1/workspaces/{w}/settings and the page's
panel), the log_access rule they set (the full 403 page), and what is recorded."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from ._support import World, csrf_of

SETTINGS = "/api/v1/workspaces/acme/settings"
#: acme's settings as the fixtures leave them: everyone sees their own activity.
ACME = {
    "workspace": "acme",
    "log_access": "own",
    "link_base": None,
    "retention_days": None,
    "legal_hold": None,
    "require_archive": False,
    "export_schedule": "off",
    "export_format": "csv",
}


def _patch(client: TestClient, body: Any, path: str = SETTINGS, csrf: str | None = None) -> Any:
    token = csrf if csrf is not None else csrf_of(client)
    return client.patch(path, json=body, headers={"X-CSRF-Token": token})


def _recorded(world: World) -> list[dict[str, Any]]:
    page = world.state.log.query(events=["workspace.settings_updated"], per_page=100)
    return page.items


# -- reading -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 200), ("admin", 200), ("member", 403), ("viewer", 403), ("platform_admin", 200)],
)
def test_who_may_read_the_settings(world: World, role: str, status: int) -> None:
    reply = world.client(role).get(SETTINGS)
    assert reply.status_code == status, reply.text
    if status == 200:
        assert reply.json() == ACME


def test_keys_read_their_own_workspace_only(world: World) -> None:
    assert world.client().get(SETTINGS, headers=world.bearer("acme_read")).status_code == 200
    other = world.client().get(SETTINGS, headers=world.bearer("globex_read"))
    assert other.status_code == 403
    assert world.client().get(SETTINGS).status_code == 401


def test_an_owner_may_not_read_another_workspaces_settings(world: World) -> None:
    reply = world.client("owner").get("/api/v1/workspaces/globex/settings")
    assert reply.status_code == 403


# -- changing ------------------------------------------------------------------------------
def test_an_owner_changes_a_setting_and_it_is_recorded(fresh: World) -> None:
    owner = fresh.client("owner")
    reply = _patch(owner, {"log_access": "admins", "link_base": "https://app.acme.example/"})
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        **ACME,
        "log_access": "admins",
        "link_base": "https://app.acme.example/",
    }
    assert owner.get(SETTINGS).json()["log_access"] == "admins"
    [entry] = _recorded(fresh)
    assert entry["workspace"] == "acme"
    assert entry["layer"] == "workspace"
    assert entry["actor"]["id"] == "u_ava"
    assert entry["actor"]["role"] == "owner"
    assert entry["changes"] == {
        "log_access": {"before": "own", "after": "admins"},
        "link_base": {"before": None, "after": "https://app.acme.example/"},
    }
    assert entry["subject"] == {"type": "workspace", "id": "acme", "name": "acme"}
    # the same values again change nothing, and record nothing
    assert _patch(owner, {"log_access": "admins"}).status_code == 200
    assert len(_recorded(fresh)) == 1


def test_an_owner_schedules_exports_and_it_is_recorded(fresh: World) -> None:
    owner = fresh.client("owner")
    reply = _patch(owner, {"export_schedule": "weekly", "export_format": "pdf"})
    assert reply.status_code == 200, reply.text
    assert reply.json() == {**ACME, "export_schedule": "weekly", "export_format": "pdf"}
    assert owner.get(SETTINGS).json()["export_schedule"] == "weekly"
    [entry] = _recorded(fresh)
    assert entry["changes"] == {
        "export_schedule": {"before": "off", "after": "weekly"},
        "export_format": {"before": "csv", "after": "pdf"},
    }
    assert _patch(owner, {"export_schedule": "off"}).json()["export_schedule"] == "off"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"log_access": "everyone"}, ["log_access"]),
        ({"link_base": "not a url"}, ["link_base"]),
        ({"link_base": "javascript:alert(1)"}, ["link_base"]),
        ({"retention_days": 0}, ["retention_days"]),
        ({"retention_days": "5"}, ["retention_days"]),
        ({"export_schedule": "hourly"}, ["export_schedule"]),
        ({"export_schedule": None}, ["export_schedule"]),
        ({"export_format": "ndjson", "export_schedule": "daily"}, ["export_format"]),
        ({}, ["body"]),
        (["log_access"], ["body"]),
    ],
)
def test_bad_changes_are_422_naming_the_field(fresh: World, body: Any, fields: list[str]) -> None:
    owner = fresh.client("owner")
    reply = _patch(owner, body)
    assert reply.status_code == 422, reply.text
    assert [e["field"] for e in reply.json()["errors"]] == fields
    assert _recorded(fresh) == []


def test_a_body_that_is_not_json_is_422(fresh: World) -> None:
    owner = fresh.client("owner")
    reply = owner.patch(
        SETTINGS, content=b"{", headers={"X-CSRF-Token": csrf_of(owner), "content-type": "x"}
    )
    assert reply.status_code == 415  # a declared type that is not JSON


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_only_owners_change_settings(fresh: World, role: str) -> None:
    client = fresh.client(role)
    token = _csrf_any(client)
    reply = _patch(client, {"log_access": "admins"}, csrf=token)
    assert reply.status_code == 403
    assert fresh.state.accounts.workspace_settings("acme").log_access == "own"


def test_an_owner_may_not_change_another_workspace(fresh: World) -> None:
    owner = fresh.client("owner")
    reply = _patch(owner, {"log_access": "own"}, path="/api/v1/workspaces/globex/settings")
    assert reply.status_code == 403


def test_platform_admins_change_any_workspace_in_the_platform_layer(fresh: World) -> None:
    staff = fresh.client("platform_admin")
    reply = _patch(staff, {"log_access": "own"}, path="/api/v1/workspaces/globex/settings")
    assert reply.status_code == 200
    [entry] = _recorded(fresh)
    assert (entry["workspace"], entry["layer"]) == ("globex", "platform")


def test_changing_needs_a_session_and_its_csrf_token(fresh: World) -> None:
    owner = fresh.client("owner")
    assert _patch(owner, {"log_access": "admins"}, csrf="wrong").status_code == 403
    keyed = fresh.client().patch(
        SETTINGS, json={"log_access": "admins"}, headers=fresh.bearer("platform_read")
    )
    assert keyed.status_code == 403
    assert "API keys may not" in keyed.json()["message"]
    assert fresh.state.accounts.workspace_settings("acme").log_access == "own"


# -- the page's panel ----------------------------------------------------------------------
def test_the_panel_is_for_owners(world: World) -> None:
    assert 'action="/workspace/settings"' in world.client("owner").get("/activity").text
    for role in ("admin", "member", "viewer"):
        assert 'action="/workspace/settings"' not in world.client(role).get("/activity").text


def test_the_panel_changes_log_access(fresh: World) -> None:
    owner = fresh.client("owner")
    page = owner.get("/activity").text
    assert re.search(r'value="own" checked', page)
    reply = owner.post(
        "/workspace/settings",
        data={"workspace": "acme", "log_access": "admins", "csrf_token": csrf_of(owner)},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    assert fresh.state.accounts.workspace_settings("acme").log_access == "admins"
    assert re.search(r'value="admins" checked', owner.get("/activity").text)
    assert [e["changes"] for e in _recorded(fresh)] == [
        {"log_access": {"before": "own", "after": "admins"}}
    ]
    forged = owner.post(
        "/workspace/settings", data={"workspace": "acme", "log_access": "own", "csrf_token": "x"}
    )
    assert forged.status_code == 403


def _panel_post(client: TestClient, **fields: str) -> Any:
    data = {"workspace": "acme", "log_access": "own", "csrf_token": csrf_of(client), **fields}
    return client.post("/workspace/settings", data=data, follow_redirects=False)


def test_the_panel_shows_retention_and_the_scheduled_export(fresh: World) -> None:
    page = fresh.client("owner").get("/activity").text
    assert 'name="retention" value="default" checked> Platform default (forever)' in page
    assert 'name="retention_days" id="retention-days" value="90"' in page  # a suggestion
    assert re.search(r'<option value="off" selected>Off</option>', page)
    assert re.search(r'<option value="csv" selected>CSV</option>', page)
    assert "This server has no archive location yet" in page
    assert "Legal hold" not in page
    # the platform's default and archive location, as the server is set up
    state = fresh.state
    state.settings = state.settings.model_copy(update={"retention_days": 365, "archive": "x"})
    page = fresh.client("owner").get("/activity").text
    assert "Platform default (365 days)" in page
    assert "no archive location" not in page


def test_the_panel_changes_retention(fresh: World) -> None:
    owner = fresh.client("owner")
    settings = fresh.state.accounts.workspace_settings
    assert _panel_post(owner, retention="days", retention_days="30").status_code == 303
    assert settings("acme").retention_days == 30
    page = owner.get("/activity").text
    assert re.search(r'name="retention" value="days" id="retention-days-choice" checked', page)
    assert 'name="retention_days" id="retention-days" value="30"' in page
    # the days box counts only when "For N days" is chosen
    assert _panel_post(owner, retention="forever", retention_days="30").status_code == 303
    assert settings("acme").retention_days == "forever"
    assert _panel_post(owner, retention="default", retention_days="").status_code == 303
    assert settings("acme").retention_days is None
    assert [e["changes"]["retention_days"] for e in _recorded(fresh)] == [
        {"before": "forever", "after": None},
        {"before": 30, "after": "forever"},
        {"before": None, "after": 30},
    ]


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"retention": "days", "retention_days": ""}, "retention_days", "whole number"),
        ({"retention": "days", "retention_days": "0"}, "retention_days", "between 1 and"),
        ({"retention": "always"}, "retention", "must be one of"),
        ({"export_schedule": "hourly"}, "export_schedule", "must be one of"),
    ],
)
def test_the_panel_refuses_bad_values_naming_them(
    fresh: World, fields: dict[str, str], field: str, reason: str
) -> None:
    owner = fresh.client("owner")
    reply = _panel_post(owner, **fields)
    assert reply.status_code == 422
    assert field in reply.text
    assert reason in reply.text
    assert _recorded(fresh) == []


def test_the_panel_schedules_exports(fresh: World) -> None:
    owner = fresh.client("owner")
    reply = _panel_post(owner, export_schedule="monthly", export_format="json")
    assert reply.status_code == 303
    after = fresh.state.accounts.workspace_settings("acme")
    assert (after.export_schedule, after.export_format) == ("monthly", "json")
    page = owner.get("/activity").text
    assert '<option value="monthly" selected>Monthly</option>' in page
    assert '<option value="json" selected>JSON</option>' in page
    assert "Each closed month is exported once to the archive location." in page
    [entry] = _recorded(fresh)
    assert entry["changes"] == {
        "export_schedule": {"before": "off", "after": "monthly"},
        "export_format": {"before": "csv", "after": "json"},
    }


def test_the_panel_shows_a_legal_hold(fresh: World) -> None:
    fresh.state.accounts.change_workspace_settings(
        "acme", {"legal_hold": "Litigation 2026-114 <b>"}, by="operator"
    )
    page = fresh.client("owner").get("/activity").text
    assert "<strong>Legal hold:</strong> Litigation 2026-114 &lt;b&gt;." in page
    assert "Nothing is purged until the hold is released." in page


# -- log_access decides who opens the log --------------------------------------------------
def test_under_admins_members_get_a_full_403_page(fresh: World) -> None:
    owner = fresh.client("owner")
    _patch(owner, {"log_access": "admins"})
    for role in ("member", "viewer"):
        client = fresh.client(role)
        page = client.get("/activity")
        assert page.status_code == 403
        html = page.text
        assert '<html lang="en">' in html
        assert "<h1" in html
        assert "The activity log is for admins" in html
        assert "owners and admins only" in html
        assert 'action="/signout"' in html  # the top bar: sign out, switch workspace
        assert client.get("/api/v1/events?scope=mine").status_code == 403
        assert client.get("/activity/partials").status_code == 403
        assert client.get("/api/v1/stats").status_code == 403
    assert owner.get("/activity").status_code == 200
    assert fresh.client("admin").get("/activity").status_code == 200


def test_under_own_members_see_their_own_activity(fresh: World) -> None:
    member = fresh.client("member")
    assert member.get("/activity").status_code == 200
    assert member.get("/api/v1/events?scope=mine").status_code == 200
    assert member.get("/api/v1/events?scope=workspace").status_code == 403


def test_viewer_tokens_follow_the_setting(fresh: World) -> None:
    key = fresh.bearer("acme_read")
    body = {"user_id": "u_diego", "role": "member", "ttl_seconds": 600}
    token = fresh.client().post("/api/v1/viewer-tokens", json=body, headers=key).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert fresh.client().get("/api/v1/events", headers=bearer).status_code == 200
    _patch(fresh.client("owner"), {"log_access": "admins"})
    assert fresh.client().get("/api/v1/events", headers=bearer).status_code == 403


def _csrf_any(client: TestClient) -> str:
    """The session's CSRF token, from whatever page the role gets (the 403 page has it)."""
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/activity").text)
    assert match
    return match.group(1)
