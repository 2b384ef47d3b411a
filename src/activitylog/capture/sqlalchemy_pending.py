"""What a session holds between a change and its commit: the events collected, each
owned by the transaction or savepoint it was made in, so that a rollback drops exactly
its own; the request context as it was at the change; and where the events are written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import InstanceState, Mapper, SessionTransaction

from activitylog.capture.sqlalchemy_models import ModelSpec
from activitylog.capture.sqlalchemy_rows import merge_updates
from activitylog.client import CONTEXT_FIELDS, _context
from activitylog.errors import ConfigurationError


class Entry(NamedTuple):
    """A collected event; ``joined``: written in the application's transaction; ``row``:
    for a row's update, its instance's state (later updates of it fold into this one)."""

    owner: SessionTransaction
    mapper: Mapper[Any]
    joined: bool
    event: dict[str, Any]
    row: InstanceState[Any] | None = None


@dataclass
class Pending:
    """One session's events not recorded yet (kept in ``session.info``)."""

    entries: list[Entry] = field(default_factory=list)
    #: The update entry of each row, by transaction: later updates fold into it.
    updates: dict[tuple[SessionTransaction, Mapper[Any], str], Entry] = field(default_factory=dict)
    #: Rows the current flush wrote, old values noted before it wrote them, and the
    #: columns it set to SQL expressions.
    rows: list[tuple[str, InstanceState[Any]]] = field(default_factory=list)
    before: dict[InstanceState[Any], dict[str, Any]] = field(default_factory=dict)
    computed: dict[InstanceState[Any], list[str]] = field(default_factory=dict)
    #: Events of a committed transaction, to record once it has ended.
    committed: list[dict[str, Any]] = field(default_factory=list)

    def add(self, entry: Entry, spec: ModelSpec) -> None:
        """Keep an event; an update of a row already updated in the same transaction
        folds into the first (the flushes between are an implementation detail)."""
        event = entry.event
        if entry.row is None:  # created, deleted, or a bulk statement's
            self.entries.append(entry)
            return
        row = (entry.owner, entry.mapper, event["subject"]["id"])
        earlier = self.updates.get(row)
        if earlier is None:
            self.entries.append(entry)
            self.updates[row] = entry
            return
        merge_updates(earlier.event, event, spec, entry.row.obj())
        if not earlier.event["changes"]:  # every field is back where it was
            self.entries.remove(earlier)
            del self.updates[row]

    def take_joined(self) -> list[Entry]:
        """The events to write in the application's transaction now."""
        joined = [e for e in self.entries if e.joined]
        if joined:
            self._keep([e for e in self.entries if not e.joined])
        return joined

    def commit(self) -> None:
        """The transaction committed: what is left is recorded once it has ended."""
        self.committed += [e.event for e in self.entries]
        self._keep([])

    def roll_back(self, previous: SessionTransaction) -> None:
        """Drop the events of what a rollback undid: the savepoint or the transaction it
        reached from ``previous`` (a flush's own subtransaction rolls back its savepoint
        or transaction), with everything nested inside."""
        boundary = previous
        while boundary.parent is not None and not boundary.nested:
            boundary = boundary.parent
        self._keep([e for e in self.entries if not _within(e.owner, boundary)])

    def end(self) -> list[dict[str, Any]]:
        """The transaction ended: the committed events to record; nothing else is kept."""
        committed = self.committed
        self.committed, self.rows, self.before, self.computed = [], [], {}, {}
        self._keep([])
        return committed

    def _keep(self, entries: list[Entry]) -> None:
        self.entries = entries
        kept = {id(e) for e in entries}
        self.updates = {k: e for k, e in self.updates.items() if id(e) in kept}


def _within(transaction: SessionTransaction, boundary: SessionTransaction) -> bool:
    current: SessionTransaction | None = transaction
    while current is not None:
        if current is boundary:
            return True
        current = current.parent
    return False


@dataclass(frozen=True)
class Context:
    """``log.context`` as it was when a change was made."""

    fields: Mapping[str, Any]
    workspace: str | None

    @classmethod
    def now(cls) -> Context:
        current = _context.get()
        fields = {f: current.get(f) for f in CONTEXT_FIELDS if f != "workspace"}
        return cls(fields, current.get("workspace"))

    def complete(self, built: dict[str, Any]) -> dict[str, Any]:
        """The event with the context's fields, in the workspace of the change (its own,
        else the context's); :class:`ConfigurationError` when there is none."""
        workspace = built.get("workspace") or self.workspace
        if not workspace:
            subject = built.get("subject") or {}
            record = f"{subject.get('type')} {subject.get('id') or ''}".strip()
            raise ConfigurationError(
                f"cannot record {built['action']} for {record}: no workspace. Give track()"
                " workspace=... (an attribute name, a function or a constant), set"
                " 'workspace' in the model's __activitylog__, or make the change inside"
                " log.context(workspace=...)"
            )
        return {**self.fields, **built, "workspace": workspace}


def same_database(engine: Engine, log_url: str) -> bool:
    """Whether ``engine`` connects to the database at ``log_url``: the same file for
    SQLite; the same user, host, port, database and options for PostgreSQL."""
    if log_url.lower().startswith(("http://", "https://")):
        return False
    mine, theirs = engine.url, make_url(log_url)
    backend = mine.get_backend_name()
    if backend != theirs.get_backend_name():
        return False
    if backend == "sqlite":
        paths = [u.database or "" for u in (mine, theirs)]
        if any(not p or p == ":memory:" or p.startswith("file:") for p in paths):
            return False
        return os.path.realpath(paths[0]) == os.path.realpath(paths[1])
    if backend == "postgresql":
        return _server_database(mine) == _server_database(theirs)
    return False


def _server_database(url: URL) -> tuple[Any, ...]:
    return (
        url.username,
        url.host or "localhost",
        url.port or 5432,
        url.database,
        sorted(url.query.items()),
    )
