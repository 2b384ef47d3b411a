"""The API's HTTP protocol: problem details, 415 for bodies that are not JSON, HEAD on
GET endpoints, a workspace caller naming another workspace."""

from __future__ import annotations

from typing import Literal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from activitylog.web import errors
from activitylog.web.body import is_json_type
from activitylog.web.errors import field_code

from ._support import World

PROBLEM = "application/problem+json"


# -- problem details (RFC 9457) ---------------------------------------------------------
def test_a_422_is_a_problem_listing_each_field_with_a_code(world: World) -> None:
    reply = world.client("owner").get("/api/v1/events?per_page=7&range=someday&tz=Mars/Base")
    assert reply.status_code == 422
    assert reply.headers["content-type"] == PROBLEM
    body = reply.json()
    assert body["type"] == "about:blank"
    assert body["title"] == "Unprocessable Entity"
    assert body["status"] == 422
    assert body["detail"] == body["message"]
    assert body["error"] == "validation"
    codes = {e["field"]: e["code"] for e in body["errors"]}
    assert codes == {"per_page": "not_allowed", "range": "not_allowed", "tz": "not_allowed"}


def test_an_invalid_batch_gives_each_events_fields_a_code(fresh: World) -> None:
    events = [
        {"workspace": "acme", "action": "Bad Action", "bogus": 1},
        {"workspace": "acme"},
    ]
    reply = fresh.client().post(
        "/api/v1/events", json={"events": events}, headers=fresh.bearer("acme_ingest")
    )
    assert reply.status_code == 422, reply.text
    found = {(e["index"], e["field"], e["code"]) for e in reply.json()["errors"]}
    expected = {(0, "bogus", "unknown_field"), (0, "action", "format"), (1, "action", "required")}
    assert expected <= found


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/api/v1/events/0190b4a0-0000-7000-8000-00000000ffff", 404, "Not Found"),
        ("/api/v1/nothing-here", 404, "Not Found"),
    ],
)
def test_other_errors_are_problems_too(world: World, path: str, status: int, title: str) -> None:
    reply = world.client("owner").get(path)
    assert reply.status_code == status
    assert reply.headers["content-type"] == PROBLEM
    assert reply.json()["title"] == title
    assert reply.json()["errors"] == []


def test_a_401_is_a_problem_with_a_bearer_challenge(world: World) -> None:
    reply = world.client().get("/api/v1/events")
    assert reply.status_code == 401
    assert reply.headers["content-type"] == PROBLEM
    assert reply.headers["www-authenticate"] == "Bearer"
    assert reply.json()["status"] == 401


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("is required", "required"),
        ("is not a known field", "unknown_field"),
        ("is longer than 200 characters", "too_long"),
        ("at most 1000 per request", "too_long"),
        ("must be one of csv, json", "not_allowed"),
        ("must be a UUID", "format"),
        ("must be a whole number, not 'x'", "type"),
        ("is not valid JSON (unexpected character)", "not_json"),
        ("must be after since", "invalid"),
    ],
)
def test_field_codes(reason: str, code: str) -> None:
    assert field_code(reason) == code


# -- 415 ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content_type", "json"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/merge-patch+json", True),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
        ("application/jsonx", False),
    ],
)
def test_json_types(content_type: str, json: bool) -> None:
    assert is_json_type(content_type) is json


def test_a_post_that_is_not_json_is_415_and_stores_nothing(fresh: World) -> None:
    headers = {**fresh.bearer("acme_ingest"), "Content-Type": "text/plain"}
    body = b'{"workspace": "acme", "action": "contact.updated"}'
    reply = fresh.client().post("/api/v1/events", content=body, headers=headers)
    assert reply.status_code == 415, reply.text
    assert reply.headers["content-type"] == PROBLEM
    assert reply.json()["error"] == "unsupported_media_type"
    assert fresh.state.log.count() == 0
    form = fresh.client().post(
        "/api/v1/viewer-tokens", data={"ttl_seconds": "60"}, headers=fresh.bearer("acme_read")
    )
    assert form.status_code == 415


# -- HEAD ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    ["/api/v1/health", "/api/v1/events", "/api/v1/stats", "/api/v1/verify", "/api/v1/export"],
)
def test_head_answers_as_get_without_a_body(world: World, path: str) -> None:
    client = world.client("owner")
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]


def test_head_is_not_recorded_as_a_view_or_an_export(fresh: World) -> None:
    client = fresh.client("owner")
    before = fresh.state.log.count(workspace="acme")
    for path in ("/api/v1/events", "/api/v1/export?format=ndjson"):
        assert client.head(path).status_code == 200
    assert fresh.state.log.count(workspace="acme") == before
    assert client.get("/api/v1/export?format=ndjson").status_code == 200
    assert fresh.state.log.count(workspace="acme") == before + 1  # a GET is recorded
    exported = client.head("/api/v1/export?format=csv")
    assert exported.headers["content-disposition"] == 'attachment; filename="activity-acme.csv"'


def test_head_keeps_the_errors_status(world: World) -> None:
    reply = world.client().head("/api/v1/events")
    assert reply.status_code == 401
    assert reply.content == b""


# -- a workspace caller naming another workspace -----------------------------------------
def test_verify_of_another_workspace_is_403_not_the_callers_own(world: World) -> None:
    owner = world.client("owner")
    assert owner.get("/api/v1/verify?workspace=acme").json()["workspace"] == "acme"
    reply = owner.get("/api/v1/verify?workspace=globex")
    assert reply.status_code == 403, reply.text
    assert "acme" in reply.json()["detail"]
    key = world.bearer("acme_read")
    assert world.client().get("/api/v1/verify", headers=key).json()["workspace"] == "acme"
    by_key = world.client().get("/api/v1/verify?workspace=globex", headers=key)
    assert by_key.status_code == 403, by_key.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/events",
        "/api/v1/events/0190b4a0-0000-7000-8000-00000000ffff",
        "/api/v1/stats",
        "/api/v1/export",
        "/api/v1/verify",
    ],
)
def test_reads_of_another_workspace_are_403(world: World, path: str) -> None:
    reply = world.client().get(f"{path}?workspace=globex", headers=world.bearer("acme_read"))
    assert reply.status_code == 403, reply.text


def test_framework_validation_errors_are_problems_with_the_same_codes() -> None:
    app = FastAPI()
    errors.install(app)

    @app.get("/api/v1/probe")
    def probe(n: int, kind: Literal["a", "b"]) -> dict[str, int]:
        return {"n": n}

    reply = TestClient(app).get("/api/v1/probe?n=x&kind=c")
    assert reply.status_code == 422
    assert reply.headers["content-type"] == PROBLEM
    assert {(e["field"], e["code"]) for e in reply.json()["errors"]} == {
        ("n", "type"),
        ("kind", "not_allowed"),
    }
    missing = TestClient(app).get("/api/v1/probe?kind=a").json()["errors"]
    assert [(e["field"], e["code"]) for e in missing] == [("n", "required")]
