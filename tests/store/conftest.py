"""Fixtures of the store contract suite (on top of tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

from activitylog import ActivityLog
from activitylog.settings import Settings


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
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
    with postgres_schema() as url, ActivityLog(url, settings=settings) as log:
        yield log
