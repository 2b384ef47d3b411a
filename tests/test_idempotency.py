"""Whether an event sent again under a recorded id is the same event."""

from __future__ import annotations

from activitylog.errors import Conflict
from activitylog.idempotency import conflict, differing_fields

STORED = {
    "id": "e1",
    "workspace": "acme",
    "occurred_at": "2026-01-05T10:00:00.000000Z",
    "received_at": "2026-01-05T10:00:01.000000Z",
    "action": "contact.updated",
    "actor": {"id": "u1", "type": "user"},
    "subject": {"type": "contact", "id": "c1"},
    "changes": {"email": {"before": "a", "after": "b"}},
    "category": "contacts",
}


def test_received_at_and_empty_values_do_not_count() -> None:
    sent = {
        **STORED,
        "received_at": "2026-02-01T00:00:00.000000Z",
        "actor": {"id": "u1", "type": "user", "email": None},
        "related": [],
        "details": {},
        "category": None,  # derived, not content
    }
    assert differing_fields(sent, STORED) == []


def test_each_differing_content_field_is_named_in_order() -> None:
    sent = {**STORED, "action": "contact.deleted", "changes": {"email": {"before": "a"}}}
    assert differing_fields(sent, STORED) == ["action", "changes"]


def test_occurred_at_counts_only_when_the_sender_gave_it() -> None:
    sent = {**STORED, "occurred_at": "2026-03-01T00:00:00.000000Z"}
    assert differing_fields(sent, STORED) == ["occurred_at"]
    assert differing_fields(sent, STORED, stated_time=False) == []


def test_the_conflict_names_the_first_id_its_fields_and_how_many_more() -> None:
    error = conflict([(2, "e1", ["action"]), (5, "e9", ["subject"])])
    assert isinstance(error, Conflict)
    assert error.status == 409
    assert error.by_index == {2: "e1", 5: "e9"}
    assert str(error).startswith("event e1 was recorded before with other content")
    assert "(differs in action) (and 1 more)" in str(error)
