"""Helpers for the alert tests: entries of the kinds the rules watch, and one pass of the
``alerts`` follower."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from activitylog import ActivityLog
from activitylog.alerts import Alert, Alerts
from activitylog.alerts.follower import AlertFollower
from activitylog.followers import Following

#: A Monday, 12:00 UTC: within the default business hours.
NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36"
)
FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101 Firefox/121.0"
#: Addresses the offline location data places in Great Britain and the United States.
GB_IP = "81.2.69.160"
US_IP = "8.8.8.8"
ANN = {"id": "u_ann", "name": "Ann Lee", "role": "admin"}


def at(minutes: float) -> str:
    return (NOON + timedelta(minutes=minutes)).isoformat()


def start_following(log: ActivityLog) -> None:
    """Register the follower at the end of the log (it must exist first)."""
    log.record(workspace="acme", action="contact.created", occurred_at=at(-600))
    follow(log)


def follow(log: ActivityLog) -> list[tuple[str, str, str]]:
    return Following(log).catch_up([AlertFollower(log)])


def alerts_of(log: ActivityLog, rule: str | None = None) -> list[Alert]:
    found = Alerts(log).list("acme")
    return sorted((a for a in found if rule is None or a.rule == rule), key=lambda a: a.raised_us)


def failed(minutes: float, email: str = "bob@example.com", ip: str = "10.0.0.1") -> dict[str, Any]:
    return {
        "workspace": "acme",
        "action": "auth.sign_in_failed",
        "result": "failure",
        "ip": ip,
        "subject": {"type": "user", "name": email},
        "details": {"email": email, "reason": "bad_password"},
        "occurred_at": at(minutes),
    }


def sign_in(
    minutes: float, ip: str = GB_IP, agent: str = CHROME, actor: dict[str, Any] = ANN
) -> dict[str, Any]:
    return {
        "workspace": "acme",
        "action": "auth.signed_in",
        "actor": actor,
        "ip": ip,
        "user_agent": agent,
        "occurred_at": at(minutes),
    }


def entries_with(log: ActivityLog, action: str) -> list[dict[str, Any]]:
    """The workspace's entries with ``action``, in log order."""
    return [e for e in log.export(workspace="acme", order="time") if e["action"] == action]
