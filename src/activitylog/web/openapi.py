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
from dataclasses import dataclass
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
from activitylog.web.principal import CSRF_HEADER, EMBED_COOKIE, SESSION_COOKIE
from activitylog.web.request_schemas import SCHEMAS, request_schemas
from activitylog.web.schemas import Error

RESPONSES = "#/components/responses/"
#: The media type of every error reply.
ERROR_MEDIA_TYPE = "application/problem+json"

# -- credentials ------------------------------------------------------------------------
SECURITY_SCHEMES: dict[str, Any] = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`alk_...`, `activitylog keys create`) with scope `ingest` "
        "or `read`, or a viewer token (`POST /api/v1/viewer-tokens`, read only).",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "A person signed in on `/signin`.",
    },
    "csrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": CSRF_HEADER,
        "description": "The session's CSRF token (the page's `<meta name=\"csrf-token\">`), "
        "on every state-changing request of a session.",
    },
    "embedCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": EMBED_COOKIE,
        "description": "Set by `/embed?token=...`: reads as its viewer token.",
    },
}
Security = list[dict[str, list[str]]]
NONE: Security = []
INGEST: Security = [{"bearerAuth": []}]
READ: Security = [{"bearerAuth": []}, {"sessionCookie": []}, {"embedCookie": []}]
KEY: Security = [{"bearerAuth": []}]
SESSION: Security = [{"sessionCookie": [], "csrfToken": []}]

TAGS = [
    {"name": "events", "description": "Send events; list, read and delete them."},
    {"name": "reports", "description": "Statistics and exports of the filtered events."},
    {"name": "integrity", "description": "The hash chain and signed checkpoints, checked."},
    {"name": "workspaces", "description": "Each workspace's settings."},
    {"name": "embedding", "description": "Short-lived viewer tokens for an embedded log."},
    {"name": "streams", "description": "Entries sent on to webhooks, syslog and files."},
    {"name": "alerts", "description": "Alerts the rules raise, and the rules."},
    {"name": "service", "description": "Liveness."},
]


@dataclass(frozen=True)
class Operation:
    """What the document says of one operation beyond what its route declares."""

    tag: str
    security: Security
    errors: tuple[int, ...]
    credentials: str
    about: str = ""
    body: str | None = None
    params: frozenset[str] = frozenset()


