"""Ed25519-signed checkpoints of a workspace's chain head.

The private key lives in a PEM file outside the database (created with mode 0600 on first
use); the signature covers the UTF-8 message::

    activitylog-checkpoint/v1\\n{workspace}\\n{seq}\\n{chain_hash}\\n{signed_at}

so rewriting the whole chain in the database is detectable by anyone holding the public key.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from activitylog.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class Checkpoint:
    workspace: str
    seq: int
    chain_hash: str
    signed_at: str
    key_id: str
    signature: str

    def message(self) -> bytes:
        return checkpoint_message(self.workspace, self.seq, self.chain_hash, self.signed_at)


def checkpoint_message(workspace: str, seq: int, chain_hash: str, signed_at: str) -> bytes:
    return f"activitylog-checkpoint/v1\n{workspace}\n{seq}\n{chain_hash}\n{signed_at}".encode()


def default_key_path() -> Path:
    """``$ACTIVITYLOG_SIGNING_KEY``, else ``~/.config/activitylog/signing-key.pem``."""
    env = os.environ.get("ACTIVITYLOG_SIGNING_KEY")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "activitylog" / "signing-key.pem"


class CheckpointSigner:
    """Signs and verifies checkpoints with one Ed25519 key."""

    def __init__(self, private_key: Ed25519PrivateKey | None, public_key: Ed25519PublicKey):
        self._private = private_key
        self._public = public_key
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]

    @classmethod
    def from_file(cls, path: Path, *, create: bool = True) -> CheckpointSigner:
        """Load the private key at ``path``; create it (0600) when missing and ``create``."""
        if path.exists():
            try:
                key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except (ValueError, TypeError) as exc:
                raise ConfigurationError(f"signing key {path}: not a PEM private key") from exc
            if not isinstance(key, Ed25519PrivateKey):
                raise ConfigurationError(f"signing key {path}: not an Ed25519 key")
            return cls(key, key.public_key())
        if not create:
            raise ConfigurationError(f"signing key {path} does not exist")
        key = Ed25519PrivateKey.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Write a private temporary file, then link it into place: the key appears whole
        # or not at all, and when another process won the race we use its key.
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
        tmp = Path(tmp_name)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return cls.from_file(path, create=False)
        finally:
            tmp.unlink()
        return cls(key, key.public_key())

    @classmethod
    def from_public_pem(cls, pem: bytes) -> CheckpointSigner:
        """A verify-only signer from a public key (for third-party verification)."""
        try:
            key = serialization.load_pem_public_key(pem)
        except (ValueError, UnsupportedAlgorithm):
            raise ConfigurationError("public_key: not a PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ConfigurationError("public_key: not an Ed25519 key")
        return cls(None, key)

    def public_pem(self) -> bytes:
        return self._public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, workspace: str, seq: int, chain_hash: str, signed_at: str) -> Checkpoint:
        if self._private is None:
            raise ConfigurationError("this signer holds only a public key")
        signature = self._private.sign(checkpoint_message(workspace, seq, chain_hash, signed_at))
        return Checkpoint(workspace, seq, chain_hash, signed_at, self.key_id, signature.hex())

    def verify(self, checkpoint: Checkpoint) -> bool:
        if checkpoint.key_id != self.key_id:
            return False
        try:
            self._public.verify(bytes.fromhex(checkpoint.signature), checkpoint.message())
        except (InvalidSignature, ValueError):
            return False
        return True
