"""signing: the Ed25519 key file, public keys as signed notes name them, the key ring."""

from __future__ import annotations

import base64
import hashlib
import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key as rsa_key

from activitylog.errors import ConfigurationError
from activitylog.notes import sign_handover
from activitylog.signing import (
    ED25519,
    HANDOVER_HEADER,
    KEY_NAME,
    KeyRing,
    PublicKey,
    SigningKey,
    default_key_path,
    load_ring,
    ring_path,
    write_private,
)

T1 = "2026-03-01T12:00:00.000000Z"
T2 = "2026-04-01T12:00:00.000000Z"
#: golang.org/x/mod/sumdb/note's example key (its base64 has no '+').
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#: transparency-dev/formats' test key whose base64 holds a '+'.
PLUS_VKEY = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"


def key(seed: int) -> SigningKey:
    """A fixed key; seeds 1..7 give verifier keys without '+' in their base64."""
    return SigningKey(Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


def pem_of(private: object) -> bytes:
    return private.private_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "signing-key.pem"


# -- where keys live -----------------------------------------------------------------------


def test_default_key_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "k.pem"))
    assert default_key_path() == tmp_path / "k.pem"
    monkeypatch.delenv("ACTIVITYLOG_SIGNING_KEY")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert default_key_path() == tmp_path / "xdg" / "activitylog" / "signing-key.pem"


def test_ring_path_sits_beside_the_key(key_path: Path) -> None:
    assert ring_path(key_path) == key_path.parent / "signing-key.pem.ring.pem"


# -- the private key file ------------------------------------------------------------------


def test_key_file_created_0600_and_reused(key_path: Path) -> None:
    first = SigningKey.from_file(key_path)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    contents = key_path.read_bytes()
    assert contents.startswith(b"-----BEGIN PRIVATE KEY-----")
    second = SigningKey.from_file(key_path)
    assert key_path.read_bytes() == contents  # not rewritten
    assert second.public == first.public
    assert first.public.verify(second.sign(b"x"), b"x")
    assert [p.name for p in key_path.parent.iterdir()] == [key_path.name]  # no temp file left


