"""The Alerts page over HTTP: the list (open first) and the header's count, one alert with
its entries and the Activity Log link showing them, acknowledge and resolve (CSRF, who
may, what is recorded), the rules' forms, custom rules from an Activity Log URL, the
followers' lag; members, viewers, keys and other workspaces see nothing of it.

Alerts are raised the real way: entries recorded, then the ``alerts`` follower run."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from activitylog.alerts import Alerts
from activitylog.alerts.follower import AlertFollower
from activitylog.delivery import Channels, Sender, attempts, delivery_followers
from activitylog.followers import Following
from activitylog.web import alert_views
from activitylog.web.alert_views import rule_label

from ._support import World, build_world, csrf_of, sign_in

OWNER_NAME = "Ava Thompson"


def _start_following(world: World, workspace: str = "acme") -> None:
    """An entry, then the follower once: it starts at the end of the log, so what is
    recorded next is what it evaluates."""
    log = world.state.log
    log.record(
        workspace=workspace, action="contact.updated", subject={"type": "contact", "id": "c"}
    )
    _follow(world)


def _follow(world: World) -> None:
    assert Following(world.state.log).catch_up([AlertFollower(world.state.log)]) == []


def _failed_sign_ins(
    world: World, account: str, *, workspace: str = "acme", ip: str = "203.0.113.9", count: int = 5
) -> list[str]:
    events = [
        {
            "workspace": workspace,
            "action": "auth.sign_in_failed",
            "result": "failure",
            "ip": ip,
            "subject": {"type": "user", "id": account, "name": account},
        }
        for _ in range(count)
    ]
    recorded = world.state.log.record_many(events)
    _follow(world)
    return [str(e["id"]) for e in recorded]


def _raise(world: World, account: str = "ava.thompson@acme.example", **kwargs: Any) -> str:
    """One failed sign-in burst alert; its id."""
    before = {a.id for a in Alerts(world.state.log).list()}
    _failed_sign_ins(world, account, **kwargs)
    [new] = [a.id for a in Alerts(world.state.log).list() if a.id not in before]
    return new


@pytest.fixture
def alerted(fresh: World) -> World:
    _start_following(fresh)
    return fresh


def _rows(html: str) -> list[str]:
    """The alert ids of the list, top to bottom."""
    return re.findall(r'data-alert="([^"]+)"', html)


def _error(html: str) -> str:
    match = re.search(r'banner--error" role="alert">.*?<p>(.*?)</p>', html, re.S)
    return unescape(match.group(1)) if match else ""


def _status(world: World, alert_id: str) -> str:
    alert = Alerts(world.state.log).get(alert_id)
    assert alert is not None
    return alert.status


def _recorded(world: World, action: str) -> list[dict[str, Any]]:
    """acme's entries of ``action`` (its log is short: one page holds it)."""
    page = world.state.log.query(workspace="acme", per_page=100)
    assert page.total < 100
    return [e for e in page.items if e["action"] == action]


# -- the list and the badge ----------------------------------------------------------------
def test_the_list_shows_open_alerts_first_and_the_header_counts_them(alerted: World) -> None:
    first = _raise(alerted, "ava.thompson@acme.example")
    second = _raise(alerted, "ben.ortiz@acme.example", ip="198.51.100.7")
    third = _raise(alerted, "diego.alvarez@acme.example", ip="192.0.2.44")
    facade = Alerts(alerted.state.log)
    facade.resolve(third, by="Someone", note="a test")
    facade.ack(second, by="Ben Ortiz")

    owner = alerted.client("owner")
    page = owner.get("/alerts?tz=Europe/Berlin")
    assert page.status_code == 200
    assert _rows(page.text) == [first, second, third]  # open, acknowledged, resolved
    assert "5 failed sign-ins for account ava.thompson@acme.example" in page.text
    assert "by Ben Ortiz" in page.text
    assert "by Someone" in page.text
    assert re.search(r">Open <span class=\"tabs__count\">1</span>", page.text)
    assert re.search(r"data-open-alerts>1<", page.text)  # the header's badge here too
    assert _rows(owner.get("/alerts?status=acknowledged").text) == [second]
    assert _rows(owner.get("/alerts?status=resolved").text) == [third]

    activity = owner.get("/activity?tz=Europe/Berlin")
    badge = re.search(
        r'href="(/alerts[^"]*)"[^>]*data-alerts-link>Alerts <span[^>]*>(\d+)<', activity.text
    )
    assert badge is not None, "the Activity page's header links to the alerts with their count"
    assert unescape(badge.group(1)) == "/alerts?tz=Europe%2FBerlin"
    assert badge.group(2) == "1"


