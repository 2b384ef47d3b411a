"""Web sessions: tokens stored hashed, expiry, idle timeout, workspace switching."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from activitylog.accounts import Accounts, User
from activitylog.accounts.schema import web_sessions
from activitylog.accounts.sessions import IDLE_TIMEOUT, SESSION_TTL, TOUCH_EVERY
from activitylog.errors import AccessDenied, Unauthenticated, ValidationError

from .conftest import NOW, PASSWORD


def last_seen(accounts: Accounts) -> list[int]:
    with accounts.engine.connect() as conn:
        return list(conn.execute(select(web_sessions.c.last_seen_us)).scalars())


def test_a_session_round_trip(accounts: Accounts, ava: User) -> None:
    token, started = accounts.start_session(ava, "acme", now=NOW)
    assert len(token) >= 43
    assert started.user == ava
    assert started.workspace == "acme"
    assert started.expires_at == NOW + SESSION_TTL
    assert len(started.csrf_token) >= 43
    assert started.csrf_token != token
    assert accounts.session(token, now=NOW + timedelta(minutes=5)) == started
    with accounts.engine.connect() as conn:
        stored = conn.execute(select(web_sessions)).one()
    assert token not in repr(tuple(stored))


def test_unknown_tokens_are_no_session(accounts: Accounts, ava: User) -> None:
    accounts.start_session(ava, "acme", now=NOW)
    for token in ("", "nope", "x" * 1000):
        assert accounts.session(token, now=NOW) is None


def test_a_session_ends_at_its_ttl(accounts: Accounts, ava: User) -> None:
    token, _ = accounts.start_session(ava, "acme", ttl=timedelta(minutes=30), now=NOW)
    assert accounts.session(token, now=NOW + timedelta(minutes=29)) is not None
    assert accounts.session(token, now=NOW + timedelta(minutes=30)) is None
    assert accounts.session(token, now=NOW + timedelta(minutes=1)) is None  # deleted
    with pytest.raises(ValidationError):
        accounts.start_session(ava, "acme", ttl=timedelta(0))


def test_an_idle_session_ends_and_use_keeps_one_alive(accounts: Accounts, ava: User) -> None:
    idle, _ = accounts.start_session(ava, "acme", now=NOW)
    busy, _ = accounts.start_session(ava, "acme", now=NOW)
    step = IDLE_TIMEOUT - timedelta(minutes=1)
    for n in range(1, 7):  # up to 11h54m, each request within the idle timeout
        assert accounts.session(busy, now=NOW + step * n) is not None
    assert accounts.session(idle, now=NOW + IDLE_TIMEOUT + timedelta(seconds=1)) is None
    assert accounts.session(busy, now=NOW + SESSION_TTL) is None


def test_last_seen_is_written_at_most_once_a_minute(accounts: Accounts, ava: User) -> None:
    token, _ = accounts.start_session(ava, "acme", now=NOW)
    start = last_seen(accounts)
    accounts.session(token, now=NOW + TOUCH_EVERY - timedelta(seconds=1))
    assert last_seen(accounts) == start
    accounts.session(token, now=NOW + TOUCH_EVERY)
    assert last_seen(accounts) == [start[0] + TOUCH_EVERY // timedelta(microseconds=1)]


def test_end_session(accounts: Accounts, ava: User) -> None:
    token, _ = accounts.start_session(ava, "acme", now=NOW)
    accounts.end_session(token)
    accounts.end_session(token)
    accounts.end_session("")
    assert accounts.session(token, now=NOW) is None


def test_sessions_only_where_the_user_belongs(accounts: Accounts, ava: User) -> None:
    with pytest.raises(AccessDenied):
        accounts.start_session(ava, "initech", now=NOW)
    with pytest.raises(AccessDenied):
        accounts.start_session(ava, "", now=NOW)
    token, _ = accounts.start_session(ava, "acme", now=NOW)
    switched = accounts.switch_workspace(token, "globex", now=NOW)
    assert switched.workspace == "globex"
    assert switched.user.viewer(switched.workspace).role == "viewer"
    session = accounts.session(token, now=NOW)
    assert session is not None
    assert session.workspace == "globex"
    with pytest.raises(AccessDenied):
        accounts.switch_workspace(token, "initech", now=NOW)
    accounts.end_session(token)
    with pytest.raises(Unauthenticated):
        accounts.switch_workspace(token, "acme", now=NOW)


def test_a_platform_admin_may_go_anywhere_or_nowhere(accounts: Accounts) -> None:
    root = accounts.add_user("root@ops.io", password=PASSWORD, platform_admin=True)
    token, session = accounts.start_session(root, "", now=NOW)
    assert session.workspace == ""
    assert accounts.switch_workspace(token, "initech", now=NOW).workspace == "initech"
    assert accounts.switch_workspace(token, "", now=NOW).workspace == ""


def test_losing_access_ends_the_session(accounts: Accounts, ava: User) -> None:
    in_globex, _ = accounts.start_session(ava, "globex", now=NOW)
    in_acme, _ = accounts.start_session(ava, "acme", now=NOW)
    accounts.remove_user("ava@acme.io", "globex")
    assert accounts.session(in_globex, now=NOW) is None
    assert accounts.session(in_acme, now=NOW) is not None
    accounts.set_disabled("ava@acme.io", True)
    assert accounts.session(in_acme, now=NOW) is None


def test_a_new_password_ends_every_session(accounts: Accounts, ava: User) -> None:
    token, _ = accounts.start_session(ava, "acme", now=NOW)
    accounts.set_password("ava@acme.io", "another long password")
    assert accounts.session(token, now=NOW) is None


def test_ended_sessions_are_cleaned_up_at_the_next_sign_in(accounts: Accounts, ava: User) -> None:
    for _ in range(3):
        accounts.start_session(ava, "acme", now=NOW)
    accounts.start_session(ava, "acme", now=NOW + SESSION_TTL)
    assert len(last_seen(accounts)) == 1
