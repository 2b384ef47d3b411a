"""Bursts (one alert, extended while it goes on), custom rules per actor, per IP and by
country, and what rules never look at (both engines)."""

from __future__ import annotations

import pytest

from activitylog import ActivityLog
from activitylog.alerts import Alerts

from ._support import (
    ANN,
    GB_IP,
    US_IP,
    alerts_of,
    at,
    entries_with,
    failed,
    follow,
    sign_in,
    start_following,
)

BOB = {"id": "u_bob", "name": "Bob Ng", "role": "member"}


def test_a_burst_raises_one_alert_and_extends_it_once_per_batch(log: ActivityLog) -> None:
    start_following(log)
    first = [e["id"] for e in log.record_many([failed(m) for m in range(6)])]
    follow(log)
    more = [e["id"] for e in log.record_many([failed(6 + m / 10) for m in range(30)])]
    follow(log)
    [alert] = alerts_of(log)
    assert list(alert.event_ids) == first + more
    [raised] = entries_with(log, "alert.raised")
    assert raised["details"]["event_ids"] == first
    assert raised["subject"] == {"type": "alert", "id": alert.id, "name": alert.rule}
    [extended] = entries_with(log, "alert.extended")
    assert extended["details"]["event_ids"] == more
    assert extended["details"]["alert_id"] == alert.id
    assert extended["description"].startswith("Alert extended by 30 entries:")


def test_after_a_quiet_window_the_next_burst_is_a_new_alert(log: ActivityLog) -> None:
    start_following(log)
    log.record_many([failed(m) for m in range(5)])
    log.record_many([failed(30 + m) for m in range(5)])
    follow(log)
    assert len(alerts_of(log)) == 2


def test_a_burst_of_one_account_from_one_ip_is_one_alert(log: ActivityLog) -> None:
    start_following(log)
    log.record_many([failed(m) for m in range(12)])
    follow(log)
    [alert] = alerts_of(log)
    assert alert.key == "account:bob@example.com"
    assert len(alert.event_ids) == 12


def test_an_acknowledged_alert_is_still_extended_a_resolved_one_not(log: ActivityLog) -> None:
    start_following(log)
    log.record_many([failed(m) for m in range(5)])
    follow(log)
    [alert] = alerts_of(log)
    Alerts(log).ack(alert.id, "ava")
    log.record(**failed(6))
    follow(log)
    [extended] = alerts_of(log)
    assert (extended.status, len(extended.event_ids)) == ("acknowledged", 6)
    Alerts(log).resolve(alert.id, "ava", "blocked the IP")
    log.record_many([failed(7 + m / 10) for m in range(4)])
    follow(log)
    assert len(alerts_of(log)) == 1  # the resolved alert's failures do not count again
    new = log.record(**failed(8))["id"]
    follow(log)
    _, second = alerts_of(log)
    assert (second.status, len(second.event_ids), second.event_ids[-1]) == ("open", 5, new)


def test_custom_rule_per_actor(log: ActivityLog) -> None:
    start_following(log)
    Alerts(log).add_rule("acme", "mass_deletes", {"events": ["contact.deleted"]}, 3, 5, per="actor")
    deleted = {"workspace": "acme", "action": "contact.deleted"}
    ann = [log.record(**deleted, actor=ANN, occurred_at=at(m))["id"] for m in (0, 1, 2)]
    log.record(**deleted, actor=BOB, occurred_at=at(0))
    log.record(**deleted, actor=BOB, occurred_at=at(1))
    log.record(workspace="acme", action="contact.updated", actor=BOB, occurred_at=at(2))
    follow(log)
    [alert] = alerts_of(log)
    assert (alert.rule, alert.key, alert.severity) == ("mass_deletes", "actor:u_ann", "medium")
    assert list(alert.event_ids) == ann
    assert alert.summary == "3 entries matched rule mass_deletes by Ann Lee within 5 minutes."


def test_custom_rule_per_ip_and_by_country(log: ActivityLog) -> None:
    start_following(log)
    service = Alerts(log)
    service.add_rule("acme", "us_sign_ins", {"countries": ["us"]}, 2, 60, severity="high")
    service.add_rule("acme", "busy_ip", {"categories": ["auth"]}, 3, 10, per="ip", severity="low")
    log.record(**sign_in(0, ip=GB_IP))
    log.record(**sign_in(1, ip=GB_IP, actor=BOB))
    log.record(**sign_in(2, ip=GB_IP, actor=BOB))
    log.record(**sign_in(3, ip=US_IP))
    follow(log)
    assert alerts_of(log, "us_sign_ins") == []
    [busy] = alerts_of(log, "busy_ip")
    assert (busy.key, busy.severity, len(busy.event_ids)) == (f"ip:{GB_IP}", "low", 3)
    log.record(**sign_in(4, ip=US_IP, actor=BOB))
    follow(log)
    [us] = alerts_of(log, "us_sign_ins")
    assert (us.key, us.severity, len(us.event_ids)) == ("", "high", 2)


def test_alert_and_log_entries_are_not_evaluated(log: ActivityLog) -> None:
    start_following(log)
    Alerts(log).add_rule("acme", "everything", {}, 1, 1, per="actor")
    log.record(workspace="acme", action="contact.updated", actor=ANN, occurred_at=at(0))
    for _ in range(3):  # the alert.raised entry and the rule's own record are not matched
        follow(log)
    [alert] = alerts_of(log)
    assert len(alert.event_ids) == 1


@pytest.mark.parametrize("field", ["ip", "subject"])
def test_failed_sign_ins_without_an_account_or_ip_still_count(log: ActivityLog, field: str) -> None:
    start_following(log)
    entries = []
    for m in range(5):
        entry = failed(m)
        entry.pop(field)
        if field == "subject":
            entry["details"] = {}
        entries.append(entry)
    log.record_many(entries)
    follow(log)
    [alert] = alerts_of(log)
    assert alert.key.startswith("ip:" if field == "subject" else "account:")