_FILTERS = frozenset(
    {
        "range",
        "since",
        "until",
        "tz",
        "scope",
        "workspace",
        "user",
        "category",
        "events",
        "event",
        "result",
        "roles",
        "id",
        "layer",
        "subject_type",
        "subject_id",
        "ip",
        "countries",
        "country",
        "search",
    }
)
_MANAGER = "an owner or admin of the workspace (a session, with `X-CSRF-Token` to change), "
_MANAGER += "its read key, or a platform admin (platform streams, files on the server)"
STREAM_OPERATIONS: dict[str, Operation] = {
    "listStreams": Operation(
        "streams",
        READ,
        (401, 403, 422),
        _MANAGER,
        about="The streams of the caller's workspace (a platform caller: every stream, or "
        "those of `workspace`, or the platform's with `platform=true`). Secrets are never "
        "shown.",
    ),
    "getStreamsStatus": Operation(
        "streams",
        READ,
        (401, 403, 422),
        _MANAGER,
        about="Each stream's follower per workspace: position, head, entries behind, "
        "delay (how long ago the oldest unsent entry occurred), last error and next retry.",
    ),
    "createStream": Operation(
        "streams",
        READ,
        (401, 403, 413, 415, 422),
        _MANAGER,
        about="A webhook (NDJSON batches signed as Standard Webhooks), syslog (RFC 5424 over "
        "TCP, optionally TLS) or file destination, a format and filters. A webhook's new "
        "`secret` is in this reply only. Recorded as `stream.created`.",
        body="StreamRequest",
    ),
    "deleteStream": Operation(
        "streams",
        READ,
        (401, 403, 404),
        _MANAGER,
        about="Remove a stream and forget its position. Recorded as `stream.removed`.",
    ),
}
_WHO = "an owner or admin of the workspace (a session, with `X-CSRF-Token` to change), its "
_WHO += "read key, or a platform caller; members, viewers and viewer tokens get 403"
ALERT_OPERATIONS: dict[str, Operation] = {
    "listAlerts": Operation(
        "alerts",
        READ,
        (401, 403, 422),
        _WHO,
        about="Alerts of the caller's workspace (platform callers: every workspace, or "
        "`workspace`), newest first, at most 1,000; `status` keeps one status.",
        params=frozenset({"workspace", "status"}),
    ),
    "getAlert": Operation(
        "alerts",
        READ,
        (401, 403, 404),
        _WHO,
        about="One alert; one of another workspace is a 404, as one that does not exist.",
    ),
    "acknowledgeAlert": Operation(
        "alerts",
        READ,
        (401, 403, 404, 409),
        _WHO,
        about="Someone is on it: status `acknowledged` (again: no change; a resolved alert: "
        "409). Recorded as `alert.acknowledged`.",
    ),
    "resolveAlert": Operation(
        "alerts",
        READ,
        (401, 403, 404, 409, 413, 415, 422),
        _WHO,
        about='Status `resolved`, with an optional `{"note": "..."}`. Recorded as '
        "`alert.resolved` with the note; resolving twice is a 409.",
        body="AlertResolution",
    ),
    "listAlertRules": Operation(
        "alerts",
        READ,
        (401, 403, 422),
        _WHO,
        about="Every rule of the workspace: the built-in ones (their defaults where never "
        "changed), then its custom ones.",
        params=frozenset({"workspace"}),
    ),
    "updateAlertRule": Operation(
        "alerts",
        READ,
        (401, 403, 404, 413, 415, 422),
        _WHO,
        about="Turn a rule on or off, change its threshold, window (minutes), severity or "
        "own settings (`params`: off_hours `hours`, `days`, `timezone`; new_*_sign_in "
        "`lookback_days`; permission_change `actions`). Recorded as `alert_rule.updated` "
        "with before and after.",
        body="AlertRuleChange",
        params=frozenset({"workspace"}),
    ),
    "createAlertRule": Operation(
        "alerts",
        READ,
        (401, 403, 409, 413, 415, 422),
        _WHO,
        about="A custom rule: at least `threshold` entries matching the page's `filters` "
        "within `window` minutes, per actor, per IP, or across the workspace. Recorded as "
        "`alert_rule.created`.",
        body="AlertRuleNew",
    ),
}

_READER = "an API key with scope `read`, a viewer token, or a session (any role the "
_READER += "workspace's `log_access` lets read)"

