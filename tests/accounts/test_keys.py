"""API keys: created once, looked up by secret, listed, revoked; never stored in clear."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from activitylog.accounts import Accounts, User
from activitylog.accounts.keys import TOUCH_EVERY
from activitylog.accounts.schema import api_keys, metadata
from activitylog.errors import NotFound, ValidationError

from .conftest import NOW, PASSWORD


def every_stored_value(accounts: Accounts) -> str:
    """Every row of every table, as one string."""
    with accounts.engine.connect() as conn:
        return "\n".join(
            repr(tuple(row))
            for table in metadata.sorted_tables
            for row in conn.execute(select(table))
        )


def test_create_and_look_up_a_key(accounts: Accounts) -> None:
    key, secret = accounts.create_key(workspace="acme", scope="ingest", name="billing", now=NOW)
    assert secret.startswith("alk_")
    assert len(secret) == 47
    assert key.id.startswith("key_")
    assert len(key.id) == 16
    assert key.prefix == secret[:12]
    assert (key.workspace, key.scope, key.name, key.created_by) == (
        "acme",
        "ingest",
        "billing",
        "operator",
    )
    assert key.created_at == NOW
    assert not key.is_platform
    found = accounts.key_for_secret(secret, now=NOW + timedelta(seconds=5))
    assert found is not None
    assert found.id == key.id
    assert found.last_used_at == NOW + timedelta(seconds=5)
    assert accounts.key_for_secret(secret[:-1] + "x") is None
    assert accounts.key_for_secret("") is None
    assert accounts.key_for_secret("alk_" + "x" * 500) is None
    assert accounts.key_for_secret("Bearer " + secret) is None


def test_secrets_tokens_and_passwords_are_never_stored_in_clear(
    accounts: Accounts, ava: User
) -> None:
    _, secret = accounts.create_key(workspace=None, scope="read")
    token, session = accounts.start_session(ava, "acme")
    stored = every_stored_value(accounts)
    assert secret not in stored
    assert secret[12:] not in stored  # beyond the displayed prefix
    assert token not in stored
    assert PASSWORD not in stored
    assert session.csrf_token in stored  # the CSRF token is no credential on its own


def test_last_used_is_written_at_most_once_a_minute(accounts: Accounts) -> None:
    key, secret = accounts.create_key(workspace="acme", scope="read", now=NOW)
    first = accounts.key_for_secret(secret, now=NOW)
    later = accounts.key_for_secret(secret, now=NOW + TOUCH_EVERY - timedelta(seconds=1))
    assert first is not None
    assert later is not None
    assert later.last_used_at == first.last_used_at == NOW
    touched = accounts.key_for_secret(secret, now=NOW + TOUCH_EVERY)
    assert touched is not None
    assert touched.last_used_at == NOW + TOUCH_EVERY
    with accounts.engine.connect() as conn:
        used = conn.execute(select(api_keys.c.last_used_us).where(api_keys.c.id == key.id))
        assert used.scalar() is not None


def test_revoke_is_final_and_idempotent(accounts: Accounts) -> None:
    key, secret = accounts.create_key(workspace="acme", scope="ingest", now=NOW)
    revoked = accounts.revoke_key(key.id, now=NOW + timedelta(hours=1))
    assert revoked.revoked_at == NOW + timedelta(hours=1)
    assert (
        accounts.revoke_key(key.id, now=NOW + timedelta(hours=2)).revoked_at == revoked.revoked_at
    )
    assert accounts.key_for_secret(secret) is None
    with pytest.raises(NotFound):
        accounts.revoke_key("key_000000000000")


def test_list_keys(accounts: Accounts) -> None:
    acme, _ = accounts.create_key(workspace="acme", scope="ingest", now=NOW)
    platform, _ = accounts.create_key(workspace=None, scope="read", now=NOW + timedelta(seconds=1))
    globex, _ = accounts.create_key(
        workspace="globex", scope="read", now=NOW + timedelta(seconds=2)
    )
    accounts.revoke_key(globex.id)
    assert platform.is_platform
    assert [k.id for k in accounts.list_keys()] == [acme.id, platform.id]
    assert [k.id for k in accounts.list_keys(include_revoked=True)] == [
        acme.id,
        platform.id,
        globex.id,
    ]
    assert [k.id for k in accounts.list_keys("acme")] == [acme.id]
    assert accounts.list_keys("globex") == []
    assert [k.id for k in accounts.list_keys("globex", include_revoked=True)] == [globex.id]
    assert "secret" not in str(accounts.list_keys()[0].to_dict())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"scope": "admin"}, "scope"),
        ({"workspace": ""}, "workspace"),
        ({"workspace": "x" * 201}, "workspace"),
        ({"name": "x" * 201}, "name"),
        ({"created_by": ""}, "created_by"),
    ],
)
def test_bad_keys_are_refused(accounts: Accounts, kwargs: dict[str, str], field: str) -> None:
    args = {"workspace": "acme", "scope": "read", **kwargs}
    with pytest.raises(ValidationError) as exc:
        accounts.create_key(**args)  # type: ignore[arg-type]
    assert [e.field for e in exc.value.errors] == [field]
    assert accounts.list_keys(include_revoked=True) == []
