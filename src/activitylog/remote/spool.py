"""The spool: events the server has not confirmed yet, kept in append-only NDJSON files.

Each transport writes its own file, ``<key>.<created>.<pid>-<random>.ndjson`` in the spool
directory, where ``key`` names the server's base URL. A line is one event in the API's JSON
shape, so a spool file can be read with ``jq`` or loaded with ``activitylog ingest``. Every
append is written and fsynced before it counts. A file is held with ``flock`` by the transport that
writes or replays it, so two processes never replay the same file; files of processes that
are gone are adopted by the next transport for the same base URL and replayed first.

Replay reads a batch without consuming it; :meth:`Spool.confirm` consumes it once the
server has stored it. A file is truncated (our own) or removed (adopted) only when every
line in it was confirmed. A crash mid-append leaves a torn last line: it is skipped with a
warning (it was never acknowledged as spooled).

Events the server refuses for good go to ``rejected-<key>.<created>.<pid>-<random>.ndjson``
in the same directory.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import orjson

logger = logging.getLogger("activitylog.remote")

#: Bytes read from a spool file per ``pread`` while collecting a batch.
READ_CHUNK = 1 << 20


def spool_key(base_url: str) -> str:
    """A file-name-safe name for a base URL: readable host and port, plus a digest."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = re.sub(r"[^A-Za-z0-9.-]", "_", parts.hostname or "host")
    digest = hashlib.sha256(base_url.rstrip("/").encode()).hexdigest()[:10]
    return f"{host}-{port}-{digest}"


@dataclass(eq=False)
class SpoolFile:
    """One locked spool file; ``offset`` is where the unconfirmed lines start."""

    path: Path
    fd: int
    size: int
    offset: int = 0
    adopted: bool = False
    torn_reported: bool = False


@dataclass(frozen=True)
class SpoolBatch:
    """Up to ``limit`` events read from ``file`` between ``start`` and ``end`` (bytes)."""

    file: SpoolFile
    start: int
    end: int
    lines: list[bytes]


