"""Signed notes (C2SP signed-note) and the two kinds activitylog writes: checkpoints of a
workspace's Merkle tree (C2SP tlog-checkpoint) and key handovers.

A note is UTF-8 text ending in a newline, a blank line, then one line per signature::

    — <key name> <base64(4-byte key hash || 64-byte Ed25519 signature of the text)>

A checkpoint's text::

    <origin: the workspace>
    <tree size, decimal>
    <root hash, base64>
    chain <chain hash at that size, hex>
    prev <tree size of the checkpoint stored before this one, 0 for the first>
    time <when it was signed, RFC 3339 UTC>

The last three are extension lines; tlog tooling reads the first three and ignores them.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from activitylog.signing import HANDOVER_HEADER, Handover, KeyRing, PublicKey, SigningKey

SIGNATURE_PREFIX = "— "  # an em dash and a space
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Signature:
    name: str
    key_hash: bytes
    signature: bytes


def sign_note(text: str, key: SigningKey) -> str:
    """``text`` (ending in a newline) with ``key``'s signature line."""
    if not text.endswith("\n"):
        raise ValueError("a note's text ends with a newline")
    signature = key.sign(text.encode())
    encoded = base64.b64encode(key.public.key_hash + signature).decode()
    return f"{text}\n{SIGNATURE_PREFIX}{key.public.name} {encoded}\n"


def cosign(note: str, key: SigningKey) -> str:
    """Add ``key``'s signature to a signed note."""
    text, _ = split_note(note)
    signature = key.sign(text.encode())
    encoded = base64.b64encode(key.public.key_hash + signature).decode()
    return f"{note}{SIGNATURE_PREFIX}{key.public.name} {encoded}\n"


def split_note(note: str) -> tuple[str, list[Signature]]:
    """The signed text and the signature lines; ValueError when malformed."""
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise ValueError("not a signed note")
    text, lines = note[: cut + 1], note[cut + 2 :].splitlines()
    signatures = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise ValueError("malformed signature line")
        try:
            name, encoded = line[len(SIGNATURE_PREFIX) :].split(" ")
            data = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise ValueError("malformed signature line") from None
        if len(data) < 5:
            raise ValueError("malformed signature line")
        signatures.append(Signature(name, data[:4], data[4:]))
    if not signatures:
        raise ValueError("a signed note has at least one signature")
    return text, signatures


def signer_of(note: str, ring: KeyRing) -> PublicKey | None:
    """The ring's key whose signature on ``note`` verifies, if any."""
    try:
        text, signatures = split_note(note)
    except ValueError:
        return None
    message = text.encode()
    for sig in signatures:
        key = ring.find(sig.key_hash)
        if key is not None and key.name == sig.name and key.verify(sig.signature, message):
            return key
    return None


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of a workspace's tree: its size, root and chain hash."""

    origin: str
    size: int
    root: bytes
    chain_hash: str
    prev: int
    time: str
    note: str

    @property
    def workspace(self) -> str:
        return self.origin

    @property
    def seq(self) -> int:
        return self.size


def checkpoint_text(
    origin: str, size: int, root: bytes, chain_hash: str, prev: int, time: str
) -> str:
    if not origin or _CONTROL.search(origin):
        raise ValueError("a checkpoint's origin is one line of printable text")
    return (
        f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"
        f"chain {chain_hash}\nprev {prev}\ntime {time}\n"
    )


def sign_checkpoint(
    key: SigningKey, origin: str, size: int, root: bytes, chain_hash: str, prev: int, time: str
) -> Checkpoint:
    note = sign_note(checkpoint_text(origin, size, root, chain_hash, prev, time), key)
    return Checkpoint(origin, size, root, chain_hash, prev, time, note)


def parse_checkpoint(note: str) -> Checkpoint:
    """The checkpoint a note states (signatures not checked); ValueError when malformed."""
    text, _ = split_note(note)
    lines = text.splitlines()
    if len(lines) < 3:
        raise ValueError("a checkpoint has an origin, a size and a root hash")
    origin, size_text, root_text, *extensions = lines
    if not _DECIMAL.fullmatch(size_text):
        raise ValueError("checkpoint size is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        raise ValueError("checkpoint root is not base64") from None
    if len(root) != 32:
        raise ValueError("checkpoint root is not a SHA-256 hash")
    fields = dict(line.split(" ", 1) for line in extensions if " " in line)
    prev = fields.get("prev", "")
    if not _DECIMAL.fullmatch(prev):
        raise ValueError("checkpoint has no prev line")
    return Checkpoint(
        origin,
        int(size_text),
        root,
        fields.get("chain", ""),
        int(prev),
        fields.get("time", ""),
        note,
    )


def verified_checkpoint(note: str, ring: KeyRing) -> tuple[Checkpoint, str | None]:
    """The checkpoint and, when it does not verify, why: no key of the ring signed it,
    or the key had handed over before the checkpoint's time."""
    checkpoint = parse_checkpoint(note)
    key = signer_of(note, ring)
    if key is None:
        return checkpoint, "signature does not verify with any known public key"
    if not ring.valid_at(key, checkpoint.time):
        return checkpoint, f"signed by key {key.key_id} after it was retired"
    return checkpoint, None


# -- key handovers --------------------------------------------------------------------------


def handover_text(old: PublicKey, new: PublicKey, time: str, until: str) -> str:
    return f"{HANDOVER_HEADER}\nold {old.vkey()}\nnew {new.vkey()}\ntime {time}\nuntil {until}\n"


def sign_handover(old: SigningKey, new: SigningKey, time: str, until: str | None = None) -> str:
    """A handover signed by the old key, and by the new one (it holds its private half):
    ``new`` signs from ``time``; ``old`` may still sign until ``until`` (default ``time``),
    while servers switch keys."""
    text = handover_text(old.public, new.public, time, until or time)
    return cosign(sign_note(text, old), new)


def parse_handover(note: str, ring: KeyRing) -> Handover | None:
    """The handover ``note`` states if its old key is in ``ring`` and both keys signed it."""
    try:
        text, _ = split_note(note)
        header, old_line, new_line, time_line, until_line = text.splitlines()
        old = PublicKey.from_vkey(old_line.removeprefix("old "))
        new = PublicKey.from_vkey(new_line.removeprefix("new "))
    except ValueError:
        return None
    if (
        header != HANDOVER_HEADER
        or not time_line.startswith("time ")
        or not until_line.startswith("until ")
    ):
        return None
    if old.key_hash not in ring.keys:
        return None
    pair = KeyRing({old.key_hash: old})
    if signer_of(note, pair) is None or signer_of(note, KeyRing({new.key_hash: new})) is None:
        return None
    return Handover(
        old, new, time_line.removeprefix("time "), until_line.removeprefix("until "), note
    )
