"""Password hashes: argon2id with argon2-cffi's default (RFC 9106 low-memory) parameters.

A hash is one self-describing string (``$argon2id$v=19$m=65536,t=3,p=4$salt$hash``), so
parameters can change later: :func:`needs_rehash` tells when a stored hash is older than
the current ones. :data:`DUMMY_HASH` has the current parameters too (a test pins it), so
checking a password against it costs what checking a real one does.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error, InvalidHashError

_HASHER = PasswordHasher()

#: Verified against when no user has the email given, so an unknown address takes as
#: long to refuse as a wrong password (no user enumeration by timing). Matches no password
#: anyone would type; a literal, so importing this module hashes nothing.
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$f9nO0HH10N9rKKxe80izAg"
    "$7k8dVQMsRygCqPlTXTe9ss6FnyRXIrcn8I79w+z5Gys"
)


def hash_password(password: str) -> str:
    """A fresh argon2id hash of ``password`` (random salt; about 50-150 ms of CPU)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False for a mismatch or a hash that
    is not an argon2 hash (never raises for either)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (Argon2Error, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether ``password_hash`` was made with other parameters than the current ones
    (an unreadable hash needs one too)."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except (Argon2Error, InvalidHashError):
        return True
