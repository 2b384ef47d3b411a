"""The SQLite library the store runs on: pysqlite3's (a recent SQLite built into the wheel)
where it is installed, else the one Python was built with.

A recent SQLite matters beyond speed: SQLite before 3.51.3 can corrupt a database when a
checkpoint runs beside a writer's commit (the "WAL-reset" race). With it the store
checkpoints in the background (a purge's pauses); without it checkpoints stay where SQLite
runs them itself, at the end of a commit (:data:`BACKGROUND_CHECKPOINTS`).
"""

from __future__ import annotations

from types import ModuleType


def _load() -> ModuleType:
    try:
        from pysqlite3 import dbapi2
    except ImportError:  # no wheel for this platform: the standard library's
        import sqlite3

        return sqlite3
    module: ModuleType = dbapi2
    return module


#: The first release without the WAL-reset race.
WAL_RESET_FIXED = (3, 51, 3)


def use(module: ModuleType) -> None:
    """Run stores opened from now on on ``module`` (a DB-API 2 SQLite binding); the
    benchmarks compare libraries with it."""
    global dbapi, VERSION, BACKGROUND_CHECKPOINTS, Error, DatabaseError, OperationalError
    dbapi = module
    VERSION = tuple(module.sqlite_version_info)
    BACKGROUND_CHECKPOINTS = VERSION >= WAL_RESET_FIXED
    Error = module.Error
    DatabaseError = module.DatabaseError
    OperationalError = module.OperationalError


dbapi: ModuleType
#: The SQLite library's version, e.g. ``(3, 53, 4)``.
VERSION: tuple[int, ...]
#: Whether a checkpoint may run from a connection of its own beside writers.
BACKGROUND_CHECKPOINTS: bool
Error: type[Exception]
DatabaseError: type[Exception]
OperationalError: type[Exception]
use(_load())


def is_driver_connection(value: object) -> bool:
    """Whether ``value`` is a connection of this library (not another driver's)."""
    return isinstance(value, dbapi.Connection)
