from __future__ import annotations

from argon2 import PasswordHasher

from activitylog.accounts.passwords import (
    DUMMY_HASH,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "correct horsE")
    assert not needs_rehash(stored)


def test_hashes_are_salted() -> None:
    assert hash_password("same password") != hash_password("same password")


def test_a_broken_hash_is_a_mismatch_not_an_error() -> None:
    assert not verify_password("not a hash", "anything")
    assert not verify_password("", "anything")
    assert needs_rehash("not a hash")


def test_an_old_hash_needs_a_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw")
    assert verify_password(weak, "pw")
    assert needs_rehash(weak)


def test_the_dummy_hash_costs_what_a_real_one_does() -> None:
    # Same parameters as fresh hashes, so refusing an unknown user takes as long as
    # refusing a wrong password. Fails when argon2-cffi's defaults change: regenerate it.
    assert not needs_rehash(DUMMY_HASH)
    assert not verify_password(DUMMY_HASH, "")
