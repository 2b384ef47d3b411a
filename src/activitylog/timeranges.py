"""Time-range presets resolved to ``[start, end)`` in UTC, computed in an IANA time zone.

Day-based presets are calendar-aligned in the viewer's zone: ``last_7_days`` is today and
the six days before it, from local midnight to the next local midnight, so daily charts
have whole days. ``last_24_hours`` is rolling: the 24 hours before ``now``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from activitylog.errors import FieldError, ValidationError

Preset = Literal[
    "today",
    "yesterday",
    "this_week",
    "last_7_days",
    "last_30_days",
    "this_month",
    "last_month",
    "last_24_hours",
    "last_90_days",
]
PRESETS: tuple[str, ...] = get_args(Preset)
DEFAULT_PRESET: Preset = "last_7_days"
#: The bounds a window may have: no event is older than the epoch, and the store's
#: time-ordered row key has room up to 2262.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; a clear error naming ``tz`` when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a directory
        raise ValidationError([FieldError("tz", f"unknown time zone {name!r}")]) from None


def resolve(preset: str, tz: str = "UTC", now: datetime | None = None) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC for a preset in zone ``tz``."""
    if preset not in PRESETS:
        raise ValidationError([FieldError("range", f"must be one of {', '.join(PRESETS)}")])
    zi = zone(tz)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if preset == "last_24_hours":
        return now - timedelta(hours=24), now
    today = now.astimezone(zi).date()
    tomorrow = today + timedelta(days=1)
    start: date
    end: date
    if preset == "today":
        start, end = today, tomorrow
    elif preset == "yesterday":
        start, end = today - timedelta(days=1), today
    elif preset == "this_week":
        start = today - timedelta(days=today.weekday())
        end = start + timedelta(days=7)
    elif preset == "this_month":
        start = today.replace(day=1)
        end = _next_month(start)
    elif preset == "last_month":
        end = today.replace(day=1)
        start = (end - timedelta(days=1)).replace(day=1)
    else:
        days = {"last_7_days": 7, "last_30_days": 30, "last_90_days": 90}[preset]
        start, end = today - timedelta(days=days - 1), tomorrow
    return local_midnight(start, zi), local_midnight(end, zi)


def previous_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The window of equal length just before ``[start, end)``."""
    return start - (end - start), start


def local_midnight(day: date, zi: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zi).astimezone(UTC)


def parse_bound(value: str, tz: str, *, is_end: bool) -> datetime:
    """A ``since``/``until`` value: an ISO date (a whole day in ``tz``) or date-time.

    A date used as an end bound means the end of that day (the next local midnight).
    """
    field = "until" if is_end else "since"
    zi = zone(tz)
    try:
        try:
            day = date.fromisoformat(value)  # 2026-03-08, and also 20260308 or 2026-W10-7
        except ValueError:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=zi)
            bound = parsed.astimezone(UTC)
        else:
            bound = local_midnight(day + timedelta(days=1) if is_end else day, zi)
    except ValueError:
        raise ValidationError(
            [FieldError(field, f"is not an ISO 8601 date or date-time ({value!r})")]
        ) from None
    except OverflowError:
        raise ValidationError([_out_of_range(field, value)]) from None
    return supported(bound, field, value)


def supported(bound: datetime, field: str, value: object) -> datetime:
    """``bound`` (aware, UTC) when a window may start or end there; else a clear error."""
    if not EARLIEST <= bound <= LATEST:
        raise ValidationError([_out_of_range(field, value)])
    return bound


def _out_of_range(field: str, value: object) -> FieldError:
    return FieldError(field, f"must be between 1970-01-01 and 2199-12-31 ({value!r})")


def _next_month(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)
