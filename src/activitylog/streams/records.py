"""The entries that record a stream added or removed, in the log of the workspace it
reads (a platform stream's in the ``platform`` workspace, platform layer): the caller
adds actor, layer and request fields."""

from __future__ import annotations

from typing import Any

from activitylog.streams.spec import Stream

PLATFORM_WORKSPACE = "platform"
CREATED, REMOVED = "stream.created", "stream.removed"
#: The fields of a stream a record shows (never its secret).
SHOWN = ("name", "workspace", "destination", "target", "syslog_tls", "format", "filters", "from")


def stream_event(stream: Stream, action: str) -> dict[str, Any]:
    """``stream.created`` (changes: each field, before null) or ``stream.removed`` (after
    null)."""
    shown = stream.to_dict()
    created = action == CREATED
    changes = {
        key: {"before": None if created else shown[key], "after": shown[key] if created else None}
        for key in SHOWN
        if shown[key] not in (None, {}, False)
    }
    where = stream.workspace or PLATFORM_WORKSPACE
    verb = "Added" if created else "Removed"
    return {
        "workspace": where,
        "action": action,
        "subject": {"type": "stream", "id": stream.id, "name": stream.name},
        "changes": changes,
        "description": (
            f"{verb} stream {stream.name} ({stream.kind} {stream.target}, {stream.format})"
        ),
    }
