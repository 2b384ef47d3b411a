"""The witness directory: checkpoints copied out of the database, append-only.

One file per workspace (``<name>.checkpoints``, the name percent-encoded), one JSON line
per checkpoint kept: ``{"workspace", "size", "note"}``, appended and fsynced after the
append that signed it committed; key handovers go to ``keys.handovers`` the same way. Put
the directory on another disk or a write-once mount: someone who can rewrite the database
cannot take back what reached it, so ``verify --witness-dir`` catches rollback,
truncation and deleted workspaces.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

import orjson

from activitylog.errors import ConfigurationError
from activitylog.notes import Checkpoint

SUFFIX = ".checkpoints"
HANDOVERS = "keys.handovers"
_MAX_NAME = 200


def file_name(workspace: str) -> str:
    """A file name for ``workspace`` (long names end in a hash of the whole name)."""
    encoded = quote(workspace, safe="").replace("~", "%7E")  # "~" marks a hashed name
    if len(encoded) > _MAX_NAME:
        digest = hashlib.sha256(workspace.encode()).hexdigest()[:16]
        encoded = f"{encoded[: _MAX_NAME - 17]}~{digest}"
    return encoded + SUFFIX


class Witness:
    """Appends checkpoints to, and reads them from, a witness directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        #: The largest size written per workspace by this process, or read back.
        self._sizes: dict[str, int] = {}

    def ensure(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(f"witness_dir: cannot create {self.directory}: {exc}") from exc

    def append(self, checkpoints: Iterable[Checkpoint]) -> None:
        """Append and fsync each checkpoint to its workspace's file."""
        by_workspace: dict[str, list[Checkpoint]] = {}
        for checkpoint in checkpoints:
            by_workspace.setdefault(checkpoint.origin, []).append(checkpoint)
        if not by_workspace:
            return
        with self._lock:
            self.ensure()
            for workspace, kept in by_workspace.items():
                lines = b"".join(
                    orjson.dumps({"workspace": workspace, "size": c.size, "note": c.note}) + b"\n"
                    for c in kept
                )
                self._append(self.directory / file_name(workspace), lines)
                self._sizes[workspace] = max(self._sizes.get(workspace, 0), *(c.size for c in kept))

    def append_handover(self, note: str) -> None:
        with self._lock:
            self.ensure()
            self._append(self.directory / HANDOVERS, orjson.dumps({"note": note}) + b"\n")

    def _append(self, path: Path, data: bytes) -> None:
        created = not path.exists()
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            end = os.fstat(fd).st_size
            if end and os.pread(fd, 1, end - 1) != b"\n":
                data = b"\n" + data  # a torn line (a crash mid-write) stays on its own
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def witnessed_size(self, workspace: str) -> int:
        """The largest size the witness holds for ``workspace``."""
        if workspace not in self._sizes:
            sizes = [size for size, _ in self.checkpoints(workspace)]
            self._sizes[workspace] = max(sizes, default=0)
        return self._sizes[workspace]

    def workspaces(self) -> list[str]:
        """Every workspace with a file here (read from the lines, not the file names)."""
        if not self.directory.is_dir():
            return []
        names: set[str] = set()
        for path in self.directory.glob(f"*{SUFFIX}"):
            for line in _lines(path):
                workspace = line.get("workspace")
                if isinstance(workspace, str):
                    names.add(workspace)
                    break
        return sorted(names)

    def checkpoints(self, workspace: str) -> list[tuple[int, str]]:
        """``(size, note)`` of every checkpoint witnessed for ``workspace``."""
        path = self.directory / file_name(workspace)
        found = []
        for line in _lines(path):
            size, note = line.get("size"), line.get("note")
            if line.get("workspace") == workspace and isinstance(note, str):
                found.append((size if isinstance(size, int) else 0, note))
        return found

    def handovers(self) -> list[str]:
        notes = (line.get("note") for line in _lines(self.directory / HANDOVERS))
        return [note for note in notes if isinstance(note, str)]


def _lines(path: Path) -> list[dict[str, object]]:
    """The JSON objects of a witness file; a torn last line (a crash mid-write) is skipped."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    out = []
    for raw in data.splitlines():
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out
