"""Entries as OCSF 1.3 events: Authentication, Account Change or API Activity.

Sign-ins, sign-outs and the rest of the ``auth`` category are **Authentication** (3002);
changes to accounts, roles, passwords, two-factor settings and API keys are **Account
Change** (3001); everything else is **API Activity** (6003), the action as the API
operation. Every class gets ``category_uid``, ``class_uid``, ``activity_id``,
``type_uid`` (class * 100 + activity), ``time`` (ms), ``severity_id``, ``status_id``, the
actor as ``actor.user``, the address as ``src_endpoint`` (with its country), and
``metadata`` (the event id as ``uid``, the workspace as ``tenant_uid``). Fields OCSF has no
place for (workspace, seq, layer, changes, details, hashes, ...) are kept in ``unmapped``.
Pure.
"""

from __future__ import annotations

from typing import Any

from activitylog import __version__
from activitylog.events import to_micros

OCSF_VERSION = "1.3.0"
PRODUCT = {"name": "activitylog", "vendor_name": "activitylog", "version": __version__}

AUTHENTICATION, ACCOUNT_CHANGE, API_ACTIVITY = 3002, 3001, 6003
CLASS_NAMES = {
    AUTHENTICATION: "Authentication",
    ACCOUNT_CHANGE: "Account Change",
    API_ACTIVITY: "API Activity",
}
CATEGORIES = {  # class -> (category_uid, category_name)
    AUTHENTICATION: (3, "Identity & Access Management"),
    ACCOUNT_CHANGE: (3, "Identity & Access Management"),
    API_ACTIVITY: (6, "Application Activity"),
}
OTHER = 99

#: Authentication activities by the action's verb.
AUTH_ACTIVITIES = {
    "signed_in": (1, "Logon"),
    "sign_in_failed": (1, "Logon"),
    "logged_in": (1, "Logon"),
    "signed_out": (2, "Logoff"),
    "logged_out": (2, "Logoff"),
}
#: Account Change activities by the action's verb.
ACCOUNT_ACTIVITIES = {
    "created": (1, "Create"),
    "invited": (1, "Create"),
    "added": (1, "Create"),
    "enabled": (2, "Enable"),
    "password_changed": (3, "Password Change"),
    "password_reset": (4, "Password Reset"),
    "disabled": (5, "Disable"),
    "deleted": (6, "Delete"),
    "removed": (6, "Delete"),
    "revoked": (6, "Delete"),
    "locked_out": (9, "Lock"),
    "locked": (9, "Lock"),
    "mfa_enabled": (10, "MFA Factor Enable"),
    "mfa_disabled": (11, "MFA Factor Disable"),
    "unlocked": (12, "Unlock"),
}
#: Actions of the ``auth`` category that change an account rather than sign in or out.
ACCOUNT_AUTH_VERBS = frozenset(
    {"password_changed", "password_reset", "mfa_enabled", "mfa_disabled", "locked_out"}
)
#: Action prefixes whose entries change accounts, roles or keys.
ACCOUNT_PREFIXES = frozenset({"user", "member", "invitation", "api_key", "password", "mfa"})
#: Other actions that change who holds a role.
ACCOUNT_ACTIONS = frozenset({"workspace.ownership_transferred"})
API_ACTIVITIES = {
    "created": (1, "Create"),
    "added": (1, "Create"),
    "updated": (3, "Update"),
    "changed": (3, "Update"),
    "deleted": (4, "Delete"),
    "removed": (4, "Delete"),
}
#: result -> (status_id, status, severity_id, severity)
RESULTS = {
    "success": (1, "Success", 1, "Informational"),
    "warning": (OTHER, "Warning", 2, "Low"),
    "failure": (2, "Failure", 3, "Medium"),
}
#: The event's fields that OCSF's classes hold; every other field goes to ``unmapped``.
MAPPED = frozenset(
    {
        "id",
        "occurred_at",
        "received_at",
        "actor",
        "action",
        "result",
        "ip",
        "user_agent",
        "description",
        "request_id",
        "session_id",
        "location",
        "workspace",
    }
)
USER_TYPES = {"user": 1, "system": 3}
RESOURCE_FIELDS = (("uid", "id"), ("name", "name"), ("type", "type"))


def ocsf_class(event: dict[str, Any]) -> int:
    """Which OCSF class an entry is."""
    action = str(event.get("action") or "")
    prefix, verb = action.split(".", 1)[0], action.rsplit(".", 1)[-1]
    if prefix in ACCOUNT_PREFIXES or (
        event.get("category") == "auth" and verb in ACCOUNT_AUTH_VERBS
    ):
        return ACCOUNT_CHANGE
    if event.get("category") == "auth":
        return AUTHENTICATION
    if action in ACCOUNT_ACTIONS:
        return ACCOUNT_CHANGE
    return API_ACTIVITY


