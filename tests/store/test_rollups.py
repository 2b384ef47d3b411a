"""The rollup planner: windows cut into days, hours and raw minutes; rollup choice."""

from __future__ import annotations

import itertools

import pytest

from activitylog.access import Visibility
from activitylog.query import Filters
from activitylog.store.rollups import (
    DAY_US,
    HOUR_US,
    Accumulator,
    Segment,
    choose,
    needed_dims,
    segments,
)
from activitylog.store.schema import IP_ROLLUPS, ROLLUPS

MINUTE_US = HOUR_US // 60
D = 20_000  # a day number since the epoch


def test_whole_days_only() -> None:
    assert segments(D * DAY_US, (D + 3) * DAY_US, hourly=False) == [Segment("day", D, D + 3)]


def test_days_with_partial_hours_and_minutes_at_both_ends() -> None:
    since = D * DAY_US + 22 * HOUR_US + 30 * MINUTE_US  # day D, 22:30
    until = (D + 2) * DAY_US + 1 * HOUR_US + 15 * MINUTE_US  # day D+2, 01:15
    assert segments(since, until, hourly=False) == [
        Segment("day", D + 1, D + 2),
        Segment("hour", D * 24 + 23, (D + 1) * 24),
        Segment("raw", since, D * DAY_US + 23 * HOUR_US),
        Segment("hour", (D + 2) * 24, (D + 2) * 24 + 1),
        Segment("raw", (D + 2) * DAY_US + HOUR_US, until),
    ]


def test_window_inside_one_hour_is_raw() -> None:
    since = D * DAY_US + 10 * MINUTE_US
    assert segments(since, since + 20 * MINUTE_US, hourly=False) == [
        Segment("raw", since, since + 20 * MINUTE_US)
    ]


def test_hourly_never_uses_days() -> None:
    since, until = D * DAY_US, (D + 2) * DAY_US
    assert segments(since, until, hourly=True) == [Segment("hour", D * 24, (D + 2) * 24)]


@pytest.mark.parametrize("hourly", [False, True])
def test_unbounded_windows(hourly: bool) -> None:
    grain = "hour" if hourly else "day"
    assert segments(None, None, hourly=hourly) == [Segment(grain, None, None)]
    assert segments(None, D * DAY_US, hourly=hourly)[0].lo is None


def test_segments_cover_the_window_exactly() -> None:
    since = D * DAY_US + 5 * HOUR_US + 7 * MINUTE_US
    until = (D + 9) * DAY_US + 13 * HOUR_US + 59 * MINUTE_US
    unit = {"day": DAY_US, "hour": HOUR_US, "raw": 1}
    spans = sorted(
        (s.lo * unit[s.grain], s.hi * unit[s.grain])  # type: ignore[operator]
        for s in segments(since, until, hourly=False)
    )
    assert spans[0][0] == since
    assert spans[-1][1] == until
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))


def test_needed_dims_follow_filters_visibility_and_grouping() -> None:
    admin = Visibility("acme", None, "workspace_and_impersonation")
    member = Visibility("acme", "u_1", "workspace")
    assert needed_dims(admin, Filters(), ("hour", "kind")) == {"layer", "category", "kind"}
    assert needed_dims(member, Filters(results=("failure",)), ()) == {
        "actor_id",
        "layer",
        "result",
    }


def test_choose_takes_the_narrowest_rollup_that_has_every_dimension() -> None:
    narrow = choose(ROLLUPS, "day", {"layer", "category", "kind"})
    assert narrow is not None
    assert narrow.table.name == "rollup_day_category"
    full = choose(ROLLUPS, "hour", {"actor_id", "result"})
    assert full is not None
    assert full.table.name == "rollup_hour"
    assert choose(ROLLUPS, "day", {"ip"}) is None
    assert choose(IP_ROLLUPS, "day", {"ip", "actor_id"}) is not None
    workspace_ips = choose(IP_ROLLUPS, "day", {"layer", "category"})
    assert workspace_ips is not None
    assert workspace_ips.table.name == "rollup_day_ip_category"


def test_accumulator_sums_per_key_and_grain() -> None:
    acc = Accumulator(ROLLUPS)
    values = {
        "layer": "workspace",
        "actor_id": "u_1",
        "category": "inbox",
        "action": "conversation.assigned",
        "verb": "assigned",
        "kind": "write",
        "result": "success",
    }
    t = D * DAY_US + 3 * HOUR_US
    acc.add("acme", t, values)
    acc.add("acme", t + MINUTE_US, values)
    acc.add("acme", t + HOUR_US, values, sign=-1)
    rows = {rollup.table.name: rows for rollup, rows in acc.rows()}
    assert rows["rollup_day_category"] == [("acme", D, "workspace", "inbox", "write", 1)]
    assert sorted(r[1] for r in rows["rollup_hour_category"]) == [D * 24 + 3, D * 24 + 4]
