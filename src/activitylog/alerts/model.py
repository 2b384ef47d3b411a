"""What an alert and a rule's settings are, as read from their tables and as JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from activitylog.alerts.rules import BUILTINS
from activitylog.events import format_micros


def _iso(us: int | None) -> str | None:
    return format_micros(us) if us is not None else None


@dataclass(frozen=True)
class Alert:
    """One alert: its rule, severity, the entries that made it (``event_ids``, in the log's
    order), its status and who acknowledged or resolved it, when, with what note. Times
    are epoch microseconds (UTC); ``key`` is what the burst is of (``ip:...``,
    ``account:...``, ``actor:...``, or empty for the whole workspace)."""

    id: str
    workspace: str
    rule: str
    key: str
    severity: str
    status: str
    summary: str
    event_ids: tuple[str, ...]
    raised_us: int
    updated_us: int
    last_event_us: int
    changes: int
    acknowledged_by: str | None = None
    acknowledged_us: int | None = None
    resolved_by: str | None = None
    resolved_us: int | None = None
    note: str | None = None
    deliveries: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_row(cls, row: Any) -> Alert:
        return cls(
            id=row["id"],
            workspace=row["workspace"],
            rule=row["rule"],
            key=row["key"],
            severity=row["severity"],
            status=row["status"],
            summary=row["summary"],
            event_ids=tuple(orjson.loads(row["event_ids"])),
            raised_us=row["raised_us"],
            updated_us=row["updated_us"],
            last_event_us=row["last_event_us"],
            changes=row["changes"],
            acknowledged_by=row["acknowledged_by"],
            acknowledged_us=row["acknowledged_us"],
            resolved_by=row["resolved_by"],
            resolved_us=row["resolved_us"],
            note=row["note"],
        )

    def as_json(self) -> dict[str, Any]:
        """The alert as the CLI (``--format json``) and the API give it."""
        return {
            "id": self.id,
            "rule": self.rule,
            "severity": self.severity,
            "status": self.status,
            "workspace": self.workspace,
            "event_ids": list(self.event_ids),
            "raised_at": _iso(self.raised_us),
            "updated_at": _iso(self.updated_us),
            "summary": self.summary,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": _iso(self.acknowledged_us),
            "resolved_by": self.resolved_by,
            "resolved_at": _iso(self.resolved_us),
            "note": self.note,
            "deliveries": list(self.deliveries),
        }


@dataclass(frozen=True)
class RuleState:
    """A rule as one workspace has it: a built-in one (its defaults where never changed)
    or a custom one. ``window`` in minutes; ``threshold`` None for rules without one;
    ``filters`` and ``per`` for custom rules only."""

    workspace: str
    name: str
    custom: bool
    enabled: bool
    threshold: int | None
    window: int
    severity: str
    params: Mapping[str, Any] = field(default_factory=dict)
    filters: Mapping[str, Any] | None = None
    per: str | None = None
    updated_us: int | None = None
    updated_by: str | None = None

    @property
    def description(self) -> str:
        if not self.custom:
            return BUILTINS[self.name].description
        who = f" per {self.per}" if self.per else ""
        return f"At least {self.threshold} matching entries{who} within {self.window} minutes"

    def settings(self) -> dict[str, Any]:
        """What a change compares, before and after."""
        values: dict[str, Any] = {
            "enabled": self.enabled,
            "threshold": self.threshold,
            "window": self.window,
            "severity": self.severity,
            **self.params,
        }
        if self.custom:
            values["filters"] = dict(self.filters or {})
            values["per"] = self.per
        return values

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "workspace": self.workspace,
            "custom": self.custom,
            "description": self.description,
            "enabled": self.enabled,
            "threshold": self.threshold,
            "window": self.window,
            "severity": self.severity,
            "params": dict(self.params),
            "filters": dict(self.filters) if self.filters is not None else None,
            "per": self.per,
            "updated_at": _iso(self.updated_us),
            "updated_by": self.updated_by,
        }
