"""Versioned schema migrations (Alembic), applied automatically when a store opens."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

MIGRATIONS = Path(__file__).parent / "migrations"
_ALEMBIC = threading.Lock()


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revisions() -> frozenset[str]:
    """The newest revisions shipped with this package (read from disk once): one per
    branch while features' migrations are developed side by side off one parent."""
    return frozenset(ScriptDirectory.from_config(_config()).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def upgrade(connection: Connection) -> None:
    """Bring the schema to the newest revision; the caller holds the database's migration
    lock, and Alembic's process-wide context is used by one thread at a time."""
    with _ALEMBIC:
        if current_revisions(connection) != head_revisions():
            command.upgrade(_config(connection), "heads")
