"""Migrations 0003 (accounts) and 0005 (workspace settings) create the account tables exactly
as accounts/schema.py declares them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect

from activitylog import ActivityLog
from activitylog.accounts import Accounts
from activitylog.accounts.schema import (
    api_keys,
    memberships,
    sign_in_throttle,
    users,
    web_sessions,
    workspace_settings,
)
from activitylog.settings import Settings
from activitylog.store import migrate
from activitylog.store.schema import metadata

from .conftest import PASSWORD

TABLES = (users, memberships, api_keys, web_sessions, sign_in_throttle, workspace_settings)


def test_the_account_tables_share_the_event_metadata() -> None:
    assert all(table.metadata is metadata for table in TABLES)


def test_the_accounts_revisions_are_in_the_history() -> None:
    assert max(migrate.head_revisions()) >= "0005"  # 0003 accounts, 0005 workspace settings


def test_the_migration_matches_the_declared_tables(db_url: str, settings: Settings) -> None:
    with ActivityLog(db_url, settings=settings) as log, log.store.engine.connect() as conn:
        assert migrate.current_revisions(conn) == migrate.head_revisions()
        inspector = inspect(conn)
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


def test_a_log_at_revision_0002_is_upgraded_when_opened(tmp_path: Path, settings: Settings) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(migrate.MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
        assert migrate.current_revisions(conn) == {"0002"}
        assert "users" not in inspect(conn).get_table_names()
    engine.dispose()
    with ActivityLog(url, settings=settings) as log:
        log.record(workspace="acme", action="contact.updated")
        accounts = Accounts(log.store.engine)
        accounts.add_user("ava@acme.io", password=PASSWORD, workspace="acme", role="owner")
        assert [u.email for u in accounts.list_users("acme")] == ["ava@acme.io"]
        assert log.verify().ok
