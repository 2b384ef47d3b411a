"""The connection to the accounts tables that every part of :class:`Accounts` shares."""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlalchemy import Connection, Engine


class AccountsDatabase:
    """An engine, with write transactions that queue on SQLite (``BEGIN IMMEDIATE``) rather
    than fail when another process writes; PostgreSQL ignores the option."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _write(self) -> AbstractContextManager[Connection]:
        return self.engine.execution_options(immediate=True).begin()

    def _read(self) -> AbstractContextManager[Connection]:
        return self.engine.connect()
