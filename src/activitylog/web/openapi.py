"""Schemas the OpenAPI document shows for bodies read by hand (fast paths that skip
FastAPI's model parsing): the event input comes from the same pydantic type that
validates it, so the document cannot drift from the rules."""

from __future__ import annotations

from typing import Any

from activitylog.events import event_json_schema

_EVENT = event_json_schema()
_ERROR = {
    "type": "object",
    "required": ["error", "message", "errors"],
    "properties": {
        "error": {"type": "string", "examples": ["validation"]},
        "message": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer", "description": "Position in the batch"},
                    "field": {"type": "string"},
                    "reason": {"type": "string"},
                },
            },
        },
    },
}


def _json(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS: dict[int | str, dict[str, Any]] = {
    401: _json(_ERROR, "No or bad credentials"),
    403: _json(_ERROR, "The caller's role or key may not do this"),
    404: _json(_ERROR, "Not found, or not visible to the caller"),
    413: _json(_ERROR, "Body too large"),
    422: _json(_ERROR, "Invalid input: every field and reason"),
}

INGEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        _EVENT,
                        {
                            "type": "object",
                            "required": ["events"],
                            "properties": {
                                "events": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": 1000,
                                    "items": _EVENT,
                                }
                            },
                        },
                    ]
                }
            }
        },
    }
}

DELETE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
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
                                "oneOf": [
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
            }
        },
    }
}

SETTINGS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
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
            }
        },
    }
}

TOKEN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["user_id", "role"],
                    "properties": {
                        "workspace": {"type": "string"},
                        "user_id": {"type": "string"},
                        "role": {"enum": ["owner", "admin", "member", "viewer"]},
                        "ttl_seconds": {"type": "integer", "minimum": 1, "maximum": 3600},
                        "name": {"type": "string"},
                        "email": {"type": "string"},
                    },
                }
            }
        },
    }
}
