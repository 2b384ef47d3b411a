"""Times as events hold them: RFC 3339 in UTC with microseconds, and microseconds since
the epoch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def format_time(value: datetime) -> str:
    """RFC 3339 UTC with microseconds: ``2026-11-22T19:42:53.123456Z``."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    if value.microsecond:  # (isoformat is quicker without a timespec to read)
        return value.isoformat()[:-6] + "Z"
    return value.isoformat(timespec="microseconds")[:-6] + "Z"


def micros(moment: datetime) -> int:
    """Microseconds since the epoch (exact integer arithmetic)."""
    return (moment.astimezone(UTC) - EPOCH) // MICROSECOND


def to_micros(timestamp: str) -> int:
    """Microseconds since the epoch of an RFC 3339 timestamp."""
    if len(timestamp) == 27 and timestamp[26] == "Z":  # the canonical form: UTC, read as is
        return (datetime.fromisoformat(timestamp) - EPOCH) // MICROSECOND
    return micros(parse_time(timestamp))


def format_micros(value: int) -> str:
    """RFC 3339 UTC with microseconds from microseconds since the epoch."""
    return format_time(EPOCH + value * MICROSECOND)


def parse_time(value: str) -> datetime:
    """Inverse of :func:`format_time` (accepts any ISO 8601 with offset; naive = UTC)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
