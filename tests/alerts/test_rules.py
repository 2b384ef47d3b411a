"""Each built-in rule fires, and does not fire, at its boundaries (both engines)."""

from __future__ import annotations

from datetime import timedelta

from activitylog import ActivityLog
from activitylog.alerts import Alerts
from activitylog.events import SYSTEM_ACTOR

from ._support import (
    ANN,
    CHROME,
    FIREFOX_MAC,
    NOON,
    US_IP,
    alerts_of,
    at,
    failed,
    follow,
    sign_in,
    start_following,
)


# -- failed_sign_in_burst ---------------------------------------------------------------------
def test_n_failed_sign_ins_within_the_window_raise_one_alert(log: ActivityLog) -> None:
    start_following(log)
    ids = [log.record(**failed(m))["id"] for m in (0, 1, 2, 3)]
    follow(log)
    assert alerts_of(log) == []  # N-1
    ids.append(log.record(**failed(9.5))["id"])
    follow(log)
    [alert] = alerts_of(log)
    assert alert.rule == "failed_sign_in_burst"
    assert alert.severity == "high"
    assert alert.status == "open"
    assert list(alert.event_ids) == ids
    assert alert.summary == ("5 failed sign-ins for account bob@example.com within 10 minutes.")


def test_failed_sign_ins_spread_wider_than_the_window_raise_nothing(log: ActivityLog) -> None:
    start_following(log)
    log.record_many([failed(m) for m in (0, 3, 6, 9, 12, 15, 18)])  # 4 in any 10 minutes
    follow(log)
    assert alerts_of(log) == []


def test_failed_sign_ins_of_many_accounts_from_one_ip(log: ActivityLog) -> None:
    start_following(log)
    log.record_many([failed(m, email=f"user{m}@example.com") for m in range(5)])
    follow(log)
    [alert] = alerts_of(log)
    assert alert.key == "ip:10.0.0.1"
    assert "IP 10.0.0.1" in alert.summary


def test_a_rule_turned_off_raises_nothing(log: ActivityLog) -> None:
    start_following(log)
    Alerts(log).set_rule("acme", "failed_sign_in_burst", enabled=False)
    log.record_many([failed(m / 10) for m in range(20)])
    follow(log)
    assert alerts_of(log) == []


def test_a_lower_threshold_applies(log: ActivityLog) -> None:
    start_following(log)
    Alerts(log).set_rule("acme", "failed_sign_in_burst", threshold=2, window=1)
    log.record_many([failed(0), failed(1.5)])  # 90 seconds apart: outside one minute
    follow(log)
    assert alerts_of(log) == []
    log.record(**failed(2))
    follow(log)
    [alert] = alerts_of(log)
    assert len(alert.event_ids) == 2


# -- new country / IP / device ----------------------------------------------------------------
def test_a_first_sign_in_raises_nothing_then_new_values_do(log: ActivityLog) -> None:
    start_following(log)
    log.record(**sign_in(0))
    log.record(**sign_in(5))  # the same IP, country and device
    follow(log)
    assert alerts_of(log) == []
    new = log.record(**sign_in(10, ip=US_IP, agent=FIREFOX_MAC))
    follow(log)
    found = {a.rule: a for a in alerts_of(log)}
    assert set(found) == {"new_ip_sign_in", "new_country_sign_in", "new_device_sign_in"}
    assert all(list(a.event_ids) == [new["id"]] for a in found.values())
    assert found["new_country_sign_in"].summary == (
        "Ann Lee signed in from a country not seen for them: United States."
    )
    assert found["new_device_sign_in"].summary.endswith("Firefox on Mac OS X (desktop).")


def test_a_browser_update_is_not_a_new_device(log: ActivityLog) -> None:
    start_following(log)
    log.record(**sign_in(0))
    log.record(**sign_in(5, agent=CHROME.replace("Chrome/120.0", "Chrome/121.0")))
    follow(log)
    assert alerts_of(log) == []


def test_not_seen_means_not_in_the_last_90_days(log: ActivityLog) -> None:
    start_following(log)
    day = 24 * 60
    log.record(**sign_in(-100 * day))
    log.record(**sign_in(-50 * day, ip="81.2.69.161"))  # same country and device
    log.record(**sign_in(-49 * day, ip="81.2.69.161"))
    follow(log)
    [first] = alerts_of(log, "new_ip_sign_in")
    log.record(**sign_in(-10 * day, ip="81.2.69.161"))  # seen 39 days ago
    follow(log)
    assert alerts_of(log, "new_ip_sign_in") == [first]
    log.record(**sign_in(0))  # GB_IP last seen 100 days ago
    follow(log)
    assert len(alerts_of(log, "new_ip_sign_in")) == 2


def test_history_before_the_follower_is_read_from_the_log(log: ActivityLog) -> None:
    log.record(**sign_in(-60))
    start_following(log)  # the follower starts at the end: that sign-in is history
    log.record(**sign_in(0))
    follow(log)
    assert alerts_of(log) == []
    log.record(**sign_in(5, ip=US_IP))
    follow(log)
    assert {a.rule for a in alerts_of(log)} == {"new_ip_sign_in", "new_country_sign_in"}