class Spool:
    """The spool files of one transport: its own (created on first append) and adopted ones.

    Not thread-safe: one thread (the transport's sender) does everything.
    """

    def __init__(self, directory: Path, base_url: str) -> None:
        self.directory = directory
        self.key = spool_key(base_url)
        # Creation time first (adopted files replay oldest first), then unique per spool.
        self._stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}.{os.getpid()}-{secrets.token_hex(4)}"
        self._own: SpoolFile | None = None
        self._adopted: list[SpoolFile] = []
        self._rejected_fd: int | None = None
        self.rejected_path = directory / f"rejected-{self.key}.{self._stamp}.ndjson"
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    # -- state -----------------------------------------------------------------------------
    def pending(self) -> bool:
        """Whether any spooled line still waits for the server."""
        own = self._own
        return bool(self._adopted) or (own is not None and own.offset < own.size)

    def files(self) -> list[Path]:
        """The files held, oldest first (adopted ones, then our own)."""
        held = [*self._adopted, *([self._own] if self._own else [])]
        return [f.path for f in held]

    # -- writing ---------------------------------------------------------------------------
    def append(self, lines: Sequence[bytes]) -> None:
        """Append events (one JSON document each, no newline) durably: written and fsynced,
        or (on OSError) not written at all."""
        own = self._own or self._create()
        data = b"".join(line + b"\n" for line in lines)
        _append_durably(own.fd, data, own.size)
        own.size += len(data)

    def reject(self, lines: Sequence[bytes]) -> Path:
        """Append events the server refused for good to this transport's rejected file."""
        if self._rejected_fd is None:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
            self._rejected_fd = os.open(self.rejected_path, flags, 0o600)
        size = os.fstat(self._rejected_fd).st_size
        _append_durably(self._rejected_fd, b"".join(line + b"\n" for line in lines), size)
        return self.rejected_path

    # -- replaying -------------------------------------------------------------------------
    def adopt(self) -> int:
        """Lock and queue for replay the files earlier processes left for this base URL;
        files another live transport holds are left alone. Returns how many were adopted."""
        own = self._own.path if self._own else None
        for path in sorted(self.directory.glob(f"{self.key}.*.ndjson")):
            if path == own or any(f.path == path for f in self._adopted):
                continue
            held = _lock_existing(path)
            if held is None:
                continue
            if held.size == 0:
                _remove(held)
                continue
            held.adopted = True
            self._adopted.append(held)
            logger.info("replaying %s bytes of events spooled in %s", f"{held.size:,}", path)
        return len(self._adopted)

    def read(self, limit: int) -> SpoolBatch | None:
        """The next unconfirmed events, oldest file first (``None`` when nothing waits).

        Lines that are not JSON objects are moved to the rejected file with an error; a
        torn last line (no newline: a crash mid-write) is skipped with a warning.
        """
        while True:
            file = self._oldest()
            if file is None:
                return None
            lines, end, torn = _read_lines(file.fd, file.offset, file.size, limit)
            good = [line for line in lines if _is_event(line)]
            if len(good) < len(lines):
                path = self.reject([line for line in lines if line and not _is_event(line)])
                logger.error("%s holds lines that are not events; moved to %s", file.path, path)
            if torn and not file.torn_reported:
                file.torn_reported = True
                logger.warning("skipped a torn last line (%d bytes) in %s", torn, file.path)
            batch = SpoolBatch(file, file.offset, end, good)
            if good:
                return batch
            self.confirm(batch)  # only blank, broken or torn lines: nothing to send

    def confirm(self, batch: SpoolBatch) -> None:
        """The server stored ``batch``: consume it; drop the file once all of it is."""
        file = batch.file
        file.offset = max(file.offset, batch.end)
        if file.offset < file.size:
            return
        if file.adopted:
            self._adopted.remove(file)
            _remove(file)
        else:
            os.ftruncate(file.fd, 0)
            os.fsync(file.fd)
            file.size = file.offset = 0

    def close(self) -> None:
        """Release every lock; our own file is removed when nothing in it is unconfirmed.
        Unconfirmed lines stay for the next transport (re-sending confirmed ones is
        harmless: ids make the server's writes idempotent)."""
        for file in self._adopted:
            os.close(file.fd)
        self._adopted.clear()
        own, self._own = self._own, None
        if own is not None:
            if own.offset >= own.size:
                _remove(own)
            else:
                os.close(own.fd)
        if self._rejected_fd is not None:
            os.close(self._rejected_fd)
            self._rejected_fd = None

    # -- internals -------------------------------------------------------------------------
    def _create(self) -> SpoolFile:
        # Created and locked under a name adopt() does not match, then linked into place
        # (never over another file): no process may adopt (and delete) a file we are about
        # to write.
        path = self.directory / f"{self.key}.{self._stamp}.ndjson"
        hidden = path.with_name(f".{path.name}.new")
        fd = os.open(hidden, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.link(hidden, path)
        except OSError:
            os.close(fd)
            raise
        finally:
            hidden.unlink()
        _fsync_directory(self.directory)
        self._own = SpoolFile(path, fd, 0)
        return self._own

    def _oldest(self) -> SpoolFile | None:
        if self._adopted:
            return self._adopted[0]
        own = self._own
        return own if own is not None and own.offset < own.size else None


def _append_durably(fd: int, data: bytes, size: int) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError:
        # A partial line must not stay in the middle of the file (later appends would
        # follow it): cut back to what was there.
        try:
            os.ftruncate(fd, size)
        except OSError:
            logger.exception("could not cut a failed append back to %d bytes", size)
        raise


def _read_lines(fd: int, offset: int, size: int, limit: int) -> tuple[list[bytes], int, int]:
    """Up to ``limit`` complete lines from ``offset``: (lines, end offset, torn bytes).

    A tail without a newline at the end of the file is torn: ``end`` moves past it.
    """
    lines: list[bytes] = []
    rest = b""
    position = offset
    end = offset
    while len(lines) < limit and position < size:
        chunk = os.pread(fd, min(READ_CHUNK, size - position), position)
        if not chunk:
            break
        position += len(chunk)
        *complete, rest = (rest + chunk).split(b"\n")
        for line in complete:
            if len(lines) == limit:
                return [x for x in lines if x], end, 0
            lines.append(line)
            end += len(line) + 1
    torn = 0
    if len(lines) < limit and rest and position >= size:
        torn = len(rest)
        end += torn
    return [x for x in lines if x], end, torn


def _is_event(line: bytes) -> bool:
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False


def _lock_existing(path: Path) -> SpoolFile | None:
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Between our open and our lock its holder may have replayed and removed it.
        if os.fstat(fd).st_ino != path.stat().st_ino:
            raise FileNotFoundError(path)
    except (BlockingIOError, FileNotFoundError):
        os.close(fd)
        return None
    return SpoolFile(path, fd, os.fstat(fd).st_size)


def _remove(file: SpoolFile) -> None:
    # Unlink while still holding the lock, so nobody locks it in between and replays it.
    file.path.unlink(missing_ok=True)
    os.close(file.fd)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
