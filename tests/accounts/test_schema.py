"""The accounts' migration tree creates the account tables exactly as accounts/schema.py
declares them, in a metadata and a version table of their own; the log's tree creates none."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect

from activitylog import ActivityLog
from activitylog.accounts import Accounts
from activitylog.accounts.migrate import TREE
from activitylog.accounts.schema import (
    api_keys,
    memberships,
    metadata,
    sign_in_throttle,
    users,
    web_sessions,
    workspace_settings,
)
from activitylog.settings import Settings
from activitylog.store import migrate
from activitylog.store import schema as log_schema

from .conftest import PASSWORD

#: migrations from the first revision: a new schema on PostgreSQL
pytestmark = pytest.mark.empty_database

TABLES = (users, memberships, api_keys, web_sessions, sign_in_throttle, workspace_settings)


def test_the_account_tables_have_a_metadata_of_their_own() -> None:
    assert set(metadata.tables.values()) == set(TABLES)
    assert not set(log_schema.metadata.tables) & set(metadata.tables)


def test_the_migration_matches_the_declared_tables(db_url: str, settings: Settings) -> None:
    with ActivityLog(db_url, settings=settings) as log, log.accounts().engine.connect() as conn:
        assert TREE.current_revisions(conn) == TREE.head_revisions() == {"accounts_0001"}
        assert migrate.current_revisions(conn) == migrate.head_revisions()
        inspector = inspect(conn)
        assert "alembic_version_accounts" in inspector.get_table_names()
        for table in TABLES:
            found = {c["name"]: c["nullable"] for c in inspector.get_columns(table.name)}
            assert found == {c.name: c.nullable for c in table.columns}, table.name
            primary = inspector.get_pk_constraint(table.name)["constrained_columns"]
            assert primary == [c.name for c in table.primary_key.columns], table.name
            indexed = {tuple(i["column_names"]) for i in inspector.get_indexes(table.name)}
            indexed |= {
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(table.name)
            }
            declared = {tuple(c.name for c in i.columns) for i in table.indexes}
            assert declared <= indexed, table.name


def test_the_logs_migrations_create_no_account_table(db_url: str, settings: Settings) -> None:
    with ActivityLog(db_url, settings=settings) as log:
        with log.store.engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
        assert not names & set(metadata.tables)
        assert "alembic_version_accounts" not in names
        log.accounts()  # the accounts' tree creates them when the accounts open
        with log.store.engine.connect() as conn:
            assert set(metadata.tables) <= set(inspect(conn).get_table_names())


def test_the_accounts_open_once_per_log(db_url: str, settings: Settings) -> None:
    with ActivityLog(db_url, settings=settings) as log:
        assert log.accounts() is log.accounts()
        assert log.accounts().engine is log.store.engine


def test_a_log_at_revision_0002_is_upgraded_when_opened(tmp_path: Path, settings: Settings) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(migrate.LOG.config(conn), "0002")
        assert migrate.current_revisions(conn) == {"0002"}
        assert "users" not in inspect(conn).get_table_names()
    engine.dispose()
    with ActivityLog(url, settings=settings) as log:
        log.record(workspace="acme", action="contact.updated")
        accounts = log.accounts()
        accounts.add_user("ava@acme.io", password=PASSWORD, workspace="acme", role="owner")
        assert [u.email for u in accounts.list_users("acme")] == ["ava@acme.io"]
        assert log.verify().ok


def test_opening_an_up_to_date_database_again_changes_nothing(
    db_url: str, settings: Settings
) -> None:
    with ActivityLog(db_url, settings=settings) as log:
        first = log.accounts()
        first.add_user("ava@acme.io", password=PASSWORD, workspace="acme", role="owner")
        again = Accounts(log.store.engine)
        assert [u.email for u in again.list_users()] == ["ava@acme.io"]
