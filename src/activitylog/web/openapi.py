"""The OpenAPI document at ``/openapi.json``: what a client generator needs to build a
complete, typed client.

FastAPI writes the document from the routes (their ``operation_id`` and ``response_model``,
the reply shapes in :mod:`activitylog.web.schemas`); :func:`install` then completes it:

- the request bodies the handlers read by hand (:mod:`activitylog.web.request_schemas`),
  as referenced ``components/schemas``;
- the query parameters each operation reads, typed and enumerated;
- the shared error replies (``components/responses``), each only where it can happen;
- security schemes and each operation's credentials; servers, license, contact, tags.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from activitylog.access import ROLES
from activitylog.catalog import Catalog
from activitylog.events import LAYERS, RESULTS
from activitylog.exports import MEDIA_TYPES
from activitylog.query import DEFAULT_PER_PAGE, PAGE_SIZES, SORT_KEYS
from activitylog.stats import GROUPS
from activitylog.timeranges import DEFAULT_PRESET, PRESETS
from activitylog.web.operations import OPERATIONS, READ, SECURITY_SCHEMES, TAGS, Operation
from activitylog.web.request_schemas import SCHEMAS, request_schemas
from activitylog.web.schemas import Error

RESPONSES = "#/components/responses/"
#: The media type of every error reply.
ERROR_MEDIA_TYPE = "application/problem+json"


# -- parameters -------------------------------------------------------------------------
def _many(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def parameter_enums(catalog: Catalog) -> dict[str, Any]:
    """The enumerations the query parameters share, as named components (so a generated
    client has one ``Range`` type, not one per operation)."""
    return {
        "Range": {"type": "string", "enum": [*PRESETS, "custom"]},
        "Scope": {"type": "string", "enum": ["mine", "workspace"]},
        "Layer": {"type": "string", "enum": list(LAYERS)},
        "Result": {"type": "string", "enum": list(RESULTS)},
        "Category": {"type": "string", "enum": list(catalog.categories)},
        "Role": {"type": "string", "enum": list(ROLES)},
        "Group": {"type": "string", "enum": list(GROUPS)},
        "ExportFormat": {"type": "string", "enum": list(MEDIA_TYPES)},
    }


def _ref(name: str, **extra: Any) -> dict[str, Any]:
    return {"$ref": SCHEMAS + name, **extra}


def parameter_schemas() -> dict[str, dict[str, Any]]:
    """The schema of each query parameter the reads take, by name."""
    text = {"type": "string"}
    sort = "|".join(SORT_KEYS)
    return {
        "range": _ref("Range", default=DEFAULT_PRESET),
        "since": {"type": "string", "format": "date-time"},
        "until": {"type": "string", "format": "date-time"},
        "tz": {"type": "string", "default": "UTC"},
        "scope": _ref("Scope"),
        "workspace": text,
        "user": _many(text),
        "category": _many(_ref("Category")),
        "events": _many(text),
        "event": _many(text),
        "result": _many(_ref("Result")),
        "roles": _many(_ref("Role")),
        "id": _many(text),
        "layer": _ref("Layer"),
        "subject_type": text,
        "subject_id": text,
        "ip": text,
        "countries": _many(text),
        "country": _many(text),
        "search": text,
        "sort": {"type": "string", "pattern": f"^-?({sort})(:(asc|desc))?$", "default": "-time"},
        "page": {"type": "integer", "minimum": 1, "default": 1},
        "per_page": {"type": "integer", "enum": list(PAGE_SIZES), "default": DEFAULT_PER_PAGE},
        "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
        "after": text,
        "before": text,
        "group": _ref("Group", default="daily"),
        "format": _ref("ExportFormat", default="csv"),
    }


#: Parameters a handler reads by hand, not from its signature: their descriptions.
HAND_READ: dict[str, str] = {
    "workspace": "Platform callers: which workspace. A workspace key or token may only name "
    "its own.",
    "limit": "Cursor pages: this many events (1 to 1,000), from the first or from `after` / "
    "`before`; the reply's `next_cursor` and `prev_cursor` and the `Link` header go on.",
    "after": "Cursor pages: the events just after this cursor (a reply's `next_cursor`).",
    "before": "Cursor pages: the events just before this cursor (a reply's `prev_cursor`).",
}


# -- replies ----------------------------------------------------------------------------
def _error_reply(description: str, headers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    reply: dict[str, Any] = {
        "description": description,
        "content": {ERROR_MEDIA_TYPE: {"schema": {"$ref": SCHEMAS + "Error"}}},
    }
    if headers:
        reply["headers"] = dict(headers)
    return reply


ERROR_RESPONSES: dict[str, tuple[int | str, dict[str, Any]]] = {
    "Unauthorized": (
        401,
        _error_reply(
            "No or bad credentials",
            {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
        ),
    ),
    "Forbidden": (403, _error_reply("The caller's role or key may not do this")),
    "NotFound": (404, _error_reply("Not found, or not visible to the caller")),
    "Conflict": (409, _error_reply("An id was recorded before with other content")),
    "PayloadTooLarge": (413, _error_reply("Body larger than the server takes")),
    "UnsupportedMediaType": (415, _error_reply("The body's Content-Type is not JSON")),
    "ValidationFailed": (422, _error_reply("Invalid input: every field and reason at once")),
    "StorageFull": (
        507,
        _error_reply(
            "The log's database or disk is full: nothing was stored; send it again later",
            {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}},
        ),
    ),
    "UnexpectedError": ("default", _error_reply("Method not allowed (405) or server error")),
}
_BY_STATUS = {str(status): name for name, (status, _reply) in ERROR_RESPONSES.items()}

EXPORT_CONTENT: dict[str, Any] = {
    "text/csv": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "array", "items": {"$ref": SCHEMAS + "Event"}}},
    "application/x-ndjson": {"schema": {"type": "string", "description": "An Event per line"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
}
LIST_HEADERS: dict[str, Any] = {
    "Link": {
        "description": 'With `limit`: `<...&after=...>; rel="next"` (and `rel="prev"`), RFC 8288',
        "schema": {"type": "string"},
    }
}
EXPORT_HEADERS: dict[str, Any] = {
    "Content-Disposition": {
        "description": '`attachment; filename="activity-<workspace>.<format>"`',
        "schema": {"type": "string"},
    }
}


def model_schemas(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s schema and those it references, by name."""
    schema = model.model_json_schema(ref_template=SCHEMAS + "{model}")
    return {**schema.pop("$defs", {}), model.__name__: schema}


