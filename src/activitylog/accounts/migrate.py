"""The accounts' own migration tree (``accounts/migrations``, version table
``alembic_version_accounts``), applied when accounts open, beside the log's tree or in a
database of their own."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from activitylog.store.migrate import Tree

TREE = Tree(Path(__file__).parent / "migrations", "alembic_version_accounts")
#: PostgreSQL's advisory lock serialising concurrent first opens (not the log's).
MIGRATION_LOCK = 0x61636374


def ensure(engine: Engine) -> None:
    """Bring the accounts' tables to the newest revision. A read says whether any is
    pending, so an up-to-date database is not locked for writing on every open."""
    with engine.connect() as conn:
        if TREE.current_revisions(conn) == TREE.head_revisions():
            return
    with engine.execution_options(immediate=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        TREE.upgrade(conn)
