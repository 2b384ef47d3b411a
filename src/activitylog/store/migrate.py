"""Versioned schema migrations (Alembic), applied automatically when a store opens.

A :class:`Tree` is one Alembic script directory with its own version table: the log's
(:data:`LOG`, here) and the accounts' (:mod:`activitylog.accounts.migrate`) can share a
database, each upgraded on its own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

MIGRATIONS = Path(__file__).parent / "migrations"
_ALEMBIC = threading.Lock()


@dataclass(frozen=True)
class Tree:
    """A migration tree: its script directory, and the table that records its revisions
    (the directory's ``env.py`` names the same table)."""

    scripts: Path
    version_table: str = "alembic_version"

    def config(self, connection: Connection | None = None) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.scripts))
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    def head_revisions(self) -> frozenset[str]:
        """The newest revisions shipped with this package (read from disk once per tree)."""
        return _heads(self)

    def current_revisions(self, connection: Connection) -> frozenset[str]:
        context = MigrationContext.configure(connection, opts={"version_table": self.version_table})
        return frozenset(context.get_current_heads())

    def upgrade(self, connection: Connection) -> None:
        """Bring the tree's tables to its newest revision; the caller holds the database's
        migration lock, and Alembic's process-wide context is used by one thread at a time."""
        with _ALEMBIC:
            if self.current_revisions(connection) != self.head_revisions():
                command.upgrade(self.config(connection), "heads")


@cache
def _heads(tree: Tree) -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(tree.config()).get_heads())


#: The log's tree: entries, heads, checkpoints, copies and the followers' tables.
LOG = Tree(MIGRATIONS)


def head_revisions() -> frozenset[str]:
    """The log tree's newest revisions: one per branch while features' migrations are
    developed side by side off one parent."""
    return LOG.head_revisions()


def current_revisions(connection: Connection) -> frozenset[str]:
    return LOG.current_revisions(connection)


def upgrade(connection: Connection) -> None:
    """Bring the log's schema to its newest revision (see :meth:`Tree.upgrade`)."""
    LOG.upgrade(connection)
