"""Alerts and alert rules over the API: who sees what (members, viewers and other
workspaces nothing), acknowledging and resolving recorded with the person, rule changes,
and problem details naming bad fields."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from activitylog.alerts.follower import AlertFollower
from activitylog.followers import Following

from ._support import World, csrf_of


def _failures(world: World, workspace: str) -> None:
    world.state.log.record_many(
        {
            "workspace": workspace,
            "action": "auth.sign_in_failed",
            "result": "failure",
            "ip": "10.9.9.9",
            "details": {"email": f"x@{workspace}.example"},
            "subject": {"type": "user", "name": f"x@{workspace}.example"},
        }
        for _ in range(5)
    )


@pytest.fixture
def alerting(fresh: World) -> World:
    """acme and globex have one alert each."""
    log = fresh.state.log
    log.record_many([{"workspace": w, "action": "contact.created"} for w in ("acme", "globex")])
    following = Following(log)
    following.catch_up([AlertFollower(log)])
    _failures(fresh, "acme")
    _failures(fresh, "globex")
    following.catch_up([AlertFollower(log)])
    return fresh


def _ids(reply: Any) -> dict[str, str]:
    return {a["workspace"]: a["id"] for a in reply.json()}


def _post(client: TestClient, path: str, body: Any = None, method: str = "POST") -> Any:
    headers = {"X-CSRF-Token": csrf_of(client)}
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(
    ("role", "status", "workspaces"),
    [
        ("owner", 200, {"acme"}),
        ("admin", 200, {"acme"}),
        ("member", 403, None),
        ("viewer", 403, None),
        ("platform_admin", 200, {"acme", "globex"}),
    ],
)
def test_who_sees_alerts(
    alerting: World, role: str, status: int, workspaces: set[str] | None
) -> None:
    reply = alerting.client(role).get("/api/v1/alerts")
    assert reply.status_code == status, reply.text
    if workspaces is not None:
        assert set(_ids(reply)) == workspaces
        [alert] = [a for a in reply.json() if a["workspace"] == "acme"]
        assert alert["rule"] == "failed_sign_in_burst"
        assert len(alert["event_ids"]) == 5
    else:
        assert reply.headers["content-type"] == "application/problem+json"
        member_rules = alerting.client(role).get("/api/v1/alerts/rules")
        assert member_rules.status_code == 403


def test_other_workspaces_alerts_are_not_found(alerting: World) -> None:
    ids = _ids(alerting.client("platform_admin").get("/api/v1/alerts"))
    owner = alerting.client("owner")
    assert owner.get(f"/api/v1/alerts/{ids['acme']}").status_code == 200
    assert owner.get(f"/api/v1/alerts/{ids['globex']}").status_code == 404
    assert owner.get("/api/v1/alerts", params={"workspace": "globex"}).status_code == 403
    assert owner.get("/api/v1/alerts/rules", params={"workspace": "globex"}).status_code == 403
    assert _post(owner, f"/api/v1/alerts/{ids['globex']}/ack").status_code == 404
    key = alerting.client()
    acme_key = key.get("/api/v1/alerts", headers=alerting.bearer("acme_read"))
    assert set(_ids(acme_key)) == {"acme"}
    globex_key = alerting.bearer("globex_read")
    assert key.get(f"/api/v1/alerts/{ids['acme']}", headers=globex_key).status_code == 404
    assert key.get("/api/v1/alerts", headers=alerting.bearer("acme_ingest")).status_code == 403
    assert key.get("/api/v1/alerts").status_code == 401


def test_ack_and_resolve_are_recorded_with_the_person(alerting: World) -> None:
    owner = alerting.client("owner")
    [alert_id] = _ids(owner.get("/api/v1/alerts")).values()
    no_token = owner.post(f"/api/v1/alerts/{alert_id}/ack")
    assert no_token.status_code == 403
    acked = _post(owner, f"/api/v1/alerts/{alert_id}/ack")
    assert acked.status_code == 200, acked.text
    assert acked.json()["acknowledged_by"] == "ava.thompson@acme.example"
    bad = _post(owner, f"/api/v1/alerts/{alert_id}/resolve", {"note": 5, "why": "x"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"why"}
    resolved = _post(owner, f"/api/v1/alerts/{alert_id}/resolve", {"note": "reset password"})
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["note"]) == ("resolved", "reset password")
    assert _post(owner, f"/api/v1/alerts/{alert_id}/resolve").status_code == 409
    open_only = owner.get("/api/v1/alerts", params={"status": "open"})
    assert open_only.json() == []
    assert owner.get("/api/v1/alerts", params={"status": "closed"}).status_code == 422
    log = alerting.state.log
    [entry] = [e for e in log.export(workspace="acme") if e["action"] == "alert.resolved"]
    assert entry["actor"]["id"] == "u_ava"
    assert entry["details"]["note"] == "reset password"
    assert entry["layer"] == "workspace"


def test_rules_read_and_changed_by_owners_and_admins(alerting: World) -> None:
    admin = alerting.client("admin")
    rules = admin.get("/api/v1/alerts/rules")
    assert rules.status_code == 200
    assert len(rules.json()) == 10
    changed = _post(
        admin,
        "/api/v1/alerts/rules/off_hours",
        {"enabled": True, "window": 15, "params": {"timezone": "Europe/Berlin"}},
        method="PATCH",
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["params"]["timezone"] == "Europe/Berlin"
    bad = _post(
        admin,
        "/api/v1/alerts/rules/off_hours",
        {"window": 0, "severity": "urgent", "params": {"colour": "red"}},
        method="PATCH",
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"params.colour"}
    bad = _post(
        admin, "/api/v1/alerts/rules/off_hours", {"window": 0, "severity": "x"}, method="PATCH"
    )
    assert {e["field"] for e in bad.json()["errors"]} == {"window", "severity"}
    missing = _post(admin, "/api/v1/alerts/rules/nope", {"enabled": True}, method="PATCH")
    assert missing.status_code == 404
    created = _post(
        admin,
        "/api/v1/alerts/rules",
        {"name": "fails", "filters": {"results": ["failure"]}, "threshold": 3, "window": 5},
    )
    assert created.status_code == 201, created.text
    assert created.json()["custom"] is True
    again = _post(admin, "/api/v1/alerts/rules", {"name": "fails", "threshold": 3, "window": 5})
    assert again.status_code == 409
    wrong = _post(admin, "/api/v1/alerts/rules", {"name": "x", "filters": {"roles": ["boss"]}})
    assert wrong.status_code == 422
    assert {e["field"] for e in wrong.json()["errors"]} == {"threshold", "window"}
    platform = alerting.client("platform_admin")
    assert platform.get("/api/v1/alerts/rules").status_code == 422  # which workspace?
    assert len(platform.get("/api/v1/alerts/rules?workspace=acme").json()) == 11
    log = alerting.state.log
    actions = [e["action"] for e in log.export(workspace="acme")]
    assert actions.count("alert_rule.updated") == 1
    assert actions.count("alert_rule.created") == 1
