"""``activitylog follow --once`` and ``serve``'s followers, with a test source registered."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from activitylog import ActivityLog
from activitylog.cli import main
from activitylog.followers import registry
from activitylog.settings import Settings
from activitylog.web.app import create_app

from ._support import Recorder

FOLLOWERS: dict[str, Recorder] = {}


def source_for_tests(_log: ActivityLog) -> list[Recorder]:
    return list(FOLLOWERS.values())


@pytest.fixture(autouse=True)
def registered_test_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    monkeypatch.setattr(registry, "SOURCES", (f"{__name__}:source_for_tests",))
    FOLLOWERS.clear()
    yield
    FOLLOWERS.clear()


def _seed(db_url: str, n: int) -> None:
    with ActivityLog(db_url, settings=Settings.from_env()) as log:
        log.record_many([{"workspace": "acme", "action": "contact.updated"}] * n)


def test_follow_once_catches_every_follower_up_and_exits_0(db_url: str) -> None:
    _seed(db_url, 4)
    FOLLOWERS["a"] = Recorder(name="a")
    FOLLOWERS["b"] = Recorder(name="b")
    result = CliRunner().invoke(main, ["follow", "--once", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert [s for _, s, _ in FOLLOWERS["a"].seen] == [1, 2, 3, 4]
    assert [s for _, s, _ in FOLLOWERS["b"].seen] == [1, 2, 3, 4]
    again = CliRunner().invoke(main, ["follow", "--once", "--db", db_url])
    assert again.exit_code == 0
    assert len(FOLLOWERS["a"].seen) == 4  # nothing handled twice


def test_follow_once_names_what_failed_and_exits_1(db_url: str) -> None:
    _seed(db_url, 2)
    FOLLOWERS["down"] = Recorder(name="stream:x", fail_with=ConnectionError("refused"))
    result = CliRunner().invoke(main, ["follow", "--once", "--db", db_url])
    assert result.exit_code == 1
    assert "stream:x: workspace acme: ConnectionError: refused" in result.output


def test_serve_runs_the_followers_unless_told_not_to(db_url: str, settings: Settings) -> None:
    FOLLOWERS["a"] = Recorder(name="a")
    with ActivityLog(db_url, settings=settings) as log:
        with TestClient(create_app(settings.replace(followers=True), log=log)):
            log.record_many([{"workspace": "acme", "action": "contact.updated"}] * 3)
            deadline = time.monotonic() + 20
            while len(FOLLOWERS["a"].seen) < 3:
                assert time.monotonic() < deadline, "serve's followers did not run"
                time.sleep(0.02)
        FOLLOWERS["b"] = Recorder(name="b")
        with TestClient(create_app(settings, log=log)):  # followers = false
            log.record(workspace="acme", action="contact.updated")
            time.sleep(0.5)
        assert FOLLOWERS["b"].seen == []
