"""``Alerts``: the one way the CLI, the API and the Alerts page read alerts, acknowledge
and resolve them, and read and change a workspace's rules.

Every change is recorded in the workspace's log in the same transaction as the change
itself (``alert.acknowledged``, ``alert.resolved``, ``alert_rule.created``,
``alert_rule.updated``), so the log and the alerts never disagree. Who may call what is
the caller's to check (:func:`~activitylog.access.may_see_alerts`,
:func:`~activitylog.access.may_manage_alerts`).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from activitylog.alerts import rulebook
from activitylog.alerts.custom import checked_filters
from activitylog.alerts.model import Alert, RuleState
from activitylog.alerts.recording import alert_entry, rule_entry
from activitylog.alerts.rules import (
    PERS,
    STATUSES,
    checked_params,
    name_problem,
    severity_problem,
    threshold_problem,
    window_problem,
)
from activitylog.alerts.schema import alerts
from activitylog.errors import Conflict, FieldError, NotFound, ValidationError
from activitylog.store.base import now_us

if TYPE_CHECKING:
    from activitylog.client import ActivityLog

NOTE_MAX = 2000
#: Tries at changing an alert the follower keeps extending.
ATTEMPTS = 3
#: The most alerts one list returns (newest first).
LIST_MAX = 1000


class Alerts:
    """Alerts and alert rules of one log's database."""

    def __init__(self, log: ActivityLog) -> None:
        self.log = log
        self.engine = log.store.engine

    # -- alerts -----------------------------------------------------------------------------
    def list(
        self, workspace: str | None = None, status: str | None = None, *, limit: int = LIST_MAX
    ) -> list[Alert]:
        """Alerts, newest first: of one workspace (None: every one), of one status."""
        stmt = select(alerts).order_by(alerts.c.raised_us.desc(), alerts.c.id).limit(limit)
        if workspace is not None:
            stmt = stmt.where(alerts.c.workspace == workspace)
        if status is not None:
            _check_status(status)
            stmt = stmt.where(alerts.c.status == status)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [self._shown(Alert.from_row(row)) for row in rows]

    def get(self, alert_id: str) -> Alert | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).mappings().first()
        return self._shown(Alert.from_row(row)) if row is not None else None

    def open_count(self, workspace: str | None = None) -> int:
        """Alerts still open (neither acknowledged nor resolved)."""
        stmt = select(func.count()).select_from(alerts).where(alerts.c.status == "open")
        if workspace is not None:
            stmt = stmt.where(alerts.c.workspace == workspace)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def ack(self, alert_id: str, by: str, *, record: Mapping[str, Any] | None = None) -> Alert:
        """Acknowledge an open alert (someone is on it); acknowledging it again changes
        nothing; a resolved alert cannot be. ``record``: the entry's actor, layer, ip."""

        def acknowledged(alert: Alert) -> Alert | None:
            if alert.status == "acknowledged":
                return None
            if alert.status == "resolved":
                raise Conflict(f"alert {alert_id} is resolved", {})
            return replace(
                alert, status="acknowledged", acknowledged_by=by, acknowledged_us=now_us()
            )

        return self._transition(alert_id, acknowledged, "acknowledged", by, record)

    def resolve(
        self,
        alert_id: str,
        by: str,
        note: str | None = None,
        *,
        record: Mapping[str, Any] | None = None,
    ) -> Alert:
        """Resolve an open or acknowledged alert, with an optional note."""
        if note is not None and (not isinstance(note, str) or len(note) > NOTE_MAX):
            raise ValidationError([FieldError("note", f"must be text of at most {NOTE_MAX}")])
        kept = (note.strip() or None) if note is not None else None

        def resolved(alert: Alert) -> Alert:
            if alert.status == "resolved":
                raise Conflict(f"alert {alert_id} is resolved already", {})
            return replace(
                alert, status="resolved", resolved_by=by, resolved_us=now_us(), note=kept
            )

        return self._transition(alert_id, resolved, "resolved", by, record)

    def _transition(
        self,
        alert_id: str,
        change: Callable[[Alert], Alert | None],
        what: str,
        by: str,
        record: Mapping[str, Any] | None,
    ) -> Alert:
        """Apply ``change`` to the alert as it is now, recorded in the log in the same
        transaction; read again when the follower extended it meanwhile."""
        for _ in range(ATTEMPTS):
            before = self.get(alert_id)
            if before is None:
                raise NotFound(f"no alert {alert_id}")
            after = change(before)
            if after is None:
                return before
            number = before.changes + 1
            stamp = after.resolved_us if what == "resolved" else after.acknowledged_us
            after = replace(after, changes=number, updated_us=stamp or now_us())
            fields = dict(record or {"actor": {"id": by, "name": by, "type": "user"}})
            entry = alert_entry(after, what, number, record=fields)
            try:
                # the log first, as the follower does: both lock the head, then the alert
                with self.engine.execution_options(immediate=True).begin() as conn:
                    self.log.record_many([entry], connection=conn)
                    done = conn.execute(
                        update(alerts)
                        .where(alerts.c.id == before.id, alerts.c.changes == before.changes)
                        .values(
                            status=after.status,
                            changes=number,
                            updated_us=after.updated_us,
                            acknowledged_by=after.acknowledged_by,
                            acknowledged_us=after.acknowledged_us,
                            resolved_by=after.resolved_by,
                            resolved_us=after.resolved_us,
                            note=after.note,
                        )
                    )
                    if done.rowcount != 1:
                        raise _Moved  # rolls the entry back
            except (_Moved, Conflict):  # Conflict: that change's entry id is taken
                continue
            return after
        raise Conflict(f"alert {alert_id} keeps changing; try again", {})

    def _shown(self, alert: Alert) -> Alert:
        return replace(alert, deliveries=tuple(self._deliveries(alert.id)))

    def _deliveries(self, alert_id: str) -> builtins.list[dict[str, Any]]:
        """Every attempt at sending the alert on (email, webhooks, Slack)."""
        from activitylog.delivery.deliveries import attempts  # it imports alerts.rules

        return [attempt.as_json() for attempt in attempts(self.engine, alert_id)]

    # -- rules ------------------------------------------------------------------------------
    def rules(self, workspace: str) -> builtins.list[RuleState]:
        """Every rule of ``workspace``: built-in ones (defaults where never changed), then
        its custom ones."""
        _check_workspace(workspace)
        with self.engine.connect() as conn:
            return rulebook.load(conn, workspace)

    def rule(self, workspace: str, name: str) -> RuleState:
        for state in self.rules(workspace):
            if state.name == name:
                return state
        raise NotFound(f"no alert rule {name!r} in workspace {workspace!r}")

    def set_rule(
        self,
        workspace: str,
        name: str,
        enabled: bool | None = None,
        threshold: int | None = None,
        window: int | None = None,
        *,
        severity: str | None = None,
        by: str = "operator",
        record: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> RuleState:
        """Change some settings of one rule (``window`` in minutes; ``params``: a built-in
        rule's own settings, like ``hours``, ``days`` and ``timezone`` of ``off_hours``).
        The change is recorded as ``alert_rule.updated`` with each value before and after."""
        before = self.rule(workspace, name)
        errors: list[FieldError] = []
        if enabled is not None and not isinstance(enabled, bool):
            errors.append(FieldError("enabled", "must be true or false"))
        if threshold is not None:
            if before.threshold is None:
                errors.append(FieldError("threshold", f"rule {name} has no threshold"))
            elif problem := threshold_problem(threshold):
                errors.append(FieldError("threshold", problem))
        if window is not None and (problem := window_problem(window)):
            errors.append(FieldError("window", problem))
        if severity is not None and (problem := severity_problem(severity)):
            errors.append(FieldError("severity", problem))
        new_params = dict(before.params)
        if params:
            if before.custom:
                errors.extend(
                    FieldError(p, f"is not a setting of custom rule {name}") for p in params
                )
            else:
                try:
                    new_params = checked_params(name, params, before.params)
                except ValidationError as exc:
                    errors.extend(exc.errors)
        if errors:
            raise ValidationError(errors)
        after = replace(
            before,
            enabled=before.enabled if enabled is None else enabled,
            threshold=before.threshold if threshold is None else threshold,
            window=before.window if window is None else window,
            severity=before.severity if severity is None else severity,
            params=new_params,
        )
        return self._save(before, after, by, record)

    def add_rule(
        self,
        workspace: str,
        name: str,
        filters: Mapping[str, Any],
        threshold: int,
        window: int,
        per: str | None = None,
        severity: str = "medium",
        *,
        by: str = "operator",
        record: Mapping[str, Any] | None = None,
    ) -> RuleState:
        """A custom rule: at least ``threshold`` entries matching ``filters`` (the page's:
        categories, events, users, roles, results, search, countries) within ``window``
        minutes, counted per actor, per IP, or (``per`` None) across the workspace.
        Recorded as ``alert_rule.created``."""
        _check_workspace(workspace)
        errors = [
            FieldError(name_, problem)
            for name_, problem in (
                ("name", name_problem(name)),
                ("threshold", threshold_problem(threshold)),
                ("window", window_problem(window)),
                ("severity", severity_problem(severity)),
                ("per", None if per is None or per in PERS else "must be actor, ip or null"),
            )
            if problem
        ]
        try:
            checked = checked_filters(workspace, filters)
        except ValidationError as exc:
            errors.extend(exc.errors)
        if errors:
            raise ValidationError(errors)
        if any(state.name == name for state in self.rules(workspace)):
            raise Conflict(f"workspace {workspace!r} has an alert rule {name!r} already", {})
        state = RuleState(
            workspace=workspace,
            name=name,
            custom=True,
            enabled=True,
            threshold=threshold,
            window=window,
            severity=severity,
            filters=checked,
            per=per,
        )
        return self._save(None, state, by, record)

    def _save(
        self,
        before: RuleState | None,
        after: RuleState,
        by: str,
        record: Mapping[str, Any] | None,
    ) -> RuleState:
        fields = dict(record or {"actor": {"id": by, "name": by, "type": "user"}})
        entry = rule_entry(before, after, fields)
        if entry is None:
            return after
        with self.engine.execution_options(immediate=True).begin() as conn:
            self.log.record_many([entry], connection=conn)
            return rulebook.save(conn, after, now_us=now_us(), by=by)


class _Moved(Exception):
    """The alert changed between reading and writing it."""


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValidationError([FieldError("status", f"must be one of {', '.join(STATUSES)}")])


def _check_workspace(workspace: object) -> None:
    if not isinstance(workspace, str) or not workspace.strip() or len(workspace) > 200:
        raise ValidationError([FieldError("workspace", "must be a workspace name")])
