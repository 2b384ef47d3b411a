"""Django's sign-in signals: signed in, signed out, failed — never a password."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("django", reason="the Django integration needs Django (the test extra)")

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.test import Client, override_settings

Events = Callable[..., list[dict[str, Any]]]


def sign_in(client: Client, password: str = "s3cret-pass", **extra: Any) -> int:
    response = client.post("/sign-in", {"username": "ava", "password": password}, **extra)
    return int(response.status_code)


def test_sign_in_and_out(user: Any, events: Events) -> None:
    client = Client()
    assert sign_in(client, HTTP_X_REQUEST_ID="req-in") == 200
    session = client.session.session_key
    client.post("/sign-out")
    signed_in, signed_out = events(prefix="auth.")
    ava = {"id": str(user.pk), "name": "Ava T", "email": "ava@acme.io", "type": "user"}
    assert signed_in["action"] == "auth.signed_in"
    assert signed_in["actor"] == ava
    assert signed_in["subject"] == {"type": "user", "id": str(user.pk), "name": "Ava T"}
    assert signed_in["workspace"] == "acme"
    assert signed_in["details"] == {"method": "password"}
    assert signed_in["ip"] == "127.0.0.1"
    assert signed_in["request_id"] == "req-in"
    assert len(signed_in["session_id"]) == 32
    assert session not in json.dumps(signed_in)
    assert signed_out["action"] == "auth.signed_out"
    assert signed_out["actor"] == ava
    assert signed_out["kind"] == "auth"
    assert events("user.updated") == []  # last_login is excluded by the EXCLUDE setting


@pytest.fixture
def credentials_seen() -> Iterator[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def spy(sender: Any, credentials: dict[str, Any], **_: Any) -> None:
        seen.append(credentials)

    user_login_failed.connect(spy, dispatch_uid="test-spy")
    yield seen
    user_login_failed.disconnect(dispatch_uid="test-spy")


def test_a_failed_sign_in_names_the_address_never_the_password(
    user: Any, events: Events, credentials_seen: list[dict[str, Any]]
) -> None:
    with override_settings(ACTIVITYLOG={**settings.ACTIVITYLOG, "DEFAULT_WORKSPACE": "acme"}):
        assert sign_in(Client(), password="wrong-guess-123", REMOTE_ADDR="203.0.113.66") == 401
    # Django cleanses the credentials before any receiver sees them ...
    assert credentials_seen == [{"username": "ava", "password": "********************"}]
    [event] = events("auth.sign_in_failed")
    assert event["actor"] == {"id": "system", "name": "System", "type": "system"}
    assert event["result"] == "failure"
    assert event["details"] == {"email": "ava", "reason": "invalid_credentials"}
    assert event["ip"] == "203.0.113.66"
    # ... and the event holds nothing of the password, not even the stars.
    assert "wrong-guess" not in json.dumps(event)
    assert "****" not in json.dumps(event)


def test_a_failed_sign_in_without_a_workspace_is_logged(
    user: Any, events: Events, caplog: pytest.LogCaptureFixture
) -> None:
    assert sign_in(Client(), password="nope") == 401
    assert events("auth.sign_in_failed") == []
    assert "auth.sign_in_failed not recorded: no workspace" in caplog.text


def test_auth_signals_can_be_turned_off(user: Any, events: Events) -> None:
    with override_settings(ACTIVITYLOG={**settings.ACTIVITYLOG, "AUTH_SIGNALS": False}):
        assert sign_in(Client()) == 200
        assert events(prefix="auth.") == []
    assert sign_in(Client()) == 200
    assert len(events("auth.signed_in")) == 1
