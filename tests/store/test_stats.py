"""Statistics: KPIs, volume buckets in a time zone, split, top actors, categories."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from activitylog import ActivityLog, ValidationError, Viewer

from ._support import ACTIONS, NOW, eid, iso, user


def t(
    month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(2026, month, day, hour, minute, second, us, tzinfo=UTC)


AVA = user("u_ava", "Ava Thompson")
BEN = user("u_ben", "ben")
CHO = user("u_cho", "Mary Jane Watson")
DAN = user("u_dan", "Dan")

# The window [2026-03-02, 2026-03-04) and the one before it, [2026-02-28, 2026-03-02).
WINDOW: list[tuple[datetime, str, dict[str, str], str | None]] = [
    (t(3, 2), "auth.signed_in", AVA, "10.0.0.1"),  # on the start bound: inside
    (t(3, 2, 8, 15), "contact.updated", AVA, "10.0.0.1"),
    (t(3, 2, 9, 40), "auth.signed_in", BEN, "10.0.0.2"),
    (t(3, 2, 11, 20), "contact.updated", BEN, "10.0.0.2"),
    (t(3, 2, 13, 45), "settings.updated", BEN, "10.0.0.4"),
    (t(3, 2, 16, 5), "note.exported", CHO, "10.0.0.3"),
    (t(3, 2, 19, 30), "contact.updated", user("u_eve", "Eve"), None),
    (t(3, 3, 7, 1), "auth.sign_in_failed", CHO, "10.0.0.3"),
    (t(3, 3, 7, 5), "auth.signed_in", AVA, "10.0.0.1"),
    (t(3, 3, 10, 10), "contact.viewed", AVA, "10.0.0.1"),
    (t(3, 3, 12, 12), "note.created", DAN, None),
    (t(3, 3, 21, 59, 59, 999_999), "contact.updated", user("u_eve", "Eve Adams"), "10.0.0.1"),
    (t(3, 3, 15), "contact.updated", AVA, None),
]
PREVIOUS = [
    (t(2, 28), "contact.updated", AVA, "10.0.0.9"),  # on the previous window's start
    *[(t(2, 28, 3 + 2 * i, 17), "note.created", BEN, "10.0.0.8") for i in range(8)],
    (t(3, 1, 23, 59, 59, 999_999), "auth.signed_in", AVA, "10.0.0.9"),
]
OUTSIDE = [
    (t(3, 4), "auth.signed_in", AVA, "10.0.0.7"),  # on the end bound: outside
    (t(2, 27, 23, 59), "contact.updated", BEN, "10.0.0.7"),
]


def as_events(
    rows: list[tuple[datetime, str, dict[str, str], str | None]], start: int = 0
) -> list[dict[str, Any]]:
    return [
        {
            "id": eid(start + i),
            "workspace": "acme",
            "occurred_at": at,
            "action": action,
            "actor": actor,
            "ip": ip,
            "result": "failure" if action == "auth.sign_in_failed" else "success",
        }
        for i, (at, action, actor, ip) in enumerate(rows)
    ]


@pytest.fixture
def recorded(log: ActivityLog) -> list[dict[str, Any]]:
    events = as_events(WINDOW, 1) + as_events(PREVIOUS, 100) + as_events(OUTSIDE, 200)
    log.record_many(events)
    return events


def test_kpis(log: ActivityLog, recorded: list[dict[str, Any]]) -> None:
    stats = log.stats(since="2026-03-02", until="2026-03-03")
    assert stats.kpis == {
        "total": 13,
        "total_change_pct": 30.0,
        "previous_total": 10,
        "sign_ins": 3,
        "writes": 7,
        "reads_other": 3,  # two views and the failed sign-in
        "unique_ips": 4,
    }
    assert stats.split == {"sign_ins": 3, "writes": 7, "reads_other": 3}
    assert stats.to_dict()["kpis"] == stats.kpis


def test_change_is_none_without_a_previous_window(
    log: ActivityLog, recorded: list[dict[str, Any]]
) -> None:
    stats = log.stats(since="2026-02-26", until="2026-02-28")  # 02-23..02-25 hold nothing
    assert (stats.kpis["total"], stats.kpis["previous_total"]) == (10, 0)
    assert stats.kpis["total_change_pct"] is None
    stats = log.stats(since="2026-02-28", until="2026-02-28")
    assert (stats.kpis["total"], stats.kpis["previous_total"]) == (9, 1)
    assert stats.kpis["total_change_pct"] == 800.0
    stats = log.stats(since="2026-03-01", until="2026-03-01")
    assert (stats.kpis["total"], stats.kpis["previous_total"]) == (1, 9)
    assert stats.kpis["total_change_pct"] == -88.9
    empty = log.stats(since="2026-01-01", until="2026-01-02")
    assert empty.kpis["total"] == empty.kpis["unique_ips"] == 0
    assert empty.top_actors == empty.by_category == []


def test_kpis_follow_filters(log: ActivityLog, recorded: list[dict[str, Any]]) -> None:
    window = {"since": "2026-03-02", "until": "2026-03-03"}
    ben = log.stats(users=["u_ben"], **window)
    assert (ben.kpis["total"], ben.kpis["sign_ins"], ben.kpis["writes"]) == (3, 1, 2)
    assert ben.kpis["unique_ips"] == 2
    contacts = log.stats(categories=["contacts"], **window)
    assert (contacts.kpis["total"], contacts.kpis["sign_ins"], contacts.kpis["reads_other"]) == (
        6,
        0,
        1,
    )
    failures = log.stats(results=["failure"], **window)
    assert failures.kpis["total"] == 1
    assert failures.kpis["unique_ips"] == 1
    no_sign_ins = log.stats(events=["updated"], **window)
    assert (no_sign_ins.kpis["total"], no_sign_ins.kpis["sign_ins"]) == (6, 0)


def test_sign_ins_under_an_event_filter(log: ActivityLog, recorded: list[dict[str, Any]]) -> None:
    # The event filter's values combine with OR (verbs and dotted actions alike); sign-ins
    # are the signed_in events among those the filter lets through.
    window = {"since": "2026-03-02", "until": "2026-03-03"}
    cases = {
        ("auth.signed_in",): (3, 3),
        ("contact.updated",): (5, 0),
        ("signed_in", "contact.updated"): (8, 3),
        ("auth.signed_in", "contact.updated"): (8, 3),
        ("updated", "auth.sign_in_failed"): (7, 0),
    }
    for chosen, expected in cases.items():
        stats = log.stats(events=list(chosen), **window)
        assert (stats.kpis["total"], stats.kpis["sign_ins"]) == expected, chosen


def test_volume_daily_and_split_in_utc(log: ActivityLog, recorded: list[dict[str, Any]]) -> None:
    stats = log.stats(since="2026-03-02", until="2026-03-03", group="daily")
    assert stats.volume == [
        {
            "start": "2026-03-02T00:00:00.000000Z",
            "label": "2026-03-02",
            "auth": 2,
            "writes": 4,
            "other": 1,
        },
        {
            "start": "2026-03-03T00:00:00.000000Z",
            "label": "2026-03-03",
            "auth": 2,
            "writes": 3,
            "other": 1,
        },
    ]


def test_top_actors(log: ActivityLog, recorded: list[dict[str, Any]]) -> None:
    stats = log.stats(since="2026-03-02", until="2026-03-03")
    assert stats.top_actors == [
        {
            "id": "u_ava",
            "name": "Ava Thompson",
            "initials": "AT",
            "count": 5,
            "last_seen": iso(t(3, 3, 15)),
        },  # not the event on the end bound
        {
            "id": "u_ben",
            "name": "ben",
            "initials": "B",
            "count": 3,
            "last_seen": iso(t(3, 2, 13, 45)),
        },
        {
            "id": "u_cho",
            "name": "Mary Jane Watson",
            "initials": "MW",
            "count": 2,
            "last_seen": iso(t(3, 3, 7, 1)),
        },
        {
            "id": "u_eve",
            "name": "Eve Adams",
            "initials": "EA",
            "count": 2,  # the newest name
            "last_seen": "2026-03-03T21:59:59.999999Z",
        },
    ]


def test_by_category(log: ActivityLog, recorded: list[dict[str, Any]]) -> None:
    stats = log.stats(since="2026-03-02", until="2026-03-03")
    assert stats.by_category == [
        {"category": "contacts", "count": 6},
        {"category": "auth", "count": 4},
        {"category": "notes", "count": 2},
        {"category": "settings", "count": 1},
    ]


def test_deleting_drops_empty_categories_and_lowers_kpis(
    log: ActivityLog, recorded: list[dict[str, Any]]
) -> None:
    settings_event = recorded[4]
    assert settings_event["action"] == "settings.updated"
    assert log.delete([settings_event["id"]], by="operator", reason="test") == [
        settings_event["id"]
    ]

    stats = log.stats(since="2026-03-02", until="2026-03-03")
    assert [c["category"] for c in stats.by_category] == ["contacts", "auth", "notes"]
    assert (stats.kpis["total"], stats.kpis["writes"]) == (12, 6)
    assert stats.top_actors[1]["count"] == 2
    assert stats.top_actors[1]["last_seen"] == iso(t(3, 2, 11, 20))


def test_unique_ips_forget_deleted_events(log: ActivityLog, recorded: list[dict[str, Any]]) -> None:
    # 10.0.0.4 appears on the deleted event only.
    log.delete([recorded[4]["id"]], by="operator", reason="test")
    assert log.stats(since="2026-03-02", until="2026-03-03").kpis["unique_ips"] == 3


def test_volume_buckets_in_new_york_across_dst(log: ActivityLog) -> None:
    # New York moves from UTC-5 to UTC-4 at 2026-03-08 02:00 local.
    rows = [
        (t(3, 7, 4, 30), "contact.updated"),  # 03-06 23:30 local: before the window
        (t(3, 7, 5, 10), "auth.signed_in"),  # 03-07 00:10
        (t(3, 8, 6, 59), "contact.updated"),  # 03-08 01:59 EST
        (t(3, 8, 7, 5), "contact.viewed"),  # 03-08 03:05 EDT
        (t(3, 9, 3, 50), "contact.updated"),  # 03-08 23:50 EDT
        (t(3, 9, 4, 10), "auth.signed_in"),  # 03-09 00:10
    ]
    log.record_many([{"workspace": "acme", "occurred_at": at, "action": a} for at, a in rows])
    ny = {"tz": "America/New_York"}

    daily = log.stats(since="2026-03-07", until="2026-03-09", group="daily", **ny)
    assert daily.volume == [
        {
            "start": "2026-03-07T05:00:00.000000Z",
            "label": "2026-03-07",
            "auth": 1,
            "writes": 0,
            "other": 0,
        },
        {
            "start": "2026-03-08T05:00:00.000000Z",
            "label": "2026-03-08",
            "auth": 0,
            "writes": 2,
            "other": 1,
        },
        {
            "start": "2026-03-09T04:00:00.000000Z",
            "label": "2026-03-09",
            "auth": 1,
            "writes": 0,
            "other": 0,
        },
    ]
    assert daily.kpis["total"] == 5

    hourly = log.stats(since="2026-03-08", until="2026-03-08", group="hourly", **ny)
    assert len(hourly.volume) == 23  # the local day is 23 hours long
    labels = [b["label"] for b in hourly.volume]
    assert labels[:4] == [
        "2026-03-08 00:00",
        "2026-03-08 01:00",
        "2026-03-08 03:00",
        "2026-03-08 04:00",
    ]
    assert labels[-1] == "2026-03-08 23:00"
    busy = {
        b["label"]: (b["auth"], b["writes"], b["other"])
        for b in hourly.volume
        if b["auth"] + b["writes"] + b["other"]
    }
    assert busy == {
        "2026-03-08 01:00": (0, 1, 0),
        "2026-03-08 03:00": (0, 0, 1),
        "2026-03-08 23:00": (0, 1, 0),
    }

    weekly = log.stats(since="2026-03-01", until="2026-03-21", group="weekly", **ny)
    assert [(b["start"], b["label"]) for b in weekly.volume] == [
        ("2026-02-23T05:00:00.000000Z", "2026-02-23"),  # the Monday of the week holding 03-01
        ("2026-03-02T05:00:00.000000Z", "2026-03-02"),
        ("2026-03-09T04:00:00.000000Z", "2026-03-09"),
        ("2026-03-16T04:00:00.000000Z", "2026-03-16"),
    ]
    assert [(b["auth"], b["writes"], b["other"]) for b in weekly.volume] == [
        (0, 0, 0),
        (1, 3, 1),
        (1, 0, 0),
        (0, 0, 0),
    ]


def test_daily_buckets_in_a_half_hour_time_zone(log: ActivityLog) -> None:
    # India is UTC+5:30: 18:40 UTC is already the next local day.
    log.record_many(
        [
            {
                "workspace": "acme",
                "occurred_at": t(3, 3, 18, 10),
                "action": "contact.updated",
            },  # 23:40 IST
            {
                "workspace": "acme",
                "occurred_at": t(3, 3, 18, 40),
                "action": "contact.updated",
            },  # 00:10 IST
        ]
    )
    stats = log.stats(since="2026-03-03", until="2026-03-04", tz="Asia/Kolkata")
    assert stats.kpis["total"] == 2
    assert [(b["label"], b["writes"]) for b in stats.volume] == [
        ("2026-03-03", 1),
        ("2026-03-04", 1),
    ]


def test_stats_honour_visibility(log: ActivityLog, recorded: list[dict[str, Any]]) -> None:
    log.record_many(
        [
            {
                "workspace": "acme",
                "layer": "platform",
                "action": "impersonation.started",
                "actor": user("staff", "Staff"),
                "occurred_at": t(3, 2, 12),
                "ip": "192.0.2.1",
            },
            {
                "workspace": "acme",
                "layer": "platform",
                "action": "billing.plan_changed",
                "actor": user("staff", "Staff"),
                "occurred_at": t(3, 2, 12, 30),
                "ip": "192.0.2.2",
            },
            {
                "workspace": "globex",
                "action": "contact.updated",
                "actor": BEN,
                "occurred_at": t(3, 2, 14),
            },
        ]
    )
    window = {"since": "2026-03-02", "until": "2026-03-03", "workspace": "acme"}

    member = log.stats(viewer=Viewer("u_ben", "member", "acme", "own"), scope="mine", **window)
    assert (member.kpis["total"], member.kpis["sign_ins"], member.kpis["unique_ips"]) == (3, 1, 2)
    assert [a["id"] for a in member.top_actors] == ["u_ben"]
    assert {c["category"] for c in member.by_category} == {"auth", "contacts", "settings"}

    owner = log.stats(viewer=Viewer("u_ava", "owner", "acme"), scope="workspace", **window)
    assert owner.kpis["total"] == 14  # + the impersonation, not the plan change
    assert owner.kpis["unique_ips"] == 5
    assert "impersonation" in {c["category"] for c in owner.by_category}
    assert "workspace" not in {c["category"] for c in owner.by_category}

    mine = log.stats(viewer=Viewer("u_ava", "owner", "acme"), scope="mine", **window)
    assert mine.kpis["total"] == 5

    staff = log.stats(
        viewer=Viewer("staff", "platform_admin"), since="2026-03-02", until="2026-03-03"
    )
    assert staff.kpis["total"] == 16


def kpi_oracle(events: list[dict[str, Any]], since: datetime, until: datetime) -> dict[str, Any]:
    inside = [e for e in events if since <= e["occurred_at"] < until]
    verbs_kinds = [ACTIONS[e["action"]][1:3] for e in inside]
    before = since - (until - since)
    # The cards: sign-ins (verb signed_in), writes (the other changes), reads / other
    # (everything else: failed sign-ins, sign-outs, impersonation included).
    sign_ins = sum(1 for verb, _ in verbs_kinds if verb == "signed_in")
    writes = sum(1 for verb, kind in verbs_kinds if kind == "write" and verb != "signed_in")
    return {
        "total": len(inside),
        "previous_total": sum(1 for e in events if before <= e["occurred_at"] < since),
        "sign_ins": sign_ins,
        "writes": writes,
        "reads_other": len(inside) - sign_ins - writes,
        "unique_ips": len({e["ip"] for e in inside if e["ip"]}),
    }


def test_kpis_for_windows_starting_and_ending_mid_hour(
    log: ActivityLog, recorded: list[dict[str, Any]]
) -> None:
    rng = random.Random(7)
    windows = [(t(3, 2, 8, 15), t(3, 3, 7, 3)), (t(3, 2, 9, 40, 0, 1), t(3, 2, 9, 41))]
    for _ in range(15):
        start = t(2, 27) + timedelta(minutes=rng.randrange(6 * 24 * 60), seconds=rng.randrange(60))
        windows.append((start, start + timedelta(minutes=rng.randrange(1, 3 * 24 * 60))))
    for since, until in windows:
        stats = log.stats(since=since, until=until, group="hourly")
        expected = kpi_oracle(recorded, since, until)
        assert {k: stats.kpis[k] for k in expected} == expected, (since, until)
        assert sum(b["auth"] + b["writes"] + b["other"] for b in stats.volume) == expected["total"]


def test_stats_need_a_window_and_a_known_group(log: ActivityLog) -> None:
    with pytest.raises(ValidationError):
        log.stats(since="2026-03-01")
    with pytest.raises(ValidationError):
        log.stats(range="today", group="monthly")
    with pytest.raises(ValidationError):
        log.stats(range="today", tz="Mars/Olympus")
    # without a range: the last 7 days before now
    assert log.stats(now=NOW).kpis["total"] == 0