# -- off_hours ---------------------------------------------------------------------------------
def test_off_hours_is_off_by_default_then_uses_the_workspaces_zone(log: ActivityLog) -> None:
    start_following(log)
    entry = {"workspace": "acme", "action": "contact.updated", "actor": ANN}
    log.record(**entry, occurred_at=at(-9 * 60))  # Monday 03:00 UTC
    follow(log)
    assert alerts_of(log) == []
    Alerts(log).set_rule(
        "acme",
        "off_hours",
        enabled=True,
        hours="09:00-18:00",
        days="mon-fri",
        timezone="Europe/Berlin",
    )
    log.record(**entry, occurred_at=at(4 * 60 + 59))  # 17:59 Berlin (UTC+1)
    log.record(**{**entry, "actor": dict(SYSTEM_ACTOR)}, occurred_at=at(10 * 60))  # a job
    follow(log)
    assert alerts_of(log) == []
    late = log.record(**entry, occurred_at=at(5 * 60))  # 18:00 Berlin
    follow(log)
    [alert] = alerts_of(log)
    assert alert.rule == "off_hours"
    assert list(alert.event_ids) == [late["id"]]
    assert "Mon 18:00 Europe/Berlin" in alert.summary


def test_off_hours_on_a_weekend(log: ActivityLog) -> None:
    start_following(log)
    Alerts(log).set_rule("acme", "off_hours", enabled=True)
    saturday = (NOON - timedelta(days=2)).isoformat()
    log.record(workspace="acme", action="contact.updated", actor=ANN, occurred_at=saturday)
    follow(log)
    assert [a.rule for a in alerts_of(log)] == ["off_hours"]


def test_one_night_of_off_hours_activity_is_one_alert_and_the_next_night_another(
    log: ActivityLog,
) -> None:
    start_following(log)
    Alerts(log).set_rule("acme", "off_hours", enabled=True)  # 09:00-18:00 mon-fri, UTC
    entry = {"workspace": "acme", "action": "contact.updated", "actor": ANN}
    night = [log.record(**entry, occurred_at=at(m * 60))["id"] for m in (7, 9.5, 14)]
    follow(log)  # Monday 19:00, 21:30, Tuesday 02:00: hours apart, one night
    [alert] = alerts_of(log)
    assert list(alert.event_ids) == night
    log.record(**entry, occurred_at=at(22 * 60))  # Tuesday 10:00: business hours
    following = log.record(**entry, occurred_at=at(32 * 60))["id"]  # Tuesday 20:00
    follow(log)
    assert sorted(len(a.event_ids) for a in alerts_of(log)) == [1, 3]
    assert following in {i for a in alerts_of(log) for i in a.event_ids}


# -- permission changes, impersonation ---------------------------------------------------------
def test_permission_changes_and_nothing_else(log: ActivityLog) -> None:
    start_following(log)
    log.record(workspace="acme", action="contact.updated", actor=ANN, occurred_at=at(0))
    follow(log)
    assert alerts_of(log) == []
    changed = log.record(
        workspace="acme",
        action="user.role_changed",
        actor=ANN,
        description="Ann Lee made Bob an admin",
        occurred_at=at(1),
    )
    key = log.record(workspace="acme", action="api_key.created", actor=ANN, occurred_at=at(2))
    follow(log)
    [alert] = alerts_of(log)  # one person's changes within ten minutes: one alert
    assert alert.rule == "permission_change"
    assert list(alert.event_ids) == [changed["id"], key["id"]]
    assert alert.summary == "Ann Lee made Bob an admin."


def test_permission_change_watches_the_actions_a_workspace_names(log: ActivityLog) -> None:
    start_following(log)
    Alerts(log).set_rule("acme", "permission_change", actions=["team.member_removed"])
    log.record(workspace="acme", action="user.role_changed", actor=ANN, occurred_at=at(0))
    log.record(workspace="acme", action="team.member_removed", actor=ANN, occurred_at=at(1))
    follow(log)
    [alert] = alerts_of(log)
    assert len(alert.event_ids) == 1


def test_impersonation_started(log: ActivityLog) -> None:
    start_following(log)
    admin = {"id": "u_sam", "name": "Sam Rivera", "role": "platform_admin"}
    user = {"type": "user", "id": "u_ann", "name": "Ann Lee"}
    log.record(
        workspace="acme",
        action="impersonation.ended",
        actor=admin,
        subject=user,
        occurred_at=at(0),
    )
    follow(log)
    assert alerts_of(log) == []
    log.record(
        workspace="acme",
        action="impersonation.started",
        actor=admin,
        subject=user,
        layer="platform",
        occurred_at=at(1),
    )
    follow(log)
    [alert] = alerts_of(log)
    assert alert.summary == "Sam Rivera started acting as Ann Lee."


# -- deletions and exports ----------------------------------------------------------------------
def test_deleting_entries_and_bulk_deletes(log: ActivityLog) -> None:
    start_following(log)
    Alerts(log).set_rule("acme", "bulk_delete", threshold=3)
    ids = [e["id"] for e in log.record_many([{"workspace": "acme", "action": "note.added"}] * 5)]
    log.delete(ids[:2], by="ava", reason="typo")
    follow(log)
    assert [a.rule for a in alerts_of(log)] == ["log_entries_deleted"]
    log.delete(ids[2:], by="ava", reason="cleanup")
    follow(log)
    rules = sorted(a.rule for a in alerts_of(log))
    assert rules == ["bulk_delete", "log_entries_deleted"]
    [bulk] = alerts_of(log, "bulk_delete")
    assert bulk.summary == "ava deleted 3 log entries at once."


def test_large_exports_by_people_only(log: ActivityLog) -> None:
    start_following(log)
    Alerts(log).set_rule("acme", "large_export", threshold=100)
    export = {"workspace": "acme", "action": "activity_log.exported", "actor": ANN}
    log.record(**export, details={"rows": 99, "format": "csv"})
    log.record(**{**export, "actor": dict(SYSTEM_ACTOR)}, details={"rows": 10**6, "format": "csv"})
    follow(log)
    assert alerts_of(log) == []
    log.record(**export, details={"rows": 100, "format": "csv"})
    follow(log)
    [alert] = alerts_of(log)
    assert alert.summary == "Ann Lee exported 100 entries at once."
