"""Delivery times: epoch microseconds in the tables, ISO 8601 UTC outside."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_us() -> int:
    return time.time_ns() // 1000


def micros(moment: datetime) -> int:
    """Epoch microseconds of an aware datetime."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def moment(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def iso(us: int | None) -> str | None:
    """``2026-12-06T18:23:42.000123Z``; None stays None."""
    if us is None:
        return None
    return moment(us).isoformat().replace("+00:00", "Z")
