"""The detail panel of a deleted entry: who deleted it (by name from its deletion record),
when and why, badges that say so, and its kept hashes' check."""

from __future__ import annotations

from typing import Any

import pytest

from activitylog.entry_check import EntryCheck
from activitylog.events import EVENT_FIELDS
from activitylog.web.entries import DELETED_SHOWN, present_detail

TOMBSTONE: dict[str, Any] = {
    **dict.fromkeys(EVENT_FIELDS),
    "id": "01a24bf3-2411-7604-b699-4d497c4b90e1",
    "workspace": "acme",
    "seq": 12,
    "occurred_at": "2026-05-04T10:00:00.000000Z",
    "content_hash": "ab" * 32,
    "chain_hash": "cd" * 32,
    "deleted_at": "2026-05-06T12:03:21.000000Z",
    "deleted_by": "u_ava",
    "delete_reason": "Erasure request #77",
}
RECORD = {
    "id": "01a24bf3-9999-7604-b699-4d497c4b90e1",
    "action": "activity_log.deleted",
    "actor": {"id": "u_ava", "name": "Ava Thompson", "type": "user"},
    "details": {"ids": [TOMBSTONE["id"]]},
}


def check(verified: bool) -> EntryCheck:
    return EntryCheck(12, None, verified, 20, True, verified, deleted=True)


def test_a_deleted_entry_names_who_deleted_it_when_and_why() -> None:
    detail = present_detail(TOMBSTONE, "Europe/Berlin", check(True), RECORD)
    assert detail.deleted
    assert detail.sentence == "This entry was deleted"
    assert detail.deleted_text == (
        "Deleted by Ava Thompson (u_ava) on May 6, 2026 at 14:03:21 (Europe/Berlin)."
        " Reason: Erasure request #77"
    )
    assert detail.deletion_record_id == RECORD["id"]
    badges = (detail.category, detail.event, detail.result)
    assert [(b.text, b.tone) for b in badges] == [
        ("Deleted", "red"),
        ("Content erased", "gray"),
        ("Hashes verify", "green"),
    ]
    assert detail.integrity.status == (
        "Deleted: the content is erased; its hashes are kept and still verify"
    )


@pytest.mark.parametrize(
    ("record", "by", "who"),
    [
        (None, "u_ava", "u_ava"),  # the record is not visible: the id stands in
        ({**RECORD, "actor": {"id": "ops", "name": "ops"}}, "ops", "ops"),
        (None, "", "someone"),
    ],
)
def test_without_a_name_the_deleter_is_named_by_id(
    record: dict[str, Any] | None, by: str, who: str
) -> None:
    detail = present_detail({**TOMBSTONE, "deleted_by": by}, "UTC", check(True), record)
    assert detail.deleted_text.startswith(f"Deleted by {who} on May 6, 2026 at 12:03:21 (UTC).")
    assert detail.deletion_record_id == (record or {}).get("id", "")


def test_kept_hashes_that_do_not_verify_say_so() -> None:
    detail = present_detail(TOMBSTONE, "UTC", check(False), RECORD)
    assert (detail.result.text, detail.result.tone) == ("Hashes do not verify", "red")
    assert detail.integrity.status == "Deleted, and its kept hashes do not verify"
    unchecked = present_detail(TOMBSTONE, "UTC", None, RECORD)
    assert unchecked.result.text == "Hashes kept"


def test_a_live_entry_keeps_its_own_badges() -> None:
    event = {
        **dict.fromkeys(EVENT_FIELDS),
        "id": "e1",
        "workspace": "acme",
        "seq": 3,
        "action": "contact.updated",
        "category": "contacts",
        "verb": "updated",
        "kind": "write",
        "result": "success",
    }
    detail = present_detail(event, "UTC", EntryCheck(3, True, True, 10, True, True), None)
    assert not detail.deleted
    assert (detail.category.text, detail.result.text) == ("Contacts", "Success")
    assert (detail.deleted_text, detail.deletion_record_id) == ("", "")


def test_a_deletion_record_links_the_entries_it_names() -> None:
    ids = [f"id-{n}" for n in range(DELETED_SHOWN + 3)]
    record = {
        **dict.fromkeys(EVENT_FIELDS),
        **RECORD,
        "workspace": "acme",
        "seq": 40,
        "category": "activity_log",
        "verb": "deleted",
        "details": {"ids": ids, "reason": "typo"},
    }
    detail = present_detail(record, "UTC", None, None)
    assert detail.sentence == "Ava Thompson deleted 53 entries from the activity log"
    assert detail.deleted_entries == tuple(ids[:DELETED_SHOWN])
    assert detail.deleted_more == 3
    one = present_detail({**record, "details": {"ids": ["a"]}}, "UTC", None, None)
    assert one.sentence == "Ava Thompson deleted 1 entry from the activity log"
    other = present_detail({**record, "action": "contact.deleted"}, "UTC", None, None)
    assert (other.deleted_entries, other.deleted_more) == ((), 0)