def to_ocsf(event: dict[str, Any]) -> dict[str, Any]:
    """The OCSF event for one entry (a dict as ``query`` returns it)."""
    class_uid = ocsf_class(event)
    verb = str(event.get("action") or "").rsplit(".", 1)[-1]
    table = {
        AUTHENTICATION: AUTH_ACTIVITIES,
        ACCOUNT_CHANGE: ACCOUNT_ACTIVITIES,
        API_ACTIVITY: API_ACTIVITIES,
    }[class_uid]
    activity_id, activity_name = table.get(verb, (OTHER, "Other"))
    if class_uid == API_ACTIVITY and activity_id == OTHER and event.get("kind") == "read":
        activity_id, activity_name = 2, "Read"
    category_uid, category_name = CATEGORIES[class_uid]
    class_name = CLASS_NAMES[class_uid]
    status_id, status, severity_id, severity = RESULTS.get(
        str(event.get("result") or "success"), RESULTS["success"]
    )
    out: dict[str, Any] = {
        "category_uid": category_uid,
        "category_name": category_name,
        "class_uid": class_uid,
        "class_name": class_name,
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": class_uid * 100 + activity_id,
        "type_name": f"{class_name}: {activity_name}",
        "time": _ms(event.get("occurred_at")),
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status_id,
        "status": status,
        "message": event.get("description") or event.get("label") or event.get("action"),
        "metadata": _metadata(event),
        "actor": _actor(event),
        "src_endpoint": _endpoint(event),
    }
    if event.get("user_agent"):
        out["http_request"] = {"user_agent": event["user_agent"]}
    if class_uid == AUTHENTICATION:
        out["user"] = _user(event.get("actor") or {})
        if event.get("session_id"):
            out["session"] = {"uid": event["session_id"]}
    elif class_uid == ACCOUNT_CHANGE:
        out["user"] = _target_user(event)
    else:
        out["api"] = {"operation": event.get("action"), "service": {"name": "activitylog"}}
        subject = event.get("subject") or {}
        if subject:
            out["resources"] = [_clean({key: subject.get(name) for key, name in RESOURCE_FIELDS})]
    out["unmapped"] = {
        key: value for key, value in event.items() if key not in MAPPED and value is not None
    }
    return out


def _ms(timestamp: Any) -> int | None:
    return to_micros(str(timestamp)) // 1000 if timestamp else None


def _metadata(event: dict[str, Any]) -> dict[str, Any]:
    return _clean(
        {
            "uid": event.get("id"),
            "version": OCSF_VERSION,
            "product": PRODUCT,
            "tenant_uid": event.get("workspace"),
            "correlation_uid": event.get("request_id"),
            "logged_time": _ms(event.get("received_at")),
            "event_code": event.get("action"),
        }
    )


def _user(person: dict[str, Any]) -> dict[str, Any]:
    kind = str(person.get("type") or "user")
    return _clean(
        {
            "uid": person.get("id"),
            "name": person.get("name"),
            "email_addr": person.get("email"),
            "type_id": USER_TYPES.get(kind, OTHER),
            "type": kind,
        }
    )


def _target_user(event: dict[str, Any]) -> dict[str, Any]:
    """The account changed: the subject, or the actor when the entry names none."""
    subject = event.get("subject") or {}
    if not subject:
        return _user(event.get("actor") or {})
    kind = str(subject.get("type") or "user")
    return _clean(
        {
            "uid": subject.get("id"),
            "name": subject.get("name"),
            "type_id": USER_TYPES.get(kind, OTHER),
            "type": kind,
        }
    )


def _actor(event: dict[str, Any]) -> dict[str, Any]:
    actor: dict[str, Any] = {"user": _user(event.get("actor") or {})}
    impersonator = event.get("impersonator") or {}
    if impersonator:
        actor["invoked_by"] = str(impersonator.get("name") or impersonator.get("id"))
    if event.get("session_id"):
        actor["session"] = {"uid": event["session_id"]}
    return actor


def _endpoint(event: dict[str, Any]) -> dict[str, Any]:
    # An endpoint names at least one of ip, name, hostname... (API Activity requires one).
    endpoint: dict[str, Any] = {"ip": event["ip"]} if event.get("ip") else {"name": "unknown"}
    location = event.get("location") or {}
    if location.get("country"):
        endpoint["location"] = {"country": location["country"]}
    if location.get("asn"):
        endpoint["autonomous_system"] = _clean(
            {"number": location["asn"], "name": location.get("network")}
        )
    return endpoint


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
