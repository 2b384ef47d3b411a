"""What each rule sees in one entry, on its own (pure): the findings of the rules that
need no history, the keys failed sign-ins are counted under, and how a sign-in's IP,
country and device are named. The rules needing history (bursts, "not seen for 90 days")
are evaluated by :mod:`activitylog.alerts.engine` on top of these."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from activitylog.alerts.model import RuleState
from activitylog.alerts.rules import (
    DELETED,
    EXPORTED,
    FAILED_SIGN_INS,
    IMPERSONATIONS,
    SIGN_INS,
    BusinessHours,
)

_VERSION = re.compile(r"\s+[\d.]+$")


@dataclass(frozen=True)
class Finding:
    """A rule's finding in one entry: under ``key`` (what a burst is of), with ``text``,
    the sentence an alert raised by it carries."""

    rule: str
    key: str
    text: str
    #: The key names a stretch of time (a night outside business hours): the alert takes
    #: in all of it, however far apart its entries are.
    lasting: bool = False


def actor_key(entry: Mapping[str, Any]) -> str:
    return f"actor:{(entry.get('actor') or {}).get('id', '')}"


def actor_name(entry: Mapping[str, Any]) -> str:
    actor = entry.get("actor") or {}
    return str(actor.get("name") or actor.get("id") or "Someone")


def is_person(entry: Mapping[str, Any]) -> bool:
    """Whether a user (not the system, a job or a key) did it."""
    actor = entry.get("actor") or {}
    return actor.get("type", "user") == "user" and bool(actor.get("id"))


def is_sign_in(entry: Mapping[str, Any]) -> bool:
    return entry["action"] in SIGN_INS and entry.get("result") == "success" and is_person(entry)


def failed_sign_in_keys(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(key, who)`` a failed sign-in counts under: its account (the user it names, or
    the address typed) and its IP."""
    if entry["action"] not in FAILED_SIGN_INS and not (
        entry["action"] in SIGN_INS and entry.get("result") == "failure"
    ):
        return []
    keys = []
    subject = entry.get("subject") or {}
    details = entry.get("details") or {}
    account = subject.get("id") or details.get("email") or subject.get("name")
    if isinstance(account, str) and account:
        shown = subject.get("name") or details.get("email") or account
        keys.append((f"account:{account.lower()}", f"account {shown}"))
    if entry.get("ip"):
        keys.append((f"ip:{entry['ip']}", f"IP {entry['ip']}"))
    return keys


def device_name(device: Mapping[str, Any] | None) -> str | None:
    """A device as the new-device rule compares them: browser and OS without versions,
    and the kind of device ("Chrome on Windows (desktop)"); a browser update is no new
    device."""
    if not device:
        return None
    browser = _VERSION.sub("", str(device.get("browser") or "Other"))
    system = _VERSION.sub("", str(device.get("os") or "Other"))
    return f"{browser} on {system} ({device.get('device_type') or 'other'})"


def sign_in_values(entry: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """A sign-in's ``{kind: (value, shown)}`` for kinds ip, country and device."""
    values: dict[str, tuple[str, str]] = {}
    if entry.get("ip"):
        values["ip"] = (str(entry["ip"]), str(entry["ip"]))
    location = entry.get("location") or {}
    if location.get("country"):
        country = str(location["country"])
        values["country"] = (country, str(location.get("country_name") or country))
    device = device_name(entry.get("device"))
    if device:
        values["device"] = (device, device)
    return values


class EntryChecks:
    """The history-free rules of one workspace, with their settings."""

    def __init__(self, states: Mapping[str, RuleState]) -> None:
        self.states = states
        off = states.get("off_hours")
        self.hours = BusinessHours.of(off.params) if off is not None else None
        change = states.get("permission_change")
        self.changes = frozenset(change.params["actions"]) if change is not None else frozenset()

    def findings(self, entry: Mapping[str, Any], occurred_us: int) -> list[Finding]:
        found: list[Finding] = []
        action = entry["action"]
        who = actor_name(entry)
        key = actor_key(entry)
        details = entry.get("details") or {}
        if action == DELETED:
            count = _count(details.get("count"), details.get("ids"))
            if "log_entries_deleted" in self.states:
                entries = f"{count:,} log entr{'y' if count == 1 else 'ies'}"
                found.append(Finding("log_entries_deleted", key, f"{who} deleted {entries}."))
            bulk = self.states.get("bulk_delete")
            if bulk is not None and count >= (bulk.threshold or 0):
                text = f"{who} deleted {count:,} log entries at once."
                found.append(Finding("bulk_delete", key, text))
            return found
        if action == EXPORTED:
            large = self.states.get("large_export")
            rows = _count(details.get("rows"), None)
            if large is not None and is_person(entry) and rows >= (large.threshold or 0):
                text = f"{who} exported {rows:,} entries at once."
                found.append(Finding("large_export", key, text))
            return found
        if action in self.changes and "permission_change" in self.states:
            text = entry.get("description") or f"{who}: {entry.get('label') or action}"
            found.append(Finding("permission_change", key, _sentence(str(text))))
        if action in IMPERSONATIONS and "impersonation" in self.states:
            user = (entry.get("subject") or {}).get("name") or "a user"
            found.append(Finding("impersonation", key, f"{who} started acting as {user}."))
        if self.hours is not None and is_person(entry):
            local = datetime.fromtimestamp(occurred_us / 1_000_000, self.hours.zone)
            if not self.hours.within(local.weekday(), local.time()):
                when = local.strftime("%a %H:%M")
                text = f"{who} was active outside business hours ({when} {self.hours.zone.key})."
                closed = self.hours.closed_since(local)
                stretch = f"{key}|closed-after:{closed.isoformat()}" if closed else key
                found.append(Finding("off_hours", stretch, text, lasting=closed is not None))
        return found


def _count(value: object, ids: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return len(ids) if isinstance(ids, list) else 0


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."
