"""Scheduled exports' schedules and the periods they cover (pure: no I/O).

A schedule cuts UTC time into periods, each ``[start, end)``: ``daily`` the UTC day,
``weekly`` the ISO week (Monday 00:00 to the next Monday), ``monthly`` the calendar month.
A period's label names it in file names: ``2026-12-05``, ``2026-W49``, ``2026-12``.

A period is *closed* once its end has passed by :data:`SETTLE`, so entries sent in its last
moments (batched by the SDK) are in its export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

#: The export_schedule setting's values; ``off`` writes nothing.
SCHEDULES: tuple[str, ...] = ("off", "daily", "weekly", "monthly")
#: The export_format setting's values.
EXPORT_FORMATS: tuple[str, ...] = ("csv", "json", "pdf")
#: How long after its end a period is exported.
SETTLE = timedelta(minutes=5)

_LABEL = {
    "daily": re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"),
    "weekly": re.compile(r"(?P<y>\d{4})-W(?P<w>\d{2})"),
    "monthly": re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})"),
}


@dataclass(frozen=True, order=True)
class Period:
    """One period of a schedule: ``[start, end)`` in UTC."""

    start: datetime
    end: datetime
    schedule: str

    @property
    def label(self) -> str:
        if self.schedule == "daily":
            return self.start.date().isoformat()
        if self.schedule == "weekly":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    def following(self) -> Period:
        return period_of(self.schedule, self.end)


def schedule_problem(value: object) -> str | None:
    return None if value in SCHEDULES else f"must be one of {', '.join(SCHEDULES)}"


def export_format_problem(value: object) -> str | None:
    return None if value in EXPORT_FORMATS else f"must be one of {', '.join(EXPORT_FORMATS)}"


def period_of(schedule: str, moment: datetime) -> Period:
    """The period of ``schedule`` (daily, weekly, monthly) holding ``moment``."""
    at = _utc(moment)
    day = datetime(at.year, at.month, at.day, tzinfo=UTC)
    if schedule == "daily":
        return Period(day, day + timedelta(days=1), schedule)
    if schedule == "weekly":
        monday = day - timedelta(days=day.weekday())
        return Period(monday, monday + timedelta(days=7), schedule)
    if schedule == "monthly":
        first = day.replace(day=1)
        if first.month == 12:
            following = first.replace(year=first.year + 1, month=1)
        else:
            following = first.replace(month=first.month + 1)
        return Period(first, following, schedule)
    raise ValueError(f"unknown schedule {schedule!r}")


def closed_periods(schedule: str, since: datetime, now: datetime) -> list[Period]:
    """The periods of ``schedule`` that closed after ``since`` (when it was set) and by
    ``now``, oldest first: the period holding ``since`` is the first one."""
    if schedule not in SCHEDULES or schedule == "off":
        return []
    found = []
    period = period_of(schedule, since)
    while period.end + SETTLE <= _utc(now):
        found.append(period)
        period = period.following()
    return found


def parse_label(schedule: str, label: str) -> Period | None:
    """The period a file name's label names (None when it names none)."""
    pattern = _LABEL.get(schedule)
    match = pattern.fullmatch(label) if pattern else None
    if match is None:
        return None
    try:
        if schedule == "weekly":
            start = date.fromisocalendar(int(match["y"]), int(match["w"]), 1)
        else:
            start = date(int(match["y"]), int(match["m"]), int(match.groupdict().get("d") or 1))
    except ValueError:
        return None
    period = period_of(schedule, datetime(start.year, start.month, start.day, tzinfo=UTC))
    return period if period.label == label else None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
