"""Accounts: users, workspace memberships, API keys, web sessions, sign-in throttle.

Revision ID: 0003
Revises: 0002
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
    UniqueConstraint,
)

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# A frozen copy of the tables as this revision created them (accounts/schema.py moves on).
metadata = MetaData()

users = Table(
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

memberships = Table(
    "memberships",
    metadata,
    Column("user_id", String(64), nullable=False),
    Column("workspace", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    PrimaryKeyConstraint("user_id", "workspace", name="pk_memberships"),
    Index("ix_memberships_workspace", "workspace"),
)

api_keys = Table(
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

web_sessions = Table(
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

sign_in_throttle = Table(
    "sign_in_throttle",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_failure_us", BigInteger, nullable=False),
    Column("locked_until_us", BigInteger),
)


def upgrade() -> None:
    metadata.create_all(op.get_bind())
