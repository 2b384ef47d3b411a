"""signing: the Ed25519 key file, checkpoints, verify-only signers."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from activitylog.errors import ConfigurationError
from activitylog.signing import CheckpointSigner, checkpoint_message, default_key_path

HASH = "ab" * 32
SIGNED_AT = "2026-03-01T12:00:00.000000Z"


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "signing-key.pem"


def test_key_file_created_0600_and_reused(key_path: Path) -> None:
    first = CheckpointSigner.from_file(key_path)
    assert key_path.exists()
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert key_path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    contents = key_path.read_bytes()
    second = CheckpointSigner.from_file(key_path)
    assert key_path.read_bytes() == contents  # not rewritten
    assert second.key_id == first.key_id
    assert second.verify(first.sign("acme", 10, HASH, SIGNED_AT))


def test_missing_key_without_create(key_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        CheckpointSigner.from_file(key_path, create=False)
    assert not key_path.exists()


def test_key_file_not_pem(tmp_path: Path) -> None:
    path = tmp_path / "bad.pem"
    path.write_bytes(b"not a key")
    with pytest.raises(ConfigurationError, match="not a PEM private key"):
        CheckpointSigner.from_file(path)


def test_key_file_not_ed25519(tmp_path: Path) -> None:
    path = tmp_path / "ec.pem"
    key = generate_private_key(SECP256R1())
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ConfigurationError, match="not an Ed25519 key"):
        CheckpointSigner.from_file(path)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ConfigurationError, match="not an Ed25519 key"):
        CheckpointSigner.from_public_pem(public)


def test_sign_and_verify(key_path: Path) -> None:
    signer = CheckpointSigner.from_file(key_path)
    cp = signer.sign("acme", 10, HASH, SIGNED_AT)
    assert (cp.workspace, cp.seq, cp.chain_hash, cp.signed_at) == ("acme", 10, HASH, SIGNED_AT)
    assert cp.key_id == signer.key_id
    assert len(cp.key_id) == 16
    assert len(bytes.fromhex(cp.signature)) == 64
    assert signer.verify(cp)


def test_message_format() -> None:
    assert checkpoint_message("acme", 10, HASH, SIGNED_AT) == (
        f"activitylog-checkpoint/v1\nacme\n10\n{HASH}\n{SIGNED_AT}".encode()
    )


def test_verify_only_signer_from_public_pem(key_path: Path) -> None:
    signer = CheckpointSigner.from_file(key_path)
    cp = signer.sign("acme", 10, HASH, SIGNED_AT)
    public = CheckpointSigner.from_public_pem(signer.public_pem())
    assert public.key_id == signer.key_id
    assert public.verify(cp)
    assert public.public_pem() == signer.public_pem()
    with pytest.raises(ConfigurationError, match="only a public key"):
        public.sign("acme", 11, HASH, SIGNED_AT)


def test_wrong_key_does_not_verify(tmp_path: Path) -> None:
    ours = CheckpointSigner.from_file(tmp_path / "ours.pem")
    theirs = CheckpointSigner.from_file(tmp_path / "theirs.pem")
    assert ours.key_id != theirs.key_id
    cp = theirs.sign("acme", 10, HASH, SIGNED_AT)
    assert not ours.verify(cp)
    # Even claiming our key id, their signature does not verify with our key.
    assert not ours.verify(dataclasses.replace(cp, key_id=ours.key_id))
    assert not CheckpointSigner.from_public_pem(ours.public_pem()).verify(cp)


@pytest.mark.parametrize(
    "change",
    [
        {"workspace": "other"},
        {"seq": 11},
        {"chain_hash": "cd" * 32},
        {"signed_at": "2026-03-02T12:00:00.000000Z"},
        {"signature": "00" * 64},
        {"signature": "not hex"},
        {"signature": ""},
    ],
)
def test_tampered_checkpoint_does_not_verify(key_path: Path, change: dict[str, object]) -> None:
    signer = CheckpointSigner.from_file(key_path)
    cp = signer.sign("acme", 10, HASH, SIGNED_AT)
    assert not signer.verify(dataclasses.replace(cp, **change))  # type: ignore[arg-type]


def test_default_key_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "k.pem"))
    assert default_key_path() == tmp_path / "k.pem"
    monkeypatch.delenv("ACTIVITYLOG_SIGNING_KEY")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert default_key_path() == tmp_path / "cfg" / "activitylog" / "signing-key.pem"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_key_path() == tmp_path / "home" / ".config" / "activitylog" / "signing-key.pem"
