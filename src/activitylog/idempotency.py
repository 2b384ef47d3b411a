"""Ingest is idempotent on ``id``: an event sent again under an id already recorded is a
duplicate when its content is the same (nothing is stored, the first record stands) and a
conflict when it is not (the batch is refused).

"The same" compares the content fields as recorded (see :data:`~activitylog.events.
CONTENT_FIELDS`), empty values and nulls alike, less ``received_at`` (set by the server
each time) and, when the sender left it out, ``occurred_at`` (which then defaults to the
time of sending).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from activitylog.errors import Conflict
from activitylog.events import CONTENT_FIELDS


@dataclass(frozen=True)
class Recorded:
    """An event of a batch as stored, and whether it was stored before (``duplicate``:
    recorded earlier, or earlier in the same batch) rather than by this batch."""

    event: dict[str, Any]
    duplicate: bool


def differing_fields(
    sent: Mapping[str, Any], stored: Mapping[str, Any], *, stated_time: bool = True
) -> list[str]:
    """The content fields in which ``sent`` differs from ``stored`` (an event recorded
    under the same id); ``stated_time`` says the sender gave ``occurred_at``."""
    ignored = {"received_at"} if stated_time else {"received_at", "occurred_at"}
    return [
        name
        for name in CONTENT_FIELDS
        if name not in ignored and _bare(sent.get(name)) != _bare(stored.get(name))
    ]


def conflict(conflicts: Sequence[tuple[int, str, list[str]]]) -> Conflict:
    """The error for ``(index, id, differing fields)`` of each conflicting event."""
    _, first_id, fields = conflicts[0]
    more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
    return Conflict(
        f"event {first_id} was recorded before with other content "
        f"(differs in {', '.join(fields)}){more}; send a new id for a new event",
        {index: event_id for index, event_id, _ in conflicts},
    )


def _bare(value: Any) -> Any:
    """``value`` without nulls, empty lists and empty objects, at every level."""
    if isinstance(value, Mapping):
        kept = {k: _bare(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, [], {})} or None
    if isinstance(value, list):
        return [_bare(v) for v in value] or None
    return value
