"""Fixtures of the accounts tests: an Accounts on a fresh database of each engine.

Password hashing keeps its production cost (argon2id, tens of milliseconds), so tests
create few users and sign in only as often as a rule needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from activitylog import ActivityLog
from activitylog.accounts import Accounts, User
from activitylog.settings import Settings

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def accounts(db_url: str, settings: Settings) -> Iterator[Accounts]:
    with ActivityLog(db_url, settings=settings) as log:
        yield log.accounts()


@pytest.fixture
def ava(accounts: Accounts) -> User:
    """An owner of acme who is also a viewer of globex."""
    accounts.add_user(
        "Ava@Acme.io",
        password=PASSWORD,
        name="Ava Thompson",
        workspace="acme",
        role="owner",
        user_id="u_ava",
    )
    return accounts.set_role("ava@acme.io", "globex", "viewer")
