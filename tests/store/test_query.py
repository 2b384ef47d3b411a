"""Querying: every filter alone and combined, search, sorting, paging and counting.

Every expectation comes from a Python oracle over the events as they were recorded.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from activitylog import ActivityLog, ValidationError
from activitylog.settings import Settings

from ._support import ACTIONS, NOW, all_pages, by_time, eid, finds, ids, iso, search_text, user

Event = dict[str, Any]

USERS = [
    user("u_ava", "Ava Thompson"),
    user("u_ben", "Ben O'Neil"),
    user("u_cho", "Chloé Martin"),
    user("u_dan", "Dan_Smith"),
]
CYCLE = [
    "auth.signed_in",
    "contact.updated",
    "conversation.assigned",
    "contact.viewed",
    "settings.updated",
    "note.created",
    "auth.sign_in_failed",
]
RESULTS = ["success", "success", "warning", "failure"]


def dataset() -> list[Event]:
    """~70 events over ~10 days in acme (a few in globex), then some far older ones."""
    out: list[Event] = []
    for i in range(60):
        action = CYCLE[i % len(CYCLE)]
        e: Event = {
            "id": eid(i + 1),
            "workspace": "globex" if i % 10 == 9 else "acme",
            "occurred_at": NOW - timedelta(minutes=37 + i * 197, seconds=i),
            "actor": USERS[i % 4],
            "action": action,
            "result": RESULTS[(i // 2) % 4],
            "ip": f"10.0.{i % 3}.{i % 5 + 1}",
        }
        if action.startswith(("contact.", "conversation.")):
            kind = action.split(".")[0]
            prefix = {"contact": "c", "conversation": "cv"}[kind]
            e["subject"] = {"type": kind, "id": f"{prefix}_{i % 4}", "name": f"{kind} {i % 4}"}
        out.append(e)
    specials: list[Event] = [
        {"action": "note.created", "description": "Gave 50% off to snake_case users"},
        {"action": "note.created", "description": 'Said "hello" and it\'s fine'},
        {"action": "note.exported", "description": "Saved to C:\\temp\\notes.csv"},
        {
            "action": "contact.updated",
            "subject": {"type": "contact", "id": "c_ob", "name": "O'Brien & Co"},
        },
        {"action": "auth.signed_in", "ip": "2001:db8::1"},
        {
            "action": "impersonation.started",
            "layer": "platform",
            "actor": user("staff_1", "Support Sam"),
        },
        {
            "action": "billing.plan_changed",
            "layer": "platform",
            "actor": user("staff_1", "Support Sam"),
        },
        {"action": "contact.viewed", "occurred_at": NOW - timedelta(days=20, minutes=1)},
        {"action": "contact.viewed", "occurred_at": NOW - timedelta(days=40, minutes=2)},
        {"action": "contact.viewed", "occurred_at": NOW - timedelta(days=80, minutes=3)},
    ]
    for j, extra in enumerate(specials):
        out.append(
            {
                "id": eid(100 + j),
                "workspace": "acme",
                "occurred_at": NOW - timedelta(minutes=11 + j * 613, seconds=j),
                "actor": USERS[j % 4],
                "result": "success",
                "ip": f"192.0.2.{j + 1}",
                **extra,
            }
        )
    return out


@pytest.fixture(scope="module")
def loaded(module_log: ActivityLog) -> tuple[ActivityLog, list[Event]]:
    """The data set, recorded once per engine; the tests of this module only read it."""
    data = dataset()
    module_log.record_many(data)
    return module_log, [{**e, "layer": e.get("layer", "workspace")} for e in data]


@pytest.fixture
def log(loaded: tuple[ActivityLog, list[Event]]) -> ActivityLog:
    """The shared, read-only log (overrides the per-test ``log`` in this module)."""
    return loaded[0]


@pytest.fixture
def events(loaded: tuple[ActivityLog, list[Event]]) -> list[Event]:
    return loaded[1]


@pytest.fixture
def fresh(db_url: str, settings: Settings) -> Iterator[ActivityLog]:
    """A log of its own, for tests that record."""
    with ActivityLog(db_url, settings=settings) as own:
        yield own


def matching(events: list[Event], **want: Any) -> list[Event]:
    """The oracle: events passing every given condition."""
    since = want.pop("since", None)
    until = want.pop("until", None)
    out = []
    for e in events:
        category, verb, _kind, _label = ACTIONS[e["action"]]
        checks: dict[str, Callable[[Any], bool]] = {
            "workspace": lambda v, e=e: e["workspace"] == v,
            "users": lambda v, e=e: e["actor"]["id"] in v,
            "categories": lambda v, c=category: c in v,
            "verbs": lambda v, vb=verb: vb in v,
            "actions": lambda v, e=e: e["action"] in v,
            "results": lambda v, e=e: e["result"] in v,
            "layer": lambda v, e=e: e["layer"] == v,
            "subject_type": lambda v, e=e: (e.get("subject") or {}).get("type") == v,
            "subject_id": lambda v, e=e: (e.get("subject") or {}).get("id") == v,
            "ip": lambda v, e=e: e.get("ip") == v,
            "search": lambda v, e=e: finds(v, search_text(e)),
        }
        if since is not None and e["occurred_at"] < since:
            continue
        if until is not None and e["occurred_at"] >= until:
            continue
        if all(checks[name](value) for name, value in want.items()):
            out.append(e)
    return out


EVERYTHING = {"since": NOW - timedelta(days=365), "until": NOW}


def query_ids(log: ActivityLog, **filters: Any) -> list[str]:
    return ids(all_pages(log, **{**EVERYTHING, **filters}))


# -- the data set is what the oracle thinks it is ----------------------------------------
def test_dataset_as_stored(log: ActivityLog, events: list[Event]) -> None:
    stored = {e["id"]: e for e in log.export()}
    assert len(stored) == len(events) == 70
    for e in events:
        got = stored[e["id"]]
        category, verb, kind, label = ACTIONS[e["action"]]
        assert (got["category"], got["verb"], got["kind"], got["label"]) == (
            category,
            verb,
            kind,
            label,
        )
        assert got["occurred_at"] == iso(e["occurred_at"])


# -- single filters ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("filters", "oracle", "at_least"),
    [
        ({"workspace": "acme"}, {"workspace": "acme"}, 60),
        ({"workspace": "globex"}, {"workspace": "globex"}, 6),
        ({"workspace": "nobody"}, {"workspace": "nobody"}, 0),
        ({"users": ["u_ben"]}, {"users": {"u_ben"}}, 15),
        ({"users": ["u_ava", "u_dan", "nobody"]}, {"users": {"u_ava", "u_dan"}}, 30),
        ({"categories": ["auth"]}, {"categories": {"auth"}}, 15),
        ({"categories": ["inbox", "settings"]}, {"categories": {"inbox", "settings"}}, 15),
        ({"events": ["updated"]}, {"verbs": {"updated"}}, 15),
        ({"events": ["signed_in", "viewed"]}, {"verbs": {"signed_in", "viewed"}}, 15),
        ({"events": ["contact.updated"]}, {"actions": {"contact.updated"}}, 8),
        (
            {"events": ["contact.updated", "note.exported"]},
            {"actions": {"contact.updated", "note.exported"}},
            9,
        ),
        ({"results": ["failure"]}, {"results": {"failure"}}, 10),
        ({"results": ["warning", "failure"]}, {"results": {"warning", "failure"}}, 25),
        ({"layer": "platform"}, {"layer": "platform"}, 2),
        ({"layer": "workspace"}, {"layer": "workspace"}, 60),
        ({"ip": "10.0.1.2"}, {"ip": "10.0.1.2"}, 3),
        ({"ip": "2001:db8::1"}, {"ip": "2001:db8::1"}, 1),
        ({"subject_type": "contact"}, {"subject_type": "contact"}, 15),
        (
            {"subject_type": "contact", "subject_id": "c_1"},
            {"subject_type": "contact", "subject_id": "c_1"},
            3,
        ),
    ],
)
def test_single_filter(
    log: ActivityLog,
    events: list[Event],
    filters: dict[str, Any],
    oracle: dict[str, Any],
    at_least: int,
) -> None:
    expected = by_time(matching(events, **EVERYTHING, **oracle))
    assert len(expected) >= at_least
    assert query_ids(log, **filters) == expected
    assert log.count(**EVERYTHING, **filters) == len(expected)


def test_events_filter_mixing_verbs_and_actions_is_an_or(
    log: ActivityLog, events: list[Event]
) -> None:
    # "values of one filter with OR": the event filter may hold verbs and dotted actions.
    expected = by_time(
        e
        for e in matching(events, **EVERYTHING)
        if e["action"] in ("auth.signed_in", "contact.updated")
    )
    assert len(expected) >= 15
    assert query_ids(log, events=["signed_in", "contact.updated"]) == expected
    assert log.count(**EVERYTHING, events=["signed_in", "contact.updated"]) == len(expected)


def test_history_of_one_record(fresh: ActivityLog) -> None:
    log = fresh
    events = [{**e, "layer": e.get("layer", "workspace")} for e in dataset()]
    log.record_many(events)
    history = log.query(subject_type="contact", subject_id="c_ob", **EVERYTHING)
    assert [e["subject"] for e in history.items] == [
        {"type": "contact", "id": "c_ob", "name": "O'Brien & Co"}
    ]
    expected = by_time(
        matching(events, **EVERYTHING, subject_type="conversation", subject_id="cv_2")
    )
    assert len(expected) >= 2
    assert query_ids(log, subject_type="conversation", subject_id="cv_2") == expected
    assert query_ids(log, subject_id="cv_2") == expected
    # the type narrows: a contact and a conversation may share an id
    log.record(
        workspace="acme", action="contact.updated", subject={"type": "contact", "id": "cv_2"}
    )
    assert query_ids(log, subject_type="conversation", subject_id="cv_2") == expected
    assert len(query_ids(log, subject_id="cv_2", until=None)) == len(expected) + 1


def test_ip_filter_accepts_any_spelling_of_an_address(
    log: ActivityLog, events: list[Event]
) -> None:
    # Recorded IPs are normalised ("2001:DB8:0::1" -> "2001:db8::1"); so should the filter be.
    assert len(query_ids(log, ip="2001:db8::1")) == 1
    assert query_ids(log, ip="2001:DB8:0:0::1") == query_ids(log, ip="2001:db8::1")


def test_unknown_filter_values_are_rejected(log: ActivityLog) -> None:
    with pytest.raises(ValidationError) as info:
        log.query(results=["ok"], layer="global")
    assert {e.field for e in info.value.errors} == {"result", "layer"}
    with pytest.raises(ValidationError):
        log.query(colour="red")
    with pytest.raises(ValidationError):
        log.query(range="last_century")
    with pytest.raises(ValidationError):
        log.query(range="today", since="2026-03-01")
    with pytest.raises(ValidationError):
        log.query(since="2026-03-04", until="2026-03-01")


# -- time ------------------------------------------------------------------------------
def local_midnight(day: tuple[int, int, int], tz: str) -> datetime:
    return datetime(*day, tzinfo=ZoneInfo(tz)).astimezone(UTC)


#: Calendar windows (first day, day after the last) for NOW = Wednesday 2026-03-04.
PRESET_DAYS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "today": ((2026, 3, 4), (2026, 3, 5)),
    "yesterday": ((2026, 3, 3), (2026, 3, 4)),
    "this_week": ((2026, 3, 2), (2026, 3, 9)),
    "last_7_days": ((2026, 2, 26), (2026, 3, 5)),
    "last_30_days": ((2026, 2, 3), (2026, 3, 5)),
    "last_90_days": ((2025, 12, 5), (2026, 3, 5)),
    "this_month": ((2026, 3, 1), (2026, 4, 1)),
    "last_month": ((2026, 2, 1), (2026, 3, 1)),
}


def window(preset: str, tz: str = "UTC") -> tuple[datetime, datetime]:
    if preset == "last_24_hours":
        return NOW - timedelta(hours=24), NOW
    first, after = PRESET_DAYS[preset]
    return local_midnight(first, tz), local_midnight(after, tz)


@pytest.mark.parametrize(
    "preset",
    [
        "today",
        "yesterday",
        "this_week",
        "last_7_days",
        "last_30_days",
        "last_90_days",
        "this_month",
        "last_month",
        "last_24_hours",
    ],
)
def test_range_presets(log: ActivityLog, events: list[Event], preset: str) -> None:
    since, until = window(preset)
    expected = by_time(matching(events, since=since, until=until))
    assert expected
    assert ids(all_pages(log, range=preset, now=NOW)) == expected
    assert log.count(range=preset, now=NOW) == len(expected)


def test_range_presets_in_a_time_zone(log: ActivityLog, events: list[Event]) -> None:
    # New York: UTC-5, then UTC-4 from 2026-03-08 (inside this week and this month)
    for preset in ("today", "yesterday", "this_week", "this_month"):
        since, until = window(preset, "America/New_York")
        assert since.hour == 5
        expected = by_time(matching(events, since=since, until=until))
        assert expected
        got = ids(all_pages(log, range=preset, now=NOW, tz="America/New_York"))
        assert got == expected, preset
        in_utc = window(preset)
        assert expected != by_time(matching(events, since=in_utc[0], until=in_utc[1]))


def test_without_a_range_a_query_shows_the_last_seven_days(
    log: ActivityLog, events: list[Event]
) -> None:
    since, until = window("last_7_days")
    expected = by_time(matching(events, since=since, until=until))
    assert ids(all_pages(log, now=NOW)) == expected
    # count and export default to all time
    assert log.count() == len(events)
    assert len(list(log.export())) == len(events)


@pytest.mark.parametrize(
    ("since", "until", "tz", "expected_window"),
    [
        (
            "2026-03-01",
            "2026-03-02",
            "UTC",
            (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)),
        ),
        (
            "2026-03-01",
            "2026-03-02",
            "Asia/Tokyo",
            (datetime(2026, 2, 28, 15, tzinfo=UTC), datetime(2026, 3, 2, 15, tzinfo=UTC)),
        ),
        (
            "2026-03-01T06:15:00Z",
            "2026-03-03T18:45:30+02:00",
            "UTC",
            (datetime(2026, 3, 1, 6, 15, tzinfo=UTC), datetime(2026, 3, 3, 16, 45, 30, tzinfo=UTC)),
        ),
        (
            "2026-03-01T06:15:00",
            None,
            "America/New_York",
            (datetime(2026, 3, 1, 11, 15, tzinfo=UTC), None),
        ),
        (None, "2026-02-20", "UTC", (None, datetime(2026, 2, 21, tzinfo=UTC))),
        (
            datetime(2026, 3, 2, 7, 30, tzinfo=UTC),
            datetime(2026, 3, 3, 19, 5, tzinfo=UTC),
            "UTC",
            (datetime(2026, 3, 2, 7, 30, tzinfo=UTC), datetime(2026, 3, 3, 19, 5, tzinfo=UTC)),
        ),
    ],
)
def test_custom_since_until(
    log: ActivityLog,
    events: list[Event],
    since: Any,
    until: Any,
    tz: str,
    expected_window: tuple[datetime | None, datetime | None],
) -> None:
    lo, hi = expected_window
    expected = by_time(matching(events, since=lo, until=hi))
    assert expected
    got = ids(all_pages(log, since=since, until=until, tz=tz))
    assert got == expected
    assert log.count(since=since, until=until, tz=tz) == len(expected)


def test_naive_datetimes_are_read_in_the_selection_time_zone(
    log: ActivityLog, events: list[Event]
) -> None:
    # A naive datetime bound means the same as the equivalent naive ISO string.
    as_text = ids(all_pages(log, since="2026-03-01T06:00:00", until="2026-03-03", tz="Asia/Tokyo"))
    as_datetime = ids(
        all_pages(log, since=datetime(2026, 3, 1, 6, 0), until="2026-03-03", tz="Asia/Tokyo")
    )
    assert as_text
    assert as_datetime == as_text


# -- combined ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("filters", "oracle"),
    [
        (
            {"workspace": "acme", "users": ["u_ava", "u_ben"], "categories": ["auth", "contacts"]},
            {"workspace": "acme", "users": {"u_ava", "u_ben"}, "categories": {"auth", "contacts"}},
        ),
        (
            {
                "workspace": "acme",
                "results": ["success"],
                "events": ["updated"],
                "search": "contact",
            },
            {
                "workspace": "acme",
                "results": {"success"},
                "verbs": {"updated"},
                "search": "contact",
            },
        ),
        ({"users": ["u_cho"], "ip": "10.0.2.3"}, {"users": {"u_cho"}, "ip": "10.0.2.3"}),
        (
            {
                "layer": "workspace",
                "categories": ["auth"],
                "results": ["failure", "warning"],
                "search": "sign",
            },
            {
                "layer": "workspace",
                "categories": {"auth"},
                "results": {"failure", "warning"},
                "search": "sign",
            },
        ),
        (
            {"subject_type": "contact", "users": ["u_ben", "u_dan"], "search": "10.0"},
            {"subject_type": "contact", "users": {"u_ben", "u_dan"}, "search": "10.0"},
        ),
    ],
)
@pytest.mark.parametrize(
    "span",
    [
        (NOW - timedelta(days=365), NOW),
        (NOW - timedelta(days=5, hours=7, minutes=13), NOW - timedelta(days=1, minutes=41)),
    ],
)
def test_combined_filters(
    log: ActivityLog,
    events: list[Event],
    filters: dict[str, Any],
    oracle: dict[str, Any],
    span: tuple[datetime, datetime],
) -> None:
    since, until = span
    expected = by_time(matching(events, since=since, until=until, **oracle))
    got = ids(all_pages(log, since=since, until=until, **filters))
    assert got == expected
    assert log.count(since=since, until=until, **filters) == len(expected)


# -- search ------------------------------------------------------------------------------
SEARCHES: dict[str, list[tuple[str, int]]] = {
    "fields": [
        ("ava", 10),  # actor name
        ("assigned conv", 5),  # label
        ("conversation.assigned", 5),  # action
        ("snake_case", 1),  # description
        ("conversation 3", 1),  # subject name
        ("contact", 15),  # subject type (and labels)
        ("10.0.2", 10),  # ip
        ("2001:db8", 1),
    ],
    "not searched": [
        ("inbox", 0),  # a category
        ("c_1", 0),  # a subject id
        ("acme", 0),  # a workspace
    ],
    "words and their beginnings only": [
        ("thom", 10),
        ("hompson", 0),  # inside a word
        ("nversation", 0),
        ("ava thompson", 10),
        ("thompson ava", 0),  # out of order
        ("ava thom", 10),
    ],
    "case, accents and spacing": [
        ("AVA THOMPSON", 10),
        ("chloé", 10),
        ("CHLOÉ", 10),
        ("chloe", 10),
        ("  ava  ", 10),
        ("ava    thompson", 10),
    ],
    "one or two characters": [("é", 1), ("av", 10), ("zz", 0), ("o", 10), ("3", 1)],
    "punctuation separates words": [
        ("50%", 1),
        ("d_c", 0),  # not "updated contact": no word "d"
        ("c:\\temp", 1),
        ("o'neil", 10),
        ("o neil", 10),
        ("ava.thompson", 10),
    ],
    "quotes": [
        ('"hello"', 1),
        ("it's", 1),
        ("o'brien & co", 1),
    ],
    "no injection": [
        ("'; DROP TABLE events; --", 0),
        ('") OR 1=1 --', 0),
        ("' OR '1'='1", 0),
    ],
    "full-text syntax is literal": [
        ("ava OR ben", 0),
        ("sam*", 1),  # a word beginning: "Sam"
        ("NEAR(ava ben)", 0),
        ("-ava", 10),
        ("ava AND ben", 0),
        ("signed:in", 1),
        ("{ava}", 10),
    ],
}


@pytest.mark.parametrize("group", list(SEARCHES))
def test_search(log: ActivityLog, events: list[Event], group: str) -> None:
    for term, at_least in SEARCHES[group]:
        expected = by_time(matching(events, **EVERYTHING, search=term))
        assert len(expected) >= at_least, term
        assert query_ids(log, search=term) == expected, term
        assert log.count(**EVERYTHING, search=term) == len(expected), term
    assert log.count() == len(events)  # the table is still there


def test_search_inside_a_window(log: ActivityLog, events: list[Event]) -> None:
    since, until = NOW - timedelta(days=3, minutes=7), NOW - timedelta(hours=9, minutes=2)
    for term in ("ava", "contact", "sign", "10", "o'neil"):
        expected = by_time(matching(events, since=since, until=until, search=term))
        assert ids(all_pages(log, since=since, until=until, search=term)) == expected, term


def test_search_inside_a_workspace_under_its_access_rules(
    log: ActivityLog, events: list[Event]
) -> None:
    """A workspace admin's search (on SQLite answered by the search index alone: the
    workspace and the layers it may see are in it) finds what the rule and the access
    rules say, page by page, by cursor either way and oldest first; a member's too."""
    from activitylog.access import Viewer

    admin = {"viewer": Viewer("u_ava", "admin", "acme"), "workspace": "acme", **EVERYTHING}
    member = {
        "viewer": Viewer("u_ben", "member", "acme", "own"),
        "workspace": "acme",
        "scope": "mine",
    }

    def visible(e: Event, layer: str | None) -> bool:
        impersonation = e["action"].startswith("impersonation.")
        seen = e["workspace"] == "acme" and (e["layer"] == "workspace" or impersonation)
        return seen and layer in (None, e["layer"])

    for term in ("sam", "contact", "10.0.1", "sign", "nothing"):
        for layer in (None, "workspace", "platform"):
            asked = {**admin, "search": term, **({"layer": layer} if layer else {})}
            wanted = [e for e in matching(events, **EVERYTHING, search=term) if visible(e, layer)]
            expected = by_time(wanted)
            assert ids(all_pages(log, per_page=10, **asked)) == expected, (term, layer)
            assert ids(all_pages(log, sort="time", **asked)) == expected[::-1], (term, layer)
            forward: list[str] = []
            page = log.query(limit=2, **asked)
            while True:
                forward += ids(page.items)
                if page.next_cursor is None:
                    break
                page = log.query(limit=2, after=page.next_cursor, **asked)
            assert forward == expected, (term, layer)
            if page.prev_cursor is not None:
                shown = len(forward) - len(page.items)
                back = log.query(limit=2, before=page.prev_cursor, **asked)
                assert ids(back.items) == forward[shown - 2 : shown], (term, layer)
        own = [e for e in matching(events, **EVERYTHING, search=term) if visible(e, "workspace")]
        own = [e for e in own if e["actor"]["id"] == "u_ben"]
        assert ids(all_pages(log, **EVERYTHING, search=term, **member)) == by_time(own), term


