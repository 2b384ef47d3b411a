"""The account tables and each workspace's settings, on a :data:`metadata` of their own:
they live in the accounts database (by default the log's), created by the accounts'
migration tree (:mod:`activitylog.accounts.migrate`), never by the log's.

Times are epoch microseconds (UTC), like the rest of the store. Secrets never reach a
table: session tokens and API key secrets are stored as their SHA-256 (hex), passwords as
argon2id hashes. There are no foreign keys; removing a user deletes its memberships and
sessions explicitly, and nothing here touches the events (which snapshot their actor).
"""

from __future__ import annotations

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

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("email", String(320), nullable=False),  # lowercased and stripped
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
    Column("role", String(16), nullable=False),  # owner | admin | member | viewer
    PrimaryKeyConstraint("user_id", "workspace", name="pk_memberships"),
    Index("ix_memberships_workspace", "workspace"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("workspace", String(200)),  # NULL: a platform key
    Column("scope", String(16), nullable=False),  # ingest | read
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
    Column("workspace", String(200), nullable=False),  # "": a platform admin without one
    Column("csrf_token", String(64), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Column("last_seen_us", BigInteger, nullable=False),
    Index("ix_web_sessions_user", "user_id"),
)

sign_in_throttle = Table(
    "sign_in_throttle",
    metadata,
    Column("email", String(320), primary_key=True),  # lowercased
    Column("failures", Integer, nullable=False),
    Column("first_failure_us", BigInteger, nullable=False),
    Column("locked_until_us", BigInteger),
)

#: A workspace's settings, one row per setting (``value`` is its JSON): a new setting is a
#: new name, not a new column. A workspace without a row for a setting has its default.
workspace_settings = Table(
    "workspace_settings",
    metadata,
    Column("workspace", String(200), nullable=False),
    Column("name", String(64), nullable=False),
    Column("value", Text, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("updated_by", String(200), nullable=False),
    PrimaryKeyConstraint("workspace", "name", name="pk_workspace_settings"),
)