# -- the document -----------------------------------------------------------------------
def build(app: FastAPI, catalog: Catalog) -> dict[str, Any]:
    """The complete document for ``app``."""
    doc = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
        tags=TAGS,
        servers=[{"url": "/", "description": "This server"}],
        contact={"name": "activitylog"},
        license_info={"name": "MIT", "identifier": "MIT"},
    )
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)  # FastAPI's own 422 shape, never sent
    schemas.pop("ValidationError", None)
    schemas.update(request_schemas())
    schemas.update(model_schemas(Error))
    schemas["EventWithIntegrity"] = {
        "title": "EventWithIntegrity",
        "description": "An event and how it checks against its chain (`GET /events/{id}`).",
        "allOf": [
            {"$ref": SCHEMAS + "Event"},
            {
                "type": "object",
                "required": ["integrity"],
                "properties": {"integrity": {"$ref": SCHEMAS + "Integrity"}},
            },
        ],
    }
    components["responses"] = {name: reply for name, (_s, reply) in ERROR_RESPONSES.items()}
    components["securitySchemes"] = SECURITY_SCHEMES
    doc["security"] = READ
    schemas.update(parameter_enums(catalog))
    _share_enums(schemas)
    params = parameter_schemas()
    for operation in _operations(doc):
        _complete(operation, OPERATIONS[operation["operationId"]], params)
    return doc


def _share_enums(schemas: dict[str, Any]) -> None:
    """The event's ``layer`` and ``result`` as the shared ``Layer`` and ``Result`` (one
    type each in a generated client, for the event and the filters alike)."""
    for name in ("Layer", "Result"):
        field = name.lower()
        schemas["EventIn"]["properties"][field] = _ref(name)
        schemas["Event"]["properties"][field] = {"anyOf": [_ref(name), {"type": "null"}]}


def install(app: FastAPI, catalog: Catalog) -> None:
    """Serve :func:`build`'s document (built once, on first request) as ``/openapi.json``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app, catalog)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        op
        for path, item in doc["paths"].items()
        if path.startswith("/api/")
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    ]


def _complete(op: dict[str, Any], spec: Operation, params: dict[str, dict[str, Any]]) -> None:
    op["tags"] = [spec.tag]
    op["security"] = spec.security
    scope = f"**Credentials:** {spec.credentials}."
    about = spec.about or op.get("description", "").strip()
    op["description"] = f"{about}\n\n{scope}".strip()
    if spec.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": SCHEMAS + spec.body}}},
        }
    kept = []
    for param in op.get("parameters", []):
        if param["in"] != "query":
            kept.append(param)
        elif param["name"] in spec.params:
            schema = params.get(param["name"], param["schema"])
            kept.append({**param, "schema": copy.deepcopy(schema)})
    declared = {p["name"] for p in kept}
    for name, description in HAND_READ.items():
        if name in spec.params and name not in declared:
            kept.append(
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "description": description,
                    "schema": copy.deepcopy(params[name]),
                }
            )
    if kept:
        op["parameters"] = kept
    else:
        op.pop("parameters", None)
    responses = {code: reply for code, reply in op["responses"].items() if code not in _BY_STATUS}
    for status in (*spec.errors, "default"):
        responses[str(status)] = {"$ref": RESPONSES + _BY_STATUS[str(status)]}
    if op["operationId"] == "listEvents":
        responses["200"]["headers"] = LIST_HEADERS
    if op["operationId"] == "exportEvents":
        responses["200"] = {
            "description": "The events, streamed (a PDF report is built whole)",
            "headers": EXPORT_HEADERS,
            "content": EXPORT_CONTENT,
        }
    op["responses"] = responses


__all__ = ["ERROR_MEDIA_TYPE", "OPERATIONS", "build", "install"]
