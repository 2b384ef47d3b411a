"""Migration 0004 (signed Merkle trees): new databases get it; a database holding entries
written before it is refused with a clear way out, rather than vouched for."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from activitylog import ActivityLog
from activitylog.errors import ConfigurationError
from activitylog.settings import Settings
from activitylog.store import migrate


def _at_0003(url: str, *, with_entries: bool) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(migrate.MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        if with_entries:
            conn.execute(
                text(
                    "INSERT INTO chain_heads (workspace, seq, chain_hash, checkpoint_seq,"
                    " checkpoint_at) VALUES ('acme', 3, :h, 0, 0)"
                ),
                {"h": "ab" * 32},
            )
    engine.dispose()


def test_an_empty_database_at_0003_is_upgraded(tmp_path: Path, settings: Settings) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _at_0003(url, with_entries=False)
    with ActivityLog(url, settings=settings) as log:
        with log.store.engine.connect() as conn:
            assert migrate.current_revisions(conn) == migrate.head_revisions()
            columns = {c["name"] for c in inspect(conn).get_columns("chain_heads")}
            assert {"frontier", "note"} <= columns
        log.record(workspace="acme", action="contact.updated")
        assert log.verify().ok


def test_entries_from_before_the_tree_are_refused_with_a_way_out(
    tmp_path: Path, settings: Settings
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _at_0003(url, with_entries=True)
    with pytest.raises(ConfigurationError, match=r"export them with 0\.1"):
        ActivityLog(url, settings=settings)
