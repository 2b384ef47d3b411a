"""Fixtures of the remote transport tests: a fake server and remote ActivityLogs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from activitylog import ActivityLog

from ._server import FAST, WRITE_KEY, FakeServer


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A running fake server (stopped at the end, whatever state the test left it in)."""
    fake = FakeServer()
    fake.start()
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    return tmp_path / "spool"


RemoteLogFactory = Callable[..., ActivityLog]


@pytest.fixture
def remote_log(spool_dir: Path) -> Iterator[RemoteLogFactory]:
    """Open remote ActivityLogs (fast retries, a spool in tmp_path); closed at the end."""
    opened: list[ActivityLog] = []

    def open_log(url: str, **kwargs: Any) -> ActivityLog:
        kwargs.setdefault("api_key", WRITE_KEY)
        kwargs.setdefault("spool_dir", spool_dir)
        kwargs.setdefault("remote_options", FAST)
        log = ActivityLog(url, **kwargs)
        opened.append(log)
        return log

    yield open_log
    for log in opened:
        log.close(timeout=0)
