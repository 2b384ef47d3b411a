"""The ClickHouse engine's counts kept ahead in hourly projections: the same answers as
the rows give, for windows with partial hours, filters the projections answer and filters
they cannot, after deletions, a purge and a reindex; a log made before them gets them,
filled from the rows it holds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from activitylog import ActivityLog
from activitylog.access import Visibility
from activitylog.events import micros
from activitylog.purging import purge_workspace
from activitylog.query import Filters
from activitylog.settings import Settings
from activitylog.timeranges import previous_window

from ._support import ACTIONS, NOW, ago, eid, event, iso, user

pytestmark = pytest.mark.clickhouse

ACTORS: list[dict[str, str]] = [
    user("u_ana", "Ana"),
    user("u_bo", "Bo"),
    user("u_cy", "Cy"),
    {"name": "cron"},
]
IPS = ["10.0.0.1", "10.0.0.2", "192.0.2.7", None, "198.51.100.3"]
HOUR = NOW.replace(minute=0)
#: Entries in June 2025, 15 minutes apart: what a purge removes.
OLD = [
    event(id=eid(1000 + i), occurred_at=f"2025-06-15T{i // 4:02d}:{i % 4 * 15:02d}:00Z")
    for i in range(30)
]
#: Windows with partial hours at both ends, whole hours only, and none.
WINDOWS = [
    (ago(days=2, minutes=17), ago(minutes=43)),
    (HOUR - timedelta(hours=30), HOUR),
    (None, None),
]
FILTERS = [
    Filters(),
    Filters(categories=("contacts", "auth")),
    Filters(verbs=("signed_in", "updated")),
    Filters(verbs=("viewed",), actions=("note.created",)),
    Filters(actor_ids=("u_ana",), results=("failure",)),
    Filters(layers=("platform",)),
    # columns the projections lack: the rows are read
    Filters(ip="10.0.0.1"),
    Filters(search="note"),
    Filters(subject_type="contact"),
]
VISIBILITIES = [
    Visibility("acme", None, "all"),
    Visibility("acme", None, "workspace_and_impersonation"),
    Visibility("acme", "u_bo", "workspace"),
    Visibility(None, None, "all"),
]
DIMS: list[tuple[Any, ...]] = [
    (),
    ("hour", "kind"),
    ("kind",),
    ("category",),
    ("actor_id",),
    ("action",),
    ("quarter", "kind"),
]


def spread(n: int = 150, first: int = 0) -> list[dict[str, Any]]:
    """``n`` events every 23 minutes back from now, across actions, actors, IPs, results,
    both layers and two workspaces."""
    actions = list(ACTIONS)
    out = []
    for i in range(first, first + n):
        action = actions[i % len(actions)]
        e = event(
            action,
            id=eid(i),
            occurred_at=iso(ago(minutes=23 * i + 1)),
            actor=ACTORS[i % len(ACTORS)],
            result="failure" if i % 7 == 0 else "success",
            workspace="globex" if i % 5 == 0 else "acme",
        )
        if IPS[i % len(IPS)] is not None:
            e["ip"] = IPS[i % len(IPS)]
        if action == "impersonation.started" or i % 11 == 0:
            e["layer"] = "platform"
        if action.startswith("contact"):
            e["subject"] = {"type": "contact", "id": f"c_{i % 3}"}
        out.append(e)
    return out


@pytest.fixture
def chlog(chdb_url: Callable[[], str], settings: Settings) -> Iterator[ActivityLog]:
    with ActivityLog(chdb_url(), settings=settings) as log:
        log.record_many(OLD)  # first: a purge takes the oldest seqs
        log.record_many(spread())
        yield log


def answers(store: Any, vis: Visibility, filters: Filters) -> dict[str, Any]:
    """Every counting question of the store, asked alone and as the page asks them (in
    one reusing block)."""
    people = ["u_ana", "u_bo", "u_cy", "u_nobody"]
    out: dict[str, Any] = {str(d): set(store.counts(vis, filters, d)) for d in DIMS}
    out["ips"] = store.unique_ips(vis, filters)
    out["actors"] = store.actor_summaries(vis, filters, people)
    with store.reusing_counts():
        signed_in = replace(filters, verbs=("signed_in",), actions=())
        out["page"] = [
            set(store.counts(vis, filters, ("hour", "kind"))),
            set(store.counts(vis, filters, ())),
            set(store.counts(vis, filters, ("kind",))),
            set(store.counts(vis, signed_in, ("kind",))),
            set(store.counts(vis, filters, ("category",))),
            set(store.counts(vis, filters, ("actor_id",))),
            store.unique_ips(vis, filters),
            store.actor_summaries(vis, filters, people),
            set(store.counts(vis, earlier(filters), ())),
        ]
    return out


def earlier(filters: Filters) -> Filters:
    """The filters of the window before ``filters``' (the page compares its total with
    it); an open window stays open."""
    if filters.since is None or filters.until is None:
        return filters
    since, until = previous_window(filters.since, filters.until)
    return replace(filters, since=since, until=until)


@contextmanager
def rows_only(store: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The store counting the rows: no question sent to the projections, and ClickHouse
    told to use none."""
    from activitylog.store.clickhouse import counting

    client = store.db.client
    query = client.query

    def without_projections(*args: Any, **kwargs: Any) -> Any:
        kwargs["settings"] = {**(kwargs.get("settings") or {}), "optimize_use_projections": 0}
        return query(*args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(counting, "projected", lambda *args, **kwargs: False)
        patched.setattr(client, "query", without_projections)
        yield


def assert_same_as_the_rows(
    log: ActivityLog, monkeypatch: pytest.MonkeyPatch, windows: list[Any] = WINDOWS
) -> None:
    store: Any = log.store
    for w, (since, until) in enumerate(windows):
        for f, base in enumerate(FILTERS):  # each filter under a visibility in turn
            vis = VISIBILITIES[(w + f) % len(VISIBILITIES)]
            filters = replace(base, since=since, until=until)
            projected = answers(store, vis, filters)
            with rows_only(store, monkeypatch):
                counted = answers(store, vis, filters)
            assert projected == counted, (vis, filters)


def test_counts_from_the_projections_are_the_rows_counts(
    chlog: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_same_as_the_rows(chlog, monkeypatch)
    store: Any = chlog.store
    [(total,)] = store.counts(Visibility(None, None, "all"), Filters(), ())
    assert total == 150 + len(OLD)


def test_the_whole_hours_are_read_from_the_projections(chlog: ActivityLog) -> None:
    from clickhouse_connect.driver.binding import finalize_query

    from activitylog.store.clickhouse import counting, reads
    from activitylog.store.clickhouse.connection import _sql

    store: Any = chlog.store
    vis = Visibility("acme", None, "workspace_and_impersonation")
    since, until = WINDOWS[0]
    question = reads._question(vis, Filters(since=since, until=until))
    for stmt, projections in (
        (counting.by_hour_and_kind(question), {"kinds_by_hour"}),
        (counting.counts(question, ("category",)), {"kinds_by_hour"}),
        (counting.actors(question), {"actors_by_day", "actors_by_hour"}),
        (counting.unique_ips(question), {"ips_by_day", "ips_by_hour"}),
        (counting.counts(question, ("action", "actor_id")), {"counts_by_hour"}),
    ):
        plan = store.db.rows(f"EXPLAIN projections = 1 {finalize_query(*_sql(stmt, None))}")
        read = [line.split("(")[-1].rstrip(") ") for (line,) in plan if "ReadFromMergeTree" in line]
        # each partial hour at the ends from the rows, the rest from the projections
        assert sum(name.endswith(".events") for name in read) == 2, plan
        assert {name for name in read if not name.endswith(".events")} == projections, plan


def test_the_pages_counts_are_one_statement_read_from_the_projections(
    chlog: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's questions of one window (by hour and kind, in all, by kind, category and
    actor, the actors' summaries, the unique IPs, the total of the window before) cost one
    statement, each part of it on its projection but the partial hours at the windows'
    ends."""
    from clickhouse_connect.driver.binding import finalize_query

    from activitylog.store.clickhouse import counting, reads
    from activitylog.store.clickhouse.connection import _sql

    store: Any = chlog.store
    vis = Visibility("acme", None, "workspace_and_impersonation")
    since, until = WINDOWS[0]
    filters = Filters(since=since, until=until)
    statement = counting.page(reads._question(vis, filters), reads._question(vis, earlier(filters)))
    plan = store.db.rows(f"EXPLAIN projections = 1 {finalize_query(*_sql(statement, None))}")
    read = [line.split("(")[-1].rstrip(") ") for (line,) in plan if "ReadFromMergeTree" in line]
    assert sum(name.endswith(".events") for name in read) == 2 * 4, plan
    assert {name for name in read if not name.endswith(".events")} == {
        "kinds_by_hour",
        "actors_by_day",
        "actors_by_hour",
        "ips_by_day",
        "ips_by_hour",
    }, plan
    sent: list[Any] = []
    rows = store.db.rows
    monkeypatch.setattr(store.db, "rows", lambda *a, **k: sent.append(a[0]) or rows(*a, **k))
    with store.reusing_counts():
        store.counts(vis, filters, ("hour", "kind"))
        store.counts(vis, filters, ("category",))
        store.counts(vis, filters, ("actor_id",))
        store.actor_summaries(vis, filters, ["u_ana", "u_bo"])
        store.unique_ips(vis, filters)
        store.counts(vis, earlier(filters), ())
    assert len(sent) == 1, sent


def test_deleted_and_purged_rows_are_not_counted(
    chlog: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    store: Any = chlog.store
    everyone = Visibility(None, None, "all")
    chlog.delete([eid(i) for i in (1, 2, 3, 40, 41)], by="ava@acme.example", reason="asked")
    [(total,)] = store.counts(everyone, Filters(), ())
    assert total == 150 + len(OLD) - 5 + 2  # the two workspaces' deletion records
    # each step against the window it changes (the deleted entries are of the last two
    # days, the purged ones of June 2025, the rewritten copies of the last 30 hours)
    assert_same_as_the_rows(chlog, monkeypatch, WINDOWS[:1])
    # entries purged up to a kept checkpoint
    purged = purge_workspace(store, chlog.catalog, "acme", micros(ago(days=100)))
    assert purged.removed == len(OLD)
    assert_same_as_the_rows(chlog, monkeypatch, WINDOWS[2:])
    # a copy column changed in a deleted row and a kept one, the kept one's rewritten by
    # reindex (mutations rebuild the projections of the parts they change)
    store.db.run(
        "ALTER TABLE events UPDATE category = 'x' WHERE id IN %(ids)s SETTINGS mutations_sync = 2",
        {"ids": (eid(2), eid(61))},
    )
    assert store.reindex() == 1
    assert_same_as_the_rows(chlog, monkeypatch, WINDOWS[1:2])
    assert chlog.verify().ok


def test_a_log_without_the_projections_gets_them_filled_from_its_rows(
    chdb_url: Callable[[], str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from activitylog.store.clickhouse.schema import ALL_PROJECTIONS
    from activitylog.store.clickhouse.store import projections

    url = chdb_url()
    with ActivityLog(url, settings=settings) as log:
        db: Any = log.store.db  # type: ignore[attr-defined]
        for name in ALL_PROJECTIONS:  # as a log made before them
            db.run(f"ALTER TABLE events DROP PROJECTION {name} SETTINGS mutations_sync = 2")
        db.run("ALTER TABLE events RESET SETTING lightweight_mutation_projection_mode")
        log.record_many(spread(80))
        log.record_many(spread(70, first=80))
        assert projections(db) == set()
        # a deletion masks its rows, which the projections must not count
        log.delete([eid(3)], by="ava@acme.example", reason="asked")
    with ActivityLog(url, settings=settings) as log:
        db = log.store.db  # type: ignore[attr-defined]
        assert projections(db) == set(ALL_PROJECTIONS)
        filled = db.rows(
            "SELECT name, sum(rows) > 0, count() FROM system.projection_parts WHERE active"
            " AND database = currentDatabase() AND table = 'events' GROUP BY name"
        )
        [(parts,)] = db.rows(
            "SELECT count() FROM system.parts WHERE active AND database = currentDatabase()"
            " AND table = 'events'"
        )
        assert sorted(filled) == sorted((name, True, parts) for name in ALL_PROJECTIONS)
        assert_same_as_the_rows(log, monkeypatch, WINDOWS[:1])
        log.delete([eid(7)], by="ava@acme.example", reason="asked")  # refused before
        assert_same_as_the_rows(log, monkeypatch, WINDOWS[:1])


def test_a_clusters_projections_are_added_on_every_node(chdb_url: Callable[[], str]) -> None:
    from activitylog.store.clickhouse.connection import Database, Location
    from activitylog.store.clickhouse.schema import ALL_PROJECTIONS, upgrades

    db = Database(Location.parse(chdb_url()))
    statements = upgrades("activitylog", False, ["kinds_by_hour"], "logs")
    assert len(statements) == 1 + 2 * (len(ALL_PROJECTIONS) - 1)
    for statement in statements:
        [(formatted,)] = db.rows("SELECT formatQuery(%(q)s)", {"q": statement})
        assert formatted.startswith("ALTER TABLE activitylog.events_local ON CLUSTER logs\n")
    assert not any("kinds_by_hour" in s for s in statements)
