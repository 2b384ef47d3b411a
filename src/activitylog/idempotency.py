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
from typing import TYPE_CHECKING, Any

from activitylog.enrich import event_dict
from activitylog.errors import Conflict
from activitylog.events import CONTENT_FIELDS

if TYPE_CHECKING:
    from activitylog.enrich import Prepared


class Recorded:
    """An event of a batch as stored, and whether it was stored before (``duplicate``:
    recorded earlier, or earlier in the same batch) rather than by this batch."""

    __slots__ = ("_event", "chain_hash", "content_hash", "duplicate", "id", "seq")
    _event: dict[str, Any] | None

    def __init__(self, event: dict[str, Any], duplicate: bool) -> None:
        self._event, self.duplicate = event, duplicate
        self.id, self.seq = event["id"], event["seq"]
        self.content_hash, self.chain_hash = event["content_hash"], event["chain_hash"]

    @property
    def event(self) -> dict[str, Any]:
        """The event as every reader sees it (:func:`activitylog.enrich.event_dict`)."""
        assert self._event is not None
        return self._event

    def receipt(self) -> dict[str, Any]:
        """What ingest replies with for the event: its id, place and hashes, and whether
        it was a duplicate."""
        return {
            "id": self.id,
            "seq": self.seq,
            "content_hash": self.content_hash,
            "chain_hash": self.chain_hash,
            "duplicate": self.duplicate,
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Recorded):
            return NotImplemented
        return (self.event, self.duplicate) == (other.event, other.duplicate)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Recorded(id={self.id!r}, seq={self.seq}, duplicate={self.duplicate})"


class Appended(Recorded):
    """An event this batch stored: its event dict is made from the prepared event when
    first read, so a reply that needs only the :meth:`receipt` (HTTP ingest) does not pay
    for it."""

    __slots__ = ("_prepared",)

    def __init__(self, prepared: Prepared, seq: int, content_hash: str, chain_hash: str) -> None:
        self._prepared, self._event, self.duplicate = prepared, None, False
        self.id, self.seq = prepared.content["id"], seq
        self.content_hash, self.chain_hash = content_hash, chain_hash

    @property
    def event(self) -> dict[str, Any]:
        event = self._event
        if event is None:
            p = self._prepared
            event = self._event = event_dict(
                p.content,
                seq=self.seq,
                info=p.info,
                device=p.device,
                content_hash=self.content_hash,
                chain_hash=self.chain_hash,
                location=p.location,
            )
        return event


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
