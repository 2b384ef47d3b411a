"""A database built before the accounts had a migration tree of their own (the log's
revisions 0003 and 0005 created their tables): opened with this code, the accounts' first
revision adopts the tables, and every user, key, session, setting and lockout stays usable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    inspect,
    select,
)

from activitylog import ActivityLog
from activitylog.accounts import SignInFailed
from activitylog.accounts._time import micros
from activitylog.accounts.keys import secret_hash
from activitylog.accounts.migrate import TREE
from activitylog.accounts.passwords import hash_password
from activitylog.accounts.sessions import token_hash
from activitylog.settings import Settings
from activitylog.store import migrate
from activitylog.store.postgres import engine_url

from .conftest import NOW, PASSWORD

#: migrations from the first revision: a new schema on PostgreSQL
pytestmark = pytest.mark.empty_database

# The account tables as the log's revisions 0003 and 0005 built them (a frozen copy).
BEFORE = MetaData()
OLD_USERS = Table(
    "users",
    BEFORE,
    Column("id", String(64), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("is_platform_admin", Boolean, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("disabled_us", BigInteger),
    UniqueConstraint("email", name="uq_users_email"),
)
OLD_MEMBERSHIPS = Table(
    "memberships",
    BEFORE,
    Column("user_id", String(64), nullable=False),
    Column("workspace", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    PrimaryKeyConstraint("user_id", "workspace", name="pk_memberships"),
    Index("ix_memberships_workspace", "workspace"),
)
OLD_KEYS = Table(
    "api_keys",
    BEFORE,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("workspace", String(200)),
    Column("scope", String(16), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("revoked_us", BigInteger),
    Column("last_used_us", BigInteger),
    UniqueConstraint("secret_hash", name="uq_api_keys_secret_hash"),
    Index("ix_api_keys_workspace", "workspace"),
)
OLD_SESSIONS = Table(
    "web_sessions",
    BEFORE,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("workspace", String(200), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Column("last_seen_us", BigInteger, nullable=False),
    Index("ix_web_sessions_user", "user_id"),
)
OLD_THROTTLE = Table(
    "sign_in_throttle",
    BEFORE,
    Column("email", String(320), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_failure_us", BigInteger, nullable=False),
    Column("locked_until_us", BigInteger),
)
OLD_SETTINGS = Table(
    "workspace_settings",
    BEFORE,
    Column("workspace", String(200), nullable=False),
    Column("name", String(64), nullable=False),
    Column("value", Text, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("updated_by", String(200), nullable=False),
    PrimaryKeyConstraint("workspace", "name", name="pk_workspace_settings"),
)
SECRET = "alk_" + "k" * 43
TOKEN = "t" * 43


def _engine(url: str) -> Engine:
    return create_engine(engine_url(url) if url.startswith("postgresql") else url)


def _built_before(url: str, *, with_settings: bool = True) -> None:
    """A database as the code before the move left it: the log's tree at 0014 with the
    account tables (0005's settings only ``with_settings``) holding an owner, a key, a
    session, a setting and a locked-out address."""
    engine = _engine(url)
    at = micros(NOW)
    with engine.begin() as conn:
        command.upgrade(migrate.LOG.config(conn), "0014")
        tables = [t for t in BEFORE.sorted_tables if with_settings or t is not OLD_SETTINGS]
        BEFORE.create_all(conn, tables=tables)
        conn.execute(
            OLD_USERS.insert().values(
                id="u_ava",
                email="ava@acme.io",
                name="Ava",
                password_hash=hash_password(PASSWORD),
                is_platform_admin=False,
                created_us=at,
            )
        )
        conn.execute(
            OLD_MEMBERSHIPS.insert().values(user_id="u_ava", workspace="acme", role="owner")
        )
        conn.execute(
            OLD_KEYS.insert().values(
                id="key_0123456789ab",
                name="billing",
                workspace="acme",
                scope="ingest",
                prefix=SECRET[:12],
                secret_hash=secret_hash(SECRET),
                created_us=at,
                created_by="operator",
            )
        )
        conn.execute(
            OLD_SESSIONS.insert().values(
                token_hash=token_hash(TOKEN),
                user_id="u_ava",
                workspace="acme",
                csrf_token="c" * 43,
                created_us=at,
                expires_us=at + micros_of(timedelta(hours=12)),
                last_seen_us=at,
            )
        )
        conn.execute(
            OLD_THROTTLE.insert().values(
                email="bob@acme.io",
                failures=10,
                first_failure_us=at,
                locked_until_us=at + micros_of(timedelta(minutes=15)),
            )
        )
        if with_settings:
            conn.execute(
                OLD_SETTINGS.insert().values(
                    workspace="acme",
                    name="retention_days",
                    value="30",
                    updated_us=at,
                    updated_by="u_ava",
                )
            )
    engine.dispose()


def micros_of(span: timedelta) -> int:
    return span // timedelta(microseconds=1)


def test_a_database_built_before_keeps_its_accounts(db_url: str, settings: Settings) -> None:
    _built_before(db_url)
    with ActivityLog(db_url, settings=settings) as log:
        accounts = log.accounts()
        with accounts.engine.connect() as conn:
            assert TREE.current_revisions(conn) == TREE.head_revisions()
            assert migrate.current_revisions(conn) == migrate.head_revisions()
        user = accounts.authenticate("ava@acme.io", PASSWORD, now=NOW)
        assert (user.id, dict(user.memberships)) == ("u_ava", {"acme": "owner"})
        key = accounts.key_for_secret(SECRET, now=NOW)
        assert key is not None
        assert key.id == "key_0123456789ab"
        session = accounts.session(TOKEN, now=NOW + timedelta(minutes=5))
        assert session is not None
        assert session.user.id == "u_ava"
        assert accounts.workspace_settings("acme").retention_days == 30
        with pytest.raises(SignInFailed) as refused:
            accounts.authenticate("bob@acme.io", "whatever pass", now=NOW)
        assert refused.value.reason == "locked"
        # and they still change
        accounts.add_user("cy@acme.io", password=PASSWORD, workspace="acme", role="viewer")
        accounts.revoke_key("key_0123456789ab")
        assert accounts.key_for_secret(SECRET, now=NOW) is None
        assert [u.email for u in accounts.list_users("acme")] == ["ava@acme.io", "cy@acme.io"]


def test_a_table_missing_from_an_older_database_is_created(db_url: str, settings: Settings) -> None:
    _built_before(db_url, with_settings=False)  # as a database at 0004 had them
    with ActivityLog(db_url, settings=settings) as log:
        accounts = log.accounts()
        with accounts.engine.connect() as conn:
            assert "workspace_settings" in inspect(conn).get_table_names()
            assert conn.execute(select(OLD_USERS.c.id)).scalars().all() == ["u_ava"]
        accounts.change_workspace_settings("acme", {"log_access": "own"}, by="u_ava")
        assert accounts.workspace_settings("acme").log_access == "own"
