"""The Alerts facade: acknowledging and resolving (recorded in the log with who, when and
the note), rule changes recorded with before and after, and every bad input named."""

from __future__ import annotations

from typing import Any

import pytest

from activitylog import ActivityLog
from activitylog.alerts import Alerts
from activitylog.errors import Conflict, NotFound, ValidationError

from ._support import alerts_of, entries_with, failed, follow, start_following

PERSON = {"actor": {"id": "u_ava", "name": "Ava Thompson", "type": "user"}, "ip": "10.1.1.1"}


@pytest.fixture
def alert_id(log: ActivityLog) -> str:
    start_following(log)
    log.record_many([failed(m) for m in range(5)])
    follow(log)
    [alert] = alerts_of(log)
    return alert.id


def test_ack_then_resolve_are_recorded_with_who_when_and_note(
    log: ActivityLog, alert_id: str
) -> None:
    service = Alerts(log)
    assert service.open_count("acme") == 1
    acked = service.ack(alert_id, "ava@acme.example", record=PERSON)
    assert (acked.status, acked.acknowledged_by) == ("acknowledged", "ava@acme.example")
    assert acked.acknowledged_us is not None
    assert service.ack(alert_id, "someone else").acknowledged_by == "ava@acme.example"
    assert service.open_count("acme") == 0
    resolved = service.resolve(alert_id, "ava@acme.example", "  blocked the IP ", record=PERSON)
    assert (resolved.status, resolved.note) == ("resolved", "blocked the IP")
    assert service.get(alert_id) == resolved
    [ack_entry] = entries_with(log, "alert.acknowledged")
    [resolve_entry] = entries_with(log, "alert.resolved")
    assert ack_entry["actor"]["name"] == "Ava Thompson"
    assert ack_entry["ip"] == "10.1.1.1"
    assert resolve_entry["details"]["note"] == "blocked the IP"
    assert resolve_entry["details"]["alert_id"] == alert_id
    assert resolve_entry["subject"]["id"] == alert_id
    json = resolved.as_json()
    assert json["resolved_by"] == "ava@acme.example"
    assert json["resolved_at"].endswith("Z")
    assert json["acknowledged_at"] <= json["resolved_at"] == json["updated_at"]
    with pytest.raises(Conflict):
        service.resolve(alert_id, "ava")
    with pytest.raises(Conflict):
        service.ack(alert_id, "ava")


def test_unknown_alerts_and_bad_input(log: ActivityLog, alert_id: str) -> None:
    service = Alerts(log)
    with pytest.raises(NotFound):
        service.ack("nope", "ava")
    with pytest.raises(ValidationError, match="note"):
        service.resolve(alert_id, "ava", "x" * 2001)
    with pytest.raises(ValidationError, match="status"):
        service.list("acme", "closed")
    assert [a.id for a in service.list("acme", "open")] == [alert_id]
    assert service.list("globex") == []
    assert service.list(status="resolved") == []


def test_rule_changes_are_recorded_with_before_and_after(log: ActivityLog) -> None:
    service = Alerts(log)
    state = service.set_rule(
        "acme",
        "off_hours",
        enabled=True,
        window=30,
        severity="medium",
        hours="08:00-17:00",
        days="mon-sat",
        timezone="Europe/Berlin",
        record=PERSON,
    )
    assert (state.enabled, state.window, state.severity) == (True, 30, "medium")
    assert state.params == {"hours": "08:00-17:00", "days": "mon-sat", "timezone": "Europe/Berlin"}
    assert service.rule("acme", "off_hours") == state
    [entry] = entries_with(log, "alert_rule.updated")
    assert entry["changes"] == {
        "enabled": {"before": False, "after": True},
        "window": {"before": 60, "after": 30},
        "severity": {"before": "low", "after": "medium"},
        "hours": {"before": "09:00-18:00", "after": "08:00-17:00"},
        "days": {"before": "mon-fri", "after": "mon-sat"},
        "timezone": {"before": "UTC", "after": "Europe/Berlin"},
    }
    assert entry["actor"]["id"] == "u_ava"
    service.set_rule("acme", "off_hours", enabled=True)  # no change: nothing recorded
    assert len(entries_with(log, "alert_rule.updated")) == 1
    assert service.rule("globex", "off_hours").enabled is False  # per workspace


def test_bad_rule_settings_are_named(log: ActivityLog) -> None:
    service = Alerts(log)
    with pytest.raises(NotFound):
        service.set_rule("acme", "no_such_rule", enabled=True)
    with pytest.raises(ValidationError) as bad:
        service.set_rule(
            "acme",
            "off_hours",
            threshold=3,
            window=0,
            severity="urgent",
            hours="9-5",
            days="someday",
            timezone="Mars/Olympus",
            colour="red",
        )
    fields = {e.field for e in bad.value.errors}
    assert fields == {"threshold", "window", "severity", "hours", "days", "timezone", "colour"}
    with pytest.raises(ValidationError, match="threshold"):
        service.set_rule("acme", "failed_sign_in_burst", threshold=0)
    with pytest.raises(ValidationError, match="lookback_days"):
        service.set_rule("acme", "new_ip_sign_in", lookback_days=0)
    with pytest.raises(ValidationError, match="actions"):
        service.set_rule("acme", "permission_change", actions=["Not An Action"])
    assert entries_with(log, "alert_rule.updated") == []


def test_custom_rules_are_checked_and_recorded(log: ActivityLog) -> None:
    service = Alerts(log)
    with pytest.raises(ValidationError) as bad:
        service.add_rule(
            "acme",
            "Bad Name",
            {"roles": ["boss"], "colour": ["red"], "countries": ["USA"]},
            0,
            100_000,
            per="team",
            severity="urgent",
        )
    fields = {e.field for e in bad.value.errors}
    assert fields == {
        "name",
        "threshold",
        "window",
        "severity",
        "per",
        "filters.colour",
        "filters.countries",
        "filters.roles",
    }
    with pytest.raises(ValidationError, match="built-in"):
        service.add_rule("acme", "off_hours", {}, 1, 1)
    rule = service.add_rule(
        "acme",
        "exports",
        {"events": ["activity_log.exported"], "countries": ["de"]},
        3,
        60,
        per="actor",
        record=PERSON,
    )
    assert rule.filters == {"events": ["activity_log.exported"], "countries": ["DE"]}
    with pytest.raises(Conflict):
        service.add_rule("acme", "exports", {}, 1, 1)
    assert [r.name for r in service.rules("acme")][-1] == "exports"
    [entry] = entries_with(log, "alert_rule.created")
    assert entry["changes"]["threshold"] == {"before": None, "after": 3}
    changed = service.set_rule("acme", "exports", enabled=False, threshold=5)
    assert (changed.enabled, changed.threshold, changed.filters) == (False, 5, rule.filters)


def test_a_change_reads_the_alert_again_when_the_follower_extended_it(
    log: ActivityLog, alert_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = Alerts(log)
    stale = service.get(alert_id)
    log.record(**failed(6))
    follow(log)  # extends the alert after it was read
    reads: list[str] = []
    real = Alerts.get

    def stale_first(self: Alerts, wanted: str) -> Any:
        reads.append(wanted)
        return stale if len(reads) == 1 else real(self, wanted)

    monkeypatch.setattr(Alerts, "get", stale_first)
    acked = service.ack(alert_id, "ava")
    assert len(reads) == 2
    assert (acked.status, len(acked.event_ids)) == ("acknowledged", 6)
    assert len(entries_with(log, "alert.acknowledged")) == 1
    assert real(service, alert_id) == acked
