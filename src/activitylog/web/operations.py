"""What the OpenAPI document says of each operation beyond what its route declares: its
tag, the credentials it takes (security schemes), the errors it can answer, who may call it,
the filters it reads, its hand-read request body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from activitylog.web.principal import CSRF_HEADER, EMBED_COOKIE, SESSION_COOKIE

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

ALERT_CHANNEL_OPERATIONS: dict[str, Operation] = {
    "listAlertChannels": Operation(
        "alerts",
        READ,
        (401, 403, 422),
        _WHO,
        about="Where the caller's workspace's alerts are sent (a platform caller: every "
        "workspace's, or `workspace`'s). A Slack URL's token is hidden; secrets never shown.",
        params=frozenset({"workspace"}),
    ),
    "createAlertChannel": Operation(
        "alerts",
        READ,
        (401, 403, 413, 415, 422),
        _WHO,
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
        _WHO,
        about="Send the channel an `alert.test` message now, once, and say what came of it: "
        "`delivered`, the HTTP status or SMTP reply code, the error. Nothing is kept.",
    ),
    "deleteAlertChannel": Operation(
        "alerts",
        READ,
        (401, 403, 404),
        _WHO,
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
        (401, 403, 409, 413, 415, 422, 507),
        "an API key with scope `ingest` (a workspace key writes its own workspace)",
        about='One event, or `{"events": [...]}` with 1 to 1,000, stored atomically: if any '
        "event is invalid the 422 lists every invalid index and field and nothing is stored. "
        "Idempotent on `id`: an id stored before with the same content is a duplicate (200 "
        "when every event was one), with other content a 409 naming it. A full database or "
        "disk is a 507 with `Retry-After`: nothing was stored; send the batch again.",
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
