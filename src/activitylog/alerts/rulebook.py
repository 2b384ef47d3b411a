"""A workspace's rules as stored: the built-in ones (defaults where never changed) and
its custom ones, read and written inside the caller's connection."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select

from activitylog.alerts.model import RuleState
from activitylog.alerts.rules import BUILTINS
from activitylog.alerts.schema import alert_rules


def default_state(workspace: str, name: str) -> RuleState:
    rule = BUILTINS[name]
    return RuleState(
        workspace=workspace,
        name=name,
        custom=False,
        enabled=rule.enabled,
        threshold=rule.threshold,
        window=rule.window_minutes,
        severity=rule.severity,
        params=dict(rule.params),
    )


def load(conn: Connection, workspace: str) -> list[RuleState]:
    """Every rule of ``workspace``: the built-in ones in their order, then custom ones by
    name."""
    rows = conn.execute(select(alert_rules).where(alert_rules.c.workspace == workspace)).mappings()
    stored = {row["name"]: _state(row) for row in rows if row["custom"] or row["name"] in BUILTINS}
    builtins = [stored.get(name) or default_state(workspace, name) for name in BUILTINS]
    custom = sorted((s for s in stored.values() if s.custom), key=lambda s: s.name)
    return [*builtins, *custom]


def save(conn: Connection, state: RuleState, *, now_us: int, by: str) -> RuleState:
    """Store ``state`` (replacing the workspace's row of that rule)."""
    conn.execute(
        delete(alert_rules).where(
            alert_rules.c.workspace == state.workspace, alert_rules.c.name == state.name
        )
    )
    conn.execute(
        insert(alert_rules).values(
            workspace=state.workspace,
            name=state.name,
            custom=state.custom,
            enabled=state.enabled,
            threshold=state.threshold,
            window_s=state.window * 60,
            severity=state.severity,
            per=state.per,
            params=orjson.dumps(dict(state.params)).decode(),
            filters=orjson.dumps(dict(state.filters)).decode()
            if state.filters is not None
            else None,
            updated_us=now_us,
            updated_by=by,
        )
    )
    return replace(state, updated_us=now_us, updated_by=by)


def _state(row: Any) -> RuleState:
    custom = bool(row["custom"])
    params: dict[str, Any] = orjson.loads(row["params"])
    if not custom:  # defaults of params added since the row was written
        params = {**BUILTINS[row["name"]].params, **params}
    return RuleState(
        workspace=row["workspace"],
        name=row["name"],
        custom=custom,
        enabled=bool(row["enabled"]),
        threshold=row["threshold"],
        window=int(row["window_s"]) // 60,
        severity=row["severity"],
        params=params,
        filters=orjson.loads(row["filters"]) if row["filters"] is not None else None,
        per=row["per"],
        updated_us=row["updated_us"],
        updated_by=row["updated_by"],
    )
