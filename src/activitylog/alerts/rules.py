"""The built-in alert rules: names, what each watches, their defaults, and the checks of
every setting a person may change (pure).

| rule                   | fires on                                 | severity | N      | window |
|------------------------|------------------------------------------|----------|--------|--------|
| `failed_sign_in_burst` | N failed sign-ins of one account or IP   | high     | 5      | 10 min |
| `new_country_sign_in`  | a sign-in from a country new to the user | medium   |        | 60 min |
| `new_ip_sign_in`       | a sign-in from an IP new to the user     | low      |        | 60 min |
| `new_device_sign_in`   | a sign-in from a device new to the user  | low      |        | 60 min |
| `off_hours`            | activity outside business hours and days | low      |        | 60 min |
| `permission_change`    | roles, removed members, owners, API keys | medium   |        | 10 min |
| `bulk_delete`          | at least N log entries deleted at once   | high     | 100    | 10 min |
| `large_export`         | at least N entries exported at once      | medium   | 10,000 | 10 min |
| `log_entries_deleted`  | any entry of the log deleted             | high     |        | 10 min |
| `impersonation`        | a platform admin starts acting as a user | medium   |        | 60 min |

Every rule is on by default except ``off_hours`` (business hours differ by workspace). The
window is how far apart entries of one burst may be: the failed sign-ins counted together,
or the entries that extend an open alert instead of raising another. "Not seen" means not
in the person's successful sign-ins of the last ``lookback_days`` (90); a person's first
sign-in in that time raises nothing (there is nothing to compare it with).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from activitylog.errors import FieldError, ValidationError

Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = get_args(Severity)
Status = Literal["open", "acknowledged", "resolved"]
STATUSES: tuple[str, ...] = get_args(Status)
Per = Literal["actor", "ip"]
PERS: tuple[str, ...] = get_args(Per)

#: Successful sign-ins (result ``success``) and failed ones (any result).
SIGN_INS = frozenset({"auth.signed_in"})
FAILED_SIGN_INS = frozenset({"auth.sign_in_failed", "auth.locked_out"})
#: What ``permission_change`` watches unless a workspace names its own actions.
PERMISSION_CHANGES: tuple[str, ...] = (
    "user.role_changed",
    "user.removed",
    "member.removed",
    "workspace.ownership_transferred",
    "api_key.created",
)
IMPERSONATIONS = frozenset({"impersonation.started"})
DELETED = "activity_log.deleted"
EXPORTED = "activity_log.exported"
#: Entries no rule looks at (the alerts' own, the log's own), but these few.
IGNORED_PREFIXES = ("alert.", "alert_rule.", "activity_log.")
WATCHED_LOG_ACTIONS = frozenset({DELETED, EXPORTED})

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
THRESHOLD_MAX = 10_000_000
WINDOW_MAX_MINUTES = 7 * 24 * 60
LOOKBACK_MAX_DAYS = 3650
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_ACTION = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


@dataclass(frozen=True)
class Builtin:
    """A built-in rule's definition and defaults; ``threshold`` None: it has none."""

    name: str
    description: str
    severity: Severity
    window_minutes: int
    threshold: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True


_LOOKBACK = {"lookback_days": 90}

BUILTINS: dict[str, Builtin] = {
    rule.name: rule
    for rule in (
        Builtin(
            "failed_sign_in_burst",
            "At least N failed sign-ins for one account or from one IP within the window",
            "high",
            10,
            threshold=5,
        ),
        Builtin(
            "new_country_sign_in",
            "A person signs in from a country not seen for them in the last lookback_days",
            "medium",
            60,
            params=_LOOKBACK,
        ),
        Builtin(
            "new_ip_sign_in",
            "A person signs in from an IP address not seen for them in the last lookback_days",
            "low",
            60,
            params=_LOOKBACK,
        ),
        Builtin(
            "new_device_sign_in",
            "A person signs in from a device (browser, OS, type) not seen for them in the last"
            " lookback_days",
            "low",
            60,
            params=_LOOKBACK,
        ),
        Builtin(
            "off_hours",
            "A person's activity outside the workspace's business hours and days, in its time zone",
            "low",
            60,
            params={"hours": "09:00-18:00", "days": "mon-fri", "timezone": "UTC"},
            enabled=False,
        ),
        Builtin(
            "permission_change",
            "Role changes, members removed, ownership transferred, API keys created",
            "medium",
            10,
            params={"actions": list(PERMISSION_CHANGES)},
        ),
        Builtin("bulk_delete", "At least N log entries deleted at once", "high", 10, threshold=100),
        Builtin(
            "large_export",
            "At least N entries exported at once by a person",
            "medium",
            10,
            threshold=10_000,
        ),
        Builtin("log_entries_deleted", "Any entry of the activity log deleted", "high", 10),
        Builtin("impersonation", "A platform admin starts acting as a user", "medium", 60),
    )
}


