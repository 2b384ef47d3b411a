"""Accounts in a database apart from the log's (``accounts_db``): a log on one SQLite file
with its accounts in another, or in PostgreSQL. Each database holds only its own tables,
and everything that reads accounts on the log's behalf (retention purges, streams' revoked
keys, the access rules) reads them where they are."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect

from activitylog import ActivityLog
from activitylog.accounts import SignInFailed
from activitylog.accounts import schema as accounts_schema
from activitylog.purging import run_purges
from activitylog.settings import Settings
from activitylog.streams import Streams, new_stream
from activitylog.streams.service import stream_followers

from .conftest import NOW, PASSWORD

ACCOUNT_TABLES = set(accounts_schema.metadata.tables) | {"alembic_version_accounts"}


def _aged(days: float, n: int) -> dict[str, Any]:
    moment = datetime.now(UTC) - timedelta(days=days) + timedelta(minutes=n)
    return {
        "id": f"00000000-0000-7000-8000-{n:012x}",
        "workspace": "acme",
        "action": "contact.updated",
        "occurred_at": moment.isoformat(),
    }


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def accounts_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'accounts.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def apart(tmp_path: Path, settings: Settings, accounts_url: str) -> Iterator[ActivityLog]:
    """A log on SQLite file A whose accounts are at ``accounts_url``."""
    with ActivityLog(
        f"sqlite:///{tmp_path / 'log.db'}", settings=settings.replace(accounts_db=accounts_url)
    ) as log:
        yield log


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def test_each_database_holds_its_own_tables(apart: ActivityLog) -> None:
    accounts = apart.accounts()
    assert accounts.engine is not apart.store.engine
    assert _tables(accounts.engine) >= ACCOUNT_TABLES
    log_tables = _tables(apart.store.engine)
    assert not log_tables & ACCOUNT_TABLES
    assert {"entries", "chain_heads", "checkpoints", "streams"} <= log_tables
    assert not _tables(accounts.engine) & {"entries", "chain_heads", "streams"}


def test_sign_in_keys_sessions_and_settings_work_apart(apart: ActivityLog) -> None:
    accounts = apart.accounts()
    accounts.add_user("ava@acme.io", password=PASSWORD, workspace="acme", role="owner")
    user = accounts.authenticate("ava@acme.io", PASSWORD, now=NOW)
    with pytest.raises(SignInFailed):
        accounts.authenticate("ava@acme.io", "not the password", now=NOW)
    token, _session = accounts.start_session(user, "acme", now=NOW)
    found = accounts.session(token, now=NOW)
    assert found is not None
    assert found.user.id == user.id
    key, secret = accounts.create_key(workspace="acme", scope="ingest", name="billing")
    found_key = accounts.key_for_secret(secret)
    assert found_key is not None
    assert found_key.id == key.id
    accounts.change_workspace_settings("acme", {"log_access": "own"}, by=user.id)
    assert accounts.workspace_settings("acme").log_access == "own"


def test_the_accounts_engine_is_released_with_the_log(tmp_path: Path, settings: Settings) -> None:
    accounts_db = f"sqlite:///{tmp_path / 'accounts.db'}"
    log = ActivityLog(
        f"sqlite:///{tmp_path / 'log.db'}", settings=settings.replace(accounts_db=accounts_db)
    )
    engine = log.accounts().engine
    assert engine.pool.checkedin() == 1  # type: ignore[attr-defined]
    log.close()
    assert engine.pool.checkedin() == 0  # type: ignore[attr-defined]


def test_the_same_database_named_another_way_shares_the_logs_engine(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = settings.replace(accounts_db=f"sqlite:///{tmp_path / 'log.db'}")
    with ActivityLog("sqlite:///log.db", settings=settings) as log:
        assert log.accounts().engine is log.store.engine


def test_a_retention_purge_honours_the_settings_kept_apart(apart: ActivityLog) -> None:
    apart.record_many([_aged(200, i) for i in range(1, 36)])
    apart.record_many([_aged(1, 100)])
    accounts = apart.accounts()
    (kept,) = run_purges(apart, workspace="acme", now=datetime.now(UTC))
    assert kept.skipped == "kept forever"
    accounts.change_workspace_settings(
        "acme", {"retention_days": 100, "legal_hold": "case 7"}, by="u_ava"
    )
    (held,) = run_purges(apart, workspace="acme", now=datetime.now(UTC))
    assert held.skipped == "under legal hold: case 7"
    accounts.change_workspace_settings("acme", {"legal_hold": None}, by="u_ava")
    (outcome,) = run_purges(apart, workspace="acme", now=datetime.now(UTC))
    assert outcome.plan is not None
    assert outcome.plan.last == 30  # up to the kept checkpoint before the cutoff
    assert apart.verify().ok


def test_a_revoked_keys_streams_stop_when_keys_are_apart(apart: ActivityLog) -> None:
    accounts = apart.accounts()
    key, _secret = accounts.create_key(workspace="acme", scope="read", name="siem")
    by_key, by_person = (
        Streams(apart).add(
            new_stream(
                allow_private=True,
                name=name,
                workspace="acme",
                url="http://127.0.0.1:9/hook",
                start="beginning",
                created_by=creator,
            )
        )
        for name, creator in (("by-key", key.id), ("by-person", "u_ava"))
    )
    assert {f.stream.id for f in stream_followers(apart)} == {by_key.id, by_person.id}
    accounts.revoke_key(key.id)
    assert [f.stream.id for f in stream_followers(apart)] == [by_person.id]
