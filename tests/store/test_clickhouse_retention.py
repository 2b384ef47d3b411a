"""Retention on ClickHouse: purges (a record first, then the rows) free whole months at
once, and every purged seq stays accounted for by the record; nothing is deleted by TTL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from activitylog import ActivityLog
from activitylog.events import micros
from activitylog.purging import purge_workspace
from activitylog.retention import PurgePlan
from activitylog.settings import Settings

from ._support import ago, eid, event, iso

pytestmark = pytest.mark.clickhouse
OLD = 40  # in June 2025; checkpoints are kept every 10 (tests' settings)
LONG_AGO = "2025-06-15T12:{:02d}:00Z"
CUTOFF = micros(ago(days=100))


@pytest.fixture
def aged(chdb_url: Callable[[], str], settings: Settings) -> Iterator[ActivityLog]:
    with ActivityLog(chdb_url(), settings=settings) as log:
        log.record_many(
            [event(id=eid(i), occurred_at=LONG_AGO.format(i)) for i in range(1, OLD + 1)]
        )
        log.record_many(
            [event(id=eid(100 + i), occurred_at=iso(ago(days=1, minutes=-i))) for i in range(5)]
        )
        yield log


def months(log: ActivityLog) -> dict[str, int]:
    """Rows on disk per month partition of ``events`` (masked ones included)."""
    db: Any = log.store.db  # type: ignore[attr-defined]
    rows = db.rows(
        "SELECT partition_id, sum(rows) FROM system.parts WHERE active"
        " AND database = currentDatabase() AND table = 'events' GROUP BY partition_id"
    )
    return {str(month): int(count) for month, count in rows}


def test_a_purged_month_leaves_the_disk_and_verify_accounts_for_it(aged: ActivityLog) -> None:
    old = "202506"
    assert months(aged)[old] == OLD
    outcome = purge_workspace(aged.store, aged.catalog, "acme", CUTOFF)
    assert outcome.plan == PurgePlan("acme", 1, OLD, OLD, CUTOFF)
    assert outcome.removed == OLD
    after = months(aged)
    assert after.get(old, 0) == 0  # merged away, not only masked
    assert sum(after.values()) == 5 + 1  # the new entries and the record
    report = aged.verify()
    assert report.ok, report.breaks
    [workspace] = report.workspaces
    assert (workspace.purged, workspace.entries) == (OLD, 6)


def test_a_month_partly_purged_keeps_its_other_rows(aged: ActivityLog) -> None:
    db: Any = aged.store.db  # type: ignore[attr-defined]
    # another workspace's entry in the old month, which acme's purge does not cover
    aged.record(**event(workspace="globex", occurred_at=LONG_AGO.format(0)))
    purge_workspace(aged.store, aged.catalog, "acme", CUTOFF)
    old = "202506"
    [(count,)] = db.rows("SELECT count() FROM events WHERE _partition_id = %(p)s", {"p": old})
    assert count == 1
    assert aged.verify().ok


def test_the_tables_delete_nothing_by_ttl(aged: ActivityLog) -> None:
    db: Any = aged.store.db  # type: ignore[attr-defined]
    rows = db.rows(
        "SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase()"
    )
    assert rows
    assert not [name for name, ddl in rows if " TTL " in ddl]
