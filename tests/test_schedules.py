"""Scheduled exports' periods: UTC days, ISO weeks and months, their labels, and which
have closed since a schedule was set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from activitylog.schedules import (
    SETTLE,
    Period,
    closed_periods,
    export_format_problem,
    parse_label,
    period_of,
    schedule_problem,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "moment", "start", "end", "label"),
    [
        ("daily", "2026-12-05T23:59:59", "2026-12-05", "2026-12-06", "2026-12-05"),
        ("daily", "2026-12-06T00:00:00", "2026-12-06", "2026-12-07", "2026-12-06"),
        ("weekly", "2026-12-06T12:00:00", "2026-11-30", "2026-12-07", "2026-W49"),
        ("weekly", "2026-12-07T00:00:00", "2026-12-07", "2026-12-14", "2026-W50"),
        # ISO weeks cross years: 2026-12-31 is a Thursday of 2026-W53, 2027-01-04 starts W01
        ("weekly", "2027-01-02T08:00:00", "2026-12-28", "2027-01-04", "2026-W53"),
        ("monthly", "2026-12-31T23:00:00", "2026-12-01", "2027-01-01", "2026-12"),
        ("monthly", "2026-02-14T00:00:00", "2026-02-01", "2026-03-01", "2026-02"),
    ],
)
def test_the_period_holding_a_moment(
    schedule: str, moment: str, start: str, end: str, label: str
) -> None:
    period = period_of(schedule, at(moment))
    assert (period.start, period.end) == (at(start), at(end))
    assert period.label == label
    assert parse_label(schedule, label) == period


def test_a_moment_in_another_zone_is_read_in_utc() -> None:
    tokyo = datetime(2026, 12, 6, 8, 0, tzinfo=timezone(timedelta(hours=9)))  # 23:00 UTC the 5th
    assert period_of("daily", tokyo).label == "2026-12-05"
    assert period_of("daily", datetime(2026, 12, 5, 23, 0)).label == "2026-12-05"  # naive: UTC


def test_periods_follow_one_another() -> None:
    period = period_of("monthly", at("2026-11-15T00:00:00"))
    assert [p.label for p in (period, period.following(), period.following().following())] == [
        "2026-11",
        "2026-12",
        "2027-01",
    ]


def test_closed_periods_start_with_the_one_the_schedule_was_set_in() -> None:
    since = at("2026-12-03T15:00:00")
    now = at("2026-12-06T00:00:00") + SETTLE
    labels = [p.label for p in closed_periods("daily", since, now)]
    assert labels == ["2026-12-03", "2026-12-04", "2026-12-05"]


def test_a_period_closes_only_once_it_settled() -> None:
    since = at("2026-12-05T10:00:00")
    end = at("2026-12-06T00:00:00")
    assert closed_periods("daily", since, end) == []
    assert closed_periods("daily", since, end + SETTLE - timedelta(seconds=1)) == []
    assert [p.label for p in closed_periods("daily", since, end + SETTLE)] == ["2026-12-05"]


def test_weekly_and_monthly_catch_up() -> None:
    since = at("2026-10-20T00:00:00")
    now = at("2026-12-10T00:00:00")
    assert [p.label for p in closed_periods("weekly", since, now)] == [
        "2026-W43",
        "2026-W44",
        "2026-W45",
        "2026-W46",
        "2026-W47",
        "2026-W48",
        "2026-W49",
    ]
    assert [p.label for p in closed_periods("monthly", since, now)] == ["2026-10", "2026-11"]


def test_off_has_no_periods() -> None:
    assert closed_periods("off", at("2020-01-01T00:00:00"), at("2026-01-01T00:00:00")) == []


@pytest.mark.parametrize(
    ("schedule", "label"),
    [
        ("daily", "2026-02-30"),
        ("daily", "2026-12"),
        ("weekly", "2026-W54"),
        ("weekly", "2026-W00"),
        ("monthly", "2026-13"),
        ("monthly", "2026-1"),
        ("hourly", "2026-12-05"),
    ],
)
def test_labels_that_name_no_period(schedule: str, label: str) -> None:
    assert parse_label(schedule, label) is None


def test_periods_sort_by_time() -> None:
    first = period_of("daily", at("2026-12-01T00:00:00"))
    assert sorted([first.following(), first]) == [first, first.following()]
    assert isinstance(first, Period)


def test_the_settings_values() -> None:
    assert schedule_problem("weekly") is None
    assert schedule_problem("hourly") == "must be one of off, daily, weekly, monthly"
    assert export_format_problem("pdf") is None
    assert export_format_problem("ndjson") == "must be one of csv, json, pdf"
    with pytest.raises(ValueError, match="unknown schedule"):
        period_of("hourly", at("2026-01-01T00:00:00"))
