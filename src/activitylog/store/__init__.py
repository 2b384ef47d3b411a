"""Storage engines behind one interface (:class:`Store`), chosen by URL scheme and
imported lazily (:mod:`activitylog.store.engines`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from activitylog.sealing import SealPolicy
from activitylog.store.engines import engine_for, scheme_of
from activitylog.store.protocol import Store
from activitylog.store.sql import SQLStore

if TYPE_CHECKING:
    from activitylog.store.clickhouse.store import ClickHouseStore
    from activitylog.store.postgres import PostgresStore
    from activitylog.store.sqlite import SQLiteStore

    # mypy checks that every built-in engine is a Store.
    _BUILT_IN: tuple[type[Store], ...] = (SQLiteStore, PostgresStore, ClickHouseStore)


def open_store(url: str, policy: SealPolicy, *, durability: str = "full") -> Store:
    """Open (and migrate) the store a database URL names: ``sqlite:///file.db``,
    ``postgresql://user@host/db`` (the ``postgres`` extra), or an engine's registered
    scheme. ``durability`` (``full`` or ``normal``) is SQLite's ``synchronous``."""
    scheme = scheme_of(url)
    engine = engine_for(scheme)
    given: dict[str, Any] = {"durability": durability}
    return engine.load(scheme)(url, policy, **{name: given[name] for name in engine.options})


__all__ = ["SQLStore", "SealPolicy", "Store", "open_store"]
