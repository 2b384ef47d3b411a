"""Account times: aware UTC datetimes outside, epoch microseconds in the tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime | None = None) -> int:
    """Epoch microseconds of ``moment`` (now when None; a naive datetime is read as UTC)."""
    if moment is None:
        moment = datetime.now(UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // MICROSECOND


def span(delta: timedelta) -> int:
    """``delta`` in microseconds."""
    return delta // MICROSECOND


def moment(us: int) -> datetime:
    """The aware UTC datetime of epoch microseconds ``us``."""
    return EPOCH + timedelta(microseconds=us)


def maybe_moment(us: int | None) -> datetime | None:
    return None if us is None else moment(us)
