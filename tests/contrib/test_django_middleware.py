"""Real requests through Django's test client: the middleware's context on what views,
models and streamed responses record; client IPs behind trusted proxies only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("django", reason="the Django integration needs Django (the test extra)")

from django.conf import settings
from django.test import AsyncClient, Client, override_settings

from activitylog.contrib.django.recording import current_context
from contrib.project.shop.models import Contact

Events = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def contact(acme: None) -> Contact:
    return Contact.objects.create(name="Jo", email="jo@x.io")


@pytest.fixture
def client(user: Any) -> Client:
    """Signed in as Ava (workspace acme)."""
    signed_in = Client()
    assert (
        signed_in.post("/sign-in", {"username": "ava", "password": "s3cret-pass"}).status_code
        == 200
    )
    return signed_in


def edit(client: Client | AsyncClient, path: str, body: dict[str, Any], **extra: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def test_a_view_that_edits_a_model_records_who_where_and_what(
    client: Client, contact: Contact, user: Any, events: Events
) -> None:
    outside = current_context()
    response = edit(
        client,
        f"/contacts/{contact.pk}",
        {"email": "jo@new.io"},
        HTTP_USER_AGENT="Mozilla/5.0 (Macintosh) Firefox/133.0",
        HTTP_X_REQUEST_ID="req-from-the-edge",
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-from-the-edge"
    [event] = events("contact.updated")
    assert event["changes"] == {"email": {"before": "jo@x.io", "after": "jo@new.io"}}
    assert event["actor"] == {
        "id": str(user.pk),
        "name": "Ava T",
        "email": "ava@acme.io",
        "type": "user",
    }
    assert event["workspace"] == "acme"
    assert event["ip"] == "127.0.0.1"
    assert event["user_agent"] == "Mozilla/5.0 (Macintosh) Firefox/133.0"
    assert event["device"]["browser"].startswith("Firefox")
    assert event["request_id"] == "req-from-the-edge"
    assert len(event["session_id"]) == 32
    assert client.session.session_key not in json.dumps(event)
    assert current_context() == outside  # reset after the request


def test_a_rolled_back_view_records_nothing(
    client: Client, contact: Contact, events: Events
) -> None:
    assert client.post(f"/contacts/{contact.pk}/fail").status_code == 409
    assert events("contact.updated") == []


def test_a_request_id_is_made_when_none_or_a_bad_one_comes(client: Client, events: Events) -> None:
    first = client.get("/viewed")
    second = client.get("/viewed", HTTP_X_REQUEST_ID="bad\x01id")
    ids = [e["request_id"] for e in events("contact.viewed")]
    assert ids == [first["X-Request-ID"], second["X-Request-ID"]]
    assert all(i.startswith("req_") for i in ids)
    assert ids[0] != ids[1]


def test_the_ip_comes_from_a_trusted_proxy(client: Client, events: Events) -> None:
    client.get("/viewed", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7, 10.0.0.9")
    assert events("contact.viewed")[0]["ip"] == "198.51.100.7"


def test_a_client_cannot_claim_another_ip(client: Client, events: Events) -> None:
    client.get("/viewed", REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR="198.51.100.7")
    client.get("/viewed", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    assert [e["ip"] for e in events("contact.viewed")] == ["203.0.113.50", "203.0.113.9"]


def test_nothing_is_trusted_by_default(client: Client, events: Events) -> None:
    with override_settings(ACTIVITYLOG={**settings.ACTIVITYLOG, "TRUSTED_PROXIES": []}):
        client.get("/viewed", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
        assert events("contact.viewed")[0]["ip"] == "10.0.0.2"


def test_anonymous_requests_are_done_by_system(events: Events) -> None:
    with override_settings(ACTIVITYLOG={**settings.ACTIVITYLOG, "DEFAULT_WORKSPACE": "public"}):
        Client().get("/viewed")
        [event] = events("contact.viewed")
    assert event["actor"]["type"] == "system"
    assert event["workspace"] == "public"


def test_a_failing_resolver_is_logged_and_the_request_goes_on(
    client: Client, events: Events, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(request: Any) -> Any:
        raise RuntimeError("tenant lookup down")

    with override_settings(
        ACTIVITYLOG={**settings.ACTIVITYLOG, "WORKSPACE": broken, "DEFAULT_WORKSPACE": "acme"}
    ):
        assert client.get("/viewed").status_code == 200
        [event] = events("contact.viewed")
    assert event["workspace"] == "acme"
    assert "WORKSPACE failed for GET /viewed" in caplog.text


def test_streamed_responses_keep_the_context(client: Client, events: Events) -> None:
    response = client.get("/streamed", HTTP_X_REQUEST_ID="req-stream")
    assert b"".join(response.streaming_content) == b"ab"
    [event] = events("contact.exported")
    assert event["request_id"] == "req-stream"
    assert event["workspace"] == "acme"


def test_async_views_through_the_async_middleware(
    client: Client, contact: Contact, user: Any, events: Events
) -> None:
    async def go() -> Any:
        async_client = AsyncClient()
        async_client.cookies = client.cookies  # Ava's session
        return await edit(
            async_client,
            f"/contacts/{contact.pk}/async",
            {"name": "Joanna"},
            headers={"X-Request-ID": "req-async"},
        )

    response = asyncio.run(go())
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-async"
    [event] = events("contact.updated")
    assert event["changes"] == {"name": {"before": "Jo", "after": "Joanna"}}
    assert event["actor"]["id"] == str(user.pk)
    assert event["workspace"] == "acme"
    assert event["request_id"] == "req-async"
