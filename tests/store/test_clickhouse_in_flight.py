"""The file naming the workspaces a chdb append is writing: there while it writes, gone
once its heads are written or what it inserted is removed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from activitylog import ActivityLog, StorageFull
from activitylog.settings import Settings
from activitylog.store.clickhouse.in_flight import InFlight

from ._disk import clickhouse_table_full
from ._support import event

pytestmark = pytest.mark.clickhouse


def test_it_names_every_workspace_begun_until_the_end(tmp_path: Path) -> None:
    marker = InFlight(tmp_path / "appending")
    assert marker.left() == []
    marker.begin(["globex", "acme"])
    marker.begin(["acme", "initech"])
    assert InFlight(marker.path).left() == ["acme", "globex", "initech"]  # as the next process
    marker.end()
    assert not marker.path.exists()
    assert marker.left() == []


def test_what_was_left_is_dropped_once_looked_at(tmp_path: Path) -> None:
    (tmp_path / "appending").write_text("acme\n\nglobex\n")
    marker = InFlight(tmp_path / "appending")
    assert marker.left() == ["acme", "globex"]
    marker.cleared()
    assert marker.left() == []


def test_an_append_leaves_no_file_done_or_refused(
    chdb_url: Callable[[], str], settings: Settings
) -> None:
    with ActivityLog(chdb_url(), settings=settings) as log:
        store: Any = log.store
        seen: dict[str, bool] = {}
        insert = store.db.insert

        def looking(table: str, *args: Any, **options: Any) -> None:
            insert(table, *args, **options)
            seen[table] = store.in_flight.path.exists()

        store.db.insert = looking
        log.record_many([event(workspace=w) for w in ("acme", "globex")])
        assert seen == {"events": True, "checkpoints": True, "chain_heads": True}  # after each
        assert not store.in_flight.path.exists()
        with clickhouse_table_full(log, "chain_heads"), pytest.raises(StorageFull):
            log.record(**event())
        assert not store.in_flight.path.exists()  # what it inserted is gone