_CHANNELS = "an owner or admin of the workspace (a session, with `X-CSRF-Token` to change), "
_CHANNELS += "its read key, or a platform caller; members, viewers and viewer tokens get 403"
ALERT_CHANNEL_OPERATIONS: dict[str, Operation] = {
    "listAlertChannels": Operation(
        "alerts",
        READ,
        (401, 403, 422),
        _CHANNELS,
        about="Where the caller's workspace's alerts are sent (a platform caller: every "
        "workspace's, or `workspace`'s). A Slack URL's token is hidden; secrets never shown.",
        params=frozenset({"workspace"}),
    ),
    "createAlertChannel": Operation(
        "alerts",
        READ,
        (401, 403, 413, 415, 422),
        _CHANNELS,
        about="Email addresses, a webhook (Standard Webhooks: `webhook-id`, "
        "`webhook-timestamp`, `webhook-signature`) or a Slack incoming webhook, taking "
        "alerts of `min_severity` or higher. A webhook's new `secret` is in this reply "
        "only. Recorded as `alert_channel.added`.",
        body="AlertChannelRequest",
    ),
    "testAlertChannel": Operation(
        "alerts",
        READ,
        (401, 403, 404),
        _CHANNELS,
        about="Send the channel an `alert.test` message now, once, and say what came of it: "
        "`delivered`, the HTTP status or SMTP reply code, the error. Nothing is kept.",
    ),
    "deleteAlertChannel": Operation(
        "alerts",
        READ,
        (401, 403, 404),
        _CHANNELS,
        about="Remove a channel; its deliveries not yet made give up. Recorded as "
        "`alert_channel.removed`.",
    ),
}
OPERATIONS: dict[str, Operation] = {
    "getHealth": Operation(
        "service", NONE, (), "none", about='`{"status": "ok"}` while the server runs.'
    ),
    "ingestEvents": Operation(
        "events",
        INGEST,
        (401, 403, 409, 413, 415, 422),
        "an API key with scope `ingest` (a workspace key writes its own workspace)",
        about='One event, or `{"events": [...]}` with 1 to 1,000, stored atomically: if any '
        "event is invalid the 422 lists every invalid index and field and nothing is stored. "
        "Idempotent on `id`: an id stored before with the same content is a duplicate (200 "
        "when every event was one), with other content a 409 naming it.",
        body="IngestRequest",
    ),
    "listEvents": Operation(
        "events",
        READ,
        (401, 403, 422),
        _READER,
        about="The Activity Log page's filters as query parameters. Pages by number (`page`, "
        "`per_page`), or with `limit` and the `after` / `before` cursors, which stay stable "
        "while events arrive. A filter value that can never match is a 422 naming it.",
        params=_FILTERS | {"sort", "page", "per_page", "limit", "after", "before"},
    ),
    "getEvent": Operation(
        "events",
        READ,
        (401, 403, 404),
        _READER,
        about="The event (its id in any spelling of the UUID) and its `integrity`: content "
        "hash, chain link, the signed checkpoint covering it. One the caller may not see is "
        "a 404, as one that does not exist.",
        params=frozenset({"workspace"}),
    ),
    "getStats": Operation(
        "reports",
        READ,
        (401, 403, 422),
        _READER,
        about="KPIs, the volume series (`group`), the split, top actors and counts by "
        "category of the filtered window; `sign_ins + writes + reads_other == total`.",
        params=_FILTERS | {"group"},
    ),
    "exportEvents": Operation(
        "reports",
        READ,
        (401, 403, 422),
        _READER,
        about="Every event the filters match, streamed as CSV, JSON or NDJSON (any size), or "
        "a PDF report of at most 50,000 entries. Recorded as `activity_log.exported`.",
        params=_FILTERS | {"sort", "group", "format"},
    ),
    "deleteEvents": Operation(
        "events",
        SESSION,
        (401, 403, 413, 415, 422),
        "a signed-in owner of the workspace (or platform admin), with `X-CSRF-Token`",
        about="Replace events by tombstones that keep the chain verifiable: `{ids, reason}` "
        "or `{filters, count, reason}`. Recorded as `activity_log.deleted`.",
        body="DeleteRequest",
    ),
    "verifyLog": Operation(
        "integrity",
        READ,
        (401, 403, 422),
        "an owner or admin, or a read key (platform callers name `workspace`)",
        about="The integrity report of the caller's workspace, as `activitylog verify`: "
        "every break found, up to 100.",
        params=frozenset({"workspace"}),
    ),
    "getWorkspaceSettings": Operation(
        "workspaces",
        READ,
        (401, 403, 422),
        "an owner or admin of the workspace, its read key, or a platform caller",
        about="The workspace's settings, defaults filled in.",
    ),
    "updateWorkspaceSettings": Operation(
        "workspaces",
        SESSION,
        (401, 403, 413, 415, 422),
        "a signed-in owner of the workspace (or platform admin), with `X-CSRF-Token`",
        about="Change some settings; a change is recorded in the workspace's log with "
        "before and after.",
        body="SettingsChange",
    ),
    "createViewerToken": Operation(
        "embedding",
        KEY,
        (401, 403, 413, 415, 422),
        "an API key with scope `read` (a workspace key mints for its own workspace)",
        about="A short-lived (at most one hour) read-only token for an embedded log, as the "
        "user and role it names.",
        body="ViewerTokenRequest",
    ),
    **STREAM_OPERATIONS,
    **ALERT_OPERATIONS,
    **ALERT_CHANNEL_OPERATIONS,
}


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
