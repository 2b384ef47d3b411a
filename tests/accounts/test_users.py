"""Users and memberships (Accounts on each engine)."""

from __future__ import annotations

from typing import Any

import pytest

from activitylog.access import Viewer
from activitylog.accounts import Accounts, User
from activitylog.errors import AccessDenied, NotFound, ValidationError

from .conftest import PASSWORD


def fields_of(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {error.field for error in exc.value.errors}


def test_add_user_stores_a_normalised_email_and_the_membership(
    accounts: Accounts, ava: User
) -> None:
    assert ava.id == "u_ava"
    assert ava.email == "ava@acme.io"
    assert ava.name == "Ava Thompson"
    assert dict(ava.memberships) == {"acme": "owner", "globex": "viewer"}
    assert not ava.is_platform_admin
    assert accounts.get_user("  AVA@acme.IO ") == ava
    assert accounts.get_user("u_ava") == ava
    assert accounts.get_user("nobody@acme.io") is None
    assert accounts.get_user("u_nobody") is None


def test_generated_ids_and_default_names(accounts: Accounts) -> None:
    user = accounts.add_user("ben.ng@globex.com", password=PASSWORD)
    assert user.id.startswith("u_")
    assert len(user.id) == 14
    assert int(user.id[2:], 16) >= 0
    assert user.name == "ben.ng"
    assert dict(user.memberships) == {}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "ava@localhost"}, "email"),
        ({"email": "a b@acme.io"}, "email"),
        ({"email": "x" * 320 + "@acme.io"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "x" * 2000}, "password"),
        ({"workspace": "acme"}, "role"),
        ({"role": "owner"}, "role"),
        ({"workspace": "acme", "role": "boss"}, "role"),
        ({"workspace": "acme", "role": "platform_admin"}, "role"),
        ({"workspace": "", "role": "owner"}, "workspace"),
        ({"workspace": "x" * 201, "role": "owner"}, "workspace"),
        ({"name": "x" * 201}, "name"),
        ({"name": "bad\x00name"}, "name"),
        ({"user_id": "has@sign"}, "user_id"),
        ({"user_id": ""}, "user_id"),
        ({"user_id": "x" * 65}, "user_id"),
    ],
)
def test_every_rule_names_its_field(accounts: Accounts, kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"email": "ok@acme.io", "password": PASSWORD, **kwargs}
    with pytest.raises(ValidationError) as exc:
        accounts.add_user(args.pop("email"), **args)
    assert fields_of(exc) == {field}
    assert accounts.list_users() == []


def test_every_bad_field_is_named_at_once(accounts: Accounts) -> None:
    with pytest.raises(ValidationError) as exc:
        accounts.add_user("nope", password="x", role="boss", user_id="@")
    assert fields_of(exc) == {"email", "password", "role", "user_id"}


def test_a_taken_email_or_id_is_refused(accounts: Accounts, ava: User) -> None:
    with pytest.raises(ValidationError) as exc:
        accounts.add_user("AVA@acme.io", password=PASSWORD)
    assert fields_of(exc) == {"email"}
    with pytest.raises(ValidationError) as exc:
        accounts.add_user("other@acme.io", password=PASSWORD, user_id="u_ava")
    assert fields_of(exc) == {"user_id"}
    assert [user.email for user in accounts.list_users()] == ["ava@acme.io"]


def test_list_users_sorted_by_email_and_by_workspace(accounts: Accounts, ava: User) -> None:
    accounts.add_user("zed@globex.com", password=PASSWORD, workspace="globex", role="member")
    accounts.add_user("admin@ops.io", password=PASSWORD, platform_admin=True)
    assert [u.email for u in accounts.list_users()] == [
        "admin@ops.io",
        "ava@acme.io",
        "zed@globex.com",
    ]
    assert [u.email for u in accounts.list_users("globex")] == ["ava@acme.io", "zed@globex.com"]
    assert [u.email for u in accounts.list_users("acme")] == ["ava@acme.io"]
    assert accounts.list_users("initech") == []


def test_set_role_adds_and_changes_memberships(accounts: Accounts, ava: User) -> None:
    assert accounts.set_role("ava@acme.io", "globex", "admin").memberships["globex"] == "admin"
    assert accounts.set_role("u_ava", "initech", "member").memberships["initech"] == "member"
    with pytest.raises(ValidationError) as exc:
        accounts.set_role("ava@acme.io", "acme", "king")
    assert fields_of(exc) == {"role"}
    with pytest.raises(NotFound):
        accounts.set_role("nobody@acme.io", "acme", "owner")


def test_set_platform_admin(accounts: Accounts, ava: User) -> None:
    assert accounts.set_platform_admin("ava@acme.io", True).is_platform_admin
    assert not accounts.set_platform_admin("ava@acme.io", False).is_platform_admin
    with pytest.raises(NotFound):
        accounts.set_platform_admin("nobody@acme.io", True)


def test_set_password(accounts: Accounts, ava: User) -> None:
    with pytest.raises(ValidationError) as exc:
        accounts.set_password("ava@acme.io", "short")
    assert fields_of(exc) == {"password"}
    accounts.set_password("ava@acme.io", "a brand new password")
    assert accounts.authenticate("ava@acme.io", "a brand new password") == ava
    with pytest.raises(NotFound):
        accounts.set_password("nobody@acme.io", "a brand new password")


def test_remove_a_membership_then_the_user(accounts: Accounts, ava: User) -> None:
    accounts.remove_user("ava@acme.io", "globex")
    user = accounts.get_user("u_ava")
    assert user is not None
    assert dict(user.memberships) == {"acme": "owner"}
    with pytest.raises(NotFound):
        accounts.remove_user("ava@acme.io", "globex")
    accounts.start_session(user, "acme")
    accounts.remove_user("ava@acme.io")
    assert accounts.get_user("u_ava") is None
    assert accounts.list_users("acme") == []
    with pytest.raises(NotFound):
        accounts.remove_user("ava@acme.io")


def test_viewer_of_a_member_and_of_a_platform_admin(ava: User) -> None:
    assert ava.viewer("acme") == Viewer("u_ava", "owner", "acme")
    assert ava.viewer("globex") == Viewer("u_ava", "viewer", "globex")
    for workspace in ("initech", None, ""):
        with pytest.raises(AccessDenied):
            ava.viewer(workspace)
    admin = User("u_root", "root@ops.io", "Root", is_platform_admin=True)
    assert admin.viewer("initech") == Viewer("u_root", "platform_admin", "initech")
    assert admin.viewer(None) == Viewer("u_root", "platform_admin", "")
