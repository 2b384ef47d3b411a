"""Deleting erases on disk (SQLite): with secure_delete and the WAL checkpointed after a
deletion, the deleted entry's text is in neither the database file nor its WAL."""

from __future__ import annotations

from pathlib import Path

from activitylog import ActivityLog
from activitylog.settings import Settings

MARKER = b"Zanzibarquux"


def test_deleted_content_does_not_linger_in_the_file_or_the_wal(tmp_path: Path) -> None:
    db = tmp_path / "erase.db"
    settings = Settings(signing_key=tmp_path / "key.pem", checkpoint_every=10)
    with ActivityLog(f"sqlite:///{db}", settings=settings) as log:
        log.record_many(
            [
                {"workspace": "acme", "action": "note.created", "description": f"n{i}"}
                for i in range(40)
            ]
        )
        victim = log.record(
            workspace="acme",
            action="contact.updated",
            description=f"{MARKER.decode()} asked to be forgotten",
            subject={"type": "contact", "id": "c_1", "name": f"{MARKER.decode()} Person"},
        )
        log.record(workspace="acme", action="note.created", description="after")
        on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("erase.db*"))
        assert MARKER in on_disk  # it was there

        assert log.delete([victim["id"]], by="ops", reason="erasure request") == [victim["id"]]

        on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("erase.db*"))
        assert MARKER not in on_disk
        assert MARKER.lower() not in on_disk
        assert log.verify().ok
