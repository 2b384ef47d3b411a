"""Deleting entries on ClickHouse: tombstones, the entries removed, the deletion records.

ClickHouse runs no transaction across the three, so a deletion is written in that order
and one cut short is finished by the same deletion again (:meth:`ClickHouseDeletions.delete`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import column, select

from activitylog.access import Visibility
from activitylog.chain import DELETION_ACTION
from activitylog.errors import full_storage_raised
from activitylog.query import Filters
from activitylog.store.base import chunks, now_us
from activitylog.store.clauses import Window
from activitylog.store.clickhouse.reads import visible
from activitylog.store.clickhouse.writes import ClickHouseWrites
from activitylog.store.schema import RID_SLOTS, events
from activitylog.store.writes import RECORD_IDS, DeletionRecord

TOMBSTONE_COLUMNS = (
    "workspace",
    "seq",
    "id",
    "occurred_at",
    "content_hash",
    "chain_hash",
    "deleted_at",
    "deleted_by",
    "reason",
)


class ClickHouseDeletions(ClickHouseWrites):
    def delete(
        self,
        ids: Sequence[str],
        *,
        by: str,
        reason: str,
        visibility: Visibility,
        record: DeletionRecord,
    ) -> list[str]:
        """Tombstone visible events (content removed, seq and hashes kept) and append a
        deletion record per workspace naming the ids it removed; returns the ids done.
        The tombstones are written first, then the entries removed (a lightweight
        DELETE), then the records appended. A deletion cut short (a full disk, a crash)
        is finished by deleting the same ids again, by the same person for the same
        reason: their tombstones that no record names get their records, with the time
        the tombstones hold. A full disk raises
        :class:`~activitylog.errors.StorageFull`."""
        self.settle()
        with full_storage_raised(
            "the log's database or disk is full: the deletion was cut short; once space is"
            " freed, delete the same ids again (by the same person, for the same reason) to"
            " finish it"
        ):
            return self._delete(list(dict.fromkeys(ids)), by, reason, visibility, record)

    def _delete(
        self,
        ids: list[str],
        by: str,
        reason: str,
        visibility: Visibility,
        record: DeletionRecord,
    ) -> list[str]:
        done: dict[str, list[tuple[int, str]]] = {}
        deleted_at = now_us()
        with self.writer:
            graves, rids = [], []
            for chunk in chunks(ids):
                found = select(
                    events.c.rid,
                    events.c.workspace,
                    column("seq"),
                    column("id"),
                    column("content_hash"),
                    column("chain_hash"),
                ).where(*visible(visibility, Filters(ids=tuple(chunk)), Window(None, None)))
                for rid, workspace, seq, event_id, content, chained in self.db.rows(found):
                    graves.append(
                        (
                            workspace,
                            seq,
                            event_id,
                            rid // RID_SLOTS,
                            bytes(content).hex(),
                            bytes(chained).hex(),
                            deleted_at,
                            by,
                            reason,
                        )
                    )
                    rids.append((workspace, rid))
                    done.setdefault(workspace, []).append((seq, event_id))
            taken = {event_id for gone in done.values() for _, event_id in gone}
            left = self._unrecorded([i for i in ids if i not in taken], by, reason, visibility)
            if not done and not left:
                return []
            self.db.insert("tombstones", graves, TOMBSTONE_COLUMNS)
            for workspace in sorted(done):  # by workspace too: two writers may pick one rid
                mine = [rid for w, rid in rids if w == workspace]
                for chunk in chunks(mine):
                    self.db.run(
                        f"DELETE FROM {self.mutable('events')}"
                        " WHERE workspace = %(w)s AND rid IN %(r)s",
                        {"w": workspace, "r": tuple(chunk)},
                    )
            cuts = {(w, deleted_at): gone for w, gone in done.items()} | left
            records = [
                record(workspace, list(part), at)
                for (workspace, at), gone in sorted(cuts.items())
                for part in chunks([i for _, i in sorted(gone)], RECORD_IDS)
            ]
            workspaces = sorted({workspace for workspace, _ in cuts})
            with self._leased(workspaces):
                heads = self._heads_for(workspaces)
                try:
                    self._append_fresh(records, heads)
                    self._save_heads(heads)
                except BaseException as exc:
                    self._forget(heads, undo=isinstance(exc, Exception))
                    raise
        self._committed(heads)
        return [event_id for gone in cuts.values() for _, event_id in gone]

    def _unrecorded(
        self, ids: list[str], by: str, reason: str, visibility: Visibility
    ) -> dict[tuple[str, int], list[tuple[int, str]]]:
        """The tombstones among ``ids`` that ``by`` left for ``reason`` and no deletion
        record names (a deletion cut short), by workspace and the time they hold:
        ``(seq, id)`` each."""
        left: dict[tuple[str, int], list[tuple[int, str]]] = {}
        for chunk in chunks(ids):
            rows = self.db.rows(
                "SELECT workspace, seq, id, deleted_at FROM tombstones FINAL WHERE id IN %(ids)s"
                " AND deleted_by = %(by)s AND reason = %(why)s",
                {"ids": tuple(chunk), "by": by, "why": reason},
            )
            for workspace, seq, event_id, at in rows:
                if visibility.workspace not in (None, workspace):
                    continue
                named = self.db.rows(
                    "SELECT 1 FROM events WHERE workspace = %(w)s AND action = %(a)s"
                    " AND position(body, %(i)s) > 0 LIMIT 1",
                    {"w": workspace, "a": DELETION_ACTION, "i": event_id},
                )
                if not named:
                    left.setdefault((workspace, int(at)), []).append((int(seq), event_id))
        return left


__all__ = ["ClickHouseDeletions"]