def test_missing_key_without_create(key_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        SigningKey.from_file(key_path, create=False)
    assert not key_path.exists()


def test_concurrent_creation_agrees_on_one_key(key_path: Path) -> None:
    barrier = threading.Barrier(16)
    found: list[PublicKey] = []
    errors: list[BaseException] = []

    def create() -> None:
        barrier.wait()
        try:
            found.append(SigningKey.from_file(key_path).public)
        except BaseException as exc:  # collected and re-raised by the test
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(found) == 16
    assert len(set(found)) == 1
    assert SigningKey.from_file(key_path, create=False).public == found[0]
    assert [p.name for p in key_path.parent.iterdir()] == [key_path.name]


@pytest.mark.parametrize(
    ("contents", "match"),
    [
        (b"not a key", "not a PEM private key"),
        (b"", "not a PEM private key"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not a PEM"),
        (pem_of(generate_private_key(SECP256R1())), "not an Ed25519 key"),
        (pem_of(rsa_key(public_exponent=65537, key_size=1024)), "not an Ed25519 key"),
        (key(1).public.pem().encode(), "not a PEM private key"),  # a public key
    ],
    ids=["garbage", "empty", "bad-base64", "ec", "rsa", "public"],
)
def test_key_file_refused(tmp_path: Path, contents: bytes, match: str) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(contents)
    with pytest.raises(ConfigurationError, match=match):
        SigningKey.from_file(path)
    assert path.read_bytes() == contents  # never overwritten


def test_encrypted_key_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    with pytest.raises(ConfigurationError, match="not a PEM private key"):
        SigningKey.from_file(path)


def test_write_private(key_path: Path) -> None:
    assert write_private(key_path, key(1), replace=False)
    assert not write_private(key_path, key(2), replace=False)
    assert SigningKey.from_file(key_path).public == key(1).public
    assert write_private(key_path, key(2), replace=True)
    assert SigningKey.from_file(key_path).public == key(2).public
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert [p.name for p in key_path.parent.iterdir()] == [key_path.name]


def test_private_pem_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(key(3).private_pem())
    assert SigningKey.from_file(path).public == key(3).public


# -- public keys ---------------------------------------------------------------------------


def test_key_hash_is_c2sp_signed_note_hash() -> None:
    public = key(1).public
    expected = hashlib.sha256(KEY_NAME.encode() + b"\n" + b"\x01" + public.raw).digest()[:4]
    assert ED25519 == b"\x01"
    assert public.key_hash == expected
    assert public.key_id == expected.hex()
    assert len(public.raw) == 32


def test_go_sumdb_note_example_key() -> None:
    encoded = GO_SKEY.split("+", 4)[4]
    seed = base64.b64decode(encoded)
    signer = SigningKey(Ed25519PrivateKey.from_private_bytes(seed[1:]), name="PeterNeumann")
    assert signer.public.vkey() == GO_VKEY
    assert signer.public.key_id == "c74f20a3"
    assert PublicKey.from_vkey(GO_VKEY) == signer.public


def test_vkey_format_and_round_trip() -> None:
    public = key(1).public
    name, key_id, encoded = public.vkey().split("+", 2)
    assert name == KEY_NAME
    assert key_id == public.key_id
    assert base64.b64decode(encoded) == b"\x01" + public.raw
    assert PublicKey.from_vkey(public.vkey()) == public


@pytest.mark.parametrize("vkey", [PLUS_VKEY, key(8).public.vkey()], ids=["formats", "seed8"])
def test_vkey_with_plus_in_base64(vkey: str) -> None:
    assert "+" in vkey.split("+", 2)[2]
    assert PublicKey.from_vkey(vkey).vkey() == vkey


@pytest.mark.parametrize(
    "vkey",
    [
        "",
        "activitylog",
        "activitylog+00000000+" + base64.b64encode(b"\x01" + bytes(32)).decode(),  # hash
        "activitylog+abcd+" + base64.b64encode(b"\x02" + bytes(32)).decode(),  # type
        "activitylog+abcd+" + base64.b64encode(b"\x01" + bytes(31)).decode(),  # length
        "activitylog+abcd+not base64!",
    ],
)
def test_vkey_refused(vkey: str) -> None:
    with pytest.raises(ValueError, match="key"):
        PublicKey.from_vkey(vkey)


def test_vkey_hash_must_match_name() -> None:
    _, key_id, encoded = key(1).public.vkey().split("+", 2)
    with pytest.raises(ValueError, match="does not match"):
        PublicKey.from_vkey(f"other+{key_id}+{encoded}")


def test_public_pem_round_trip() -> None:
    public = key(2).public
    pem = public.pem()
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert PublicKey.from_pem(pem.encode()) == public
    assert PublicKey.from_pem(pem.encode(), name="other").name == "other"


def test_public_key_verify() -> None:
    signer = key(2)
    sig = signer.sign(b"message")
    assert signer.public.verify(sig, b"message")
    assert not signer.public.verify(sig, b"messagE")
    assert not key(3).public.verify(sig, b"message")
    assert not signer.public.verify(b"short", b"message")
    assert not PublicKey(b"\x00" * 5).verify(sig, b"message")  # not a key at all


def _public_pem(private: object) -> bytes:
    return private.public_key().public_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize(
    ("pem", "match"),
    [
        (b"garbage", "not a PEM public key"),
        (b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a PEM"),
        (_public_pem(generate_private_key(SECP256R1())), "not an Ed25519 key"),
        (_public_pem(rsa_key(public_exponent=65537, key_size=1024)), "not an Ed25519 key"),
    ],
    ids=["garbage", "bad-body", "ec", "rsa"],
)
def test_public_pem_refused(pem: bytes, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        PublicKey.from_pem(pem)


# -- the ring ------------------------------------------------------------------------------


def handover_block(note: str) -> str:
    encoded = base64.encodebytes(note.encode()).decode()
    return f"-----BEGIN ACTIVITYLOG HANDOVER-----\n{encoded}-----END ACTIVITYLOG HANDOVER-----\n"


def test_ring_from_several_bundles_and_keys() -> None:
    a, b, c = key(1).public, key(2).public, key(3).public
    ring = KeyRing.from_pem([(a.pem() + b.pem()).encode(), c.pem().encode()])
    assert set(ring.keys) == {a.key_hash, b.key_hash, c.key_hash}
    assert ring.find(b.key_hash) == b
    assert ring.find(b"\x00\x00\x00\x00") is None
    assert ring.handovers == []
    # duplicates collapse
    assert len(KeyRing.from_pem([a.pem().encode(), a.pem().encode()]).keys) == 1


def test_ring_with_handover_blocks() -> None:
    old, new, newer = key(1), key(2), key(3)
    first, second = sign_handover(old, new, T1), sign_handover(new, newer, T2)
    bundle = old.public.pem() + handover_block(first) + handover_block(second)
    ring = KeyRing.from_pem([bundle.encode()])
    # the handovers bring their new keys in, each accepted because the previous key signed it
    assert set(ring.keys) == {old.public.key_hash, new.public.key_hash, newer.public.key_hash}
    assert [h.note for h in ring.handovers] == [first, second]
    assert ring.handovers[0].old == old.public
    assert ring.handovers[0].new == new.public
    assert ring.handovers[0].time == T1
    # the ring's own bundle reads back the same
    again = KeyRing.from_pem([ring.pem().encode()])
    assert again.keys == ring.keys
    assert [h.note for h in again.handovers] == [first, second]


def test_ring_ignores_handovers_no_ring_key_signed() -> None:
    stranger, new = key(4), key(5)
    bundle = key(1).public.pem() + handover_block(sign_handover(stranger, new, T1))
    ring = KeyRing.from_pem([bundle.encode()])
    assert set(ring.keys) == {key(1).public.key_hash}
    assert ring.handovers == []


def test_ring_ignores_other_pem_blocks() -> None:
    bundle = key(1).private_pem().decode() + key(2).public.pem()
    ring = KeyRing.from_pem([bundle.encode()])
    assert set(ring.keys) == {key(2).public.key_hash}


@pytest.mark.parametrize(
    "bundle",
    [
        b"",
        b"not pem at all",
        key(1).private_pem(),  # a private key is no public key
        handover_block(sign_handover(key(1), key(2), T1)).encode(),  # a handover alone
    ],
    ids=["empty", "text", "private", "handover-only"],
)
def test_ring_without_a_public_key_refused(bundle: bytes) -> None:
    with pytest.raises(ConfigurationError, match="no PEM public key"):
        KeyRing.from_pem([bundle])


def test_ring_with_a_broken_public_key_refused() -> None:
    bundle = b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
    with pytest.raises(ConfigurationError):
        KeyRing.from_pem([key(1).public.pem().encode() + bundle])


@pytest.mark.parametrize("body", ["QUJDR\n", "//79\n"], ids=["bad-padding", "not-utf8"])
def test_ring_with_a_corrupt_handover_block_is_a_configuration_error(body: str) -> None:
    bundle = (
        key(1).public.pem()
        + f"-----BEGIN ACTIVITYLOG HANDOVER-----\n{body}-----END ACTIVITYLOG HANDOVER-----\n"
    )
    with pytest.raises(ConfigurationError):
        KeyRing.from_pem([bundle.encode()])


def test_ring_handovers_in_any_order() -> None:
    old, new, newer = key(1), key(2), key(3)
    ring = KeyRing()
    ring.add(old.public)
    ring.add_handovers([sign_handover(new, newer, T2), sign_handover(old, new, T1)])
    assert newer.public.key_hash in ring.keys


def test_add_handovers_is_idempotent() -> None:
    old, new = key(1), key(2)
    note = sign_handover(old, new, T1)
    ring = KeyRing({old.public.key_hash: old.public})
    ring.add_handovers([note, note])
    ring.add_handovers([note])
    assert len(ring.handovers) == 1


def test_valid_at_windows() -> None:
    a, b, c = key(1), key(2), key(3)
    ring = KeyRing({a.public.key_hash: a.public})
    ring.add_handovers([sign_handover(a, b, T1), sign_handover(b, c, T2)])
    before, between, after = "2026-02-01T00:00:00Z", "2026-03-15T00:00:00Z", "2026-05-01T00:00:00Z"
    assert ring.retired_at(a.public) == T1
    assert ring.valid_from(a.public) is None
    assert ring.valid_from(b.public) == T1
    assert ring.retired_at(b.public) == T2
    assert ring.retired_at(c.public) is None
    assert ring.valid_at(a.public, before)
    assert not ring.valid_at(a.public, T1)  # retired at the handover itself
    assert not ring.valid_at(a.public, between)
    assert not ring.valid_at(b.public, before)
    assert ring.valid_at(b.public, T1)
    assert ring.valid_at(b.public, between)
    assert not ring.valid_at(b.public, T2)
    assert not ring.valid_at(c.public, between)
    assert ring.valid_at(c.public, T2)
    assert ring.valid_at(c.public, after)
    # a key without handovers is valid at every time
    assert KeyRing().valid_at(key(4).public, before)


def test_load_ring(key_path: Path) -> None:
    assert load_ring(key_path) is None
    signer = SigningKey.from_file(key_path)
    ring = load_ring(key_path)
    assert ring is not None
    assert set(ring.keys) == {signer.public.key_hash}
    other = key(5)
    ring_path(key_path).write_text(other.public.pem())
    ring = load_ring(key_path)
    assert ring is not None
    assert set(ring.keys) == {signer.public.key_hash, other.public.key_hash}


def test_handover_header_is_the_first_line() -> None:
    note = sign_handover(key(1), key(2), T1)
    assert note.splitlines()[0] == HANDOVER_HEADER
