"""Fixtures of the store contract suite (on top of tests/conftest.py).

The suite runs on SQLite, PostgreSQL and chdb (embedded ClickHouse). On chdb only the
engine-neutral tests run (:data:`ON_CLICKHOUSE`): the others read or tamper with SQL
tables, or test what only the SQL engines have (the indexer, the SQLite index file); their
chdb cases are deselected, never skipped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from activitylog import ActivityLog
from activitylog.settings import Settings
from conftest import sqlite_url  # the tests directory is on sys.path (pytest rootdir)

from ._clickhouse import chdb_databases

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ENGINES = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("chdb", marks=pytest.mark.clickhouse),
]
#: The tests that run on chdb too: module -> the tests of it left out there (SQL
#: statements of their own, or SQL engines' internals).
ON_CLICKHOUSE: dict[str, frozenset[str]] = {
    "test_append.py": frozenset({"test_a_thousand_events_may_share_one_microsecond"}),
    "test_query.py": frozenset(
        {
            "test_reusing_counts_answers_each_question_once_in_its_block",
            # a property test asking hundreds of counts: minutes on chdb
            "test_counts_in_a_reusing_block_equal_counts_asked_alone",
        }
    ),
    "test_stats.py": frozenset(),
    "test_cursors.py": frozenset(),
    "test_access_matrix.py": frozenset(),
    # the attacks written in SQL (test_clickhouse_tamper.py makes some on ClickHouse)
    "test_integrity.py": frozenset(
        {
            "test_verify_one_workspace",
            "test_verify_closes_its_cursor_at_a_break",
            "test_modified_body",
            "test_deleted_first_row",
            "test_modified_body_with_its_content_hash",
            "test_swapped_rows",
            "test_deleted_row",
            "test_forged_row_appended_after_the_head",
            "test_inserted_forged_row_linked_into_the_chain",
            "test_consistently_rewritten_chain_is_caught_by_the_signed_checkpoint",
            "test_inserted_forged_row_with_a_made_up_hash",
            "test_bad_checkpoint_signature",
            "test_checkpoint_moved_to_another_hash",
            "test_truncated_tail_with_the_head_rolled_back",
            "test_truncated_tail_with_the_head_left_alone",
            "test_head_hash_rewritten",
            "test_a_tampered_tombstone_is_detected",
            "test_without_the_copies_the_tree_still_catches_an_edit",
            "test_who_deleted_and_why_are_held_to_the_deletion_record",
            "test_when_a_deletion_happened_is_held_to_its_record",
            "test_a_tombstone_needs_a_deletion_record_after_it",
            "test_a_deleted_entry_put_back_is_reported",
        }
    ),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the chdb cases of tests outside :data:`ON_CLICKHOUSE`."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_chdb = callspec is not None and "chdb" in callspec.params.values()
        left_out = ON_CLICKHOUSE.get(Path(str(item.fspath)).name)
        name = getattr(item, "originalname", item.name)
        if on_chdb and (left_out is None or name in left_out):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def chdb_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This process's chdb directory (chdb runs one per process)."""
    try:
        import chdb  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail("CI needs chdb: pip install 'activitylog[clickhouse]'")
        pytest.skip("chdb tests need the clickhouse extra")
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture
def chdb_url(chdb_directory: Path) -> Iterator[Callable[[], str]]:
    """A new database URL on this process's chdb directory, per call; dropped after the
    test."""
    with chdb_databases(chdb_directory) as new:
        yield new


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL, once per engine."""
    if request.param == "sqlite":
        return sqlite_url(request, tmp_path)
    if request.param == "chdb":
        return str(request.getfixturevalue("chdb_url")())
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="module", params=ENGINES)
def module_log(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_schema: Callable[[], AbstractContextManager[str]],
) -> Iterator[ActivityLog]:
    """Like ``log`` (each engine, checkpoints every 10 events), but one database shared by
    a module's tests: for read-only tests over one data set, recorded once."""
    tmp = tmp_path_factory.mktemp("module_log")
    settings = Settings(signing_key=tmp / "signing-key.pem", checkpoint_every=10)
    if request.param == "sqlite":
        with ActivityLog(f"sqlite:///{tmp / 'activitylog.db'}", settings=settings) as log:
            yield log
        return
    if request.param == "chdb":
        directory = request.getfixturevalue("chdb_directory")
        with chdb_databases(directory) as new, ActivityLog(new(), settings=settings) as log:
            yield log
        return
    with postgres_schema() as url, ActivityLog(url, settings=settings) as log:
        yield log
