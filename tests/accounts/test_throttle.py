"""The lockout policy (counting on each engine, no hashing) and sign-in through it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Connection, select

from activitylog.accounts import (
    FAILURE_WINDOW,
    LOCKOUT,
    MAX_CLIENT_FAILURES,
    MAX_FAILURES,
    Accounts,
    User,
    throttle,
)
from activitylog.accounts._time import micros, span
from activitylog.accounts.passwords import needs_rehash
from activitylog.accounts.schema import sign_in_throttle, users
from activitylog.accounts.throttle import (
    SignInFailed,
    clear,
    client_key,
    locked_until,
    record_failure,
)
from activitylog.errors import Unauthenticated

from .conftest import NOW, PASSWORD

T0 = micros(NOW)
MINUTE = span(timedelta(minutes=1))
MINUTE_TD = timedelta(minutes=1)


@pytest.fixture
def conn(accounts: Accounts) -> Iterator[Connection]:
    with accounts.engine.begin() as connection:
        yield connection


def failures(accounts: Accounts, email: str) -> int | None:
    with accounts.engine.connect() as c:
        stmt = select(sign_in_throttle.c.failures).where(sign_in_throttle.c.email == email)
        return c.execute(stmt).scalar()


def test_the_policy_numbers() -> None:
    assert (
        5,
        20,
        timedelta(minutes=15),
        timedelta(minutes=15),
    ) == (MAX_FAILURES, MAX_CLIENT_FAILURES, FAILURE_WINDOW, LOCKOUT)


# -- the counting ---------------------------------------------------------------------------
def test_the_fifth_failure_in_the_window_locks(conn: Connection) -> None:
    for n in range(MAX_FAILURES - 1):
        assert record_failure(conn, "a@x.io", T0 + n * MINUTE) == (None, False)
        assert locked_until(conn, "a@x.io", T0 + n * MINUTE) is None
    fifth = T0 + (MAX_FAILURES - 1) * MINUTE
    until = fifth + span(LOCKOUT)
    assert record_failure(conn, "a@x.io", fifth) == (until, True)
    assert locked_until(conn, "a@x.io", until - 1) == until
    assert record_failure(conn, "a@x.io", until - 1) == (until, False)  # not extended
    assert locked_until(conn, "a@x.io", until) is None
    assert record_failure(conn, "a@x.io", until) == (None, False)  # a new count
    assert locked_until(conn, "b@x.io", fifth) is None  # per address


def test_failures_outside_the_window_start_a_new_count(conn: Connection) -> None:
    for n in range(MAX_FAILURES - 1):
        record_failure(conn, "a@x.io", T0 + n * MINUTE)
    assert record_failure(conn, "a@x.io", T0 + span(FAILURE_WINDOW)) == (None, False)
    for n in range(1, MAX_FAILURES - 1):
        assert record_failure(conn, "a@x.io", T0 + span(FAILURE_WINDOW) + n) == (None, False)
    assert record_failure(conn, "a@x.io", T0 + span(FAILURE_WINDOW) + MINUTE)[1]


def test_clear_forgets_the_failures(conn: Connection) -> None:
    for n in range(MAX_FAILURES - 1):
        record_failure(conn, "a@x.io", T0 + n)
    clear(conn, "a@x.io")
    assert record_failure(conn, "a@x.io", T0 + MINUTE) == (None, False)


# -- through authenticate (each attempt checks a password: kept few) -------------------------
def fail(accounts: Accounts, email: str, password: str, at: timedelta) -> SignInFailed:
    with pytest.raises(SignInFailed) as exc:
        accounts.authenticate(email, password, now=NOW + at)
    return exc.value


def test_success_returns_the_user(accounts: Accounts, ava: User) -> None:
    assert accounts.authenticate(" AVA@acme.io ", PASSWORD, now=NOW) == ava


def test_unknown_user_and_wrong_password(accounts: Accounts, ava: User) -> None:
    unknown = fail(accounts, "who@acme.io", PASSWORD, timedelta(0))
    assert (unknown.reason, unknown.email, unknown.user) == ("unknown_user", "who@acme.io", None)
    assert unknown.status == 401
    assert isinstance(unknown, Unauthenticated)
    assert failures(accounts, "who@acme.io") == 1  # unknown addresses count too
    wrong = fail(accounts, "Ava@acme.io", "not the password", timedelta(0))
    assert (wrong.reason, wrong.email, wrong.user) == ("wrong_password", "ava@acme.io", ava)
    assert (wrong.newly_locked, wrong.locked_until) == (False, None)
    assert str(wrong) == str(unknown)  # the message never tells which


def test_locked_even_with_the_right_password_until_the_lockout_ends(
    accounts: Accounts, ava: User
) -> None:
    for n in range(MAX_FAILURES - 1):
        assert not fail(accounts, "ava@acme.io", "wrong", timedelta(minutes=n)).newly_locked
    fifth = timedelta(minutes=MAX_FAILURES - 1)
    locking = fail(accounts, "ava@acme.io", "wrong", fifth)
    assert (locking.reason, locking.newly_locked) == ("wrong_password", True)
    assert locking.locked_until == NOW + fifth + LOCKOUT
    locked = fail(accounts, "ava@acme.io", PASSWORD, fifth + LOCKOUT - timedelta(seconds=1))
    assert (locked.reason, locked.user, locked.newly_locked) == ("locked", ava, False)
    assert locked.locked_until == NOW + fifth + LOCKOUT
    assert accounts.authenticate("ava@acme.io", PASSWORD, now=NOW + fifth + LOCKOUT) == ava
    assert failures(accounts, "ava@acme.io") is None  # a success resets the count


def test_a_success_resets_the_count(accounts: Accounts, ava: User) -> None:
    fail(accounts, "ava@acme.io", "wrong", timedelta(0))
    assert failures(accounts, "ava@acme.io") == 1
    accounts.authenticate("ava@acme.io", PASSWORD, now=NOW)
    assert failures(accounts, "ava@acme.io") is None


def test_text_that_is_no_address_is_refused_without_being_stored(accounts: Accounts) -> None:
    for email in ("", "x" * 400, "nul\x00@acme.io"):
        assert fail(accounts, email, "guess", timedelta(0)).reason == "unknown_user"
    with accounts.engine.connect() as c:
        assert c.execute(select(sign_in_throttle)).all() == []


def test_a_disabled_user_is_refused_only_with_the_right_password(
    accounts: Accounts, ava: User
) -> None:
    accounts.set_disabled("ava@acme.io", True)
    assert fail(accounts, "ava@acme.io", "wrong", timedelta(0)).reason == "wrong_password"
    disabled = fail(accounts, "ava@acme.io", PASSWORD, timedelta(0))
    assert (disabled.reason, disabled.user is not None) == ("disabled", True)
    accounts.set_disabled("ava@acme.io", False)
    assert accounts.authenticate("ava@acme.io", PASSWORD, now=NOW).id == "u_ava"


def test_an_outdated_hash_is_replaced_on_success(accounts: Accounts, ava: User) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with accounts.engine.begin() as c:
        c.execute(users.update().where(users.c.id == "u_ava").values(password_hash=weak))
    accounts.authenticate("ava@acme.io", PASSWORD, now=NOW)
    with accounts.engine.connect() as c:
        stored = c.execute(select(users.c.password_hash).where(users.c.id == "u_ava")).scalar()
    assert stored is not None
    assert stored != weak
    assert not needs_rehash(stored)


# -- per client address -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.9", "ip:203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "ip:2001:db8:1:2::/64"),  # one subscriber's /64
        ("2001:DB8:1:2::ff", "ip:2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "ip:203.0.113.9"),
        ("testclient", None),
        ("", None),
        (None, None),
    ],
)
def test_client_keys(host: str | None, key: str | None) -> None:
    assert client_key(host) == key


def test_a_client_is_locked_at_its_own_limit(conn: Connection) -> None:
    key = "ip:203.0.113.9"
    for n in range(MAX_CLIENT_FAILURES - 1):
        assert record_failure(conn, key, T0 + n, limit=MAX_CLIENT_FAILURES) == (None, False)
    last = T0 + MAX_CLIENT_FAILURES
    assert record_failure(conn, key, last, limit=MAX_CLIENT_FAILURES) == (
        last + span(LOCKOUT),
        True,
    )
    assert locked_until(conn, key, last) == last + span(LOCKOUT)


def test_one_client_trying_many_accounts_is_locked_out(
    accounts: Accounts, ava: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(throttle, "MAX_CLIENT_FAILURES", 3)
    spray = "198.51.100.7"
    for n, email in enumerate(("a@acme.io", "b@acme.io", "nul\x00@acme.io")):
        with pytest.raises(SignInFailed) as exc:
            accounts.authenticate(email, "guess", client=spray, now=NOW + timedelta(minutes=n))
        assert exc.value.reason == "unknown_user"  # each address: one failure, no lock
    at = NOW + timedelta(minutes=3)
    with pytest.raises(SignInFailed) as exc:
        accounts.authenticate("ava@acme.io", PASSWORD, client=spray, now=at)
    throttled = exc.value
    assert (throttled.reason, throttled.user) == ("throttled", ava)
    assert throttled.locked_until == NOW + timedelta(minutes=2) + LOCKOUT
    assert failures(accounts, "ava@acme.io") is None  # refused before any password check
    assert accounts.authenticate("ava@acme.io", PASSWORD, client="198.51.100.8", now=at) == ava
    later = throttled.locked_until
    assert accounts.authenticate("ava@acme.io", PASSWORD, client=spray, now=later) == ava


def test_a_success_does_not_reset_the_clients_count(
    accounts: Accounts, ava: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(throttle, "MAX_CLIENT_FAILURES", 3)
    client = "2001:db8:5::1"
    for n in range(2):
        with pytest.raises(SignInFailed):
            accounts.authenticate("x@acme.io", "guess", client=client, now=NOW + n * MINUTE_TD)
    accounts.authenticate("ava@acme.io", PASSWORD, client=client, now=NOW + 2 * MINUTE_TD)
    with pytest.raises(SignInFailed):
        accounts.authenticate("y@acme.io", "guess", client="2001:db8:5::2", now=NOW + 3 * MINUTE_TD)
    with pytest.raises(SignInFailed) as exc:  # the same /64: the same client
        accounts.authenticate("ava@acme.io", PASSWORD, client=client, now=NOW + 4 * MINUTE_TD)
    assert exc.value.reason == "throttled"