def test_times_are_in_the_viewers_zone(alerted: World) -> None:
    alert_id = _raise(alerted)
    alert = Alerts(alerted.state.log).get(alert_id)
    assert alert is not None
    owner = alerted.client("owner")
    utc = owner.get("/alerts").text
    tokyo = owner.get("/alerts?tz=Asia/Tokyo").text
    clock = re.compile(r'class="time__clock">(\d\d):(\d\d):\d\d<')
    utc_hour, tokyo_hour = int(clock.findall(utc)[0][0]), int(clock.findall(tokyo)[0][0])
    assert (tokyo_hour - utc_hour) % 24 == 9


def test_an_unknown_status_or_zone_is_named_and_the_list_still_shown(alerted: World) -> None:
    alert_id = _raise(alerted)
    page = alerted.client("owner").get("/alerts?status=closed&tz=Mars/Olympus")
    assert page.status_code == 200
    assert "'status' must be one of open, acknowledged, resolved" in _error(page.text)
    assert "'tz' unknown time zone 'Mars/Olympus'" in _error(page.text)
    assert _rows(page.text) == [alert_id]


def test_no_alerts_says_so(alerted: World) -> None:
    page = alerted.client("owner").get("/alerts?status=open")
    assert "No open alerts" in page.text
    assert "data-open-alerts" not in page.text  # no count when nothing is open


def test_text_from_entries_is_escaped(alerted: World) -> None:
    alert_id = _raise(alerted, "<script>alert(1)</script>@x.example")
    owner = alerted.client("owner")
    for path in ("/alerts", f"/alerts/{alert_id}"):
        html = owner.get(path).text
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;@x.example" in html


# -- who may -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 200), ("admin", 200), ("member", 403), ("viewer", 403), ("platform_admin", 200)],
)
def test_who_may_open_the_alerts_page(alerted: World, role: str, status: int) -> None:
    alert_id = _raise(alerted)
    client = alerted.client(role)
    for path in ("/alerts", f"/alerts/{alert_id}"):
        reply = client.get(path)
        assert reply.status_code == status, (path, reply.text[:200])
        if status == 403:
            assert "Alerts are for a workspace&#39;s owners and admins" in reply.text
            assert "5 failed sign-ins" not in reply.text
    activity = client.get("/activity")  # acme lets members and viewers see their own
    assert activity.status_code == 200
    assert ('href="/alerts' in activity.text) is (status == 200)
    assert ("Alert on these filters" in activity.text) is (status == 200)