def test_search_longer_than_the_limit_is_rejected(log: ActivityLog) -> None:
    assert log.query(search="x" * 200, **EVERYTHING).total == 0
    with pytest.raises(ValidationError) as info:
        log.query(search="x" * 201)
    assert [e.field for e in info.value.errors] == ["search"]


def test_blank_search_is_no_filter(log: ActivityLog, events: list[Event]) -> None:
    assert log.count(search="   ") == log.count(search="") == len(events)


@pytest.mark.parametrize("term", ["%", "_", "'", '"', "\\", "\\%", "-", " * "])
def test_search_without_a_word_is_rejected(log: ActivityLog, term: str) -> None:
    with pytest.raises(ValidationError) as info:
        log.query(search=term)
    assert [e.field for e in info.value.errors] == ["search"]
    assert "letter or digit" in info.value.errors[0].reason


# -- sorting and paging ------------------------------------------------------------------
SORT_KEYS: dict[str, Callable[[Event], Any]] = {
    "time": lambda e: e["occurred_at"],
    "actor": lambda e: e["actor"]["name"].lower(),
    "category": lambda e: ACTIONS[e["action"]][0],
    "verb": lambda e: ACTIONS[e["action"]][1],
    "ip": lambda e: e["ip"],
    "result": lambda e: e["result"],
}


