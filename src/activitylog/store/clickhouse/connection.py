"""Reaching ClickHouse: a server through clickhouse-connect's HTTP client, or chdb (the
same engine in this process) through clickhouse-connect's chdb client, so both run the
same SQL. Statements are built with SQLAlchemy Core and sent with client-side binding.

chdb runs one engine per process and data directory: every store of a process opened on
one directory shares it (each on its own database), and a second directory is refused.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.sql import ClauseElement

from activitylog.errors import ConfigurationError
from activitylog.store.clickhouse.schema import quote_name

DEFAULT_DATABASE = "activitylog"
_DIALECT = DefaultDialect(paramstyle="pyformat")
#: Columns read as bytes (other strings come back as str).
_BYTES: dict[str, str | dict[str, str]] = {"body": "bytes"}
#: chdb's engine in this process: its directory, and the lock its queries take turns at.
_CHDB: dict[str, threading.Lock] = {}
_CHDB_LOCK = threading.Lock()


@dataclass(frozen=True)
class Location:
    """Where a ``chdb://`` or ``clickhouse(s)://`` URL points: the chdb directory (None
    for a server), the server's address, the database, and the side database's URL."""

    scheme: str
    path: str | None
    host: str
    port: int
    username: str
    password: str
    database: str
    side_db: str | None

    @classmethod
    def parse(cls, url: str) -> Location:
        """``chdb:///abs/dir?database=NAME``, ``clickhouse://user:pw@host:8123/NAME``,
        ``clickhouses://...`` (TLS, port 8443); ``side_db=URL`` names the SQL database
        kept beside the log (required for a server; chdb: a SQLite file in its directory)."""
        parts = urlsplit(url)
        scheme = parts.scheme.split("+", 1)[0].lower()
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        side = query.get("side_db")
        if scheme == "chdb":
            path = unquote(parts.netloc + parts.path)
            if not path:
                raise ConfigurationError("chdb needs a directory: chdb:///path/to/data")
            database = query.get("database", DEFAULT_DATABASE)
            return cls(scheme, str(Path(path).resolve()), "", 0, "", "", database, side)
        if scheme not in ("clickhouse", "clickhouses"):
            raise ConfigurationError(f"not a ClickHouse URL: {scheme}://")
        if side is None:
            raise ConfigurationError(
                f"{scheme}:// URLs need side_db=URL, the SQL database kept beside the log"
                " (alert rules, streams, follower cursors)"
            )
        secure = scheme == "clickhouses"
        return cls(
            scheme,
            None,
            parts.hostname or "localhost",
            parts.port or (8443 if secure else 8123),
            unquote(parts.username or "default"),
            unquote(parts.password or ""),
            unquote(parts.path.lstrip("/")) or DEFAULT_DATABASE,
            side,
        )

    @property
    def key(self) -> str:
        """The log's identity in this process (what its in-process writer lock is for)."""
        return f"{self.path or f'{self.host}:{self.port}'}/{self.database}"


class Database:
    """One database of a ClickHouse server or of chdb: queries, commands and inserts."""

    def __init__(self, location: Location) -> None:
        self.location = location
        self.name = location.database
        self._turn: AbstractContextManager[Any] = nullcontext()
        if location.path is not None:
            self._turn, first = _chdb_turn(location.path)
            try:
                with self._turn:
                    self.client: Client = _chdb_client(location.path, first)
            except BaseException:
                if first:  # this process runs no chdb after all: another directory may open
                    _CHDB.pop(location.path, None)
                raise
        else:
            self.client = clickhouse_connect.get_client(
                host=location.host,
                port=location.port,
                username=location.username,
                password=location.password,
                secure=location.scheme == "clickhouses",
                autogenerate_session_id=False,
            )
        # unqualified names are the log's tables, in its database (made if missing)
        self.run(f"CREATE DATABASE IF NOT EXISTS {quote_name(self.name)}")
        self.client.database = self.name

    def rows(
        self,
        statement: str | ClauseElement,
        params: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> list[Any]:
        """The rows of a query (a SQLAlchemy statement, or SQL with ``%(name)s``
        parameters) under ``settings`` of this query alone; ``body`` columns as bytes."""
        sql, bound = _sql(statement, params)
        with self._turn:
            result = self.client.query(
                sql, parameters=bound, column_formats=_BYTES, settings=settings
            )
            return list(result.result_rows)

    def run(self, statement: str | ClauseElement, params: dict[str, Any] | None = None) -> None:
        """Run a statement that returns nothing (DDL, ALTER, DELETE)."""
        sql, bound = _sql(statement, params)
        with self._turn:
            self.client.command(sql, parameters=bound)

    def insert(
        self,
        table: str,
        rows: Sequence[Sequence[Any]],
        columns: Sequence[str],
        *,
        token: str | None = None,
    ) -> None:
        """Insert ``rows`` into ``table`` of this database; an insert repeated with the
        same ``token`` (a retry) is stored once."""
        if not rows:
            return
        settings = {"insert_deduplication_token": token} if token else None
        with self._turn:
            self.client.insert(
                table, rows, column_names=list(columns), database=self.name, settings=settings
            )

    def close(self) -> None:
        if self.location.path is None:
            self.client.close()


def _chdb_client(path: str, first: bool) -> Client:
    """clickhouse-connect's client of chdb at ``path``; when chdb starts there for this
    process (``first``), a ConfigurationError if another process runs it (ClickHouse
    locks its directory)."""
    try:
        return clickhouse_connect.get_client(dsn=f"chdb://{path}")
    except Exception:
        if not (first and _locked_by_another(Path(path) / "status")):
            raise
        raise ConfigurationError(
            f"chdb's directory {path} is open in another process (chdb runs in one process"
            " per directory: stop that one, for example an `activitylog serve` on it, or"
            " serve the log from a ClickHouse server to several processes)"
        ) from None


def _locked_by_another(status: Path) -> bool:
    """Whether another process holds the lock of ClickHouse's ``status`` file (its server,
    or chdb, runs on that directory)."""
    try:
        with status.open("rb") as file:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(file, fcntl.LOCK_UN)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        return False


def _chdb_turn(path: str) -> tuple[threading.Lock, bool]:
    """The lock of chdb's engine at ``path``, and whether this process runs none yet; a
    ConfigurationError when it runs one at another directory (chdb holds one per
    process)."""
    with _CHDB_LOCK:
        if path not in _CHDB and _CHDB:
            raise ConfigurationError(
                f"chdb runs at {next(iter(_CHDB))} in this process; it cannot open {path} too"
                " (one data directory per process: use databases, ?database=NAME)"
            )
        first = path not in _CHDB
        return _CHDB.setdefault(path, threading.Lock()), first


def _sql(
    statement: str | ClauseElement, params: dict[str, Any] | None
) -> tuple[str, dict[str, Any]]:
    if isinstance(statement, str):
        return statement, dict(params or {})
    compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    return compiled.string, {**compiled.params, **(params or {})}
