"""Entries as ArcSight CEF lines (Common Event Format, version 0).

``CEF:0|activitylog|activitylog|<version>|<action>|<label>|<severity>|<extension>``.
In the header ``\\`` and ``|`` are escaped with a backslash; in the extension ``\\`` and
``=`` are, and line breaks become ``\\n`` / ``\\r`` (a header field has none: they become
spaces). Extension keys: ``rt`` (ms since the epoch), ``suser``/``suid`` (the actor),
``src`` (IPv4) or ``c6a2`` (IPv6), ``outcome`` (the result), ``cat`` (the category),
``cs1`` (the workspace, labelled), ``externalId`` (the event id) and ``msg``. Pure.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from activitylog import __version__
from activitylog.events import to_micros

#: result -> CEF severity (0-10)
SEVERITIES = {"success": 3, "warning": 6, "failure": 8}


def header_field(value: Any) -> str:
    """A header field: ``\\`` and ``|`` escaped, line breaks as spaces."""
    text = str(value).replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def extension_value(value: Any) -> str:
    """An extension value: ``\\`` and ``=`` escaped, line breaks as ``\\n`` / ``\\r``."""
    text = str(value).replace("\\", "\\\\").replace("=", "\\=")
    return text.replace("\r", "\\r").replace("\n", "\\n")


def to_cef(event: dict[str, Any]) -> str:
    """One CEF line (without a line end) for an entry as ``query`` returns it."""
    actor = event.get("actor") or {}
    result = str(event.get("result") or "success")
    ext: list[tuple[str, Any]] = []
    if event.get("occurred_at"):
        ext.append(("rt", to_micros(str(event["occurred_at"])) // 1000))
    ext += [("suser", actor.get("name")), ("suid", actor.get("id"))]
    ip = event.get("ip")
    if ip:
        if ipaddress.ip_address(ip).version == 4:
            ext.append(("src", ip))
        else:
            ext += [("c6a2", ip), ("c6a2Label", "Source IPv6 Address")]
    ext += [
        ("outcome", result),
        ("cat", event.get("category")),
        ("cs1", event.get("workspace")),
        ("cs1Label", "workspace"),
        ("externalId", event.get("id")),
        ("msg", event.get("description") or event.get("label")),
    ]
    header = "|".join(
        header_field(part)
        for part in (
            "activitylog",
            "activitylog",
            __version__,
            event.get("action") or "",
            event.get("label") or event.get("action") or "",
            SEVERITIES.get(result, SEVERITIES["success"]),
        )
    )
    extension = " ".join(f"{key}={extension_value(value)}" for key, value in ext if value)
    return f"CEF:0|{header}|{extension}"
