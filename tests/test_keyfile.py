"""keyfile: the key created on first use, rotation, and a second process noticing it."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from activitylog import keyfile
from activitylog.keyfile import KeyFile
from activitylog.notes import parse_handover, sign_checkpoint, verified_checkpoint
from activitylog.signing import KeyRing, SigningKey, ring_path

ROOT = bytes(range(32))
CHAIN = "ab" * 32
EARLY = "2000-01-01T00:00:00.000000Z"
LATE = "2999-01-01T00:00:00.000000Z"


def key(seed: int) -> SigningKey:
    """A fixed key; seeds 1..7 give verifier keys without '+' in their base64."""
    return SigningKey(Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


def use_keys(monkeypatch: pytest.MonkeyPatch, *seeds: int) -> list[SigningKey]:
    """Make SigningKey.generate hand out these keys, in order."""
    keys = [key(s) for s in seeds]
    pending: Iterator[SigningKey] = iter(keys)

    def generate(cls: type[SigningKey]) -> SigningKey:
        return next(pending)

    monkeypatch.setattr(SigningKey, "generate", classmethod(generate))
    return keys


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "signing-key.pem"


def ring_file(path: Path) -> KeyRing:
    return KeyRing.from_pem([ring_path(path).read_bytes()])


def test_key_created_on_first_use(path: Path) -> None:
    keys = KeyFile(path)
    assert not keys.exists()
    assert not path.exists()  # opening is no use
    signer = keys.key()
    assert keys.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.key() is signer
    assert KeyFile(path).key().public == signer.public


def test_ring_without_a_ring_file(path: Path) -> None:
    keys = KeyFile(path)
    ring = keys.ring()  # creates the key: the ring always holds the current key
    assert set(ring.keys) == {keys.key().public.key_hash}
    assert ring.handovers == []


def test_rotate_writes_ring_then_key(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = use_keys(monkeypatch, 1, 2)
    keys = KeyFile(path)
    assert keys.key().public == old.public
    note = keys.rotate()
    # the key file holds the new key, the object signs with it at once
    assert SigningKey.from_file(path, create=False).public == new.public
    assert keys.key().public == new.public
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # the ring file holds both keys and the handover both signed
    assert stat.S_IMODE(ring_path(path).stat().st_mode) == 0o644
    ring = ring_file(path)
    assert set(ring.keys) == {old.public.key_hash, new.public.key_hash}
    assert [h.note for h in ring.handovers] == [note]
    handover = parse_handover(note, KeyRing({old.public.key_hash: old.public}))
    assert handover is not None
    assert (handover.old, handover.new) == (old.public, new.public)
    # and the object's own ring agrees
    assert [h.note for h in keys.ring().handovers] == [note]
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(
        [path.name, ring_path(path).name]
    )


def test_old_key_valid_before_the_handover_only(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = use_keys(monkeypatch, 1, 2)
    keys = KeyFile(path)
    keys.key()
    before = sign_checkpoint(old, "acme", 3, ROOT, CHAIN, 0, EARLY)
    keys.rotate()
    ring = keys.ring()
    (handover,) = ring.handovers
    assert ring.valid_at(old.public, EARLY)
    assert handover.until > handover.time  # a grace while servers switch keys
    assert ring.valid_at(old.public, handover.time)
    assert not ring.valid_at(old.public, handover.until)
    assert not ring.valid_at(old.public, LATE)
    assert ring.valid_at(new.public, LATE)
    assert not ring.valid_at(new.public, EARLY)
    assert verified_checkpoint(before.note, ring)[1] is None
    after = sign_checkpoint(old, "acme", 4, ROOT, CHAIN, 0, LATE)
    assert "retired" in (verified_checkpoint(after.note, ring)[1] or "")
    by_new = sign_checkpoint(new, "acme", 4, ROOT, CHAIN, 0, LATE)
    assert verified_checkpoint(by_new.note, ring)[1] is None


def test_rotate_twice(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c = use_keys(monkeypatch, 1, 2, 3)
    keys = KeyFile(path)
    keys.key()
    first, second = keys.rotate(), keys.rotate()
    ring = ring_file(path)
    assert set(ring.keys) == {a.public.key_hash, b.public.key_hash, c.public.key_hash}
    assert [h.note for h in ring.handovers] == [first, second]
    h1, h2 = ring.handovers
    assert h1.time <= h2.time
    assert ring.retired_at(a.public) == h1.until
    assert ring.valid_from(b.public) == h1.time
    assert ring.retired_at(b.public) == h2.until
    assert ring.valid_from(c.public) == h2.time
    assert keys.key().public == c.public


def test_a_second_keyfile_notices_the_rotation(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = use_keys(monkeypatch, 1, 2)
    server, cli = KeyFile(path), KeyFile(path)
    assert server.key().public == old.public
    cli.rotate()
    monkeypatch.setattr(keyfile, "_RECHECK_SECONDS", 0)
    assert server.key().public == new.public
    assert set(server.ring().keys) == {old.public.key_hash, new.public.key_hash}


def test_the_recheck_is_rate_limited(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, _ = use_keys(monkeypatch, 1, 2)
    server, cli = KeyFile(path), KeyFile(path)
    server.key()
    monkeypatch.setattr(keyfile, "_RECHECK_SECONDS", 3600)
    cli.rotate()
    assert server.key().public == old.public  # within the window: the cached key


def test_key_file_recreated_when_deleted(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = use_keys(monkeypatch, 1, 2)
    keys = KeyFile(path)
    assert keys.key().public == first.public
    path.unlink()
    monkeypatch.setattr(keyfile, "_RECHECK_SECONDS", 0)
    assert keys.key().public == second.public


def test_checkpoints_signed_by_a_lagging_process_still_verify(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_keys(monkeypatch, 1, 2)
    server, cli = KeyFile(path), KeyFile(path)
    server.key()
    cli.rotate()
    # the server signs an append right after the rotation, still inside its recheck window
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    made = sign_checkpoint(server.key(), "acme", 5, ROOT, CHAIN, 0, now)
    assert verified_checkpoint(made.note, cli.ring())[1] is None


def test_rotate_to_a_key_with_plus_in_its_vkey(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = use_keys(monkeypatch, 1, 8)
    assert "+" in new.public.vkey().split("+", 2)[2]
    keys = KeyFile(path)
    keys.key()
    keys.rotate()
    ring = ring_file(path)
    assert len(ring.handovers) == 1
    assert not ring.valid_at(old.public, LATE)
