"""Ed25519 keys for signed notes (C2SP signed-note), and the ring auditors verify with.

The private key lives in a PEM file outside the database (created 0600 on first use).
Its public half is named, as signed notes name keys, by a 4-byte key hash::

    key_hash = SHA-256(name || "\\n" || 0x01 || raw public key)[:4]

Rotation replaces the key file with a new key; the old key signs a *handover* note that
names its successor and the time it stops being valid. The ring file beside the key file
(``<key>.ring.pem``) holds every public key (PEM ``PUBLIC KEY`` blocks) and every handover
(``ACTIVITYLOG HANDOVER`` blocks); ``activitylog signing public-key`` prints it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from nacl.bindings import crypto_sign, crypto_sign_seed_keypair

from activitylog.errors import ConfigurationError

KEY_NAME = "activitylog"
ED25519 = b"\x01"
HANDOVER_HEADER = "activitylog key handover"
_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----\s*(.*?)-----END \1-----", re.S)


def default_key_path() -> Path:
    """``$ACTIVITYLOG_SIGNING_KEY``, else ``~/.config/activitylog/signing-key.pem``."""
    env = os.environ.get("ACTIVITYLOG_SIGNING_KEY")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "activitylog" / "signing-key.pem"


def ring_path(key_path: Path) -> Path:
    """Where the public key ring of the key at ``key_path`` is kept."""
    return key_path.with_name(key_path.name + ".ring.pem")


@dataclass(frozen=True)
class PublicKey:
    """A named Ed25519 public key, as a signed-note verifier knows it."""

    raw: bytes
    name: str = KEY_NAME

    @cached_property
    def key_hash(self) -> bytes:
        return hashlib.sha256(self.name.encode() + b"\n" + ED25519 + self.raw).digest()[:4]

    @property
    def key_id(self) -> str:
        return self.key_hash.hex()

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    def pem(self) -> str:
        key = Ed25519PublicKey.from_public_bytes(self.raw)
        return key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def vkey(self) -> str:
        """The signed-note verifier key: ``name+hash+base64(0x01 || key)``."""
        encoded = base64.b64encode(ED25519 + self.raw).decode()
        return f"{self.name}+{self.key_id}+{encoded}"

    @classmethod
    def from_pem(cls, pem: bytes, name: str = KEY_NAME) -> PublicKey:
        try:
            key = serialization.load_pem_public_key(pem)
        except (ValueError, UnsupportedAlgorithm):
            raise ConfigurationError("public_key: not a PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ConfigurationError("public_key: not an Ed25519 key")
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cls(raw, name)

    @classmethod
    def from_vkey(cls, vkey: str) -> PublicKey:
        try:
            name, key_id, encoded = vkey.split("+", 2)  # base64 may hold "+" itself
            data = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise ValueError(f"not a verifier key: {vkey!r}") from None
        if data[:1] != ED25519 or len(data) != 33:
            raise ValueError("not an Ed25519 verifier key")
        key = cls(data[1:], name)
        if key.key_id != key_id:
            raise ValueError("verifier key hash does not match its key")
        return key


class SigningKey:
    """The private key that signs checkpoints and handovers."""

    def __init__(self, private: Ed25519PrivateKey, name: str = KEY_NAME) -> None:
        self._private = private
        seed = private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        raw, self._expanded = crypto_sign_seed_keypair(seed)
        self.public = PublicKey(raw, name)

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature of ``message`` (libsodium: every append signs, and it
        takes about 40% less CPU than OpenSSL's; the signature is the same bytes)."""
        signed: bytes = crypto_sign(message, self._expanded)
        return signed[:64]

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_file(cls, path: Path, *, create: bool = True) -> SigningKey:
        """Load the private key at ``path``; create it (0600) when missing and ``create``."""
        if path.exists():
            try:
                key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except (ValueError, TypeError) as exc:
                raise ConfigurationError(f"signing key {path}: not a PEM private key") from exc
            if not isinstance(key, Ed25519PrivateKey):
                raise ConfigurationError(f"signing key {path}: not an Ed25519 key")
            return cls(key)
        if not create:
            raise ConfigurationError(f"signing key {path} does not exist")
        fresh = cls.generate()
        if not write_private(path, fresh, replace=False):
            return cls.from_file(path, create=False)  # another process won the race
        return fresh

    def private_pem(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def write_private(path: Path, key: SigningKey, *, replace: bool) -> bool:
    """Write ``key`` to ``path`` (0600) whole or not at all; without ``replace``, False
    when a file is there already."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(key.private_pem())
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)
    return True


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Handover:
    """``new`` signs from ``time`` (RFC 3339); ``old`` may sign until ``until``, a short
    grace while servers switch keys."""

    old: PublicKey
    new: PublicKey
    time: str
    until: str
    note: str


@dataclass
class KeyRing:
    """The public keys a verifier accepts, by key hash, and when each was valid."""

    keys: dict[bytes, PublicKey] = field(default_factory=dict)
    handovers: list[Handover] = field(default_factory=list)

    def add(self, key: PublicKey) -> None:
        self.keys.setdefault(key.key_hash, key)

    def find(self, key_hash: bytes) -> PublicKey | None:
        return self.keys.get(key_hash)

    def retired_at(self, key: PublicKey) -> str | None:
        """When ``key`` stopped being valid (None: still current)."""
        times = [h.until for h in self.handovers if h.old.key_hash == key.key_hash]
        return min(times, default=None)

    def valid_from(self, key: PublicKey) -> str | None:
        """When ``key`` took over (None: it is the first key)."""
        times = [h.time for h in self.handovers if h.new.key_hash == key.key_hash]
        return min(times, default=None)

    def valid_at(self, key: PublicKey, time: str) -> bool:
        """Whether ``key`` could sign at ``time`` (RFC 3339 UTC strings compare in order)."""
        retired, start = self.retired_at(key), self.valid_from(key)
        return (retired is None or time < retired) and (start is None or time >= start)

    def add_handovers(self, notes: Iterable[str]) -> None:
        """Accept the handovers whose old key is in this ring (or joins it through another
        handover) and which both keys signed."""
        from activitylog.notes import parse_handover

        known = {h.note for h in self.handovers}
        pending = [note for note in dict.fromkeys(notes) if note not in known]
        while pending:
            accepted = []
            for note in pending:
                handover = parse_handover(note, self)
                if handover is not None:
                    self.handovers.append(handover)
                    self.add(handover.new)
                    accepted.append(note)
            if not accepted:
                return
            pending = [note for note in pending if note not in accepted]

    def pem(self) -> str:
        """Every key and handover as one PEM bundle (the ring file's format)."""
        parts = [key.pem() for key in self.keys.values()]
        for handover in self.handovers:
            encoded = base64.encodebytes(handover.note.encode()).decode()
            parts.append(
                f"-----BEGIN ACTIVITYLOG HANDOVER-----\n{encoded}"
                "-----END ACTIVITYLOG HANDOVER-----\n"
            )
        return "".join(parts)

    @classmethod
    def from_pem(cls, bundles: Sequence[bytes]) -> KeyRing:
        """A ring from PEM bundles: ``PUBLIC KEY`` blocks and ``ACTIVITYLOG HANDOVER``
        blocks (handovers count only when a key of the ring signed them)."""
        ring = cls()
        notes: list[str] = []
        for bundle in bundles:
            text = bundle.decode("ascii", errors="replace")
            blocks = list(_BLOCK.finditer(text))
            if not blocks:
                raise ConfigurationError("public_key: no PEM public key found")
            for block in blocks:
                if block.group(1) == "PUBLIC KEY":
                    ring.add(PublicKey.from_pem(block.group(0).encode()))
                elif block.group(1) == "ACTIVITYLOG HANDOVER":
                    try:
                        notes.append(base64.b64decode(block.group(2)).decode())
                    except (binascii.Error, UnicodeDecodeError):
                        raise ConfigurationError(
                            "public_key: a handover block is not base64 of a note"
                        ) from None
        if not ring.keys:
            raise ConfigurationError("public_key: no PEM public key found")
        ring.add_handovers(notes)
        return ring


def load_ring(key_path: Path) -> KeyRing | None:
    """The ring kept beside the key file, with the key's own public half; None when
    neither exists."""
    bundles: list[bytes] = []
    ring_file = ring_path(key_path)
    if ring_file.exists():
        bundles.append(ring_file.read_bytes())
    if key_path.exists():
        bundles.append(SigningKey.from_file(key_path, create=False).public.pem().encode())
    return KeyRing.from_pem(bundles) if bundles else None
