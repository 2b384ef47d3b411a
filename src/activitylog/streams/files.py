"""File destination: each batch appended as lines, flushed and fsynced before the
follower moves on. A batch sent again after a crash is appended again: readers drop
repeats by event id (``id`` in json, ``metadata.uid`` in OCSF, ``externalId`` in CEF)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any


class FileSender:
    needs_entries = False

    def __init__(self, path: str) -> None:
        self.path = path

    def send(self, batch_id: str, entries: Sequence[dict[str, Any]], lines: list[bytes]) -> None:
        data = b"\n".join(lines) + b"\n"
        new = not os.path.exists(self.path)
        with open(self.path, "ab") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if new:  # the file's name too must survive a crash
            folder = os.open(os.path.dirname(self.path), os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    def close(self) -> None:
        pass
