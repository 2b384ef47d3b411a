"""An entry as a report prints it: plain text in the reader's zone, the page's words.

Pure functions of the event dict (the shape :meth:`ActivityLog.export` yields), reusing the
page's presenters so the report says what the screen says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from activitylog.events import parse_time
from activitylog.timeranges import zone
from activitylog.web.locations import location_view
from activitylog.web.presenters import (
    actor_text,
    diff_rows,
    person,
    result_badge,
    sentence,
    seq_text,
)

#: Longest texts printed (characters, and lines of a value), so that an entry always fits
#: on a page; the JSON and CSV exports hold every value whole.
MAX_TEXT = 400
MAX_LINES = 12


@dataclass(frozen=True, slots=True)
class EntryRow:
    workspace: str
    seq: str
    date: str
    time: str
    actor: str
    actor_detail: str
    action: str
    action_code: str
    subject: str
    subject_detail: str
    result: str
    ip: str
    #: The IP's country code ("DE"), or what kind of address it is ("Private address").
    ip_detail: str
    #: ``(field, before, after)`` of each changed field.
    changes: tuple[tuple[str, str, str], ...]


def entry_row(event: Mapping[str, Any], tz: str) -> EntryRow:
    local = parse_time(str(event["occurred_at"])).astimezone(zone(tz))
    actor = person(event.get("actor"))
    subject = event.get("subject") or {}
    subject_name = str(subject.get("name") or subject.get("id") or "")
    subject_type = str(subject.get("type") or "").replace("_", " ")
    subject_id = str(subject.get("id") or "")
    where = location_view(event)
    return EntryRow(
        workspace=str(event.get("workspace") or ""),
        seq=seq_text(event.get("seq")),
        date=f"{local:%Y-%m-%d}",
        time=f"{local:%H:%M:%S}",
        actor=actor_text(event),
        actor_detail=" · ".join(p for p in (actor.email, actor.role) if p),
        action=_clip(sentence(event)),
        action_code=str(event.get("action") or ""),
        subject=subject_name or "—",
        subject_detail=" · ".join(
            p for p in (subject_type, subject_id if subject_id != subject_name else "") if p
        ),
        result=result_badge(event.get("result")).text,
        ip=str(event.get("ip") or "—"),
        ip_detail=(where.code or where.scope) if where else "",
        changes=tuple(
            (_clip(row.field), _clip(row.before), _clip(row.after))
            for row in diff_rows(event.get("changes"))
        ),
    )


def local_text(moment: datetime, tz: str) -> str:
    """ "2026-12-06 14:03" in ``tz``."""
    return f"{moment.astimezone(zone(tz)):%Y-%m-%d %H:%M}"


def _clip(value: str) -> str:
    """At most :data:`MAX_TEXT` characters in :data:`MAX_LINES` lines, else cut with "…"."""
    lines = value.split("\n")
    if len(lines) > MAX_LINES:
        value = "\n".join(lines[:MAX_LINES]) + "…"
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"
