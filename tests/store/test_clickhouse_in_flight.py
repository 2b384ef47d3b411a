"""The file naming the workspaces a chdb log's appends are writing: each named from before
its entries' insert until its head is written or what it inserted removed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from activitylog import ActivityLog, StorageFull
from activitylog.settings import Settings
from activitylog.store.clickhouse.in_flight import InFlight, in_flight_at

from ._disk import clickhouse_table_full
from ._support import event


def test_it_names_each_workspace_from_its_begin_to_its_end(tmp_path: Path) -> None:
    marker = InFlight(tmp_path / "appending")
    assert marker.left() == []
    marker.begin(["globex", "acme"])
    marker.begin(["acme", "initech"])
    assert InFlight(marker.path).left() == ["acme", "globex", "initech"]  # the next process
    marker.end(["acme", "globex"])
    assert marker.left() == ["initech"]  # its undo failed, say: still to be recovered
    marker.end(["initech"])
    assert not marker.path.exists()


def test_names_left_by_a_stopped_process_are_kept_until_ended(tmp_path: Path) -> None:
    (tmp_path / "appending").write_text("acme\n\nglobex\n")
    marker = InFlight(tmp_path / "appending")
    marker.begin(["initech"])
    assert marker.left() == ["acme", "globex", "initech"]
    marker.end(["initech", "acme"])
    assert marker.left() == ["globex"]


def test_the_stores_of_one_log_share_it(tmp_path: Path) -> None:
    assert in_flight_at(tmp_path / "appending") is in_flight_at(tmp_path / "appending")


@pytest.mark.clickhouse
def test_an_append_leaves_no_name_done_or_refused(
    chdb_url: Callable[[], str], settings: Settings
) -> None:
    with ActivityLog(chdb_url(), settings=settings) as log:
        store: Any = log.store
        seen: dict[str, list[str]] = {}
        insert = store.db.insert

        def looking(table: str, *args: Any, **options: Any) -> None:
            insert(table, *args, **options)
            seen[table] = store.in_flight.left()

        store.db.insert = looking
        log.record_many([event(workspace=w) for w in ("acme", "globex")])
        named = ["acme", "globex"]
        assert seen == {"events": named, "checkpoints": named, "chain_heads": named}
        assert store.in_flight.left() == []
        with clickhouse_table_full(log, "chain_heads"), pytest.raises(StorageFull):
            log.record(**event())
        assert store.in_flight.left() == []  # what it inserted is gone
