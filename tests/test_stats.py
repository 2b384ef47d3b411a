"""stats: initials, bucketing in a zone, change percentages, and compute() on a fake store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from activitylog.access import Visibility
from activitylog.errors import ValidationError
from activitylog.events import format_time
from activitylog.query import Filters
from activitylog.stats import (
    Group,
    StatsSpec,
    _bucket_starts,
    _change_pct,
    _volume,
    compute,
    fitting_group,
    groups_for,
    initials,
    whole_percentages,
)

VIS = Visibility("acme", None, "workspace_and_impersonation")
NY, KOLKATA = "America/New_York", "Asia/Kolkata"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def epoch_hour(text: str) -> int:
    return int(utc(text).timestamp()) // 3600


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ava Thompson", "AT"),
        ("System", "S"),
        ("ava", "A"),
        ("Mary Jane Watson", "MW"),
        ("  Ava   Thompson  ", "AT"),
        ("ana.lopez", "AL"),
        ("Ünal Çelik", "ÜÇ"),
        ("(bot) Zapier", "Z"),
        ("", "?"),
        ("   ", "?"),
    ],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [(10, 0, None), (0, 0, None), (15, 10, 50.0), (5, 10, -50.0), (1, 3, -66.7), (0, 5, -100.0)],
)
def test_change_pct(current: int, previous: int, expected: float | None) -> None:
    assert _change_pct(current, previous) == expected


@pytest.mark.parametrize(
    ("since", "until", "group", "tz", "first", "last", "count"),
    [
        ("03-05T10:15", "03-05T13:00", "hourly", "UTC", "03-05T10:00", "03-05T12:00", 3),
        # A New York week with the spring-forward Sunday: local midnights move to 04:00 UTC.
        ("03-02T05:00", "03-09T04:00", "daily", NY, "03-02T05:00", "03-08T05:00", 7),
        ("03-08T05:00", "03-09T04:00", "hourly", NY, "03-08T05:00", "03-09T03:00", 23),
        ("11-01T04:00", "11-02T05:00", "hourly", NY, "11-01T04:00", "11-02T04:00", 25),
        ("11-01T04:00", "11-03T05:00", "daily", NY, "11-01T04:00", "11-02T05:00", 2),
        ("03-02T05:00", "03-16T04:00", "weekly", NY, "03-02T05:00", "03-09T04:00", 2),
        ("03-04T05:00", "03-09T04:00", "weekly", NY, "03-02T05:00", "03-02T05:00", 1),
        # Kolkata (+05:30): days start at 18:30 UTC, hours stay UTC hours.
        ("03-30T18:30", "04-01T18:30", "daily", KOLKATA, "03-30T18:30", "03-31T18:30", 2),
        ("03-31T18:30", "03-31T21:30", "hourly", KOLKATA, "03-31T18:00", "03-31T21:00", 4),
    ],
)
def test_bucket_starts(
    since: str, until: str, group: Any, tz: str, first: str, last: str, count: int
) -> None:
    starts = _bucket_starts(utc(f"2026-{since}"), utc(f"2026-{until}"), group, tz)
    assert len(starts) == count
    assert (starts[0], starts[-1]) == (utc(f"2026-{first}"), utc(f"2026-{last}"))
    assert starts == sorted(set(starts))
    if group != "hourly":  # every day/week bucket starts at local midnight
        for start in starts:
            local = start.astimezone(ZoneInfo(tz))
            assert (local.hour, local.minute) == (0, 0)
        if group == "weekly":
            assert {s.astimezone(ZoneInfo(tz)).weekday() for s in starts} == {0}


def test_bucket_starts_with_since_in_another_zone() -> None:
    since = datetime(2026, 4, 1, 0, 0, tzinfo=ZoneInfo(KOLKATA))  # == 2026-03-31T18:30Z
    starts = _bucket_starts(since, since + timedelta(hours=2), "hourly", KOLKATA)
    assert starts == [utc("2026-03-31T18:00"), utc("2026-03-31T19:00"), utc("2026-03-31T20:00")]


def test_volume_places_counts_in_local_day_buckets() -> None:
    rows = [
        (epoch_hour("2026-03-02T05:00"), "auth", 2),  # Mon 00:00 EST
        (epoch_hour("2026-03-03T04:00"), "write", 3),  # Mon 23:00 EST
        (epoch_hour("2026-03-08T04:00"), "read", 1),  # Sat 23:00 EST
        (epoch_hour("2026-03-08T05:00"), "write", 4),  # Sun 00:00 EST
        (epoch_hour("2026-03-09T03:00"), "write", 5),  # Sun 23:00 EDT
        (epoch_hour("2026-03-09T03:00"), "auth", 1),
        (epoch_hour("2026-03-01T12:00"), "write", 9),  # before the window: dropped
    ]
    volume = _volume(rows, 3600, utc("2026-03-02T05:00"), utc("2026-03-09T04:00"), "daily", NY)
    assert [v["label"] for v in volume] == [f"2026-03-0{d}" for d in range(2, 9)]
    first = {"start": "2026-03-02T05:00:00.000000Z", "label": "2026-03-02", "auth": 2}
    assert volume[0] == {**first, "writes": 3, "other": 0}
    assert volume[5]["other"] == 1  # Saturday
    assert (volume[6]["auth"], volume[6]["writes"], volume[6]["other"]) == (1, 9, 0)
    assert sum(v["writes"] for v in volume[1:5]) == 0


def test_volume_hourly_labels_in_zone() -> None:
    rows = [(epoch_hour("2026-03-05T15:00"), "write", 7)]
    volume = _volume(rows, 3600, utc("2026-03-05T14:00"), utc("2026-03-05T17:00"), "hourly", NY)
    assert [v["label"] for v in volume] == [
        "2026-03-05 09:00",
        "2026-03-05 10:00",
        "2026-03-05 11:00",
    ]
    assert [v["writes"] for v in volume] == [0, 7, 0]


def test_volume_half_hour_zone_first_hour_goes_to_first_day() -> None:
    # Kolkata (+05:30): the window starts at 18:30Z, inside epoch hour 18:00Z, whose
    # (clipped) counts belong to the window's first local day, not the day before.
    rows = [
        (epoch_hour("2026-03-30T18:00"), "write", 2),
        (epoch_hour("2026-03-31T17:00"), "auth", 1),  # 22:30 IST on the first day
        (epoch_hour("2026-03-31T19:00"), "read", 4),  # 00:30 IST on the second day
    ]
    since, until = utc("2026-03-30T18:30"), utc("2026-04-01T18:30")
    volume = _volume(rows, 3600, since, until, "daily", KOLKATA)
    assert [(v["label"], v["auth"], v["writes"], v["other"]) for v in volume] == [
        ("2026-03-31", 1, 2, 0),
        ("2026-04-01", 0, 0, 4),
    ]


@dataclass(frozen=True)
class Ev:
    at: str
    kind: str
    category: str
    verb: str
    actor_id: str | None
    ip: str | None = None


class FakeAggregates:
    """Counts over an in-memory list of events: only what ``compute`` needs."""

    def __init__(self, events: Sequence[Ev], names: dict[str, str]) -> None:
        self.events = events
        self.names = names
        self.zero_categories = ("notes", "webhooks")

    def _match(self, f: Filters) -> list[Ev]:
        assert f.since is not None
        assert f.until is not None
        return [
            e
            for e in self.events
            if f.since <= utc(e.at) < f.until and (not f.verbs or e.verb in f.verbs)
        ]

    def counts(self, visibility: Visibility, filters: Filters, dims: Sequence[str]) -> list[Any]:
        assert visibility == VIS
        groups: Counter[tuple[Any, ...]] = Counter()
        for e in self._match(filters):
            values = {"hour": epoch_hour(e.at), **vars(e)}
            groups[tuple(values[d] for d in dims)] += 1
        rows = [(*key, n) for key, n in groups.items()]
        if tuple(dims) == ("category",):
            rows += [(c, 0) for c in self.zero_categories]  # stores may report zeros
        return rows

    def unique_ips(self, visibility: Visibility, filters: Filters) -> int:
        return len({e.ip for e in self._match(filters) if e.ip})

    def actor_summaries(
        self, visibility: Visibility, filters: Filters, actor_ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        out = {}
        for actor_id in actor_ids:
            seen = [utc(e.at) for e in self._match(filters) if e.actor_id == actor_id]
            out[actor_id] = {"name": self.names.get(actor_id), "last_seen": format_time(max(seen))}
        return out


SINCE, UNTIL = utc("2026-03-02T05:00"), utc("2026-03-09T04:00")  # last 7 days in New York
EVENTS = [
    Ev("2026-03-02T10:00", "auth", "auth", "signed_in", "u1", "203.0.113.1"),
    Ev("2026-03-03T10:00", "auth", "auth", "signed_in", "u1", "203.0.113.1"),
    Ev("2026-03-08T04:30", "auth", "auth", "signed_out", "u1", "203.0.113.2"),
    *[
        Ev(f"2026-03-04T1{i}:00", "write", "contacts", "updated", "u2", "2001:db8::1")
        for i in range(4)
    ],
    *[Ev(f"2026-03-05T1{i}:00", "write", "inbox", "assigned", "u3") for i in range(2)],
    *[Ev(f"2026-03-06T1{i}:00", "write", "inbox", "replied", None) for i in range(5)],
    Ev("2026-03-07T10:00", "read", "contacts", "exported", "u5", "198.51.100.7"),
    Ev("2026-03-09T02:00", "read", "contacts", "viewed", "u4"),
    # The previous window (2026-02-23T06:00 .. 2026-03-02T05:00): 10 events.
    *[Ev(f"2026-02-2{d}T12:00", "write", "notes", "added", "u9") for d in range(4, 9)],
    *[Ev(f"2026-03-01T1{h}:00", "auth", "auth", "signed_in", "u9") for h in range(5)],
    Ev("2026-03-09T05:00", "write", "contacts", "updated", "u1"),  # after the window
]
NAMES = {"u1": "Ava Thompson", "u2": "Ben Okafor", "u3": "Chen Li", "u5": "Dara"}


def run(filters: Filters | None = None) -> dict[str, Any]:
    spec = StatsSpec(VIS, filters or Filters(since=SINCE, until=UNTIL), group="daily", tz=NY)
    return compute(spec, FakeAggregates(EVENTS, NAMES)).to_dict()


def test_compute_kpis_and_split() -> None:
    stats = run()
    assert set(stats) == {"kpis", "volume", "split", "split_percent", "top_actors", "by_category"}
    assert stats["kpis"] == {
        "total": 16,
        "total_change_pct": 60.0,
        "previous_total": 10,
        "sign_ins": 2,
        "writes": 11,
        # The sign-out is neither a sign-in nor a write: it counts here, with the 2 reads.
        "reads_other": 3,
        "unique_ips": 4,
    }
    assert stats["split"] == {"sign_ins": 2, "writes": 11, "reads_other": 3}
    # 12.5 / 68.75 / 18.75: the two largest remainders (.75) get the 2 points left over.
    assert stats["split_percent"] == {"sign_ins": 12, "writes": 69, "reads_other": 19}


KPI_EVENTS = [
    Ev("2026-03-02T10:00", "auth", "auth", "signed_in", "u1"),
    Ev("2026-03-02T11:00", "auth", "auth", "sign_in_failed", "u1"),
    Ev("2026-03-02T12:00", "auth", "auth", "signed_out", "u1"),
    Ev("2026-03-02T13:00", "auth", "auth", "mfa_enabled", "u1"),
    Ev("2026-03-02T14:00", "auth", "impersonation", "started", "u2"),
    Ev("2026-03-02T15:00", "auth", "workspace", "switched", "u2"),
    Ev("2026-03-03T10:00", "write", "contacts", "updated", "u2"),
    Ev("2026-03-03T11:00", "read", "contacts", "viewed", "u2"),
    # An application's own sign-in action outside the auth category is a write by kind,
    # and still one sign-in, counted once.
    Ev("2026-03-03T12:00", "write", "other", "signed_in", "u3"),
]


@pytest.mark.parametrize(
    ("verbs", "expected"),
    [
        ((), (9, 2, 1, 6)),
        (("signed_in",), (2, 2, 0, 0)),
        (("sign_in_failed", "signed_out"), (2, 0, 0, 2)),
        (("updated", "started"), (2, 0, 1, 1)),
    ],
)
def test_kpi_cards_add_up(verbs: tuple[str, ...], expected: tuple[int, ...]) -> None:
    filters = Filters(since=SINCE, until=UNTIL, verbs=verbs)
    spec = StatsSpec(VIS, filters, group="daily", tz=NY)
    stats = compute(spec, FakeAggregates(KPI_EVENTS, NAMES))
    k = stats.kpis
    assert (k["total"], k["sign_ins"], k["writes"], k["reads_other"]) == expected
    assert k["sign_ins"] + k["writes"] + k["reads_other"] == k["total"]
    assert stats.split == {n: k[n] for n in ("sign_ins", "writes", "reads_other")}
    assert sum(stats.split_percent.values()) == (100 if k["total"] else 0)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 1, 1], [34, 33, 33]),
        ([0, 0, 0], [0, 0, 0]),
        ([0, 5, 0], [0, 100, 0]),
        ([1, 998, 1], [0, 100, 0]),
        ([1, 1, 998], [0, 0, 100]),
        ([2, 3, 5], [20, 30, 50]),
        ([1, 2, 4], [14, 29, 57]),
        ([7, 7, 7, 7, 7, 7], [17, 17, 17, 17, 16, 16]),
    ],
)
def test_whole_percentages_add_up_to_100(values: list[int], expected: list[int]) -> None:
    assert whole_percentages(values) == expected


def test_compute_volume() -> None:
    volume = run()["volume"]
    assert [v["label"] for v in volume] == [f"2026-03-0{d}" for d in range(2, 9)]
    assert all(set(v) == {"start", "label", "auth", "writes", "other"} for v in volume)
    assert [v["auth"] for v in volume] == [1, 1, 0, 0, 0, 1, 0]
    assert [v["writes"] for v in volume] == [0, 0, 4, 2, 5, 0, 0]
    assert [v["other"] for v in volume] == [0, 0, 0, 0, 0, 1, 1]
    assert sum(v["auth"] + v["writes"] + v["other"] for v in volume) == 16


def test_compute_top_actors() -> None:
    top = run()["top_actors"]
    # At most 4; ties by id (u4 before u5); the 5 events without an actor id are no actor.
    assert [(a["id"], a["count"]) for a in top] == [("u2", 4), ("u1", 3), ("u3", 2), ("u4", 1)]
    last_seen = "2026-03-04T13:00:00.000000Z"
    assert top[0] == {"id": "u2", "name": "Ben Okafor", "initials": "BO", "count": 4} | {
        "last_seen": last_seen
    }
    assert (top[3]["name"], top[3]["initials"]) == ("u4", "U")  # no name: the id stands in


def test_compute_by_category_skips_zeros() -> None:
    assert run()["by_category"] == [
        {"category": "inbox", "count": 7},
        {"category": "contacts", "count": 6},
        {"category": "auth", "count": 3},
    ]


def test_compute_previous_empty_gives_no_change_pct() -> None:
    filters = Filters(since=utc("2026-03-01T10:00"), until=utc("2026-03-01T15:00"))
    kpis = run(filters)["kpis"]
    assert (kpis["total"], kpis["previous_total"], kpis["total_change_pct"]) == (5, 0, None)


@pytest.mark.parametrize(("verbs", "sign_ins"), [(("exported",), 0), (("signed_in", "viewed"), 2)])
def test_sign_ins_respect_verb_filter(verbs: tuple[str, ...], sign_ins: int) -> None:
    assert run(Filters(since=SINCE, until=UNTIL, verbs=verbs))["kpis"]["sign_ins"] == sign_ins


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"group": "monthly"}, "group"),
        ({"filters": Filters(since=SINCE)}, "range"),
        ({"filters": Filters()}, "range"),
        ({"tz": "Mars/Base"}, "tz"),
    ],
)
def test_stats_spec_validation(kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"visibility": VIS, "filters": Filters(since=SINCE, until=UNTIL)}
    with pytest.raises(ValidationError) as info:
        StatsSpec(**{**args, **kwargs})
    assert [e.field for e in info.value.errors] == [field]


@pytest.mark.parametrize(
    ("since", "until", "offered"),
    [
        ("2026-03-05T00:00", "2026-03-06T00:00", ("hourly",)),  # today, yesterday
        ("2026-03-05T10:15", "2026-03-06T10:15", ("hourly",)),  # last 24 hours
        ("2026-11-01T04:00", "2026-11-02T05:00", ("hourly",)),  # a 25-hour day (New York)
        ("2026-03-02T05:00", "2026-03-09T04:00", ("hourly", "daily")),  # last 7 days
        ("2026-03-01T00:00", "2026-03-14T00:00", ("hourly", "daily")),  # 13 days
        ("2026-03-01T00:00", "2026-03-15T00:00", ("hourly", "daily", "weekly")),
        ("2026-03-01T05:00", "2026-03-15T04:00", ("hourly", "daily", "weekly")),  # spring DST
    ],
)
def test_groups_for_draw_more_than_one_bar(
    since: str, until: str, offered: tuple[str, ...]
) -> None:
    assert groups_for(utc(since), utc(until)) == offered
    for group in offered:
        assert len(_bucket_starts(utc(since), utc(until), group, "UTC")) > 1 or group == "hourly"
    assert groups_for(None, None) == ("hourly", "daily", "weekly")


@pytest.mark.parametrize(
    ("group", "days", "expected"),
    [
        ("weekly", 7, "daily"),
        ("weekly", 1, "hourly"),
        ("daily", 1, "hourly"),
        ("daily", 30, "daily"),
        ("weekly", 30, "weekly"),
        ("hourly", 90, "hourly"),
    ],
)
def test_fitting_group(group: Group, days: int, expected: str) -> None:
    since = utc("2026-03-01T00:00")
    assert fitting_group(group, since, since + timedelta(days=days)) == expected
