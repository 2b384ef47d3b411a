"""Times as events hold them: one canonical text per instant, and back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from activitylog.timestamps import format_micros, format_time, micros, parse_time, to_micros

_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
)
_MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=_ZONES
)


def test_utc_with_microseconds_always() -> None:
    assert format_time(datetime(2026, 11, 22, 19, 42, 53, 123456, tzinfo=UTC)) == (
        "2026-11-22T19:42:53.123456Z"
    )
    assert format_time(datetime(2026, 11, 22, 19, 42, 53, tzinfo=UTC)) == (
        "2026-11-22T19:42:53.000000Z"
    )
    plus_one = timezone(timedelta(hours=1))
    assert format_time(datetime(2026, 1, 1, 0, 30, 0, 5, tzinfo=plus_one)) == (
        "2025-12-31T23:30:00.000005Z"
    )


@given(_MOMENTS)
def test_text_and_micros_agree_both_ways(moment: datetime) -> None:
    text = format_time(moment)
    assert len(text) == 27
    assert text.endswith("Z")
    assert parse_time(text) == moment
    assert to_micros(text) == micros(moment)
    assert format_micros(micros(moment)) == text
