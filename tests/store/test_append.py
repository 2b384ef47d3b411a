"""Appending: sequencing, hashing, idempotency, batch atomicity, context, timestamps."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from activitylog import (
    ActivityLog,
    BatchValidationError,
    Conflict,
    IntegrityError,
    NotFound,
    ValidationError,
)
from activitylog.chain import link
from activitylog.events import EVENT_FIELDS, event_body
from activitylog.settings import Settings
from activitylog.verify_report import GENESIS

from ._support import NOW, ago, eid, event, iso, seqs_by_workspace, sha256_hex, sql, user


# -- sequencing and hashing --------------------------------------------------------------
def test_record_returns_the_stored_event_with_per_workspace_seqs(log: ActivityLog) -> None:
    stored = [
        log.record(**event(workspace=workspace, occurred_at=ago(minutes=10 - i)))
        for i, workspace in enumerate(["acme", "acme", "globex", "acme", "globex", "initech"])
    ]

    assert [(e["workspace"], e["seq"]) for e in stored] == [
        ("acme", 1),
        ("acme", 2),
        ("globex", 1),
        ("acme", 3),
        ("globex", 2),
        ("initech", 1),
    ]
    for e in stored:
        assert set(e) == set(EVENT_FIELDS)
        assert e == log.get(e["id"])
    assert sorted(log.store.workspaces()) == ["acme", "globex", "initech"]
    assert log.total_events() == 6


def test_hashes_are_the_documented_chain(log: ActivityLog) -> None:
    stored = [
        log.record(**event(workspace=w, actor=user("u_1", "Ava"), occurred_at=ago(minutes=i)))
        for i, w in enumerate(["acme", "globex", "acme", "acme", "globex"])
    ]

    previous: dict[str, str] = {}
    for e in stored:
        body = event_body(e)
        assert e["content_hash"] == sha256_hex(b"\x00" + body)  # the RFC 9162 leaf hash
        assert e["chain_hash"] == link(previous.get(e["workspace"], GENESIS), e["content_hash"])
        previous[e["workspace"]] = e["chain_hash"]
    for workspace, seq in (("acme", 3), ("globex", 2)):
        head = log.store.head(workspace)
        assert head is not None
        assert (head.seq, head.chain_hash) == (seq, previous[workspace])
    assert log.verify().ok


def test_a_full_event_round_trips(log: ActivityLog) -> None:
    full = log.record(
        workspace="acme",
        layer="workspace",
        occurred_at=ago(hours=2),
        actor={"id": "u_1", "name": "Ava Thompson", "email": "ava@acme.test", "role": "owner"},
        impersonator={"id": "staff_1", "name": "Support", "type": "user"},
        action="contact.updated",
        subject={"type": "contact", "id": "c_9", "name": "Zoë", "url": "https://acme.test/c/9"},
        related=[{"type": "company", "id": "co_1"}],
        result="warning",
        ip="2001:DB8:0:0::1",
        user_agent="Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        description="Changed the e-mail",
        changes={"email": {"before": "a@x.io", "after": "b@x.io"}},
        snapshot={"email": "b@x.io"},
        details={"source": "api", "nested": {"n": 1}},
        request_id="req_1",
        session_id="sess_1",
        batch_id="batch_1",
    )

    assert full == log.get(full["id"])
    assert full["ip"] == "2001:db8::1"
    assert full["occurred_at"] == iso(ago(hours=2))
    assert (full["category"], full["verb"], full["kind"]) == ("contacts", "updated", "write")
    assert full["device"] is not None
    assert full["device"]["device_type"] == "desktop"
    assert full["deleted_at"] is full["deleted_by"] is full["delete_reason"] is None


def test_empty_json_objects_read_back_as_recorded(log: ActivityLog) -> None:
    # canonical_json leaves {} out of the hashed body, so reading it back yields None;
    # record() must return the event as stored, i.e. what get() returns.
    recorded = log.record(**event(changes={}, details={}, snapshot={}))
    assert recorded == log.get(recorded["id"])


# -- idempotency ------------------------------------------------------------------------
def test_same_id_twice_is_stored_once(log: ActivityLog) -> None:
    first = log.record(**event(id=eid(1), description="first", occurred_at=ago(minutes=5)))
    again = log.record(**event(id=eid(1), description="first", occurred_at=ago(minutes=5)))

    assert again == first
    assert log.count() == 1
    assert log.store.head("acme").seq == 1  # type: ignore[union-attr]
    assert log.record(**event())["seq"] == 2


def test_a_repeated_id_with_other_content_is_a_conflict(log: ActivityLog) -> None:
    first = log.record(**event(id=eid(1), description="original"))
    with pytest.raises(Conflict, match=r"differs in result, description") as caught:
        log.record_many(
            [event(), event(id=eid(1).upper(), description="replayed", result="failure")]
        )

    assert caught.value.by_index == {1: eid(1)}
    assert log.get(eid(1)) == first
    assert log.count() == 1  # nothing of the batch was stored


def test_a_repeated_id_without_a_time_is_a_duplicate(log: ActivityLog) -> None:
    first = log.record(**event(id=eid(1), description="original"))
    [again] = log.record_batch([event(id=eid(1), description="original")])

    assert again.duplicate
    assert again.event == first


def test_a_tombstone_is_not_compared(log: ActivityLog) -> None:
    log.record(**event(id=eid(1)))
    log.delete([eid(1)], by="operator", reason="erasure request")

    [again] = log.record_batch([event("contact.deleted", id=eid(1))])

    assert again.duplicate
    assert again.event["deleted_by"] == "operator"


def test_same_id_twice_in_one_batch_is_stored_once(log: ActivityLog) -> None:
    stored = log.record_many(
        [
            event(id=eid(1), occurred_at=ago(minutes=3)),
            event(id=eid(2), occurred_at=ago(minutes=2)),
            event(id=eid(1), occurred_at=ago(minutes=3)),
        ]
    )

    assert [e["seq"] for e in stored] == [1, 2, 1]
    assert stored[0] == stored[2] == log.get(eid(1))
    assert log.count() == 2


def test_a_batch_mixing_stored_and_new_ids(log: ActivityLog) -> None:
    old = log.record(**event(id=eid(1)))
    stored = log.record_many([event(id=eid(2)), event(id=eid(1)), event(id=eid(3))])

    assert [e["seq"] for e in stored] == [2, 1, 3]
    assert stored[1] == old
    assert log.verify().ok


def test_a_deleted_id_is_not_recorded_again(log: ActivityLog) -> None:
    log.record(**event(id=eid(1)))
    assert log.delete([eid(1)], by="operator", reason="erasure request") == [eid(1)]

    again = log.record(**event(id=eid(1)))

    assert again["deleted_by"] == "operator"
    assert again["action"] is None
    [record] = log.export()
    assert (record["action"], record["details"]["ids"]) == ("activity_log.deleted", [eid(1)])
    assert log.store.head("acme").seq == 2  # type: ignore[union-attr]


# -- batches ------------------------------------------------------------------------------
def test_a_batch_with_an_invalid_event_stores_nothing(log: ActivityLog) -> None:
    batch = [
        event(),
        event(action="Not A Verb"),
        event(workspace="globex"),
        {"workspace": "acme"},
        event(ip="999.1.1.1", result="maybe"),
    ]
    with pytest.raises(BatchValidationError) as info:
        log.record_many(batch)

    assert set(info.value.by_index) == {1, 3, 4}
    assert {e.field for e in info.value.by_index[1]} == {"action"}
    assert {e.field for e in info.value.by_index[3]} == {"action"}
    assert {e.field for e in info.value.by_index[4]} == {"ip", "result"}
    assert isinstance(info.value, ValidationError)
    assert log.count() == 0
    assert log.store.workspaces() == []


def test_a_batch_failing_in_the_store_stores_nothing(log: ActivityLog) -> None:
    # 1,001 events in one microsecond cannot get row keys: the whole batch, including the
    # events of other workspaces before it, is rolled back.
    moment = ago(minutes=1)
    batch = [event(workspace="globex", occurred_at=ago(minutes=2))]
    batch += [event(occurred_at=moment, id=eid(i)) for i in range(1001)]
    with pytest.raises(IntegrityError):
        log.record_many(batch)

    assert log.count() == 0
    assert log.store.workspaces() == []
    assert log.record(**event(workspace="globex"))["seq"] == 1


def test_a_valid_batch_is_stored_whole_in_order(log: ActivityLog) -> None:
    batch = [event(workspace="acme" if i % 2 else "globex", description=f"#{i}") for i in range(7)]

    stored = log.record_many(batch)

    assert [e["description"] for e in stored] == [f"#{i}" for i in range(7)]
    assert seqs_by_workspace(stored) == {"globex": [1, 2, 3, 4], "acme": [1, 2, 3]}
    assert log.count() == 7


def test_an_empty_batch(log: ActivityLog) -> None:
    assert log.record_many([]) == []
    assert log.store.workspaces() == []


def test_big_batch_across_three_workspaces_has_gap_free_seqs(log: ActivityLog) -> None:
    workspaces = ["acme", "globex", "initech"]
    batch = [
        event(workspace=workspaces[i % 3], occurred_at=ago(seconds=i), description=f"#{i}")
        for i in range(2500)
    ]

    stored = log.record_many(batch)

    assert [e["description"] for e in stored] == [f"#{i}" for i in range(2500)]
    assert seqs_by_workspace(stored) == {
        "acme": list(range(1, 835)),
        "globex": list(range(1, 834)),
        "initech": list(range(1, 834)),
    }
    assert log.count() == 2500
    assert {w: log.count(workspace=w) for w in workspaces} == {
        "acme": 834,
        "globex": 833,
        "initech": 833,
    }
    report = log.verify()
    assert report.ok, report.first_break
    assert report.entries == 2500


def test_big_batch_without_timestamps(log: ActivityLog) -> None:
    # Events without occurred_at are stamped "now"; a batch shares one "now", so a batch
    # of more than 1,000 of them must not run out of row-key slots for that microsecond.
    stored = log.record_many([event(workspace=f"w{i % 3}") for i in range(2500)])

    assert len(stored) == 2500
    assert log.count() == 2500


# -- context -----------------------------------------------------------------------------
def test_context_fills_fields_inside_and_resets_after(log: ActivityLog) -> None:
    with log.context(
        actor=user("u_1", "Ava"),
        workspace="acme",
        ip="203.0.113.9",
        user_agent="curl/8.5.0",
        request_id="req_1",
        session_id="sess_1",
        impersonator=user("staff_1", "Support"),
    ):
        inside = log.record(action="contact.updated")
        with log.context(workspace="globex", request_id="req_2"):
            nested = log.record(action="contact.viewed")
        batch = log.record_many(
            [{"action": "note.created"}, {"action": "note.created", "ip": None}]
        )
        explicit = log.record(action="contact.updated", workspace="initech", actor=user("u_2"))

    assert inside["actor"] == {"id": "u_1", "name": "Ava", "type": "user"}
    assert inside["impersonator"] == {"id": "staff_1", "name": "Support", "type": "user"}
    assert (inside["workspace"], inside["ip"], inside["request_id"]) == (
        "acme",
        "203.0.113.9",
        "req_1",
    )
    assert (inside["user_agent"], inside["session_id"]) == ("curl/8.5.0", "sess_1")
    assert (nested["workspace"], nested["request_id"], nested["ip"]) == (
        "globex",
        "req_2",
        "203.0.113.9",
    )
    assert [(e["workspace"], e["request_id"]) for e in batch] == [("acme", "req_1")] * 2
    assert batch[1]["ip"] is None  # an explicit None wins over the context
    assert explicit["workspace"] == "initech"
    assert explicit["actor"] == {"id": "u_2", "type": "user"}
    assert explicit["request_id"] == "req_1"

    after = log.record(action="contact.updated", workspace="acme")
    assert after["actor"]["id"] == "system"
    assert after["ip"] is after["request_id"] is after["impersonator"] is None
    with pytest.raises(ValidationError) as info:
        log.record(action="contact.updated")  # no workspace any more
    assert {e.field for e in info.value.errors} == {"workspace"}


def test_context_resets_when_the_block_raises(log: ActivityLog) -> None:
    with pytest.raises(RuntimeError), log.context(workspace="acme", request_id="req_1"):
        raise RuntimeError("boom")
    assert log.record(action="contact.updated", workspace="acme")["request_id"] is None


def test_context_is_per_thread(log: ActivityLog) -> None:
    barrier = threading.Barrier(6)

    def work(n: int) -> list[dict[str, Any]]:
        with log.context(actor=user(f"u_{n}"), workspace=f"w{n % 3}", request_id=f"req_{n}"):
            barrier.wait(timeout=30)  # every thread is inside its own context at once
            return [log.record(action="contact.updated", description=str(i)) for i in range(5)]

    with log.context(workspace="main", request_id="main"), ThreadPoolExecutor(6) as pool:
        results = list(pool.map(work, range(6)))
        assert log.record(action="note.created")["request_id"] == "main"

    for n, stored in enumerate(results):
        assert {(e["actor"]["id"], e["workspace"], e["request_id"]) for e in stored} == {
            (f"u_{n}", f"w{n % 3}", f"req_{n}")
        }
    assert log.count() == 31
    assert log.verify().ok


def test_a_new_thread_does_not_inherit_the_context(log: ActivityLog) -> None:
    with log.context(workspace="acme"), ThreadPoolExecutor(1) as pool:
        future = pool.submit(log.record, action="contact.updated")
        with pytest.raises(ValidationError):
            future.result()


def test_context_is_per_asyncio_task(log: ActivityLog) -> None:
    async def work(n: int) -> list[dict[str, Any]]:
        with log.context(actor=user(f"u_{n}"), workspace=f"w{n % 2}", session_id=f"s_{n}"):
            out = []
            for i in range(3):
                await asyncio.sleep(0)  # let the other tasks run inside their contexts
                out.append(log.record(action="contact.viewed", description=str(i)))
            return out

    async def main() -> list[list[dict[str, Any]]]:
        with log.context(request_id="outer"):
            return list(await asyncio.gather(*(work(n) for n in range(5))))

    results = asyncio.run(main())

    for n, stored in enumerate(results):
        assert {(e["actor"]["id"], e["workspace"], e["session_id"]) for e in stored} == {
            (f"u_{n}", f"w{n % 2}", f"s_{n}")
        }
        assert {e["request_id"] for e in stored} == {"outer"}  # tasks copy their parent's
    assert log.count() == 15


# -- timestamps --------------------------------------------------------------------------
def test_a_thousand_events_may_share_one_microsecond(log: ActivityLog) -> None:
    moment = ago(minutes=30)
    first = log.record_many([event(occurred_at=moment, id=eid(i)) for i in range(600)])
    second = log.record_many([event(occurred_at=moment, id=eid(600 + i)) for i in range(400)])

    stored = first + second
    assert {e["occurred_at"] for e in stored} == {iso(moment)}
    assert [e["seq"] for e in stored] == list(range(1, 1001))
    rids = [r["rid"] for r in sql(log, "SELECT rid FROM events")]
    assert len(set(rids)) == 1000
    assert log.count(since=moment, until=moment + timedelta(microseconds=1)) == 1000
    assert log.verify().ok


def test_more_than_a_thousand_events_in_one_microsecond_is_a_clear_error(log: ActivityLog) -> None:
    moment = ago(minutes=30)
    with pytest.raises(IntegrityError, match="more than 1000 events share occurred_at"):
        log.record_many([event(occurred_at=moment, id=eid(i)) for i in range(1200)])
    assert log.count() == 0

    log.record_many([event(occurred_at=moment, id=eid(i)) for i in range(1000)])
    with pytest.raises(IntegrityError, match=iso(moment)):
        log.record(**event(occurred_at=moment, id=eid(5000)))
    with pytest.raises(NotFound):
        log.get(eid(5000))
    assert log.count() == 1000
    # one microsecond later is a fresh set of slots
    later = log.record(**event(occurred_at=moment + timedelta(microseconds=1)))
    assert later["seq"] == 1001
    assert log.verify().ok


def test_backfilled_events_are_ordered_by_time_not_arrival(log: ActivityLog) -> None:
    offsets = [timedelta(minutes=5), timedelta(days=40), timedelta(hours=3), timedelta(days=2)]
    stored = [log.record(**event(occurred_at=NOW - off)) for off in offsets]

    assert [e["seq"] for e in stored] == [1, 2, 3, 4]
    assert stored[1]["occurred_at"] == iso(NOW - timedelta(days=40))
    newest_first = sorted(stored, key=lambda e: e["occurred_at"], reverse=True)
    page = log.query(since=NOW - timedelta(days=60), until=NOW, per_page=10)
    assert [e["id"] for e in page.items] == [e["id"] for e in newest_first]
    assert [e["id"] for e in log.export(order="time")] == [e["id"] for e in newest_first[::-1]]
    assert [e["id"] for e in log.export()] == [e["id"] for e in newest_first]
    assert log.count(since=NOW - timedelta(days=3), until=NOW) == 3
    assert log.verify().ok


def test_rollups_and_kpis_after_mixed_batches(log: ActivityLog) -> None:
    since, until = NOW - timedelta(days=1), NOW
    batches = [
        [
            event(
                "auth.signed_in", actor=user("u_1", "Ava"), ip="10.0.0.1", occurred_at=ago(hours=2)
            ),
            event(
                "contact.updated", actor=user("u_1", "Ava"), ip="10.0.0.1", occurred_at=ago(hours=3)
            ),
            event(
                "contact.viewed", workspace="globex", actor=user("u_9"), occurred_at=ago(hours=1)
            ),
            event("note.created", id=eid(1), actor=user("u_2", "Ben"), occurred_at=ago(hours=30)),
        ],
        [
            event("note.created", id=eid(1), actor=user("u_2", "Ben"), occurred_at=ago(hours=30)),
            event(
                "auth.sign_in_failed",
                actor=user("u_2", "Ben"),
                ip="10.0.0.2",
                result="failure",
                occurred_at=ago(minutes=90),
            ),
            event(
                "contact.viewed", actor=user("u_2", "Ben"), ip="10.0.0.3", occurred_at=ago(days=3)
            ),
            event(
                "settings.updated",
                actor=user("u_1", "Ava"),
                ip="10.0.0.2",
                occurred_at=ago(minutes=1),
            ),
        ],
        [
            event(
                "contact.viewed",
                actor=user("u_3"),
                ip="10.0.0.4",
                occurred_at=ago(hours=23, minutes=59),
            )
        ],
    ]
    for batch in batches:
        log.record_many(batch)

    stats = log.stats(workspace="acme", since=since, until=until)
    assert stats.kpis == {
        "total": 5,
        "total_change_pct": 400.0,  # one event (note.created, 30 h ago) the day before
        "previous_total": 1,
        "sign_ins": 1,
        "writes": 2,
        "reads_other": 2,  # the failed sign-in and the view: neither a sign-in nor a write
        "unique_ips": 3,
    }
    assert stats.kpis["sign_ins"] + stats.kpis["writes"] + stats.kpis["reads_other"] == 5
    assert stats.split == {"sign_ins": 1, "writes": 2, "reads_other": 2}
    counted = Counter(e["category"] for e in log.export(workspace="acme", since=since, until=until))
    assert {c["category"]: c["count"] for c in stats.by_category} == counted
    assert log.count() == 8
    assert log.count(workspace="globex") == 1
    assert log.count(workspace="acme", results="failure") == 1


def test_a_batch_repeating_one_workspace_and_adding_to_another(db_url: str, tmp_path: Path) -> None:
    # Every checkpoint is due by time; acme's events are all stored already, so its head
    # does not move and must neither be signed again nor kept twice at the same size.
    settings = Settings(signing_key=tmp_path / "key.pem", checkpoint_seconds=0.001)
    with ActivityLog(db_url, settings=settings) as log:
        first = log.record_many([event(id=eid(1)), event(id=eid(2))])
        note = log.store.head("acme").note  # type: ignore[union-attr]
        again = log.record_many([event(id=eid(1)), event(workspace="globex", id=eid(3))])
        assert [e["id"] for e in again] == [eid(1), eid(3)]
        assert again[0] == first[0]
        assert log.store.head("acme").note == note  # type: ignore[union-attr]
        assert log.verify().ok
