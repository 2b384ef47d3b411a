"""The detail panel's per-entry integrity check, on real tampering."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from activitylog import ActivityLog
from activitylog.settings import Settings
from activitylog.web.integrity import check_event


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
        result = check_event(log, log.get(events[6]["id"]))
        assert result.verified
        assert result.content_ok
        assert result.linked
        assert result.checkpoint_seq is not None
        assert result.checkpoint_seq >= 7
        assert result.signature_ok is True
        first = check_event(log, log.get(events[0]["id"]))
        assert first.verified
        assert first.linked is None


def test_an_entry_past_the_last_kept_checkpoint_verifies_to_the_signed_head(
    tmp_path: Path,
) -> None:
    with _log(tmp_path, every=1000) as log:
        events = _fill(log, 3)
        assert log.store.kept_checkpoints("acme") == []
        result = check_event(log, log.get(events[1]["id"]))
        assert result.verified
        assert result.checkpoint_seq == 3  # every append signs its head


def test_modified_content_is_caught(tmp_path: Path) -> None:
    with _log(tmp_path) as log:
        events = _fill(log, 8)
        with log.store.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE events SET body = CAST(replace(body, 'n3', 'n9') AS BLOB) WHERE seq = 4"
                )
            )
        assert not check_event(log, log.get(events[3]["id"])).content_ok
        assert not check_event(log, log.get(events[3]["id"])).verified
        # an earlier entry's walk to its checkpoint crosses the tampered one
        assert not check_event(log, log.get(events[1]["id"])).verified


def test_a_forged_chain_hash_breaks_the_link(tmp_path: Path) -> None:
    with _log(tmp_path) as log:
        events = _fill(log, 8)
        with log.store.engine.begin() as conn:
            conn.execute(text("UPDATE events SET chain_hash = :h WHERE seq = 6"), {"h": "0" * 64})
        result = check_event(log, log.get(events[5]["id"]))
        assert result.linked is False
        assert not result.verified


def test_a_deleted_entry_verifies_by_its_kept_hashes(tmp_path: Path) -> None:
    with _log(tmp_path) as log:
        events = _fill(log, 8)
        log.delete([events[3]["id"]], by="ops", reason="erasure")
        result = check_event(log, log.get(events[3]["id"]))
        assert result.content_ok is None  # erased: nothing to hash
        assert result.linked is True
        assert result.verified
        with log.store.engine.begin() as conn:
            conn.execute(text("UPDATE tombstones SET content_hash = :h"), {"h": "ab" * 32})
        assert not check_event(log, log.get(events[3]["id"])).verified
