"""timeranges: presets resolved in an IANA zone, previous windows and since/until bounds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from activitylog.errors import ValidationError
from activitylog.timeranges import (
    DEFAULT_PRESET,
    PRESETS,
    local_midnight,
    parse_bound,
    previous_window,
    resolve,
    zone,
)

NY, KOLKATA = "America/New_York", "Asia/Kolkata"

# (zone, now in UTC) -> {preset: "start end"} as UTC minutes. Hand-checked.
EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("UTC", "2026-03-05T15:30"): {  # a Thursday
        "today": "2026-03-05T00:00 2026-03-06T00:00",
        "yesterday": "2026-03-04T00:00 2026-03-05T00:00",
        "this_week": "2026-03-02T00:00 2026-03-09T00:00",
        "last_7_days": "2026-02-27T00:00 2026-03-06T00:00",
        "last_30_days": "2026-02-04T00:00 2026-03-06T00:00",
        "last_90_days": "2025-12-06T00:00 2026-03-06T00:00",
        "this_month": "2026-03-01T00:00 2026-04-01T00:00",
        "last_month": "2026-02-01T00:00 2026-03-01T00:00",
        "last_24_hours": "2026-03-04T15:30 2026-03-05T15:30",
    },
    (NY, "2026-03-08T18:00"): {  # Sunday 14:00 EDT; clocks went forward at 02:00 today
        "today": "2026-03-08T05:00 2026-03-09T04:00",
        "yesterday": "2026-03-07T05:00 2026-03-08T05:00",
        "this_week": "2026-03-02T05:00 2026-03-09T04:00",
        "last_7_days": "2026-03-02T05:00 2026-03-09T04:00",
        "last_30_days": "2026-02-07T05:00 2026-03-09T04:00",
        "this_month": "2026-03-01T05:00 2026-04-01T04:00",
        "last_month": "2026-02-01T05:00 2026-03-01T05:00",
        "last_24_hours": "2026-03-07T18:00 2026-03-08T18:00",
    },
    (NY, "2026-11-01T12:00"): {  # Sunday 07:00 EST; clocks went back at 02:00 today
        "today": "2026-11-01T04:00 2026-11-02T05:00",
        "yesterday": "2026-10-31T04:00 2026-11-01T04:00",
        "this_week": "2026-10-26T04:00 2026-11-02T05:00",
        "this_month": "2026-11-01T04:00 2026-12-01T05:00",
        "last_month": "2026-10-01T04:00 2026-11-01T04:00",
    },
    (NY, "2026-04-01T02:00"): {  # still March 31 in New York
        "today": "2026-03-31T04:00 2026-04-01T04:00",
        "last_7_days": "2026-03-25T04:00 2026-04-01T04:00",
        "this_month": "2026-03-01T05:00 2026-04-01T04:00",
        "last_month": "2026-02-01T05:00 2026-03-01T05:00",
        "last_90_days": "2026-01-01T05:00 2026-04-01T04:00",
    },
    (NY, "2026-01-01T03:00"): {  # still 2025 in New York
        "today": "2025-12-31T05:00 2026-01-01T05:00",
        "this_week": "2025-12-29T05:00 2026-01-05T05:00",
        "this_month": "2025-12-01T05:00 2026-01-01T05:00",
        "last_month": "2025-11-01T04:00 2025-12-01T05:00",
    },
    (KOLKATA, "2026-03-31T19:00"): {  # already April 1 (00:30 IST, +05:30)
        "today": "2026-03-31T18:30 2026-04-01T18:30",
        "yesterday": "2026-03-30T18:30 2026-03-31T18:30",
        "this_week": "2026-03-29T18:30 2026-04-05T18:30",
        "last_7_days": "2026-03-25T18:30 2026-04-01T18:30",
        "last_30_days": "2026-03-02T18:30 2026-04-01T18:30",
        "this_month": "2026-03-31T18:30 2026-04-30T18:30",
        "last_month": "2026-02-28T18:30 2026-03-31T18:30",
        "last_24_hours": "2026-03-30T19:00 2026-03-31T19:00",
    },
}
CASES = [(tz, now, p, span) for (tz, now), table in EXPECTED.items() for p, span in table.items()]
NOWS = sorted({(tz, now) for tz, now, _, _ in CASES})


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("tz", "now", "preset", "span"), CASES)
def test_presets(tz: str, now: str, preset: str, span: str) -> None:
    start, end = span.split()
    assert resolve(preset, tz, utc(now)) == (utc(start), utc(end))


@pytest.mark.parametrize(("tz", "now"), NOWS)
@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_is_a_utc_window_containing_now(tz: str, now: str, preset: str) -> None:
    start, end = resolve(preset, tz, utc(now))
    assert start.tzinfo is UTC
    assert end.tzinfo is UTC
    if preset in ("yesterday", "last_month"):
        assert start < end <= utc(now)
    else:
        assert start <= utc(now) <= end


@pytest.mark.parametrize(("tz", "now"), NOWS)
def test_last_7_days_is_today_and_six_days_before(tz: str, now: str) -> None:
    start, end = resolve("last_7_days", tz, utc(now))
    zi = ZoneInfo(tz)
    today = utc(now).astimezone(zi).date()
    local_start, local_end = start.astimezone(zi), end.astimezone(zi)
    assert local_start.date() == today - timedelta(days=6)
    assert local_end.date() == today + timedelta(days=1)
    assert (local_start.hour, local_start.minute) == (0, 0)
    assert (local_end.hour, local_end.minute) == (0, 0)


def test_default_preset() -> None:
    assert DEFAULT_PRESET == "last_7_days"
    assert DEFAULT_PRESET in PRESETS


def test_resolve_defaults_to_now_in_utc() -> None:
    start, end = resolve("today")
    assert end - start == timedelta(days=1)
    assert (start.tzinfo, start.hour, start.minute) == (UTC, 0, 0)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-03-02T05:00", "2026-03-09T04:00", "2026-02-23T06:00"),
        ("2026-03-05T00:00", "2026-03-06T00:00", "2026-03-04T00:00"),
        ("2026-03-05T15:30", "2026-03-05T15:45", "2026-03-05T15:15"),
    ],
)
def test_previous_window(start: str, end: str, expected: str) -> None:
    prev_start, prev_end = previous_window(utc(start), utc(end))
    assert (prev_start, prev_end) == (utc(expected), utc(start))
    assert prev_end - prev_start == utc(end) - utc(start)


def test_local_midnight_across_dst_gap() -> None:
    # Havana skips 00:00-01:00 on 2026-03-08: the day starts at 01:00 CDT (05:00 UTC).
    assert local_midnight(date(2026, 3, 8), ZoneInfo("America/Havana")) == utc("2026-03-08T05:00")
    assert local_midnight(date(2026, 3, 8), ZoneInfo(NY)) == utc("2026-03-08T05:00")


@pytest.mark.parametrize(
    ("value", "tz", "is_end", "expected"),
    [
        ("2026-03-08", NY, False, "2026-03-08T05:00"),
        ("2026-03-08", NY, True, "2026-03-09T04:00"),  # end of day, 23 hours later
        ("2026-11-01", NY, True, "2026-11-02T05:00"),
        ("2026-03-31", KOLKATA, False, "2026-03-30T18:30"),
        ("2026-03-31", KOLKATA, True, "2026-03-31T18:30"),
        ("2026-03-31", "UTC", True, "2026-04-01T00:00"),
        ("20260331", "UTC", True, "2026-04-01T00:00"),  # ISO basic date is a date too
        ("2026-03-08T10:00:00", NY, False, "2026-03-08T14:00"),  # naive: local time
        ("2026-03-08T10:00:00", NY, True, "2026-03-08T14:00"),  # date-times are exact
        ("2026-03-08T10:00:00Z", NY, True, "2026-03-08T10:00"),
        ("2026-03-08T10:00:00+05:30", NY, False, "2026-03-08T04:30"),
        ("2026-03-08 10:00", KOLKATA, False, "2026-03-08T04:30"),
    ],
)
def test_parse_bound(value: str, tz: str, is_end: bool, expected: str) -> None:
    assert parse_bound(value, tz, is_end=is_end) == utc(expected)


@pytest.mark.parametrize(
    ("value", "tz", "is_end"),
    [
        ("", "UTC", False),
        ("yesterday", "UTC", True),
        ("2026-02-30", "UTC", False),
        ("2026-03-08T25:00", "UTC", True),
        ("1741392000", "UTC", False),
        ("9999-12-31", "UTC", True),
        ("0001-01-01", KOLKATA, False),
        ("0001-01-01T00:00:00+05:00", "UTC", False),
        ("1000-01-01", "UTC", False),  # representable, but before any event
        ("0202-01-01", "UTC", True),
        ("1969-12-31T23:59:59Z", "UTC", False),
        ("2262-04-12", "UTC", True),  # past the store's row keys
        ("2200-01-01", "UTC", True),  # ends at the next midnight: past the latest bound
    ],
)
def test_parse_bound_bad_value_names_field(value: str, tz: str, is_end: bool) -> None:
    with pytest.raises(ValidationError) as info:
        parse_bound(value, tz, is_end=is_end)
    assert [e.field for e in info.value.errors] == ["until" if is_end else "since"]


def test_parse_bound_takes_the_whole_supported_range() -> None:
    assert parse_bound("1970-01-01", "UTC", is_end=False) == utc("1970-01-01T00:00")
    assert parse_bound("2199-12-31", "UTC", is_end=True) == utc("2200-01-01T00:00")


@pytest.mark.parametrize(
    "tz", ["Mars/Olympus_Mons", "", "America", "Etc", "../etc/passwd", "EST+5"]
)
def test_unknown_tz_names_tz(tz: str) -> None:
    for call in (
        lambda: zone(tz),
        lambda: resolve("today", tz),
        lambda: parse_bound("2026-03-08", tz, is_end=False),
    ):
        with pytest.raises(ValidationError) as info:
            call()
        assert [e.field for e in info.value.errors] == ["tz"]


@pytest.mark.parametrize("preset", ["", "last_week", "TODAY", "last_7_day"])
def test_unknown_preset_names_range(preset: str) -> None:
    with pytest.raises(ValidationError) as info:
        resolve(preset, "UTC")
    assert [e.field for e in info.value.errors] == ["range"]
