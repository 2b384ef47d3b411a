"""Streams kept in the database: add, list, get, remove, their followers and their status.

:func:`stream_followers` is the followers registry's source: the runner asks it every few
seconds, and gets the same :class:`StreamFollower` object for a stream each time (its
connection is kept) until the stream is removed.
"""

from __future__ import annotations

import builtins
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import RowMapping

from activitylog.errors import FieldError, NotFound, ValidationError
from activitylog.followers import FollowerStatus, status
from activitylog.followers.cursors import Cursors
from activitylog.streams.follower import StreamFollower
from activitylog.streams.schema import streams
from activitylog.streams.spec import Stream

if TYPE_CHECKING:
    from activitylog.client import ActivityLog

_FOLLOWERS: WeakKeyDictionary[ActivityLog, dict[str, StreamFollower]] = WeakKeyDictionary()
_FOLLOWERS_LOCK = threading.Lock()
#: Every workspace's streams, and the platform's (``Streams.list``'s ``workspace``).
ALL = "*"


class Streams:
    """The streams of one log's database."""

    def __init__(self, log: ActivityLog) -> None:
        self.log = log
        self._private = log.settings.private_destinations
        self.engine = log.store.engine

    def add(self, stream: Stream) -> Stream:
        """Store a new stream (its follower starts on the runner's next look)."""
        # the write lock first: a read that later writes cannot wait for a busy SQLite file
        with self.engine.execution_options(immediate=True).begin() as conn:
            taken = conn.execute(
                select(streams.c.id).where(
                    func.coalesce(streams.c.workspace, "") == (stream.workspace or ""),
                    streams.c.name == stream.name,
                )
            ).first()
            if taken is not None:
                where = f"workspace {stream.workspace}" if stream.workspace else "the platform"
                raise ValidationError([FieldError("name", f"{where} has a stream of this name")])
            conn.execute(
                insert(streams).values(
                    id=stream.id,
                    name=stream.name,
                    workspace=stream.workspace,
                    kind=stream.kind,
                    target=stream.target,
                    tls=stream.tls,
                    ca_file=stream.ca_file,
                    format=stream.format,
                    filters=orjson.dumps(stream.filters).decode(),
                    secret=stream.secret,
                    start=stream.start,
                    created_us=int(stream.created_at.timestamp() * 1_000_000),
                    created_by=stream.created_by,
                )
            )
        return stream

    def list(self, workspace: str | None = ALL) -> list[Stream]:
        """Streams by name: of ``workspace``, the platform's (None) or all (:data:`ALL`)."""
        stmt = select(streams).order_by(
            streams.c.workspace.is_not(None), streams.c.workspace, streams.c.name
        )
        if workspace is None:
            stmt = stmt.where(streams.c.workspace.is_(None))
        elif workspace != ALL:
            stmt = stmt.where(streams.c.workspace == workspace)
        with self.engine.connect() as conn:
            return [_from_row(row) for row in conn.execute(stmt).mappings()]

    def get(self, stream_id: str) -> Stream | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(streams).where(streams.c.id == stream_id)).mappings().first()
        return _from_row(row) if row is not None else None

    def remove(self, stream_id: str) -> Stream:
        """Delete a stream and forget its cursors; NotFound if there is none."""
        stream = self.get(stream_id)
        if stream is None:
            raise NotFound(f"no stream {stream_id!r}")
        with self.engine.begin() as conn:
            conn.execute(delete(streams).where(streams.c.id == stream_id))
        Cursors(self.engine).forget(stream.follower_name)
        return stream

    def followers(
        self, found: builtins.list[Stream] | None = None
    ) -> builtins.list[StreamFollower]:
        """One follower per stream (the same object while the stream exists)."""
        found = self.list() if found is None else found
        with _FOLLOWERS_LOCK:
            known = _FOLLOWERS.setdefault(self.log, {})
            wanted = {stream.id for stream in found}
            for gone in [sid for sid in known if sid not in wanted]:
                known.pop(gone).close()
            for stream in found:
                if stream.id not in known:
                    known[stream.id] = StreamFollower(stream, allow_private=self._private)
            return [known[stream.id] for stream in found]

    def status(self, found: builtins.list[Stream]) -> builtins.list[tuple[Stream, FollowerStatus]]:
        """Each stream's follower status: position, lag and last error per workspace."""
        followers = self.followers_of(found)
        return list(zip(found, status(self.log, list(followers)), strict=True))

    def followers_of(self, found: builtins.list[Stream]) -> builtins.list[StreamFollower]:
        """Followers for these streams only (not cached: for status)."""
        return [StreamFollower(stream, allow_private=self._private) for stream in found]


def stream_followers(log: ActivityLog) -> list[StreamFollower]:
    """The followers registry's source: one follower per stream, but the streams an API
    key added that has since been revoked (a leaked key must not leave a feed of the log
    running: such a stream stops, its position kept, until removed)."""
    revoked = log.accounts().revoked_key_ids()
    service = Streams(log)
    return service.followers([s for s in service.list() if s.created_by not in revoked])


def status_json(stream: Stream, state: FollowerStatus) -> dict[str, Any]:
    """A stream's status as ``streams status --format json`` and the API show it: its id,
    name and workspace, entries behind, delay and last error, and per workspace followed
    the position, head, delay and retry."""
    return {
        "id": stream.id,
        "name": stream.name,
        "workspace": stream.workspace,
        **{key: value for key, value in state.as_json().items() if key != "name"},
        "follower": state.name,
    }


def _from_row(row: RowMapping) -> Stream:
    filters: dict[str, Any] = orjson.loads(row["filters"])
    return Stream(
        id=row["id"],
        name=row["name"],
        workspace=row["workspace"],
        kind=row["kind"],
        target=row["target"],
        format=row["format"],
        filters=filters,
        tls=bool(row["tls"]),
        ca_file=row["ca_file"],
        secret=row["secret"],
        start=row["start"],
        created_at=datetime.fromtimestamp(row["created_us"] / 1_000_000, UTC),
        created_by=row["created_by"],
    )


__all__ = ["ALL", "Streams", "status_json", "stream_followers"]
