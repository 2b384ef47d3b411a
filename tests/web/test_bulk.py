"""Deleting "all N matching": ``POST /api/v1/events/delete`` with the page's filters and the
count the confirmation named, through the caller's access rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from activitylog.access import OPERATOR

from ._support import World, csrf_of


def _record(world: World, n: int, **extra: Any) -> list[str]:
    event = {
        "workspace": "acme",
        "actor": {"id": "u_diego", "name": "Diego Alvarez", "role": "member"},
        "action": "note.created",
        "subject": {"type": "note", "id": "n_1", "name": "Renewal"},
        **extra,
    }
    return [str(world.state.log.record(**event)["id"]) for _ in range(n)]


def _delete(world: World, role: str, body: dict[str, Any]) -> Any:
    client = world.client(role)
    return client.post(
        "/api/v1/events/delete", json=body, headers={"X-CSRF-Token": csrf_of(client)}
    )


def _alive(world: World, ids: list[str]) -> list[str]:
    return [i for i in ids if world.state.log.get(i, viewer=OPERATOR)["deleted_at"] is None]


def test_every_entry_matching_the_filters_is_deleted(fresh: World) -> None:
    notes = _record(fresh, 3)
    others = _record(fresh, 2, action="contact.updated", subject={"type": "contact", "id": "c"})
    filters = {"scope": "workspace", "category": ["notes"], "range": "today", "page": "2"}
    reply = _delete(fresh, "owner", {"filters": filters, "count": 3, "reason": "Cleanup #7"})
    assert reply.status_code == 200, reply.text
    assert sorted(reply.json()["deleted"]) == sorted(notes)
    assert reply.json()["count"] == 3
    assert _alive(fresh, notes) == []
    assert _alive(fresh, others) == others
    recorded = fresh.state.log.query(workspace="acme", events=("activity_log.deleted",)).items
    assert sorted(recorded[0]["details"]["ids"]) == sorted(notes)


def test_entries_received_after_the_count_are_left_out(fresh: World) -> None:
    counted = _record(fresh, 3)
    as_of = datetime.now(UTC).isoformat()
    later = _record(fresh, 2)  # the page's own visit, say, or anyone's new activity
    filters = {"scope": "workspace", "category": "notes", "range": "today"}
    body = {"filters": filters, "count": 3, "as_of": as_of, "reason": "x"}
    reply = _delete(fresh, "owner", body)
    assert reply.status_code == 200, reply.text
    assert sorted(reply.json()["deleted"]) == sorted(counted)
    assert _alive(fresh, later) == later


def test_a_count_that_no_longer_matches_deletes_nothing(fresh: World) -> None:
    notes = _record(fresh, 3)
    filters = {"scope": "workspace", "category": "notes", "range": "today"}
    reply = _delete(fresh, "owner", {"filters": filters, "count": 2, "reason": "x"})
    assert reply.status_code == 422
    [error] = reply.json()["errors"]
    assert error["field"] == "count"
    assert "3 entries match these filters now, not 2" in error["reason"]
    assert _alive(fresh, notes) == notes


def test_the_access_rules_decide_what_matches(fresh: World) -> None:
    """An owner's My activity holds only the owner's own entries."""
    mine = _record(fresh, 1, actor={"id": "u_ava", "name": "Ava Thompson", "role": "owner"})
    theirs = _record(fresh, 2)
    filters = {"scope": "mine", "category": ["notes"], "range": "today"}
    reply = _delete(fresh, "owner", {"filters": filters, "count": 1, "reason": "x"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["deleted"] == mine
    assert _alive(fresh, theirs) == theirs


@pytest.mark.parametrize("role", ["admin", "member"])
def test_only_owners_delete_by_filters(fresh: World, role: str) -> None:
    notes = _record(fresh, 2)
    filters = {"category": ["notes"], "range": "today"}
    reply = _delete(fresh, role, {"filters": filters, "count": 2, "reason": "x"})
    assert reply.status_code == 403
    assert _alive(fresh, notes) == notes


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"filters": "category=notes", "count": 1, "reason": "x"}, "filters"),
        ({"filters": {"category": [1]}, "count": 1, "reason": "x"}, "filters.category"),
        ({"filters": {"id": ["a"]}, "count": 1, "reason": "x"}, "filters.id"),
        ({"filters": {}, "ids": ["a"], "count": 1, "reason": "x"}, "ids"),
        ({"filters": {}, "reason": "x"}, "count"),
        ({"filters": {}, "count": True, "reason": "x"}, "count"),
        ({"filters": {}, "count": 10_001, "reason": "x"}, "count"),
        ({"filters": {}, "count": 1, "reason": " "}, "reason"),
        ({"filters": {"range": "someday"}, "count": 1, "reason": "x"}, "range"),
        ({"filters": {}, "count": 1, "as_of": "yesterday", "reason": "x"}, "as_of"),
        ({"filters": {}, "count": 1, "as_of": 5, "reason": "x"}, "as_of"),
    ],
)
def test_a_bad_request_names_its_field(fresh: World, body: dict[str, Any], field: str) -> None:
    notes = _record(fresh, 1)
    reply = _delete(fresh, "owner", body)
    assert reply.status_code == 422, reply.text
    assert field in [e["field"] for e in reply.json()["errors"]]
    assert _alive(fresh, notes) == notes


def test_deleting_by_filters_needs_the_session_csrf_token(fresh: World) -> None:
    notes = _record(fresh, 1)
    body = {"filters": {"category": ["notes"]}, "count": 1, "reason": "x"}
    reply = fresh.client("owner").post("/api/v1/events/delete", json=body)
    assert reply.status_code == 403
    assert _alive(fresh, notes) == notes
