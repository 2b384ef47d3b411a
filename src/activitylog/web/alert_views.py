"""What the Alerts page shows: :class:`AlertsPage` (the list, the rules, the followers'
lag) and :class:`AlertPage` (one alert: why it fired, its entries, its deliveries), built
from the :class:`~activitylog.alerts.Alerts` facade for a principal.

Who may see what is asked of :mod:`activitylog.access` by the routes
(:mod:`activitylog.web.alerts_page`) before anything here is built; this module only
arranges the answers, in the viewer's time zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from activitylog.access import is_platform, may_manage_alerts
from activitylog.alerts import SEVERITIES, STATUSES, Alert, Alerts, RuleState
from activitylog.alerts.custom import FILTERS
from activitylog.alerts.service import LIST_MAX
from activitylog.delivery import Attempt
from activitylog.errors import AccessDenied, FieldError, NotFound, ValidationError
from activitylog.events import format_micros, parse_time
from activitylog.followers import FollowerStatus
from activitylog.selection import Selection
from activitylog.timeranges import zone
from activitylog.web.entries import Row, present_row
from activitylog.web.filter_form import Option
from activitylog.web.params import view_params
from activitylog.web.presenters import Badge, LocalTime, local_time
from activitylog.web.principal import Principal

if TYPE_CHECKING:
    from activitylog.client import ActivityLog

#: The list's tabs, in order: an empty status shows every alert, open ones first.
TABS = (("", "All"), ("open", "Open"), ("acknowledged", "Acknowledged"), ("resolved", "Resolved"))
SEVERITY_TONES = {"low": "gray", "medium": "yellow", "high": "orange", "critical": "red"}
STATUS_TONES = {"open": "red", "acknowledged": "yellow", "resolved": "green"}
PER_LABELS = {"": "the whole workspace", "actor": "each person", "ip": "each IP address"}
#: The detail shows this many of an alert's entries, and links the Activity Log page to
#: them (a link naming thousands of ids would be longer than servers take).
ENTRIES_SHOWN = 50
#: The All tab shows this many resolved alerts (the latest); the Resolved tab every one.
RESOLVED_ON_ALL = 50
#: An alert's history shows this many of its own entries.
HISTORY_MAX = 100
#: Its entries are looked for from this long before it was raised (clocks of writers).
HISTORY_SLACK = timedelta(minutes=5)
#: Windows the rule forms offer, in minutes.
WINDOWS = (5, 10, 15, 30, 60, 120, 360, 720, 1440)
RULE_LABELS = {
    "failed_sign_in_burst": "Failed sign-in burst",
    "new_country_sign_in": "New country sign-in",
    "new_ip_sign_in": "New IP sign-in",
    "new_device_sign_in": "New device sign-in",
    "off_hours": "Off-hours activity",
    "permission_change": "Permission change",
    "bulk_delete": "Bulk delete",
    "large_export": "Large export",
    "log_entries_deleted": "Log entries deleted",
    "impersonation": "Impersonation",
}
PARAM_LABELS = {
    "lookback_days": "Look back (days)",
    "hours": "Business hours",
    "days": "Business days",
    "timezone": "Time zone",
    "actions": "Actions",
}
LIST_PARAMS = frozenset({"actions"})
NUMBER_PARAMS = frozenset({"lookback_days"})
#: The Activity Log page's filters a custom rule cannot keep (it keeps :data:`FILTERS`).
UNKEPT_FILTERS = ("layer", "subject_type", "subject_id", "ip")
OUTCOME_TONES = {"delivered": "green", "failed": "yellow", "gave_up": "red", "pending": "gray"}


@dataclass(frozen=True)
class Tab:
    label: str
    href: str
    #: "12", or "1,000+" past the most one list holds.
    count: str
    current: bool


@dataclass(frozen=True)
class AlertRow:
    """An alert as the list (and the detail's head) shows it."""

    id: str
    href: str
    workspace: str
    rule: str
    rule_label: str
    severity: Badge
    status: Badge
    summary: str
    entries: int
    raised: LocalTime | None
    updated: LocalTime | None
    acknowledged_by: str
    acknowledged: LocalTime | None
    resolved_by: str
    resolved: LocalTime | None
    note: str


@dataclass(frozen=True)
class RuleView:
    """A rule's settings as its form shows them."""

    name: str
    label: str
    description: str
    custom: bool
    enabled: bool
    threshold: int | None
    window: int
    window_text: str
    windows: tuple[Option, ...]
    severity: str
    severities: tuple[Option, ...]
    per: str
    filters_text: str
    #: Settings of its own (name, label, value as the form shows it).
    params: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class FollowerRow:
    """A follower's position in one workspace: the seq it has handled, the head, how many
    entries it is behind and how long ago the oldest of them occurred."""

    name: str
    workspace: str
    position: int
    head: int
    behind: int
    delay: str
    started: bool
    last_error: str
    retry: LocalTime | None


@dataclass(frozen=True)
class DeliveryRow:
    channel: str
    target: str
    attempt: int
    at: LocalTime | None
    outcome: Badge
    detail: str
    next_at: LocalTime | None


@dataclass
class AlertsPage:
    """Everything ``alerts.html`` renders."""

    principal: Principal
    tz: str
    workspace: str
    status: str
    tabs: list[Tab]
    alerts: list[AlertRow]
    rules: list[RuleView]
    followers: list[FollowerRow]
    workspaces: list[Option] = field(default_factory=list)
    message: str = ""
    error: str = ""
    #: A custom rule's form, filled from an Activity Log page's filters.
    new_rule: Mapping[str, str] = field(default_factory=dict)
    windows: tuple[Option, ...] = ()
    severities: tuple[Option, ...] = ()
    #: Resolved alerts the All tab leaves to the Resolved tab.
    more_resolved: int = 0

    def href(self, **changes: str) -> str:
        return alerts_href(
            tz=changes.get("tz", self.tz),
            workspace=changes.get("workspace", self.workspace if self.all_workspaces else ""),
            status=changes.get("status", self.status),
        )

    @property
    def all_workspaces(self) -> bool:
        """A platform admin's page: alerts of every workspace, or of one they pick."""
        return is_platform(self.principal.viewer)


@dataclass
class AlertPage:
    """Everything ``alert.html`` renders."""

    principal: Principal
    tz: str
    alert: AlertRow
    rule: RuleView | None
    entries: list[Row]
    missing: int
    activity_href: str
    deliveries: list[DeliveryRow]
    back_href: str
    can_manage: bool
    #: The alert's own entries in the log (raised, extended, acknowledged, resolved).
    history: list[Row] = field(default_factory=list)
    #: Deliveries not attempted yet.
    waiting: int = 0
    error: str = ""
    message: str = ""


def alerts_href(tz: str = "UTC", workspace: str = "", status: str = "", filters: str = "") -> str:
    """``/alerts`` with the given view (defaults left out); ``filters`` fills the form
    adding a rule."""
    given = (("status", status), ("workspace", workspace), ("tz", tz), ("filters", filters))
    pairs = [(k, v) for k, v in given if v]
    pairs = [(k, v) for k, v in pairs if (k, v) != ("tz", "UTC")]
    return "/alerts" + (f"?{urlencode(pairs)}" if pairs else "")


def alert_href(alert_id: str, tz: str) -> str:
    query = "" if tz == "UTC" else f"?{urlencode({'tz': tz})}"
    return f"/alerts/{alert_id}{query}"


def present_alert(alert: Alert, tz: str) -> AlertRow:
    return AlertRow(
        id=alert.id,
        href=alert_href(alert.id, tz),
        workspace=alert.workspace,
        rule=alert.rule,
        rule_label=rule_label(alert.rule),
        severity=Badge(alert.severity.capitalize(), SEVERITY_TONES.get(alert.severity, "gray")),
        status=Badge(alert.status.capitalize(), STATUS_TONES.get(alert.status, "gray")),
        summary=alert.summary,
        entries=len(alert.event_ids),
        raised=_time(alert.raised_us, tz),
        updated=_time(alert.updated_us, tz),
        acknowledged_by=alert.acknowledged_by or "",
        acknowledged=_time(alert.acknowledged_us, tz),
        resolved_by=alert.resolved_by or "",
        resolved=_time(alert.resolved_us, tz),
        note=alert.note or "",
    )


def ordered(alerts: Iterable[Alert]) -> list[Alert]:
    """Open alerts first, then acknowledged, then resolved; the latest change first in each."""
    by_update = sorted(alerts, key=lambda a: a.updated_us, reverse=True)
    return sorted(by_update, key=lambda a: STATUSES.index(a.status) if a.status in STATUSES else 3)


def build_list(
    facade: Alerts,
    principal: Principal,
    *,
    workspace: str | None,
    status: str,
    tz: str,
    followers: Sequence[FollowerStatus],
    workspaces: Sequence[str] = (),
) -> AlertsPage:
    """The list page of ``workspace`` (None: every workspace, for platform admins): each
    status read on its own, so open alerts come first however many others there are."""
    by_status = {s: ordered(facade.list(workspace, s)) for s in STATUSES}
    shown = by_status[status] if status else [a for s in STATUSES for a in by_status[s]]
    hidden = 0
    if not status:  # every open and acknowledged alert, the latest resolved ones
        hidden = max(0, len(by_status["resolved"]) - RESOLVED_ON_ALL)
        shown = shown[: len(shown) - hidden]
    counts = {s: _count(len(alerts)) for s, alerts in by_status.items()}
    counts[""] = _count(sum(len(alerts) for alerts in by_status.values()))
    chosen = workspace or ""
    page = AlertsPage(
        principal=principal,
        tz=tz,
        workspace=chosen,
        status=status,
        tabs=[],
        alerts=[present_alert(a, tz) for a in shown],
        rules=[present_rule(r) for r in facade.rules(workspace)] if workspace else [],
        followers=follower_rows(followers, workspace, tz),
        windows=window_options(60),
        severities=severity_options("medium"),
        more_resolved=hidden,
    )
    page.tabs = [
        Tab(label, page.href(status=value), counts[value], value == status) for value, label in TABS
    ]
    if page.all_workspaces:
        page.workspaces = [Option("", "All workspaces", selected=not chosen)] + [
            Option(ws, ws, selected=ws == chosen) for ws in workspaces
        ]
    return page


def build_detail(
    facade: Alerts,
    log: ActivityLog,
    principal: Principal,
    alert_id: str,
    tz: str,
    delivery_attempts: Sequence[Attempt],
    waiting: int = 0,
) -> AlertPage:
    """One alert ``principal`` may see (the route checked): its first
    :data:`ENTRIES_SHOWN` entries in the log's order, read with the viewer's own access."""
    alert = facade.get(alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    rules = {r.name: r for r in facade.rules(alert.workspace)}
    events = []
    for event_id in alert.event_ids[:ENTRIES_SHOWN]:
        try:
            event = log.get(event_id, viewer=principal.viewer, workspace=alert.workspace)
        except (NotFound, AccessDenied):
            continue  # purged since, or not visible to this viewer
        if not event.get("deleted_at"):  # a tombstone: deleted since
            events.append(event)
    shown = min(len(alert.event_ids), ENTRIES_SHOWN)
    rule = rules.get(alert.rule)
    return AlertPage(
        principal=principal,
        tz=tz,
        alert=present_alert(alert, tz),
        rule=present_rule(rule) if rule else None,
        entries=[present_row(e, tz) for e in events],
        missing=shown - len(events),
        activity_href=entries_href(events, alert.event_ids[:ENTRIES_SHOWN], tz),
        deliveries=[present_delivery(a, tz) for a in delivery_attempts],
        back_href=alerts_href(tz, alert.workspace if is_platform(principal.viewer) else ""),
        can_manage=may_manage_alerts(principal.viewer.role),
        history=[present_row(e, tz) for e in history(log, principal, alert)],
        waiting=waiting,
    )


def history(log: ActivityLog, principal: Principal, alert: Alert) -> list[dict[str, Any]]:
    """``alert``'s own entries (``alert.raised`` ... ``alert.resolved``, the alert their
    subject), oldest first, as far as the viewer may read them; recorded when each change
    was, so none is older than the alert."""
    selection = Selection(
        workspace=alert.workspace,
        viewer=principal.viewer,
        scope="workspace",
        since=datetime.fromtimestamp(alert.raised_us / 1_000_000, UTC) - HISTORY_SLACK,
        subject_type="alert",
        subject_id=alert.id,
    )
    return log.query(selection, sort="time", per_page=HISTORY_MAX).items


def present_rule(rule: RuleState) -> RuleView:
    return RuleView(
        name=rule.name,
        label=rule_label(rule.name),
        description=rule.description,
        custom=rule.custom,
        enabled=rule.enabled,
        threshold=rule.threshold,
        window=rule.window,
        window_text=minutes_text(rule.window),
        windows=window_options(rule.window),
        severity=rule.severity,
        severities=severity_options(rule.severity),
        per=PER_LABELS.get(rule.per or "", rule.per or ""),
        filters_text=filters_text(rule.filters or {}),
        params=tuple(
            (k, PARAM_LABELS.get(k, k.replace("_", " ").capitalize()), _value_text(v))
            for k, v in rule.params.items()
        ),
    )


def follower_rows(
    statuses: Sequence[FollowerStatus], workspace: str | None, tz: str
) -> list[FollowerRow]:
    """Each follower's position in ``workspace`` (every workspace: one row each)."""
    rows = []
    for status in statuses:
        for position in status.workspaces:
            if workspace and position.workspace != workspace:
                continue
            rows.append(
                FollowerRow(
                    name=status.name,
                    workspace=position.workspace,
                    position=position.position,
                    head=position.head,
                    behind=position.behind,
                    delay=duration_text(round(position.delay_s)) if position.behind else "—",
                    started=status.started,
                    last_error=position.last_error or "",
                    retry=_time(position.retry_at, tz),
                )
            )
    return rows


def present_delivery(attempt: Attempt, tz: str) -> DeliveryRow:
    detail = attempt.error or (f"HTTP {attempt.status_code}" if attempt.status_code else "")
    return DeliveryRow(
        channel=attempt.channel,
        target=attempt.target,
        attempt=attempt.attempt,
        at=_time(attempt.at, tz),
        outcome=Badge(
            attempt.outcome.replace("_", " ").capitalize(),
            OUTCOME_TONES.get(attempt.outcome, "gray"),
        ),
        detail=detail,
        next_at=_time(attempt.next_at, tz),
    )


def entries_href(events: Sequence[Mapping[str, Any]], ids: Sequence[str], tz: str) -> str:
    """The Activity Log page showing ``ids``: a custom range of the days ``events`` occurred
    on (in ``tz``), so the page's default window does not hide older ones."""
    pairs: list[tuple[str, str]] = []
    days = sorted(
        parse_time(str(e["occurred_at"])).astimezone(zone(tz)).date().isoformat()
        for e in events
        if e.get("occurred_at")
    )
    if days:
        pairs += [("range", "custom"), ("since", days[0]), ("until", days[-1])]
    pairs += [("scope", "workspace"), ("tz", tz)]
    pairs += [("id", i) for i in ids]
    return "/activity?" + urlencode(pairs)


def rule_label(name: str) -> str:
    """A built-in rule's name as people write it; a custom one's with spaces."""
    return RULE_LABELS.get(name) or name.replace("_", " ").capitalize()


def duration_text(seconds: int) -> str:
    """ "45 s", "10 min", "1 h 30 min", "2 days"."""
    if seconds < 60:
        return f"{seconds} s"
    return minutes_text(seconds // 60)


def minutes_text(minutes: int) -> str:
    """ "10 min", "1 h 30 min", "2 days"."""
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 1440 or minutes % 1440:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h" + (f" {rest} min" if rest else "")
    days = minutes // 1440
    return f"{days} day" + ("s" if days != 1 else "")


def window_options(current: int) -> tuple[Option, ...]:
    values = sorted({*WINDOWS, current})
    return tuple(Option(str(v), minutes_text(v), selected=v == current) for v in values)


def severity_options(current: str) -> tuple[Option, ...]:
    return tuple(Option(s, s.capitalize(), selected=s == current) for s in SEVERITIES)


def filters_text(filters: Mapping[str, Any]) -> str:
    """A custom rule's filters in words: "events: auth.failed · result: failure"."""
    parts = []
    for name, value in filters.items():
        values = value if isinstance(value, list | tuple) else [value]
        if values and values != [None]:
            parts.append(f"{name}: {', '.join(str(v) for v in values)}")
    return " · ".join(parts) or "every entry"


def _value_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def param_value(name: str, text: str) -> Any:
    """A rule setting as its form field gives it: a list of actions (comma-separated), a
    whole number of days, else the text (the facade checks each)."""
    if name in LIST_PARAMS:
        return [part.strip() for part in text.split(",") if part.strip()]
    if name in NUMBER_PARAMS:
        try:
            return int(text.strip())
        except ValueError:
            raise ValidationError([FieldError(name, "must be a whole number")]) from None
    return text.strip()


def rule_filters(text: str, principal: Principal) -> dict[str, Any]:
    """A custom rule's filters from an Activity Log page's URL or query string, as
    :class:`~activitylog.selection.Selection` fields (the link's time window, workspace,
    scope, sort and paging are not a rule's); a filter a rule cannot keep (IP, subject,
    layer) is refused by name rather than dropped."""
    query = text.strip().partition("?")[2] if "?" in text else text.strip()
    view = view_params(parse_qs(query))
    chosen = view.selection(principal, scope="workspace")
    defaults = Selection()
    unkept = [n for n in UNKEPT_FILTERS if getattr(chosen, n) != getattr(defaults, n)]
    if unkept:
        reason = f"a rule cannot filter by {', '.join(unkept)}; it keeps {', '.join(FILTERS)}"
        raise ValidationError([FieldError("filters", reason)])
    found: dict[str, Any] = {}
    for name in FILTERS:
        value = getattr(chosen, name)
        if value != getattr(defaults, name):
            found[name] = list(value) if isinstance(value, tuple) else value
    return found


def _count(found: int) -> str:
    """How many alerts of a status a list holds ("1,000+" when it is full)."""
    return f"{found:,}+" if found >= LIST_MAX else f"{found:,}"


def _time(value: int | str | None, tz: str) -> LocalTime | None:
    """Epoch microseconds or an ISO string, in ``tz``."""
    if value is None or value == "":
        return None
    return local_time(format_micros(value) if isinstance(value, int) else value, tz)
