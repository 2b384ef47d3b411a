"""The OpenAPI document: valid, its schemas referenced from components, its request schemas
agreeing with the server, its parameters, credentials and error replies where they can
happen."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from ._support import World, build_world

COMPONENTS = (
    "EventIn",
    "EventBatch",
    "Event",
    "EventPage",
    "Integrity",
    "IngestResult",
    "Stats",
    "VerifyReport",
    "DeleteResult",
    "ViewerToken",
    "Error",
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(Path(tmp_path_factory.mktemp("openapi")), 60)


@pytest.fixture(scope="module")
def doc(world: World) -> dict[str, Any]:
    reply = TestClient(world.app).get("/openapi.json")
    assert reply.status_code == 200
    document: dict[str, Any] = reply.json()
    return document


def _operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        op["operationId"]: {**op, "_method": method, "_path": path}
        for path, item in doc["paths"].items()
        for method, op in item.items()
    }


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolved(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """A component schema with the components alongside, for jsonschema to follow refs."""
    schema = copy.deepcopy(doc["components"]["schemas"][name])
    return {**schema, "components": doc["components"]}


def test_the_document_is_valid_openapi(doc: dict[str, Any]) -> None:
    validate(doc)
    assert doc["openapi"].startswith("3.")


def test_named_schemas_are_components_and_referenced(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    assert set(COMPONENTS) <= set(schemas)
    paths_refs = set(_refs(doc["paths"])) | set(_refs(doc["components"]["responses"]))
    every_ref = paths_refs | set(_refs(schemas))
    for name in COMPONENTS:
        assert f"#/components/schemas/{name}" in every_ref, name
    # no component is copied inline: each titled schema appears once, in components
    titles = [n.get("title") for n in _objects(doc["paths"]) if isinstance(n.get("title"), str)]
    assert not set(titles) & set(schemas)
    assert "HTTPValidationError" not in schemas
    stats = schemas["Stats"]["properties"]
    assert {"kpis", "volume", "split", "top_actors", "by_category"} <= set(stats)
    batch = schemas["EventBatch"]["properties"]["events"]
    assert (batch["minItems"], batch["maxItems"]) == (1, 1000)


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def test_event_lists_every_field_the_readme_names(doc: dict[str, Any]) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    table = readme.split("### The event", 1)[1].split("\n\n", 2)[1]
    documented = {
        name for line in table.splitlines() for name in line.split("|")[1].split("`")[1::2]
    }
    assert documented <= set(doc["components"]["schemas"]["Event"]["properties"])


def test_every_success_reply_is_typed(doc: dict[str, Any]) -> None:
    for op_id, op in _operations(doc).items():
        ok = [code for code in op["responses"] if code.startswith("2")]
        assert ok, op_id
        for code in ok:
            for media, body in op["responses"][code]["content"].items():
                assert body.get("schema"), (op_id, code, media)
                assert body["schema"] != {}, (op_id, code, media)


def test_error_replies_only_where_they_can_happen(doc: dict[str, Any]) -> None:
    ops = _operations(doc)
    assert set(ops["getHealth"]["responses"]) == {"200", "default"}
    assert ops["getHealth"]["security"] == []
    for op_id, op in ops.items():
        codes = set(op["responses"])
        assert "default" in codes, op_id
        assert not codes & {"405", "500"}, op_id
        if op["_method"] == "get":
            assert "413" not in codes, op_id
        for code in codes - {"200", "201"}:
            assert op["responses"][code]["$ref"].startswith("#/components/responses/")
    assert "404" in ops["getEvent"]["responses"]
    assert "404" not in ops["listEvents"]["responses"]
    assert "413" in ops["ingestEvents"]["responses"]
    for op_id in ("ingestEvents", "deleteEvents", "createViewerToken", "updateWorkspaceSettings"):
        assert {"413", "415", "422"} <= set(ops[op_id]["responses"]), op_id
    assert "409" in ops["ingestEvents"]["responses"]


def test_the_error_reply_is_declared_as_the_server_sends_it(
    doc: dict[str, Any], world: World
) -> None:
    reply = TestClient(world.app).get("/api/v1/events")
    assert reply.status_code == 401
    declared = doc["components"]["responses"]["Unauthorized"]
    (media,) = declared["content"]
    assert reply.headers["content-type"].split(";")[0] == media
    assert "WWW-Authenticate" in declared["headers"]
    schema = _resolved(doc, "Error")
    Draft202012Validator(schema).validate(reply.json())


def test_operation_ids_tags_and_credentials(doc: dict[str, Any]) -> None:
    ops = _operations(doc)
    assert {
        "listEvents",
        "ingestEvents",
        "getEvent",
        "getStats",
        "exportEvents",
        "verifyLog",
        "deleteEvents",
        "createViewerToken",
        "getHealth",
    } <= set(ops)
    declared_tags = {t["name"] for t in doc["tags"]}
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"]["in"] == "cookie"
    for op_id, op in ops.items():
        (tag,) = op["tags"]
        assert tag in declared_tags, op_id
        assert "**Credentials:**" in op["description"], op_id
        for requirement in op["security"]:
            assert set(requirement) <= set(schemes), op_id
    assert ops["deleteEvents"]["security"] == [{"sessionCookie": [], "csrfToken": []}]
    assert ops["ingestEvents"]["security"] == [{"bearerAuth": []}]
    assert doc["servers"]
    assert doc["info"]["license"]["name"] == "MIT"
    assert doc["info"]["contact"]


def _params(op: dict[str, Any], doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """An operation's query parameters' schemas, references followed."""
    return {
        p["name"]: _deref(doc, p["schema"]) for p in op.get("parameters", []) if p["in"] == "query"
    }


def _deref(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _deref(doc, doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    if "items" in schema:
        return {**schema, "items": _deref(doc, schema["items"])}
    return schema


def test_parameters_are_typed_and_declared_where_read(doc: dict[str, Any]) -> None:
    ops = _operations(doc)
    listing = _params(ops["listEvents"], doc)
    assert listing["page"]["type"] == "integer"
    assert listing["per_page"] == {**listing["per_page"], "type": "integer"}
    assert listing["per_page"]["enum"] == [10, 20, 25, 50, 100]
    assert {"last_7_days", "custom"} <= set(listing["range"]["enum"])
    assert listing["scope"]["enum"] == ["mine", "workspace"]
    assert listing["layer"]["enum"] == ["workspace", "platform"]
    assert listing["result"]["items"]["enum"] == ["success", "warning", "failure"]
    assert "auth" in listing["category"]["items"]["enum"]
    assert listing["since"]["format"] == listing["until"]["format"] == "date-time"
    sort = Draft202012Validator(listing["sort"])
    assert all(sort.is_valid(s) for s in ("-time", "time", "actor:asc", "ip:desc"))
    assert not sort.is_valid("nonsense")
    assert "group" not in listing
    assert (listing["limit"]["minimum"], listing["limit"]["maximum"]) == (1, 1000)
    assert listing["after"]["type"] == listing["before"]["type"] == "string"
    assert "Link" in ops["listEvents"]["responses"]["200"]["headers"]
    assert _params(ops["getStats"], doc)["group"]["enum"] == ["hourly", "daily", "weekly"]
    assert not {"page", "per_page", "sort"} & set(_params(ops["getStats"], doc))
    assert _params(ops["exportEvents"], doc)["format"]["enum"] == ["csv", "json", "ndjson", "pdf"]
    assert set(_params(ops["verifyLog"], doc)) == {"workspace"}
    assert set(_params(ops["getEvent"], doc)) == {"workspace"}
    assert "parameters" not in ops["getHealth"]


def test_export_bodies_per_media_type(doc: dict[str, Any]) -> None:
    ok = _operations(doc)["exportEvents"]["responses"]["200"]
    content = ok["content"]
    assert set(content) == {
        "text/csv",
        "application/x-ndjson",
        "application/json",
        "application/pdf",
    }
    assert content["application/json"]["schema"]["items"] == {"$ref": "#/components/schemas/Event"}
    assert content["application/pdf"]["schema"]["format"] == "binary"
    assert "Content-Disposition" in ok["headers"]


# -- the request schema says what the server enforces ------------------------------------
def _event(**fields: Any) -> dict[str, Any]:
    return {"workspace": "acme", "action": "contact.updated", **fields}


BODIES = [
    _event(),
    _event(
        id=str(uuid.uuid4()),
        actor={"id": "u_1", "name": "Jo", "type": "user"},
        subject={"type": "contact", "id": "c_42"},
        related=[{"type": "team", "id": "t_1"}],
        ip="2001:db8::1",
        changes={"email": {"before": "jo@old.io", "after": "jo@new.io"}},
        details={"plan": "pro"},
        result="warning",
    ),
    _event(action="Contact Updated"),
    _event(action="contact"),
    _event(id="not-a-uuid"),
    _event(ip="999.1.1.1"),
    _event(changes=[1]),
    _event(changes={"email": "new"}),
    _event(snapshot=[1, 2]),
    _event(details="text"),
    _event(result="ok"),
    _event(colour="red"),
    {"events": [_event(), _event(ip="10.0.0.1")]},
    {"events": []},
    {"events": [_event(), _event(action="BAD")]},
]


@pytest.mark.parametrize("body", BODIES)
def test_the_ingest_schema_agrees_with_the_server(
    body: dict[str, Any], doc: dict[str, Any], world: World
) -> None:
    schema = {"$ref": "#/components/schemas/IngestRequest", "components": doc["components"]}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    valid = validator.is_valid(body)
    reply = TestClient(world.app).post(
        "/api/v1/events", json=body, headers=world.bearer("platform_ingest")
    )
    assert reply.status_code in (200, 201, 422), reply.text
    assert valid == (reply.status_code != 422), (valid, reply.text)


def test_a_workspace_key_may_leave_workspace_out(doc: dict[str, Any], world: World) -> None:
    body = {"action": "contact.updated"}
    schema = _resolved(doc, "EventIn")
    assert Draft202012Validator(schema).is_valid(body)
    reply = TestClient(world.app).post(
        "/api/v1/events", json=body, headers=world.bearer("acme_ingest")
    )
    assert reply.status_code == 201, reply.text
