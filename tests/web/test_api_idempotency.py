"""Idempotent ingest over HTTP: a repeated id with the same content is a 200 duplicate,
with other content a 409 that names the id and stores nothing."""

from __future__ import annotations

from typing import Any

from ._support import World

URL = "/api/v1/events"
ID = "0190b4a0-0000-7000-8000-0000000000a1"


def _event(**extra: Any) -> dict[str, Any]:
    return {
        "workspace": "acme",
        "actor": {"id": "u_api", "name": "Api Person"},
        "action": "contact.updated",
        "subject": {"type": "contact", "id": "c_1", "name": "Jane"},
        "occurred_at": "2026-01-05T10:00:00Z",
        **extra,
    }


def test_the_same_event_again_is_a_200_duplicate(fresh: World) -> None:
    client, key = fresh.client(), fresh.bearer("acme_ingest")
    first = client.post(URL, json=_event(id=ID), headers=key)
    again = client.post(URL, json=_event(id=ID.upper()), headers=key)  # the same UUID
    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert first.json()["events"][0]["duplicate"] is False
    assert again.json()["events"][0] == {**first.json()["events"][0], "duplicate": True}
    assert fresh.state.log.count(workspace="acme") == 1


def test_without_occurred_at_the_time_of_sending_does_not_count(fresh: World) -> None:
    client, key = fresh.client(), fresh.bearer("acme_ingest")
    event = {k: v for k, v in _event(id=ID).items() if k != "occurred_at"}
    assert client.post(URL, json=event, headers=key).status_code == 201
    again = client.post(URL, json=event, headers=key)
    assert again.status_code == 200, again.text
    assert again.json()["events"][0]["duplicate"] is True


def test_a_batch_with_something_new_is_201_and_marks_each_event(fresh: World) -> None:
    client, key = fresh.client(), fresh.bearer("acme_ingest")
    client.post(URL, json=_event(id=ID), headers=key)
    other = "0190b4a0-0000-7000-8000-0000000000a2"
    reply = client.post(
        URL, json={"events": [_event(id=ID), _event(id=other), _event(id=other)]}, headers=key
    )
    assert reply.status_code == 201, reply.text
    assert [e["duplicate"] for e in reply.json()["events"]] == [True, False, True]
    assert fresh.state.log.count(workspace="acme") == 2


def test_the_same_id_with_other_content_is_a_409_naming_it(fresh: World) -> None:
    client, key = fresh.client(), fresh.bearer("acme_ingest")
    client.post(URL, json=_event(id=ID), headers=key)
    new = "0190b4a0-0000-7000-8000-0000000000a3"
    batch = [_event(id=new), _event(id=ID, action="contact.deleted")]
    reply = client.post(URL, json={"events": batch}, headers=key)
    assert reply.status_code == 409, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert body["detail"].startswith(f"event {ID} was recorded before with other content")
    assert "(differs in action)" in body["detail"]
    assert body["errors"] == [
        {
            "index": 1,
            "field": "id",
            "reason": "was recorded before with other content",
            "code": "conflict",
            "id": ID,
        }
    ]
    assert fresh.state.log.count(workspace="acme") == 1  # the new event was not stored


def test_a_batch_repeating_an_id_with_other_content_is_a_409(fresh: World) -> None:
    batch = [_event(id=ID), _event(id=ID, result="failure")]
    reply = fresh.client().post(URL, json={"events": batch}, headers=fresh.bearer("acme_ingest"))
    assert reply.status_code == 409, reply.text
    assert [e["index"] for e in reply.json()["errors"]] == [1]
    assert fresh.state.log.count(workspace="acme") == 0


def test_an_id_of_another_workspace_is_a_conflict_not_its_event(fresh: World) -> None:
    client = fresh.client()
    globex = _event(id=ID, workspace="globex")
    client.post(URL, json=globex, headers=fresh.bearer("platform_ingest"))
    reply = client.post(URL, json=_event(id=ID), headers=fresh.bearer("acme_ingest"))
    assert reply.status_code == 409, reply.text
    assert "workspace" in reply.json()["detail"]