def test_without_a_session_the_page_asks_to_sign_in(alerted: World) -> None:
    reply = alerted.client().get("/alerts?status=open", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/signin?next=%2Falerts%3Fstatus%3Dopen"


def test_api_keys_get_no_alerts_page(alerted: World) -> None:
    _raise(alerted)
    for key in ("acme_read", "platform_read"):
        reply = alerted.client().get("/alerts", headers=alerted.bearer(key))
        assert reply.status_code == 403
        assert "5 failed sign-ins" not in reply.text


def test_another_workspaces_alert_is_not_found(alerted: World) -> None:
    _start_following(alerted, "globex")
    theirs = _raise(alerted, "jonas.weber@globex.example", workspace="globex")
    owner = alerted.client("owner")
    assert owner.get(f"/alerts/{theirs}").status_code == 404
    assert theirs not in owner.get("/alerts").text
    assert owner.get("/alerts?workspace=globex").status_code == 403
    token = csrf_of(owner)
    reply = owner.post(f"/alerts/{theirs}/acknowledge", data={"csrf_token": token})
    assert reply.status_code == 404
    assert _status(alerted, theirs) == "open"


def test_a_platform_admin_sees_every_workspace_and_picks_one(alerted: World) -> None:
    _start_following(alerted, "globex")
    ours = _raise(alerted)
    theirs = _raise(alerted, "jonas.weber@globex.example", workspace="globex")
    admin = alerted.client("platform_admin")
    every = admin.get("/alerts")
    assert set(_rows(every.text)) == {ours, theirs}
    assert "Pick a workspace above to see and change its rules" in every.text
    one = admin.get("/alerts?workspace=globex")
    assert _rows(one.text) == [theirs]
    assert 'data-rule="failed_sign_in_burst"' in one.text
    assert 'name="workspace" value="globex"' in one.text


# -- one alert -----------------------------------------------------------------------------
def test_an_alert_shows_why_it_fired_and_its_entries(alerted: World) -> None:
    before = {a.id for a in Alerts(alerted.state.log).list()}
    ids = _failed_sign_ins(alerted, "ava.thompson@acme.example")
    [alert_id] = [a.id for a in Alerts(alerted.state.log).list() if a.id not in before]
    owner = alerted.client("owner")
    page = owner.get(f"/alerts/{alert_id}?tz=Europe/Berlin")
    assert page.status_code == 200
    assert "Failed sign-in burst" in page.text
    assert "at least 5 within 10 min" in page.text
    assert re.findall(r'data-entry="([^"]+)"', page.text) == ids
    assert "Not sent anywhere: the workspace has no alert channels" in page.text

    link = re.search(r'href="([^"]+)" data-show-entries>', page.text)
    assert link is not None
    activity = owner.get(unescape(link.group(1)))
    assert activity.status_code == 200
    shown = re.findall(r'data-row data-id="([^"]+)"', activity.text)
    assert sorted(shown) == sorted(ids)


def test_entries_deleted_since_are_counted_not_shown(alerted: World) -> None:
    before = {a.id for a in Alerts(alerted.state.log).list()}
    ids = _failed_sign_ins(alerted, "ava.thompson@acme.example")
    [alert_id] = [a.id for a in Alerts(alerted.state.log).list() if a.id not in before]
    alerted.state.log.delete(ids[:2], by="operator", reason="test")
    page = alerted.client("owner").get(f"/alerts/{alert_id}")
    assert re.findall(r'data-entry="([^"]+)"', page.text) == ids[2:]
    assert "2 entries are no longer in the log" in page.text


def test_an_unknown_alert_is_404(alerted: World) -> None:
    owner = alerted.client("owner")
    assert owner.get("/alerts/00000000-0000-0000-0000-000000000000").status_code == 404
    assert owner.get("/alerts/nonsense").status_code == 404


# -- acknowledge and resolve ---------------------------------------------------------------
def test_acknowledge_then_resolve_change_the_status_and_are_recorded(alerted: World) -> None:
    alert_id = _raise(alerted)
    owner = alerted.client("owner")
    token = csrf_of(owner)

    reply = owner.post(
        f"/alerts/{alert_id}/acknowledge",
        data={"csrf_token": token, "tz": "Europe/Berlin"},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    assert reply.headers["location"] == f"/alerts/{alert_id}?tz=Europe%2FBerlin&done=acknowledged"
    assert _status(alerted, alert_id) == "acknowledged"
    page = owner.get(reply.headers["location"])
    assert "Alert acknowledged." in page.text
    assert f"/alerts/{alert_id}/acknowledge" not in page.text  # done: no second button
    assert f"by <strong>{OWNER_NAME}</strong>" in page.text

    reply = owner.post(
        f"/alerts/{alert_id}/resolve",
        data={"csrf_token": token, "note": "  It was Ava, who forgot her password.  "},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    alert = Alerts(alerted.state.log).get(alert_id)
    assert alert is not None
    assert (alert.status, alert.resolved_by, alert.note) == (
        "resolved",
        OWNER_NAME,
        "It was Ava, who forgot her password.",
    )
    page = owner.get(f"/alerts/{alert_id}")
    assert "It was Ava, who forgot her password." in page.text
    assert f"/alerts/{alert_id}/resolve" not in page.text
    history = re.search(r'<ol class="alert-history".*?</ol>', page.text, re.S)
    assert history is not None
    steps = re.findall(r">(\w+)</a> by ([^,<]+)", history.group(0))
    assert steps == [("Raised", "System"), ("Acknowledged", OWNER_NAME), ("Resolved", OWNER_NAME)]

    [acked] = _recorded(alerted, "alert.acknowledged")
    [resolved] = _recorded(alerted, "alert.resolved")
    for entry in (acked, resolved):
        assert entry["actor"]["id"] == "u_ava"
        assert entry["subject"] == {"type": "alert", "id": alert_id, "name": "failed_sign_in_burst"}
    assert resolved["details"]["note"] == "It was Ava, who forgot her password."

    again = owner.post(f"/alerts/{alert_id}/resolve", data={"csrf_token": token})
    assert again.status_code == 409
    assert "is resolved already" in _error(again.text)
    assert len(_recorded(alerted, "alert.resolved")) == 1


def test_an_admin_resolves_without_acknowledging(alerted: World) -> None:
    alert_id = _raise(alerted)
    admin = alerted.client("admin")
    reply = admin.post(f"/alerts/{alert_id}/resolve", data={"csrf_token": csrf_of(admin)})
    assert reply.status_code == 200  # followed to the alert
    assert _status(alerted, alert_id) == "resolved"
    assert "Alert resolved." in reply.text


@pytest.mark.parametrize("token", [None, "", "wrong"])
def test_changes_need_the_sessions_csrf_token(alerted: World, token: str | None) -> None:
    alert_id = _raise(alerted)
    owner = alerted.client("owner")
    data = {} if token is None else {"csrf_token": token}
    for path in (f"/alerts/{alert_id}/acknowledge", f"/alerts/{alert_id}/resolve"):
        reply = owner.post(path, data=data, follow_redirects=False)
        assert reply.status_code == 403
        assert "CSRF" in reply.text
    rule = owner.post("/alerts/rules/failed_sign_in_burst", data={**data, "threshold": "9"})
    assert rule.status_code == 403
    assert _status(alerted, alert_id) == "open"
    assert Alerts(alerted.state.log).rule("acme", "failed_sign_in_burst").threshold == 5


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_change_nothing(alerted: World, role: str) -> None:
    alert_id = _raise(alerted)
    client = alerted.client(role)
    token = csrf_of(client)
    for path in (f"/alerts/{alert_id}/acknowledge", f"/alerts/{alert_id}/resolve"):
        assert client.post(path, data={"csrf_token": token}).status_code == 403
    rule = client.post(
        "/alerts/rules/failed_sign_in_burst", data={"csrf_token": token, "threshold": "9"}
    )
    assert rule.status_code == 403
    added = client.post(
        "/alerts/rules",
        data={"csrf_token": token, "name": "x", "threshold": "1", "window": "5"},
    )
    assert added.status_code == 403
    assert _status(alerted, alert_id) == "open"
    assert not _recorded(alerted, "alert_rule.updated")


def test_a_note_too_long_is_refused_by_name(alerted: World) -> None:
    alert_id = _raise(alerted)
    owner = alerted.client("owner")
    reply = owner.post(
        f"/alerts/{alert_id}/resolve", data={"csrf_token": csrf_of(owner), "note": "x" * 2001}
    )
    assert reply.status_code == 422
    assert "'note' must be text of at most 2000" in _error(reply.text)
    assert _status(alerted, alert_id) == "open"


# -- rules ---------------------------------------------------------------------------------
def test_an_owner_changes_a_rule_and_it_is_recorded(alerted: World) -> None:
    owner = alerted.client("owner")
    token = csrf_of(owner)
    reply = owner.post(
        "/alerts/rules/failed_sign_in_burst",
        data={
            "csrf_token": token,
            "enabled": "on",
            "threshold": "3",
            "window": "30",
            "severity": "critical",
        },
        follow_redirects=False,
    )
    assert reply.status_code == 303
    assert reply.headers["location"] == "/alerts?done=rule#rules"
    rule = Alerts(alerted.state.log).rule("acme", "failed_sign_in_burst")
    assert (rule.enabled, rule.threshold, rule.window, rule.severity) == (True, 3, 30, "critical")
    [entry] = _recorded(alerted, "alert_rule.updated")
    assert entry["actor"]["id"] == "u_ava"
    assert entry["changes"]["threshold"] == {"before": 5, "after": 3}

    # Off: an unchecked box is not sent. Three failures now raise nothing.
    owner.post("/alerts/rules/failed_sign_in_burst", data={"csrf_token": token})
    assert Alerts(alerted.state.log).rule("acme", "failed_sign_in_burst").enabled is False
    _failed_sign_ins(alerted, "ava.thompson@acme.example", count=3)
    assert Alerts(alerted.state.log).list("acme") == []
    page = owner.get("/alerts")
    assert re.search(r'data-rule="failed_sign_in_burst">\s*<form', page.text)
    assert 'class="rule rule--off" data-rule="failed_sign_in_burst"' in page.text


def test_a_built_in_rules_own_settings(alerted: World) -> None:
    owner = alerted.client("owner")
    reply = owner.post(
        "/alerts/rules/off_hours",
        data={
            "csrf_token": csrf_of(owner),
            "enabled": "on",
            "param.hours": "08:00-17:00",
            "param.days": "mon-thu",
            "param.timezone": "Europe/Berlin",
        },
        follow_redirects=False,
    )
    assert reply.status_code == 303
    rule = Alerts(alerted.state.log).rule("acme", "off_hours")
    assert rule.enabled
    assert dict(rule.params) == {
        "hours": "08:00-17:00",
        "days": "mon-thu",
        "timezone": "Europe/Berlin",
    }


@pytest.mark.parametrize(
    ("rule", "data", "message"),
    [
        ("failed_sign_in_burst", {"threshold": "0"}, "'threshold' must be at least 1"),
        ("failed_sign_in_burst", {"threshold": "five"}, "'threshold' must be a whole number"),
        ("failed_sign_in_burst", {"window": "20000"}, "'window' must be between 1 and 10080"),
        ("failed_sign_in_burst", {"severity": "urgent"}, "'severity' must be one of low"),
        ("off_hours", {"param.hours": "9-5"}, "'hours' must be HH:MM-HH:MM"),
        ("off_hours", {"param.timezone": "Mars/Olympus"}, "'timezone' is not a known IANA"),
        ("new_ip_sign_in", {"param.lookback_days": "many"}, "'lookback_days' must be a whole"),
        ("impersonation", {"threshold": "3"}, "'threshold' rule impersonation has no threshold"),
    ],
)
def test_bad_rule_settings_are_422_naming_the_field(
    alerted: World, rule: str, data: dict[str, str], message: str
) -> None:
    owner = alerted.client("owner")
    before = Alerts(alerted.state.log).rule("acme", rule)
    reply = owner.post(f"/alerts/rules/{rule}", data={"csrf_token": csrf_of(owner), **data})
    assert reply.status_code == 422
    assert message in _error(reply.text)
    assert _error(reply.text).startswith(f"{rule_label(rule)}: Invalid: ")
    assert _error(reply.text).endswith("Nothing was changed.")
    assert Alerts(alerted.state.log).rule("acme", rule) == before


def test_an_unknown_rule_is_404(alerted: World) -> None:
    owner = alerted.client("owner")
    reply = owner.post("/alerts/rules/no_such_rule", data={"csrf_token": csrf_of(owner)})
    assert reply.status_code == 404


def test_a_custom_rule_from_an_activity_log_url_raises_alerts(alerted: World) -> None:
    owner = alerted.client("owner")
    url = "/activity?range=last_30_days&events=contact.exported&result=success&page=2&tz=UTC"
    reply = owner.post(
        "/alerts/rules",
        data={
            "csrf_token": csrf_of(owner),
            "name": "exports_by_one_person",
            "filters": f"http://testserver{url}",
            "threshold": "3",
            "window": "60",
            "per": "actor",
            "severity": "high",
        },
        follow_redirects=False,
    )
    assert reply.status_code == 303, _error(reply.text)
    rule = Alerts(alerted.state.log).rule("acme", "exports_by_one_person")
    assert (rule.custom, rule.per, rule.threshold, rule.window) == (True, "actor", 3, 60)
    assert dict(rule.filters or {}) == {"events": ["contact.exported"], "results": ["success"]}
    [created] = _recorded(alerted, "alert_rule.created")
    assert created["actor"]["id"] == "u_ava"

    person = {"id": "u_ben", "name": "Ben Ortiz", "type": "user"}
    alerted.state.log.record_many(
        [{"workspace": "acme", "action": "contact.exported", "actor": person} for _ in range(3)]
    )
    _follow(alerted)
    [alert] = Alerts(alerted.state.log).list("acme")
    assert (alert.rule, alert.severity, len(alert.event_ids)) == (
        "exports_by_one_person",
        "high",
        3,
    )
    page = owner.get("/alerts")
    assert "Exports by one person" in page.text


def test_the_activity_pages_link_fills_the_rule_form(alerted: World) -> None:
    owner = alerted.client("owner")
    activity = owner.get("/activity?events=auth.signed_in&scope=workspace&tz=UTC")
    link = re.search(r'href="([^"]+)" data-alert-from-filters', activity.text)
    assert link is not None
    page = owner.get(unescape(link.group(1)))
    value = re.search(r'id="new-filters" name="filters" value="([^"]*)"', page.text)
    assert value is not None
    assert unescape(value.group(1)) == "/activity?scope=workspace&events=auth.signed_in"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Bad Name"}, "'name' must be 1-64 lower-case letters"),
        ({"name": "failed_sign_in_burst"}, "is a built-in rule"),
        ({"threshold": ""}, "'threshold' must be a whole number"),
        ({"per": "country"}, "'per' must be actor, ip or null"),
        ({"filters": "/activity?ip=203.0.113.9"}, "a rule cannot filter by ip"),
        ({"filters": "/activity?per_page=7"}, "'per_page' must be one of"),
        ({"filters": "/activity?country=zzz"}, "filters.countries"),
    ],
)
def test_a_bad_custom_rule_is_422_and_the_form_kept(
    alerted: World, data: dict[str, str], message: str
) -> None:
    owner = alerted.client("owner")
    form = {
        "csrf_token": csrf_of(owner),
        "name": "my_rule",
        "filters": "/activity?events=contact.exported",
        "threshold": "3",
        "window": "60",
        "per": "",
        "severity": "low",
        **data,
    }
    reply = owner.post("/alerts/rules", data=form)
    assert reply.status_code == 422
    assert message in _error(reply.text)
    kept = re.search(r'id="new-name" name="name"[^>]* value="([^"]*)"', reply.text)
    assert kept is not None
    assert unescape(kept.group(1)) == form["name"]
    assert [r.name for r in Alerts(alerted.state.log).rules("acme") if r.custom] == []


def test_a_second_rule_of_the_same_name_is_refused(alerted: World) -> None:
    owner = alerted.client("owner")
    form = {"csrf_token": csrf_of(owner), "name": "mine", "threshold": "2", "window": "5"}
    assert owner.post("/alerts/rules", data=form, follow_redirects=False).status_code == 303
    again = owner.post("/alerts/rules", data=form)
    assert again.status_code == 409
    assert "has an alert rule 'mine' already" in _error(again.text)


# -- followers -----------------------------------------------------------------------------
def test_followers_show_their_position_and_lag(alerted: World) -> None:
    owner = alerted.client("owner")
    _follow(alerted)  # past the owner's sign-in
    row = re.compile(r'data-follower="alerts">(.*?)</tr>', re.S)
    caught_up = row.search(owner.get("/alerts").text)
    assert caught_up is not None
    assert re.search(r'data-label="Behind">0<', caught_up.group(1))
    # Entries it has not read yet: behind, with a delay.
    contact = {"type": "contact", "id": "c"}
    alerted.state.log.record_many(
        [{"workspace": "acme", "action": "contact.updated", "subject": contact} for _ in range(3)]
    )
    behind = row.search(owner.get("/alerts").text)
    assert behind is not None
    assert re.search(r'data-label="Behind">3<', behind.group(1))
    assert re.search(r'data-label="Delay">\d+ s<', behind.group(1))


def test_sign_in_as_another_person_switches_the_count(alerted: World) -> None:
    _raise(alerted)
    client = TestClient(alerted.app, raise_server_exceptions=False)
    sign_in(client, "jonas.weber@globex.example")  # globex's owner: nothing open there
    page = client.get("/alerts")
    assert page.status_code == 200
    assert _rows(page.text) == []
    assert "data-open-alerts" not in page.text


# -- deliveries ----------------------------------------------------------------------------
def test_each_delivery_attempt_is_shown_on_the_alert(alerted: World) -> None:
    log = alerted.state.log
    with socket.socket() as sock:  # a port nothing listens on: the attempt fails
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    Channels(log.store.engine).add(
        "acme", "webhook", f"http://127.0.0.1:{port}/hook", by="test", allow_private=True
    )
    assert Following(log).catch_up(delivery_followers(log)) == []  # from the end of the log
    alert_id = _raise(alerted)
    owner = alerted.client("owner")
    assert "the deliveries follower has not reached it" in owner.get(f"/alerts/{alert_id}").text

    assert Following(log).catch_up(delivery_followers(log)) == []
    assert "One delivery is waiting for a first attempt" in owner.get(f"/alerts/{alert_id}").text
    assert Sender(log).send_due() == 1
    [attempt] = attempts(log.store.engine, alert_id)
    assert attempt.outcome == "failed"
    page = owner.get(f"/alerts/{alert_id}?tz=Europe/Berlin").text
    row = re.search(r'<table class="events deliveries-table">.*?</table>', page, re.S)
    assert row is not None
    cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(0)))
    assert f"Webhook http://127.0.0.1:{port}/hook 1" in cells
    assert "Failed" in cells
    assert "next try" in cells
    assert "waiting for a first attempt" not in page


