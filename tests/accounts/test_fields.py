from __future__ import annotations

import pytest

import activitylog.accounts
from activitylog.accounts.fields import (
    email_problem,
    normalise_email,
    text_problem,
    user_id_problem,
)


def test_the_public_names() -> None:
    assert sorted(activitylog.accounts.__all__) == [
        "Accounts",
        "ApiKey",
        "FAILURE_WINDOW",
        "LOCKOUT",
        "MAX_CLIENT_FAILURES",
        "MAX_FAILURES",
        "SignInFailed",
        "User",
        "WebSession",
        "WorkspaceSettings",
    ]


@pytest.mark.parametrize(
    "email", ["a@b.co", "first.last+tag@mail.example.org", "o'neil@x.io", "ü@bücher.de"]
)
def test_addresses(email: str) -> None:
    assert email_problem(email) is None


@pytest.mark.parametrize(
    "email", ["", "a", "a@b", "@b.co", "a@.co", "a@b.", "a@@b.co", "a b@c.io", "a@b.co\n", 7]
)
def test_not_addresses(email: object) -> None:
    assert email_problem(email) is not None


def test_emails_are_stored_stripped_and_lowercased() -> None:
    assert normalise_email("  Ava@ACME.io\t") == "ava@acme.io"


@pytest.mark.parametrize(
    ("user_id", "ok"),
    [("u_ava", True), ("auth0:123.x-y", True), ("_x", False), ("a b", False), ("a@b", False)],
)
def test_user_ids(user_id: str, ok: bool) -> None:
    assert (user_id_problem(user_id) is None) is ok


def test_text() -> None:
    assert text_problem("acme") is None
    assert text_problem("", required=False) is None
    assert text_problem(" ") == "must not be empty"
    assert text_problem("a\tb") == "contains a control character"
    assert text_problem(None) == "must be a string"
