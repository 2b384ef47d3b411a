"""The workspaces a chdb log's appends are writing, in a file beside the log while they do.

An append on ClickHouse is several inserts (entries, checkpoints, heads); a process killed
between them leaves entries past a head, never acknowledged. The file names the workspaces
of appends under way, and of those whose leftovers could not be removed yet, so the next
process to open the log removes what they left from those alone
(:meth:`~activitylog.store.clickhouse.writes.ClickHouseWrites.recover`) without looking
through every workspace. It is written without an fsync: what a power loss takes from it,
the first append of each workspace looks for anyway.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

_SHARED: dict[Path, InFlight] = {}
_SHARED_LOCK = threading.Lock()


def in_flight_at(path: Path) -> InFlight:
    """The :class:`InFlight` of ``path``, shared by the stores of its log in this process
    (which take turns at the log's writer lock)."""
    with _SHARED_LOCK:
        return _SHARED.setdefault(path, InFlight(path))


class InFlight:
    """The names the file holds, one a line; changed under the log's writer lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._names = set(self.left())

    def begin(self, workspaces: Iterable[str]) -> None:
        """Name ``workspaces`` too, before their entries are inserted."""
        self._keep(self._names | set(workspaces))

    def end(self, workspaces: Iterable[str]) -> None:
        """``workspaces`` have nothing under way or left past their heads any more."""
        self._keep(self._names - set(workspaces))

    def left(self) -> list[str]:
        """The workspaces the file names (at opening: appends a stopped process left)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return sorted(set(text.split("\n")) - {""})

    def _keep(self, names: set[str]) -> None:
        if names == self._names:
            return
        if names:
            fresh = self.path.with_name(f"{self.path.name}.new")
            fresh.write_text("".join(f"{name}\n" for name in sorted(names)), encoding="utf-8")
            os.replace(fresh, self.path)
        else:
            self.path.unlink(missing_ok=True)
        self._names = names
