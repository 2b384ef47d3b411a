"""The entries an alert leaves in its workspace's log: ``alert.raised``,
``alert.extended``, ``alert.acknowledged``, ``alert.resolved``; and ``alert_rule.created``
/ ``alert_rule.updated`` for changes of the rules.

An alert's entries have ids derived from the alert's id and its change number (uuid5), so
recording one again is a duplicate the log drops, never a second entry.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from activitylog.alerts.model import Alert, RuleState
from activitylog.events import SYSTEM_ACTOR

NAMESPACE = uuid.UUID("6f1b1c52-4a43-5d1e-9f3a-a1e27c0de5a1")
#: The most entry ids one alert.* entry names (``event_count`` says how many there were).
IDS_PER_ENTRY = 1000


def alert_id(workspace: str, rule: str, key: str, raised_by: str) -> str:
    """An alert's id: the entry that raised it (for its rule and key) always gives the
    same one."""
    return str(uuid.uuid5(NAMESPACE, f"alert/{workspace}/{rule}/{key}/{raised_by}"))


def entry_id(alert: str, change: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"change/{alert}/{change}"))


def alert_entry(
    alert: Alert,
    what: str,
    change: int,
    *,
    event_ids: Sequence[str] = (),
    record: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``alert.<what>`` entry of ``alert``'s ``change``-th change; ``record``: the
    person's fields (actor, layer, ip, ...) for acknowledging and resolving."""
    details: dict[str, Any] = {
        "alert_id": alert.id,
        "rule": alert.rule,
        "severity": alert.severity,
        "summary": alert.summary,
    }
    if what in ("raised", "extended"):
        details["event_ids"] = list(event_ids[:IDS_PER_ENTRY])
        details["event_count"] = len(event_ids)
    if what == "resolved":
        details["note"] = alert.note
    descriptions = {
        "raised": f"Alert raised: {alert.summary}",
        "extended": f"Alert extended by {_entries(len(event_ids))}: {alert.summary}",
        "acknowledged": f"{alert.acknowledged_by} acknowledged the alert: {alert.summary}",
        "resolved": f"{alert.resolved_by} resolved the alert: {alert.summary}",
    }
    return {
        "layer": "workspace",
        "actor": dict(SYSTEM_ACTOR),
        **(record or {}),
        "id": entry_id(alert.id, change),
        "workspace": alert.workspace,
        "action": f"alert.{what}",
        "subject": {"type": "alert", "id": alert.id, "name": alert.rule},
        "description": descriptions[what][:2000],
        "details": details,
    }


def rule_entry(
    before: RuleState | None,
    after: RuleState,
    record: Mapping[str, Any],
) -> dict[str, Any] | None:
    """``alert_rule.created`` (``before`` None) or ``alert_rule.updated`` with each
    changed setting's value before and after; None when nothing changed."""
    old = before.settings() if before is not None else {}
    new = after.settings()
    changes = {
        name: {"before": old.get(name), "after": value}
        for name, value in new.items()
        if before is None or old.get(name) != value
    }
    if not changes:
        return None
    verb = "created" if before is None else "updated"
    return {
        "layer": "workspace",
        **record,
        "workspace": after.workspace,
        "action": f"alert_rule.{verb}",
        "subject": {"type": "alert_rule", "id": after.name, "name": after.name},
        "changes": changes,
        "description": f"Alert rule {after.name} {verb}: {', '.join(changes)}",
    }


def _entries(count: int) -> str:
    return f"{count:,} entr{'y' if count == 1 else 'ies'}"
