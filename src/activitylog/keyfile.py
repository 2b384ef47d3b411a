"""The signing key file and its ring: loaded on first use, reloaded after a rotation.

``rotate`` makes a new key, has the old key (and the new one) sign a handover naming the
time the old key stops being valid, adds both to the ring file beside the key, and only
then replaces the key file. A server notices the new file within a second and signs with
the new key from then on.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from activitylog.notes import sign_handover
from activitylog.signing import KeyRing, SigningKey, load_ring, ring_path, write_private

_RECHECK_SECONDS = 1.0
HANDOVER_GRACE = timedelta(seconds=5)


class KeyFile:
    """The private key at ``path`` (created 0600 on first use) and its public ring."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: SigningKey | None = None
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def exists(self) -> bool:
        return self.path.exists()

    def key(self) -> SigningKey:
        """The current key; a rotation made by another process is picked up within a
        second."""
        with self._lock:
            now = time.monotonic()
            if self._key is not None and now - self._checked < _RECHECK_SECONDS:
                return self._key
            self._checked = now
            stamp = self._file_stamp()
            if self._key is None or stamp != self._stamp:
                self._key = SigningKey.from_file(self.path)
                self._stamp = self._file_stamp()
            return self._key

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def ring(self) -> KeyRing:
        """Every public key this log signed with, and the handovers between them."""
        ring = load_ring(self.path)
        if ring is None:
            ring = KeyRing()
            ring.add(self.key().public)
        return ring

    def rotate(self) -> str:
        """Replace the key; returns the signed handover note."""
        old = self.key()
        ring = self.ring()
        new = SigningKey.generate()
        # The old key stays valid for a grace longer than servers take to notice the new
        # file, so nothing they sign meanwhile is refused.
        now = datetime.now(UTC)
        note = sign_handover(old, new, _rfc3339(now), _rfc3339(now + HANDOVER_GRACE))
        ring.add(new.public)
        ring.add_handovers([note])
        _write_text(ring_path(self.path), ring.pem())
        write_private(self.path, new, replace=True)
        with self._lock:
            self._key, self._stamp, self._checked = new, self._file_stamp(), time.monotonic()
        return note


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
