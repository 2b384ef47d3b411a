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

#: migrations from the first revision: a new schema on PostgreSQL
pytestmark = pytest.mark.empty_database


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


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_migrations_build_every_declared_table(db_url: str, settings: Settings) -> None:
    """Every table the package declares, as the migrations build it: the same columns with
    the same nullability, primary key and indexes on columns (each feature's migration is
    written by hand; indexes on expressions are not reflected)."""
    import activitylog.alerts.schema
    import activitylog.delivery.schema
    import activitylog.followers.schema
    import activitylog.streams.schema  # noqa: F401  (their tables join the metadata)
    from activitylog.store.schema import metadata

    with ActivityLog(db_url, settings=settings) as log, log.store.engine.connect() as conn:
        assert migrate.current_revisions(conn) == migrate.head_revisions()
        inspector = inspect(conn)
        # SQLite keeps the indexer's tables in the index file, attached as idx
        schemas = [None, "idx"] if conn.dialect.name == "sqlite" else [None]
        where = {name: schema for schema in schemas for name in inspector.get_table_names(schema)}
        for table in metadata.sorted_tables:
            assert table.name in where, table.name
            schema = where[table.name]
            columns = inspector.get_columns(table.name, schema)
            found = {c["name"]: c["nullable"] for c in columns}
            assert found == {c.name: c.nullable for c in table.columns}, table.name
            primary = inspector.get_pk_constraint(table.name, schema)["constrained_columns"]
            assert primary == [c.name for c in table.primary_key.columns], table.name
            indexes = inspector.get_indexes(table.name, schema)
            indexed = {tuple(i["column_names"]) for i in indexes}
            indexed |= {
                tuple(u["column_names"])
                for u in inspector.get_unique_constraints(table.name, schema)
            }
            declared = {
                tuple(c.name for c in i.columns)
                for i in table.indexes
                if all(hasattr(e, "name") and e.name in table.c for e in i.expressions)
            }
            assert declared <= indexed, table.name