def test_a_platform_admin_may_not_pick_a_workspace_the_log_does_not_hold(alerted: World) -> None:
    ours = _raise(alerted)
    admin = alerted.client("platform_admin")
    page = admin.get("/alerts?workspace=nowhere")
    assert page.status_code == 200
    assert "'workspace' no workspace 'nowhere' in the log" in _error(page.text)
    assert _rows(page.text) == [ours]  # every workspace's instead
    token = csrf_of(admin)
    form = {"csrf_token": token, "workspace": "nowhere", "enabled": "on", "threshold": "2"}
    assert admin.post("/alerts/rules/failed_sign_in_burst", data=form).status_code == 422
    assert Alerts(alerted.state.log).rule("nowhere", "failed_sign_in_burst").threshold == 5


def test_a_long_burst_shows_and_links_its_first_entries(alerted: World) -> None:
    before = {a.id for a in Alerts(alerted.state.log).list()}
    ids = _failed_sign_ins(alerted, "ava.thompson@acme.example", count=60)
    [alert] = [a for a in Alerts(alerted.state.log).list() if a.id not in before]
    assert list(alert.event_ids) == ids
    owner = alerted.client("owner")
    page = owner.get(f"/alerts/{alert.id}")
    assert re.findall(r'data-entry="([^"]+)"', page.text) == ids[:50]
    assert "the first 50 of 60" in page.text
    link = re.search(r'href="([^"]+)" data-show-entries>', page.text)
    assert link is not None
    activity = owner.get(unescape(link.group(1)) + "&per_page=100")
    assert sorted(re.findall(r'data-row data-id="([^"]+)"', activity.text)) == sorted(ids[:50])


