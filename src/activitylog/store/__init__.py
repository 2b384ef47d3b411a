"""Storage engines behind one interface, chosen by URL scheme and imported lazily."""

from __future__ import annotations

from activitylog.errors import ConfigurationError
from activitylog.sealing import SealPolicy
from activitylog.store.sql import SQLStore

SCHEMES = ("sqlite", "postgresql", "postgres")


def open_store(url: str, policy: SealPolicy, *, durability: str = "full") -> SQLStore:
    """Open (and migrate) the store a database URL names: ``sqlite:///file.db`` or
    ``postgresql://user@host/db``."""
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme not in SCHEMES:
        raise ConfigurationError(
            f"unsupported database URL scheme {scheme!r}; use sqlite:/// or postgresql://"
        )
    if scheme == "sqlite":
        from activitylog.store.sqlite import SQLiteStore

        return SQLiteStore(url, policy, durability=durability)
    from activitylog.store.postgres import PostgresStore

    return PostgresStore(url, policy)


__all__ = ["SQLStore", "SealPolicy", "open_store"]
