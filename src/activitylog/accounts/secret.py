"""The server secret: 32 random bytes, hex in a 0600 file outside the database.

It signs viewer tokens (and nothing else). Like the checkpoint key, it is created on first
use, whole or not at all: written to a private temporary file and linked into place, so
two processes starting at once agree on one secret and neither reads a half-written file.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from activitylog.errors import ConfigurationError

SECRET_BYTES = 32


def load_or_create_secret(path: Path) -> bytes:
    """The secret in ``path``, created (mode 0600, parent directories too) when missing."""
    path = Path(path)
    if path.exists():
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    tmp = Path(tmp_name)
    value = secrets.token_bytes(SECRET_BYTES)
    with os.fdopen(fd, "w") as out:
        out.write(value.hex() + "\n")
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(tmp, path)  # fails if the name exists: like O_CREAT | O_EXCL, but whole
    except FileExistsError:
        return _read(path)  # another process won the race: use its secret
    finally:
        tmp.unlink()
    return value


def _read(path: Path) -> bytes:
    try:
        text = path.read_text().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"secret key {path}: cannot be read ({exc})") from None
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise ConfigurationError(f"secret key {path}: not hex") from None
    if len(value) < SECRET_BYTES:
        raise ConfigurationError(f"secret key {path}: shorter than {SECRET_BYTES} bytes")
    return value
