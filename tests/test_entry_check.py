"""One entry's integrity check (``ActivityLog.check_entry``), on real tampering, and the
record that names a deleted entry (``ActivityLog.deletion_record``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from activitylog import ActivityLog
from activitylog.access import Viewer
from activitylog.events import micros
from activitylog.purging import purge_workspace
from activitylog.settings import Settings


def _log(tmp_path: Path, every: int = 5) -> ActivityLog:
    settings = Settings(signing_key=tmp_path / "key.pem", checkpoint_every=every)
    return ActivityLog(f"sqlite:///{tmp_path / 'log.db'}", settings=settings)


def _fill(log: ActivityLog, n: int) -> list[dict[str, object]]:
    return log.record_many(
        [
            {"workspace": "acme", "action": "contact.created", "description": f"n{i}"}
            for i in range(n)
        ]
    )


def test_an_untouched_entry_verifies_up_to_its_checkpoint(tmp_path: Path) -> None:
    with _log(tmp_path) as log:
        events = _fill(log, 12)
        result = log.check_entry(log.get(events[6]["id"]))
        assert result.verified
        assert result.content_ok
        assert result.linked
        assert result.checkpoint_seq is not None
        assert result.checkpoint_seq >= 7
        assert result.signature_ok is True
        first = log.check_entry(log.get(events[0]["id"]))
        assert first.verified
        assert first.linked is None


def test_an_entry_past_the_last_kept_checkpoint_verifies_to_the_signed_head(
    tmp_path: Path,
) -> None:
    with _log(tmp_path, every=1000) as log:
        events = _fill(log, 3)
        assert log.store.kept_checkpoints("acme") == []
        result = log.check_entry(log.get(events[1]["id"]))
        assert result.verified
        assert result.checkpoint_seq == 3  # every append signs its head


def test_modified_content_is_caught(tmp_path: Path) -> None:
    with _log(tmp_path) as log:
        events = _fill(log, 8)
        with log.store.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE entries SET body = CAST(replace(body, 'n3', 'n9') AS BLOB)"
                    " WHERE seq = 4"
                )
            )
        assert not log.check_entry(log.get(events[3]["id"])).content_ok
        assert not log.check_entry(log.get(events[3]["id"])).verified
        # an earlier entry's walk to its checkpoint crosses the tampered one
        assert not log.check_entry(log.get(events[1]["id"])).verified


def test_a_forged_chain_hash_breaks_the_link(tmp_path: Path) -> None:
    with _log(tmp_path) as log:
        events = _fill(log, 8)
        with log.store.engine.begin() as conn:
            conn.execute(text("UPDATE entries SET chain_hash = :h WHERE seq = 6"), {"h": "0" * 64})
        result = log.check_entry(log.get(events[5]["id"]))
        assert result.linked is False
        assert not result.verified


def test_a_deleted_entry_verifies_by_its_kept_hashes(tmp_path: Path) -> None:
    with _log(tmp_path) as log:
        events = _fill(log, 8)
        log.delete([events[3]["id"]], by="ops", reason="erasure")
        result = log.check_entry(log.get(events[3]["id"]))
        assert result.content_ok is None  # erased: nothing to hash
        assert result.linked is True
        assert result.verified
        assert result.deleted
        assert not log.check_entry(log.get(events[4]["id"])).deleted
        with log.store.engine.begin() as conn:
            conn.execute(text("UPDATE tombstones SET content_hash = :h"), {"h": "ab" * 32})
        assert not log.check_entry(log.get(events[3]["id"])).verified


def test_an_entry_missing_from_its_chain_does_not_verify(tmp_path: Path) -> None:
    with _log(tmp_path) as log:
        events = _fill(log, 4)
        with log.store.engine.begin() as conn:
            conn.execute(text("DELETE FROM entries WHERE seq = 2"))
        result = log.check_entry(log.get(events[2]["id"]))
        assert result.linked is None  # its predecessor cannot be read
        assert not result.verified


def test_the_deletion_record_names_who_deleted(tmp_path: Path) -> None:
    with _log(tmp_path) as log:
        events = _fill(log, 6)
        assert log.deletion_record(log.get(events[1]["id"])) is None  # not deleted
        first = {"actor": {"id": "u_1", "name": "Ava Thompson", "type": "user"}}
        log.delete([events[1]["id"]], by="u_1", reason="erasure", record=first)
        second = {"actor": {"id": "u_2", "name": "Ben Okafor", "type": "user"}, "layer": "platform"}
        log.delete([events[2]["id"], events[4]["id"]], by="u_2", reason="typo", record=second)
        for index, name in ((1, "Ava Thompson"), (2, "Ben Okafor"), (4, "Ben Okafor")):
            record = log.deletion_record(log.get(events[index]["id"]))
            assert record is not None
            assert record["action"] == "activity_log.deleted"
            assert record["actor"]["name"] == name
            assert events[index]["id"] in record["details"]["ids"]
            count = "1 entry" if index == 1 else "2 entries"
            assert record["description"] == f"{name} deleted {count}: {record['details']['reason']}"
        # A workspace admin sees the first record, not the platform admin's (platform layer).
        admin = Viewer(user_id="u_9", role="admin", workspace="acme")
        assert log.deletion_record(log.get(events[1]["id"]), viewer=admin) is not None
        assert log.deletion_record(log.get(events[2]["id"]), viewer=admin) is None


def test_after_a_purge_the_first_entry_left_links_to_the_purge_record(tmp_path: Path) -> None:
    old = (datetime.now(UTC) - timedelta(days=200)).isoformat()
    with _log(tmp_path) as log:
        gone = log.record_many(
            [{"workspace": "acme", "action": "contact.created", "occurred_at": old}] * 12
        )
        kept = _fill(log, 3)
        outcome = purge_workspace(
            log.store, log.catalog, "acme", micros(datetime.now(UTC) - timedelta(days=100))
        )
        assert outcome.plan is not None
        assert outcome.plan.last == 10  # up to the checkpoint kept at 10: 11 and 12 stay
        first = log.check_entry(log.get(gone[10]["id"]))
        assert (first.seq, first.linked, first.verified) == (11, True, True)
        assert log.check_entry(log.get(kept[0]["id"])).verified
        with log.store.engine.begin() as conn:
            conn.execute(text("UPDATE entries SET chain_hash = :h WHERE seq = 11"), {"h": "0" * 64})
        assert log.check_entry(log.get(gone[10]["id"])).linked is False
