"""Where the accounts are kept: which URLs name the log's own database, the URLs an accounts
database may have, and the ``accounts_db`` setting."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from activitylog.accounts import Accounts
from activitylog.accounts.database import accounts_engine, same_database
from activitylog.config import load_settings
from activitylog.errors import ConfigurationError
from activitylog.settings import Settings

from .conftest import PASSWORD

PG = "postgresql://app@db.example:5432/activitylog"


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (PG, "postgresql+psycopg://app@db.example/activitylog", True),
        (PG, "postgres://app@db.example/activitylog", True),
        (PG, "postgresql://app@db.example/accounts", False),
        (PG, "postgresql://other@db.example/activitylog", False),
        (PG, "postgresql://app@db2.example/activitylog", False),
        (PG, PG + "?options=-csearch_path%3Daccounts", False),
        (PG, "sqlite:///activitylog.db", False),
        ("sqlite:///activitylog.db", "sqlite:///./activitylog.db", True),
        ("sqlite:///activitylog.db", "sqlite:///accounts.db", False),
        ("sqlite:///activitylog.db", "not a url", False),
    ],
)
def test_which_urls_name_one_database(first: str, second: str, same: bool) -> None:
    assert same_database(first, second) is same
    assert same_database(second, first) is same


def test_a_sqlite_file_named_by_its_absolute_path_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert same_database("sqlite:///log.db", f"sqlite:///{tmp_path / 'log.db'}")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mysql://app@db/accounts", "must be sqlite:///FILE or postgresql://"),
        ("sqlite://", "SQLite needs a file"),
        ("sqlite:///:memory:", "SQLite needs a file"),
        ("accounts.db", "is not a database URL"),
    ],
)
def test_other_urls_are_refused_naming_the_setting(url: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^accounts_db: .*{reason}"):
        accounts_engine(url)


def test_postgresql_without_its_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ConfigurationError, match=r"^accounts_db: .*activitylog\[postgres\]"):
        accounts_engine(PG)


def test_accounts_open_on_a_file_of_their_own(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'accounts.db'}"
    with Accounts.open(url) as accounts:
        accounts.add_user("ava@acme.io", password=PASSWORD, workspace="acme", role="owner")
    with Accounts.open(url) as again:  # opened again: migrated already, users kept
        assert [u.email for u in again.list_users("acme")] == ["ava@acme.io"]


def test_the_setting_is_read_from_the_environment_and_the_file(tmp_path: Path) -> None:
    assert Settings.from_env({}).accounts_db is None
    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    assert Settings.from_env({"ACTIVITYLOG_ACCOUNTS_DB": url}).accounts_db == url
    config = tmp_path / "activitylog.toml"
    config.write_text(f'accounts_db = "{url}"\n')
    assert load_settings(env={}, config_file=config).accounts_db == url
    with pytest.raises(ConfigurationError, match="ACTIVITYLOG_ACCOUNTS_DB: must not be empty"):
        Settings.from_env({"ACTIVITYLOG_ACCOUNTS_DB": " "})