def ignored(action: str) -> bool:
    """Whether no rule looks at an entry with ``action`` (the alerts' and the log's own
    records, but deletions and exports)."""
    return action.startswith(IGNORED_PREFIXES) and action not in WATCHED_LOG_ACTIONS


# -- checks of what people give -----------------------------------------------------------


def severity_problem(value: object) -> str | None:
    return None if value in SEVERITIES else f"must be one of {', '.join(SEVERITIES)}"


def threshold_problem(value: object) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return "must be a whole number"
    return None if 1 <= value <= THRESHOLD_MAX else f"must be between 1 and {THRESHOLD_MAX:,}"


def window_problem(value: object) -> str | None:
    """A window in whole minutes, at most a week."""
    if not isinstance(value, int) or isinstance(value, bool):
        return "must be a whole number of minutes"
    if not 1 <= value <= WINDOW_MAX_MINUTES:
        return f"must be between 1 and {WINDOW_MAX_MINUTES} minutes (a week)"
    return None


def name_problem(value: object) -> str | None:
    if not isinstance(value, str) or not NAME.match(value):
        return "must be 1-64 lower-case letters, digits or _, starting with a letter"
    if value in BUILTINS:
        return f"{value!r} is a built-in rule; choose another name"
    return None


@dataclass(frozen=True)
class BusinessHours:
    """When a workspace works: ``start``-``end`` local time (``end`` before ``start``: over
    midnight) on ``days`` (0 = Monday), in ``zone``."""

    start: time
    end: time
    days: frozenset[int]
    zone: ZoneInfo

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> BusinessHours:
        start, end = _hours(str(params["hours"]))
        return cls(start, end, _days(str(params["days"])), ZoneInfo(str(params["timezone"])))

    def within(self, weekday: int, moment: time) -> bool:
        if weekday not in self.days:
            return False
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def closed_since(self, local: datetime) -> date | None:
        """The business day whose hours ended last before ``local`` (a moment outside
        them): every moment of one stretch of closed hours (a night, a weekend) gives the
        same day, so an actor's activity in it is one alert however long it goes on."""
        overnight = self.start > self.end
        for back in range(8):
            day = local.date() - timedelta(days=back)
            if day.weekday() not in self.days:
                continue
            closing = datetime.combine(day + timedelta(days=overnight), self.end, local.tzinfo)
            if closing <= local:
                return day
        return None


def _hours(text: str) -> tuple[time, time]:
    match = _HOURS.match(text.strip())
    if match is None:
        raise ValueError("must be HH:MM-HH:MM, like 09:00-18:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h2 == 24 and m2:
        raise ValueError("must be HH:MM-HH:MM, like 09:00-18:00")
    start = time(h1, m1)
    end = time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
    if start == end:
        raise ValueError("must not start and end at the same time")
    return start, end


def _days(text: str) -> frozenset[int]:
    """``mon-fri``, ``mon,wed,fri``, ``sat-sun``, ``mon-wed,fri`` -> weekday numbers."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError("must name days as mon..sun, like mon-fri or mon,wed,fri")
        a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(days)


def checked_params(
    rule: str, given: Mapping[str, Any], current: Mapping[str, Any]
) -> dict[str, Any]:
    """``current`` params of a built-in ``rule`` with ``given`` ones applied, each checked
    (a :class:`ValidationError` names every bad one)."""
    known = BUILTINS[rule].params
    errors: list[FieldError] = []
    result = dict(current)
    for name, value in given.items():
        if name not in known:
            allowed = ", ".join(known) or "none"
            errors.append(FieldError(name, f"is not a setting of rule {rule} (it has: {allowed})"))
            continue
        problem = _param_problem(name, value)
        if problem:
            errors.append(FieldError(name, problem))
        else:
            result[name] = _normal_param(name, value)
    if errors:
        raise ValidationError(errors)
    return result


def _param_problem(name: str, value: Any) -> str | None:
    if name == "lookback_days":
        if not isinstance(value, int) or isinstance(value, bool):
            return "must be a whole number of days"
        return None if 1 <= value <= LOOKBACK_MAX_DAYS else f"must be 1 to {LOOKBACK_MAX_DAYS}"
    if name == "actions":
        if not isinstance(value, list | tuple) or not value:
            return "must be a non-empty list of actions"
        bad = [a for a in value if not isinstance(a, str) or not _ACTION.match(a)]
        return f"holds invalid actions: {', '.join(map(repr, bad))}" if bad else None
    if not isinstance(value, str):
        return "must be a string"
    if name == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return f"is not a known IANA time zone ({value!r}), like Europe/Berlin"
        return None
    parse = _hours if name == "hours" else _days
    try:
        parse(value)
    except ValueError as exc:
        return str(exc)
    return None


def _normal_param(name: str, value: Any) -> Any:
    if name == "actions":
        return sorted(set(value))
    if name in ("hours", "days"):
        return str(value).strip().lower()
    return value
