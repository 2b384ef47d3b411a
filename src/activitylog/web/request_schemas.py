"""The request bodies the API's handlers read by hand (fast paths that skip FastAPI's
parsing), as JSON Schemas for the OpenAPI document's ``components/schemas``.

The event input comes from the pydantic type that validates it
(:class:`activitylog.events.EventIn`), with the checks :func:`activitylog.events.validate`
makes beyond that type spelled out (action pattern, UUID, IP address, JSON objects), so the
document says what the server enforces; tests send bodies both ways and compare.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from activitylog.alerts.custom import FILTERS
from activitylog.alerts.rules import PERS, SEVERITIES
from activitylog.events import ACTION_PATTERN, EventIn

SCHEMAS = "#/components/schemas/"
MAX_BATCH = 1000


def _nullable(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}], "description": description}


def event_in_schemas() -> dict[str, Any]:
    """``EventIn`` and the shapes it references (``PartyIn``, ``SubjectIn``), with the
    checks :func:`activitylog.events.validate` makes beyond its pydantic type."""
    schema = TypeAdapter(EventIn).json_schema(ref_template=SCHEMAS + "{model}In")
    definitions = {
        f"{name}In": {**body, "title": f"{name}In"}
        for name, body in schema.pop("$defs", {}).items()
    }
    props = schema["properties"]
    schema["required"] = ["action"]
    schema["description"] = "One event. `workspace` may be left out with a workspace API key."
    props["workspace"]["description"] = "Required, except with a workspace key (its own)."
    props["id"] = _nullable(
        {"type": "string", "format": "uuid"}, "UUID, generated unless given: the idempotency key"
    )
    props["action"].update(pattern=ACTION_PATTERN, description="Dotted lowercase")
    props["ip"] = _nullable(
        {"anyOf": [{"type": "string", "format": "ipv4"}, {"type": "string", "format": "ipv6"}]},
        "IPv4 or IPv6 address",
    )
    change = {
        "type": "object",
        "properties": {"before": {}, "after": {}},
        "additionalProperties": False,
        "minProperties": 1,
    }
    limit = "; at most 64 KiB as JSON, integers within 64 bits"
    props["changes"] = _nullable(
        {"type": "object", "additionalProperties": change},
        "Updates: only the changed fields, `{field: {before, after}}`" + limit,
    )
    props["snapshot"] = _nullable(
        {"type": "object"}, "Creates and deletes: all values of the record" + limit
    )
    props["details"] = _nullable({"type": "object"}, "Any JSON object for the event" + limit)
    batch = {
        "type": "object",
        "required": ["events"],
        "description": "1 to 1,000 events, stored atomically.",
        "properties": {
            "events": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_BATCH,
                "items": {"$ref": SCHEMAS + "EventIn"},
            }
        },
    }
    return {
        **definitions,
        "EventIn": schema,
        "EventBatch": batch,
        "IngestRequest": {
            "oneOf": [{"$ref": SCHEMAS + "EventIn"}, {"$ref": SCHEMAS + "EventBatch"}]
        },
    }


DELETE_REQUEST: dict[str, Any] = {
    "type": "object",
    "description": "Either `ids` (chosen entries) or `filters` with `count` "
    "(every entry the page's filters match, as many as the confirmation named).",
    "required": ["reason"],
    "properties": {
        "ids": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1000,
            "items": {"type": "string"},
        },
        "filters": {
            "type": "object",
            "description": "The page's query parameters, e.g. "
            '`{"category": ["auth"], "range": "last_7_days"}`.',
            "additionalProperties": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "array", "items": {"type": "string"}},
                ]
            },
        },
        "count": {"type": "integer", "minimum": 1, "maximum": 10000},
        "as_of": {
            "type": "string",
            "format": "date-time",
            "description": "When the page counted: later entries are left out.",
        },
        "reason": {"type": "string", "minLength": 1},
    },
}

SETTINGS_CHANGE: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {
        "log_access": {
            "enum": ["admins", "own"],
            "description": "admins: owners and admins open the log; own: "
            "everyone sees their own activity, admins everyone's",
        },
        "link_base": {
            "type": ["string", "null"],
            "format": "uri",
            "description": "Absolute http(s) URL relative subject links "
            "resolve against; null removes it",
        },
        "retention_days": {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 36500},
                {"enum": ["forever"]},
                {"type": "null"},
            ],
            "description": "Days entries are kept before purges remove "
            'them, "forever", or null: the platform\'s retention_days',
        },
        "legal_hold": {
            "type": ["string", "null"],
            "maxLength": 500,
            "description": "Why purging is suspended; null releases the hold",
        },
        "require_archive": {
            "type": "boolean",
            "description": "Purge only what was archived first",
        },
        "export_schedule": {
            "enum": ["off", "daily", "weekly", "monthly"],
            "description": "Export each closed UTC day, ISO week or month "
            "once to the archive location; off: none",
        },
        "export_format": {
            "enum": ["csv", "json", "pdf"],
            "description": "The scheduled exports' format",
        },
    },
}

VIEWER_TOKEN_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["user_id", "role"],
    "properties": {
        "workspace": {"type": "string", "description": "Default: the key's workspace"},
        "user_id": {"type": "string"},
        "role": {"enum": ["owner", "admin", "member", "viewer"]},
        "ttl_seconds": {"type": "integer", "minimum": 1, "maximum": 3600, "default": 900},
        "name": {"type": "string"},
        "email": {"type": "string"},
    },
}


_STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}

STREAM_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "description": "Exactly one of url, syslog or file",
    "properties": {
        "name": {"type": "string", "description": "Unique in its workspace (or the platform)"},
        "workspace": {"type": "string", "description": "Default: the caller's workspace"},
        "platform": {
            "type": "boolean",
            "default": False,
            "description": "A platform stream: every workspace (platform admins)",
        },
        "url": {"type": "string", "description": "HTTPS webhook (http:// only to loopback)"},
        "syslog": {"type": "string", "description": "HOST:PORT of an RFC 5424 collector"},
        "file": {"type": "string", "description": "A file on the server (platform admins)"},
        "syslog_tls": {"type": "boolean", "default": False},
        "syslog_ca": {"type": "string", "description": "CA bundle path (platform admins)"},
        "format": {"enum": ["json", "ocsf", "cef"], "default": "json"},
        "secret": {"type": "string", "description": "whsec_ secret; default: a new one"},
        "from": {"enum": ["now", "beginning"], "default": "now"},
        "filters": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "categories": _STRINGS,
                "events": _STRINGS,
                "users": _STRINGS,
                "roles": _STRINGS,
                "results": _STRINGS,
                "countries": _STRINGS,
                "search": {"type": "string"},
                "layer": {"enum": ["workspace", "platform"]},
            },
        },
    },
}


_ALERT_STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
ALERT_REQUEST_SCHEMAS: dict[str, Any] = {
    "AlertChannelRequest": {
        "type": "object",
        "required": ["kind", "target"],
        "additionalProperties": False,
        "properties": {
            "workspace": {"type": "string", "description": "Default: the caller's"},
            "kind": {"enum": ["email", "webhook", "slack"]},
            "target": {
                "type": "string",
                "description": "Email addresses (comma-separated, at most 10), or an https "
                "URL (a webhook may use http to a loopback host)",
            },
            "min_severity": {"enum": list(SEVERITIES), "default": "low"},
        },
    },
    "AlertResolution": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"note": {"type": "string", "maxLength": 2000}},
    },
    "AlertRuleChange": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "enabled": {"type": "boolean"},
            "threshold": {"type": "integer", "minimum": 1},
            "window": {"type": "integer", "minimum": 1, "description": "Minutes"},
            "severity": {"enum": list(SEVERITIES)},
            "params": {"type": "object", "description": "The rule's own settings"},
        },
    },
    "AlertRuleNew": {
        "type": "object",
        "required": ["name", "threshold", "window"],
        "additionalProperties": False,
        "properties": {
            "workspace": {"type": "string", "description": "Default: the caller's"},
            "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"},
            "threshold": {"type": "integer", "minimum": 1},
            "window": {"type": "integer", "minimum": 1, "description": "Minutes"},
            "per": {"enum": [*PERS, None]},
            "severity": {"enum": list(SEVERITIES), "default": "medium"},
            "filters": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    name: {"type": "string"} if name == "search" else _ALERT_STRINGS
                    for name in FILTERS
                },
            },
        },
    },
}


def request_schemas() -> dict[str, Any]:
    """Every request body's schema (and those they reference), by component name."""
    return {
        **event_in_schemas(),
        **ALERT_REQUEST_SCHEMAS,
        "DeleteRequest": DELETE_REQUEST,
        "SettingsChange": SETTINGS_CHANGE,
        "StreamRequest": STREAM_REQUEST,
        "ViewerTokenRequest": VIEWER_TOKEN_REQUEST,
    }