def sorted_ids(events: list[Event], key: str, descending: bool) -> list[str]:
    """Sorted by ``key``; ties newest first (both directions)."""
    newest_first = sorted(events, key=lambda e: e["occurred_at"], reverse=True)
    return ids(sorted(newest_first, key=SORT_KEYS[key], reverse=descending))


@pytest.mark.parametrize("key", list(SORT_KEYS))
def test_sort(log: ActivityLog, events: list[Event], key: str) -> None:
    span = matching(events, workspace="acme", **EVERYTHING)
    for spelling, descending in (
        (key, False),
        (f"-{key}", True),
        (f"{key}:asc", False),
        (f"{key}:desc", True),
    ):
        got = ids(all_pages(log, workspace="acme", sort=spelling, per_page=25, **EVERYTHING))
        assert got == sorted_ids(span, key, descending), spelling


def test_sort_puts_missing_values_last_on_every_engine(fresh: ActivityLog) -> None:
    log = fresh
    # Events without an actor name or IP must sort the same on SQLite and PostgreSQL
    # (the contract asserted here: empty values last in both directions).
    recorded = log.record_many(
        [
            {
                "workspace": "acme",
                "action": "note.created",
                "actor": user("u_b", "Bea"),
                "ip": "10.0.0.2",
                "occurred_at": NOW - timedelta(minutes=3),
            },
            {
                "workspace": "acme",
                "action": "note.created",
                "actor": user("u_x"),
                "occurred_at": NOW - timedelta(minutes=2),
            },
            {
                "workspace": "acme",
                "action": "note.created",
                "actor": user("u_a", "Al"),
                "ip": "10.0.0.1",
                "occurred_at": NOW - timedelta(minutes=1),
            },
        ]
    )
    bea, nameless, al = ids(recorded)
    assert ids(log.query(sort="actor:asc", now=NOW).items) == [al, bea, nameless]
    assert ids(log.query(sort="actor:desc", now=NOW).items) == [bea, al, nameless]
    assert ids(log.query(sort="ip:asc", now=NOW).items) == [al, bea, nameless]
    assert ids(log.query(sort="ip:desc", now=NOW).items) == [bea, al, nameless]