# -- both engines --------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    db = None if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))
    world = build_world(tmp_path, 0, db=db)
    _start_following(world)
    yield world
    world.state.log.close()


def test_the_page_on_each_engine(engine_world: World) -> None:
    """List, one alert with its entries and history, acknowledge, resolve, a rule changed
    and a custom rule added: the same on SQLite and PostgreSQL."""
    world = engine_world
    before = {a.id for a in Alerts(world.state.log).list()}
    ids = _failed_sign_ins(world, "ava.thompson@acme.example")
    [alert_id] = [a.id for a in Alerts(world.state.log).list() if a.id not in before]
    owner = world.client("owner")
    token = csrf_of(owner)
    assert _rows(owner.get("/alerts?status=open").text) == [alert_id]
    page = owner.get(f"/alerts/{alert_id}").text
    assert re.findall(r'data-entry="([^"]+)"', page) == ids
    for path in ("acknowledge", "resolve"):
        reply = owner.post(f"/alerts/{alert_id}/{path}", data={"csrf_token": token, "note": "ok"})
        assert reply.status_code == 200
    assert _status(world, alert_id) == "resolved"
    page = owner.get(f"/alerts/{alert_id}").text
    assert re.findall(r">(\w+)</a> by ", page) == ["Raised", "Acknowledged", "Resolved"]
    rule = {"csrf_token": token, "enabled": "on", "threshold": "7"}
    assert owner.post("/alerts/rules/failed_sign_in_burst", data=rule).status_code == 200
    custom = {"csrf_token": token, "name": "mine", "threshold": "2", "window": "5", "per": "ip"}
    custom["filters"] = "/activity?result=failure"
    assert owner.post("/alerts/rules", data=custom).status_code == 200
    facade = Alerts(world.state.log)
    assert facade.rule("acme", "failed_sign_in_burst").threshold == 7
    assert dict(facade.rule("acme", "mine").filters or {}) == {"results": ["failure"]}


def test_the_all_tab_leaves_older_resolved_alerts_to_the_resolved_tab(
    alerted: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alert_views, "RESOLVED_ON_ALL", 2)
    facade = Alerts(alerted.state.log)
    resolved = []
    for n in range(4):
        alert_id = _raise(alerted, f"person{n}@acme.example", ip=f"192.0.2.{n + 1}")
        facade.resolve(alert_id, by="Someone")
        resolved.append(alert_id)
    still_open = _raise(alerted, "ava.thompson@acme.example")
    owner = alerted.client("owner")
    page = owner.get("/alerts")
    assert _rows(page.text) == [still_open, resolved[3], resolved[2]]  # the latest resolved
    assert "2 older resolved alerts in the Resolved tab" in page.text
    assert _rows(owner.get("/alerts?status=resolved").text) == resolved[::-1]
