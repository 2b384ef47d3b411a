"""Who sees which controls and columns: the role filter, platform admins' view across
workspaces (Workspace column, "acme #12", workspace and layer filters), the layer in the
entry detail, and switching workspace being recorded."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from ._support import EMAIL_BY_ROLE, World, csrf_of, sign_in


def _switch(client: TestClient, workspace: str) -> Any:
    return client.post(
        "/workspace",
        data={"workspace": workspace, "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )


def _switches(world: World) -> list[dict[str, Any]]:
    return world.state.log.query(events=["workspace.switched"], per_page=100).items


# -- role filter ---------------------------------------------------------------------------
def test_the_api_filters_by_the_actors_role_then(world: World) -> None:
    client = world.client("owner")
    everyone = client.get("/api/v1/events?scope=workspace&range=last_30_days&per_page=100").json()
    admins = client.get(
        "/api/v1/events?scope=workspace&range=last_30_days&per_page=100&roles=admin"
    ).json()
    assert 0 < admins["total"] < everyone["total"]
    assert {e["actor"].get("role") for e in admins["items"]} == {"admin"}
    both = client.get(
        "/api/v1/events?scope=workspace&range=last_30_days&roles=admin&roles=member"
    ).json()
    either = client.get(
        "/api/v1/events?scope=workspace&range=last_30_days&roles=admin,member"
    ).json()
    assert both["total"] == either["total"] > admins["total"]
    stats = client.get("/api/v1/stats?scope=workspace&range=last_30_days&roles=admin").json()
    assert stats["kpis"]["total"] == admins["total"]


def test_an_unknown_role_is_422_naming_it(world: World) -> None:
    reply = world.client("owner").get("/api/v1/events?roles=admin&roles=superuser")
    assert reply.status_code == 422
    [error] = reply.json()["errors"]
    assert error["field"] == "roles"
    assert "'superuser'" in error["reason"]


def test_the_page_offers_the_role_filter_to_those_who_see_everyone(world: World) -> None:
    page = world.client("owner").get("/activity?scope=workspace&roles=member").text
    select = re.search(
        r'<select class="select" id="f-roles" name="roles">(.*?)</select>', page, re.S
    )
    assert select
    assert re.search(r'<option value="member" selected>Member</option>', select.group(1))
    assert 'id="f-roles"' not in world.client("member").get("/activity").text
    bad = world.client("owner").get("/activity?roles=chief")
    assert bad.status_code == 422
    assert "&#39;roles&#39; unknown value &#39;chief&#39;" in bad.text


# -- platform admins' view across workspaces -----------------------------------------------
def test_all_workspaces_has_a_workspace_column_and_filters(world: World) -> None:
    page = world.client("platform_admin").get("/activity?scope=workspace").text
    assert '<th scope="col" class="col-workspace">Workspace</th>' in page
    assert re.search(r'<span class="col-num__ws">(acme|globex)</span> #[\d,]+', page)
    workspace = re.search(r'id="f-workspace" name="workspace">(.*?)</select>', page, re.S)
    assert workspace
    assert {"acme", "globex"} <= set(re.findall(r'<option value="(\w+)"', workspace.group(1)))
    layer = re.search(r'id="f-layer" name="layer">(.*?)</select>', page, re.S)
    assert layer
    assert re.findall(r'<option value="(\w*)"', layer.group(1)) == ["", "workspace", "platform"]


def test_one_workspace_drops_the_column_and_keeps_the_filter(world: World) -> None:
    page = world.client("platform_admin").get("/activity?scope=workspace&workspace=acme").text
    assert "col-workspace" not in page
    assert '<option value="acme" selected>acme</option>' in page
    assert 'type="hidden" name="workspace"' not in page  # the select carries it
    assert "Workspace: acme" not in page  # no chip either


def test_the_layer_filter_narrows_the_platform_admins_view(world: World) -> None:
    client = world.client("platform_admin")
    query = "/api/v1/events?scope=workspace&range=last_30_days&per_page=100&layer=platform"
    items = client.get(query).json()["items"]
    assert items
    assert {e["layer"] for e in items} == {"platform"}
    page = client.get("/activity?scope=workspace&layer=platform").text
    assert '<option value="platform" selected>Platform</option>' in page


@pytest.mark.parametrize("role", ["owner", "admin", "member"])
def test_workspace_people_get_no_workspace_or_layer_controls(world: World, role: str) -> None:
    page = world.client(role).get("/activity").text
    assert 'id="f-workspace"' not in page
    assert 'id="f-layer"' not in page
    assert "col-workspace" not in page


def test_the_detail_shows_the_layer(world: World) -> None:
    client = world.client("platform_admin")
    query = "/api/v1/events?scope=workspace&range=last_30_days&per_page=10&layer=platform"
    event = client.get(query).json()["items"][0]
    detail = client.get(f"/activity/events/{event['id']}", headers={"X-Fragment": "1"}).text
    assert re.search(r"<dt>Layer</dt><dd>Platform", detail)


def test_only_owners_and_platform_admins_get_the_delete_button(world: World) -> None:
    for role, shown in (("owner", True), ("admin", False), ("platform_admin", True)):
        page = world.client(role).get("/activity?scope=workspace").text
        assert ("data-delete-selected" in page) is shown, role


# -- switching workspace -------------------------------------------------------------------
def test_switching_is_recorded_in_the_workspace_entered(fresh: World) -> None:
    fresh.state.accounts.set_role(EMAIL_BY_ROLE["owner"], "globex", "admin")
    client = fresh.client()
    sign_in(client, EMAIL_BY_ROLE["owner"])  # signs in to acme (the first membership)
    assert _switch(client, "globex").status_code == 303
    [entry] = _switches(fresh)
    assert entry["workspace"] == "globex"
    assert entry["layer"] == "workspace"
    assert entry["details"] == {"from": "acme", "to": "globex"}
    assert entry["actor"]["id"] == "u_ava"
    assert entry["actor"]["role"] == "admin"  # the role in the workspace entered
    assert entry["subject"] == {"type": "workspace", "id": "globex", "name": "globex"}
    # re-entering the workspace one is in records nothing
    assert _switch(client, "globex").status_code == 303
    assert len(_switches(fresh)) == 1
    _switch(client, "acme")
    assert [(e["workspace"], e["details"]["from"]) for e in _switches(fresh)] == [
        ("acme", "globex"),
        ("globex", "acme"),
    ]


def test_a_refused_switch_records_nothing(fresh: World) -> None:
    client = fresh.client("owner")
    assert _switch(client, "initech").status_code == 403
    assert _switches(fresh) == []


def test_platform_admins_switching_are_recorded_in_the_platform_layer(fresh: World) -> None:
    client = fresh.client("platform_admin")
    assert _switch(client, "globex").status_code == 303
    [entry] = _switches(fresh)
    assert (entry["workspace"], entry["layer"]) == ("globex", "platform")
    assert entry["details"] == {"from": None, "to": "globex"}


# -- the 403 page of a log kept for admins ---------------------------------------------------
def test_the_403_page_offers_the_switcher_to_a_workspace_one_may_read(fresh: World) -> None:
    fresh.state.accounts.change_workspace_settings("acme", {"log_access": "admins"}, by="t")
    fresh.state.accounts.set_role(EMAIL_BY_ROLE["member"], "globex", "admin")
    client = fresh.client("member")  # in acme, the first of their workspaces
    page = client.get("/activity")
    assert page.status_code == 403
    assert 'action="/workspace"' in page.text
    assert "switch to another workspace above" in page.text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert token
    moved = client.post("/workspace", data={"workspace": "globex", "csrf_token": token.group(1)})
    assert moved.status_code == 200  # followed to /activity, in globex as an admin
    assert [e["details"] for e in _switches(fresh)] == [{"from": "acme", "to": "globex"}]


def test_an_embedded_member_gets_the_403_page_without_the_top_bar(fresh: World) -> None:
    fresh.state.accounts.change_workspace_settings("acme", {"log_access": "admins"}, by="t")
    body = {"user_id": "u_diego", "role": "member", "ttl_seconds": 600}
    minted = fresh.client().post(
        "/api/v1/viewer-tokens", json=body, headers=fresh.bearer("acme_read")
    )
    client = fresh.client()
    page = client.get(f"/embed?token={minted.json()['token']}")
    assert page.status_code == 403
    assert "The activity log is for admins" in page.text
    assert 'action="/signout"' not in page.text
    assert 'action="/workspace"' not in page.text
