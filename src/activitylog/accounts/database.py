"""Where the accounts are kept: the engine every part of :class:`Accounts` shares, its write
transactions, and the engine of an accounts database apart from the log's.

Accounts live in a SQL database of their own choosing (``accounts_db``), by default the
log's: then they share the log's engine, so one SQLite file has one pool and one writer
queue. Opening accounts brings their tables to the newest revision of their own migration
tree (:mod:`activitylog.accounts.migrate`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Self

import sqlalchemy.exc
from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url

from activitylog.accounts import migrate
from activitylog.errors import ConfigurationError
from activitylog.store import sqlite_driver

_POSTGRES = ("postgresql", "postgres")


class AccountsDatabase:
    """An engine, with write transactions that queue on SQLite (``BEGIN IMMEDIATE``) rather
    than fail when another process writes; PostgreSQL ignores the option.

    ``AccountsDatabase(engine)`` uses an engine someone else made and closes (the log's);
    :meth:`open` makes one for a URL, which :meth:`close` releases.
    """

    def __init__(self, engine: Engine) -> None:
        migrate.ensure(engine)
        self.engine = engine
        self._own_engine = False

    @classmethod
    def open(cls, url: str) -> Self:
        """Accounts in the database at ``url`` (``sqlite:///FILE`` or ``postgresql://...``),
        on an engine of their own; a :class:`ConfigurationError` naming ``accounts_db``
        for any other URL."""
        engine = accounts_engine(url)
        try:
            opened = cls(engine)
        except Exception:
            engine.dispose()
            raise
        opened._own_engine = True
        return opened

    def close(self) -> None:
        """Release the engine's connections, if :meth:`open` made it."""
        if self._own_engine:
            self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self) -> AbstractContextManager[Connection]:
        return self.engine.execution_options(immediate=True).begin()

    def _read(self) -> AbstractContextManager[Connection]:
        return self.engine.connect()


def accounts_engine(url: str) -> Engine:
    """A new engine for the accounts database at ``url``: SQLite in WAL mode with
    ``synchronous=FULL`` and writers queueing, or PostgreSQL through psycopg."""
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed.database or "")
    if backend in _POSTGRES:
        driver_url = parsed.set(drivername="postgresql+psycopg")
        try:
            return create_engine(driver_url, pool_size=4, max_overflow=4, pool_pre_ping=True)
        except ImportError as exc:
            raise ConfigurationError(
                f"accounts_db: {backend}:// URLs need the postgres extra ({exc}): "
                "pip install 'activitylog[postgres]'"
            ) from exc
    raise ConfigurationError(
        f"accounts_db: {parsed.render_as_string()!r} must be sqlite:///FILE or postgresql://..."
    )


def same_database(url: str, other: str) -> bool:
    """Whether two URLs name one database: the same SQLite file, or the same server, port,
    database, user and options (a PostgreSQL ``search_path`` picks other tables), the
    driver aside."""
    try:
        first, second = make_url(url), make_url(other)
    except sqlalchemy.exc.ArgumentError:
        return False
    kinds = [_kind(u) for u in (first, second)]
    if kinds[0] != kinds[1]:
        return False
    if kinds[0] == "sqlite":
        return _file(first) == _file(second)
    return _address(first) == _address(second)


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except sqlalchemy.exc.ArgumentError:
        raise ConfigurationError(f"accounts_db: {url!r} is not a database URL") from None


def _kind(url: URL) -> str:
    backend = url.get_backend_name()
    return "postgresql" if backend in _POSTGRES else backend


def _file(url: URL) -> Path | None:
    return Path(url.database).resolve() if url.database else None


def _address(url: URL) -> tuple[Any, ...]:
    port = url.port or (5432 if _kind(url) == "postgresql" else None)
    return (url.host, port, url.database, url.username, sorted(url.query.items()))


def _sqlite_engine(database: str) -> Engine:
    if not database or database == ":memory:":
        raise ConfigurationError("accounts_db: SQLite needs a file: sqlite:///path/to/accounts.db")
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{database}", module=sqlite_driver.dbapi)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi: Any, _record: Any) -> None:
        dbapi.isolation_level = None  # we issue BEGIN ourselves (below)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "secure_delete=ON"):
            dbapi.execute(f"PRAGMA {pragma}")
        dbapi.execute("PRAGMA busy_timeout=60000")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("immediate")
        driver: Any = conn.connection.driver_connection
        driver.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
