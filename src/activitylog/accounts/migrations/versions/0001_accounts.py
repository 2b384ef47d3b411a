"""Accounts: users, workspace memberships, API keys, web sessions, sign-in throttle and
workspace settings, in a tree of their own.

The log's revisions 0003 and 0005 created these tables in the log's database until they
moved here. A database they were created in keeps them: this revision creates only the
tables that are missing, so it adopts those and builds a new database's once.

Revision ID: accounts_0001
Revises:
"""

from alembic import op
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

revision = "accounts_0001"
down_revision = None
branch_labels = None
depends_on = None

# A frozen copy of the tables as this revision creates them (accounts/schema.py moves on).
metadata = MetaData()

Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("is_platform_admin", Boolean, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("disabled_us", BigInteger),
    UniqueConstraint("email", name="uq_users_email"),
)

Table(
    "memberships",
    metadata,
    Column("user_id", String(64), nullable=False),
    Column("workspace", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    PrimaryKeyConstraint("user_id", "workspace", name="pk_memberships"),
    Index("ix_memberships_workspace", "workspace"),
)

Table(
    "api_keys",
    metadata,
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

Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("workspace", String(200), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Column("last_seen_us", BigInteger, nullable=False),
    Index("ix_web_sessions_user", "user_id"),
)

Table(
    "sign_in_throttle",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_failure_us", BigInteger, nullable=False),
    Column("locked_until_us", BigInteger),
)

Table(
    "workspace_settings",
    metadata,
    Column("workspace", String(200), nullable=False),
    Column("name", String(64), nullable=False),
    Column("value", Text, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("updated_by", String(200), nullable=False),
    PrimaryKeyConstraint("workspace", "name", name="pk_workspace_settings"),
)


def upgrade() -> None:
    metadata.create_all(op.get_bind(), checkfirst=True)