def test_actor_sort_ignores_case(fresh: ActivityLog) -> None:
    names = ["ben", "Ava", "chloe", "Dan"]
    fresh.record_many(
        [{"workspace": "acme", "action": "note.created", "actor": user(f"u_{n}", n)} for n in names]
    )
    page = fresh.query(workspace="acme", sort="actor", range="today")
    assert [e["actor"]["name"] for e in page.items] == ["Ava", "ben", "chloe", "Dan"]


def test_bad_sort_is_rejected(log: ActivityLog) -> None:
    for bad in ("colour", "time:up", "-actor:sideways"):
        with pytest.raises(ValidationError) as info:
            log.query(sort=bad)
        assert [e.field for e in info.value.errors] == ["sort"]


@pytest.mark.parametrize("per_page", [10, 20, 25, 50, 100])
def test_pages_concatenate_to_the_full_list(
    log: ActivityLog, events: list[Event], per_page: int
) -> None:
    for sort, key, descending in (
        ("-time", "time", True),
        ("actor:asc", "actor", False),
        ("-result", "result", True),
    ):
        expected = sorted_ids(matching(events, **EVERYTHING), key, descending)
        pages = []
        page = 1
        while True:
            result = log.query(sort=sort, page=page, per_page=per_page, **EVERYTHING)
            assert result.total == len(expected)
            assert (result.page, result.per_page) == (page, per_page)
            assert len(result.items) <= per_page
            if not result.items:
                break
            pages.append(ids(result.items))
            page += 1
        assert [len(p) for p in pages[:-1]] == [per_page] * (len(pages) - 1)
        flat = [i for p in pages for i in p]
        assert flat == expected, sort
        assert len(set(flat)) == len(flat)
    assert page == -(-len(events) // per_page) + 1


def test_bad_pages_are_rejected(log: ActivityLog) -> None:
    with pytest.raises(ValidationError):
        log.query(per_page=15)
    with pytest.raises(ValidationError):
        log.query(page=0)


# -- counting: the rollup path agrees with the raw one ----------------------------------
def test_counts_via_rollups_equal_raw_counts(log: ActivityLog, events: list[Event]) -> None:
    rng = random.Random(1234)
    all_ids = ids(events)
    windows: list[tuple[datetime | None, datetime | None]] = [(None, None)]
    windows += [
        (NOW - timedelta(days=2, minutes=13), None),
        (None, NOW - timedelta(hours=30, seconds=7)),
    ]
    windows += [(NOW - timedelta(hours=h), NOW - timedelta(hours=h - 1)) for h in (3, 27, 50)]
    for _ in range(12):
        start = NOW - timedelta(minutes=rng.randrange(0, 12 * 24 * 60), seconds=rng.randrange(60))
        length = timedelta(minutes=rng.randrange(1, 4 * 24 * 60), microseconds=rng.randrange(10**6))
        windows.append((start - length, start))
    windows.append((NOW - timedelta(hours=7, minutes=20), NOW - timedelta(hours=7, minutes=5)))
    for since, until in windows:
        for dims, oracle in (
            ({}, {}),
            ({"users": ["u_ava", "u_cho"]}, {"users": {"u_ava", "u_cho"}}),
            (
                {"events": ["updated"], "results": ["success"]},
                {"verbs": {"updated"}, "results": {"success"}},
            ),
            ({"layer": "platform"}, {"layer": "platform"}),
        ):
            expected = len(matching(events, since=since, until=until, **oracle))
            rollup = log.count(since=since, until=until, **dims)
            raw = log.count(since=since, until=until, ids=all_ids, **dims)  # ids force raw rows
            assert rollup == raw == expected, (since, until, dims)


def test_ip_counts_match_python(log: ActivityLog, events: list[Event]) -> None:
    since, until = NOW - timedelta(days=4, minutes=45), NOW - timedelta(hours=2, minutes=15)
    in_window = matching(events, since=since, until=until)
    for ip in sorted({e["ip"] for e in in_window}):
        expected = sum(1 for e in in_window if e["ip"] == ip)
        assert log.count(since=since, until=until, ip=ip) == expected, ip


def test_reusing_counts_answers_each_question_once_in_its_block(
    log: ActivityLog, events: list[Event]
) -> None:
    from sqlalchemy import event as sa_event

    from activitylog.access import OPERATOR, visibility_for
    from activitylog.query import Filters

    store = log.store
    vis = visibility_for(OPERATOR, "workspace", None)
    searched = Filters(since=NOW - timedelta(days=3), search="refund")  # no rollup applies
    other = Filters(since=NOW - timedelta(days=2), search="refund")
    statements: list[str] = []

    def asked(question: Callable[[], Any]) -> tuple[Any, int]:
        before = len(statements)
        return question(), len(statements) - before

    sa_event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    once, cost = asked(lambda: store.counts(vis, searched, ("category",)))
    assert cost > 0
    with store.reusing_counts():
        first, first_cost = asked(lambda: store.counts(vis, searched, ("category",)))
        with store.reusing_counts():  # a block inside shares the answers
            again, again_cost = asked(lambda: store.counts(vis, searched, ("category",)))
        differs, differs_cost = asked(lambda: store.counts(vis, other, ("category",)))
    after, after_cost = asked(lambda: store.counts(vis, searched, ("category",)))
    assert first == again == once == after
    assert (first_cost, again_cost, after_cost) == (cost, 0, cost)
    assert differs_cost > 0
    assert differs == store.counts(vis, other, ("category",))


def test_counts_in_a_reusing_block_equal_counts_asked_alone(log: ActivityLog) -> None:
    """Inside the block, questions no rollup covers (counts, actors' names and last-seen
    times) are answered from one scan of the matching rows by every dimension: the answers
    must be the ones asked alone."""
    from activitylog.access import OPERATOR, Viewer, visibility_for
    from activitylog.query import Filters

    rng = random.Random(77)
    store = log.store
    viewers = [
        visibility_for(OPERATOR, "workspace", None),
        visibility_for(Viewer("u_ava", "admin", "acme"), "workspace", "acme"),
        visibility_for(Viewer("u_ben", "member", "acme", "own"), "mine", "acme"),
    ]
    dimension_filters: list[dict[str, Any]] = [
        {},
        {"actor_ids": ("u_ava", "u_cho")},
        {"categories": ("auth",)},
        {"verbs": ("signed_in",)},
        {"verbs": ("updated",), "actions": ("note.created",)},
        {"results": ("success", "warning")},
        {"layers": ("platform",)},
        {"categories": ("contacts", "inbox"), "results": ("failure",)},
    ]
    groupings: list[tuple[Any, ...]] = [
        (),
        ("category",),
        ("actor_id",),
        ("verb",),
        ("hour", "kind"),
        ("quarter", "kind"),
        ("kind", "category", "actor_id"),
    ]
    matched: set[str] = set()
    for term in ("upd", "10.0.1", "sam", "nothing-matches"):
        for _ in range(3):
            since = NOW - timedelta(days=rng.randrange(1, 15), minutes=rng.randrange(60))
            until = NOW - timedelta(minutes=rng.randrange(0, 600))
            vis = rng.choice(viewers)
            questions = [
                (Filters(since=since, until=until, search=term, **extra), dims)
                for extra in dimension_filters
                for dims in groupings
            ]
            actors = ["u_ava", "u_ben", "u_cho", "u_dan", "staff_1", "nobody"]
            people = [
                Filters(since=since, until=until, search=term, **x) for x in dimension_filters
            ]
            alone = [sorted(store.counts(vis, f, d)) for f, d in questions]
            seen_alone = [store.actor_summaries(vis, f, actors) for f in people]
            with store.reusing_counts():
                reused = [sorted(store.counts(vis, f, d)) for f, d in questions]
                seen_reused = [store.actor_summaries(vis, f, actors) for f in people]
            assert reused == alone, (term, since, until, vis)
            assert seen_reused == seen_alone, (term, since, until, vis)
            if any(alone):
                matched.add(term)
    assert {"upd", "10.0.1"} <= matched
    assert "nothing-matches" not in matched


def test_roles_filter_by_the_actors_role_when_recorded(log: ActivityLog) -> None:
    """``roles`` matches ``actor.role`` as each entry recorded it (a person promoted later
    keeps their old role on old entries); entries without a role match none."""
    when = NOW - timedelta(hours=2)
    recorded = [
        ("u_ava", "owner"),
        ("u_ben", "member"),
        ("u_ben", "admin"),  # promoted since
        ("u_cho", "viewer"),
        ("u_dan", None),
    ]
    log.record_many(
        [
            {
                "workspace": "roles",
                "action": "contact.updated",
                "occurred_at": when + timedelta(minutes=i),
                "actor": {"id": uid, "name": uid, **({"role": role} if role else {})},
            }
            for i, (uid, role) in enumerate(recorded)
        ]
    )
    window = {"workspace": "roles", "since": NOW - timedelta(days=1), "until": NOW}

    def actors(*roles: str) -> list[tuple[str, str | None]]:
        page = log.query(roles=list(roles), sort="time", per_page=100, **window)
        return [(e["actor"]["id"], e["actor"].get("role")) for e in page.items]

    assert actors("member") == [("u_ben", "member")]
    assert actors("admin", "owner") == [("u_ava", "owner"), ("u_ben", "admin")]
    assert actors() == recorded
    assert log.count(roles=("viewer",), **window) == 1
    with log.reusing_counts():  # the page's one-scan path counts the same
        assert log.stats(roles=["member", "viewer"], **window).kpis["total"] == 2
    assert log.stats(roles=["member", "viewer"], **window).kpis["total"] == 2
    assert [e["actor"]["id"] for e in log.export(roles=["owner"], **window)] == ["u_ava"]


@pytest.mark.parametrize("bad", ["superuser", "Owner", ""])
def test_unknown_roles_are_refused_naming_the_value(log: ActivityLog, bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        log.query(workspace="acme", roles=["admin", bad])
    assert [e.field for e in info.value.errors] == ["roles"]
    assert repr(bad) in info.value.errors[0].reason
