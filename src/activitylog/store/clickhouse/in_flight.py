"""The workspaces a chdb log's append is writing, in a file beside the log while it writes.

An append on ClickHouse is several inserts (entries, checkpoints, heads); a process killed
between them leaves entries past a head, never acknowledged. The file names the workspaces
of the append under way, so the next process to open the log removes what it left from
those alone (:meth:`~activitylog.store.clickhouse.writes.ClickHouseWrites.recover`)
without looking through every workspace. It is written without an fsync: what a power
loss takes from it, the first append of each workspace looks for anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class InFlight:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._workspaces: set[str] = set()

    def begin(self, workspaces: Iterable[str]) -> None:
        """Name ``workspaces`` too, before their entries are inserted."""
        more = set(workspaces) - self._workspaces
        if more:
            self._workspaces |= more
            self.path.write_text("".join(f"{w}\n" for w in sorted(self._workspaces)))

    def end(self) -> None:
        """Their heads are written (or what was inserted removed): nothing is under way."""
        if self._workspaces:
            self.path.unlink(missing_ok=True)
            self._workspaces.clear()

    def left(self) -> list[str]:
        """The workspaces an append was writing when its process stopped."""
        try:
            return sorted(set(self.path.read_text().splitlines()) - {""})
        except FileNotFoundError:
            return []

    def cleared(self) -> None:
        """What :meth:`left` named has been looked at."""
        self.path.unlink(missing_ok=True)
