"""Running purges: which workspaces, which cut-off, archive first, record, remove.

:func:`purge_workspace` carries out one workspace's purge at a cut-off (or, with
``dry_run``, says what it would remove). The retention policy (days per workspace, the
platform default, legal holds) decides the cut-off; see :mod:`activitylog.retention`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from activitylog.catalog import Catalog
from activitylog.enrich import Prepared, prepare
from activitylog.events import SYSTEM_ACTOR, format_micros, validate
from activitylog.merkle import Frontier
from activitylog.retention import PURGE_ACTION, ArchiveRef, PurgePlan, record_details
from activitylog.store import SQLStore

#: Writes the archive of a plan's entries before they are removed (None: not archived).
Archiver = Callable[[PurgePlan], ArchiveRef | None]


@dataclass(frozen=True)
class PurgeOutcome:
    """One workspace's purge: what it removed (or would, on a dry run)."""

    workspace: str
    plan: PurgePlan | None
    archive: ArchiveRef | None = None
    record_seq: int | None = None
    removed: int = 0
    dry_run: bool = False

    def to_dict(self) -> dict[str, object]:
        plan = self.plan
        return {
            "workspace": self.workspace,
            "first_seq": plan.first if plan else None,
            "last_seq": plan.last if plan else None,
            "count": plan.count if plan else 0,
            "cutoff": format_micros(plan.cutoff_us) if plan else None,
            "archive": None
            if self.archive is None
            else {"name": self.archive.name, "sha256": self.archive.sha256},
            "record_seq": self.record_seq,
            "removed": self.removed,
            "dry_run": self.dry_run,
        }


def purge_workspace(
    store: SQLStore,
    catalog: Catalog,
    workspace: str,
    cutoff_us: int,
    *,
    archiver: Archiver | None = None,
    dry_run: bool = False,
) -> PurgeOutcome:
    """Purge ``workspace``'s entries older than ``cutoff_us`` (up to the last checkpoint
    kept among them): archived first by ``archiver`` when given, then recorded, then
    removed. An interrupted purge is finished first."""
    if not dry_run:
        store.finish_purge(workspace)
    plan = store.plan_purge(workspace, cutoff_us)
    if plan is None or dry_run:
        return PurgeOutcome(workspace, plan, dry_run=dry_run)
    archive = archiver(plan) if archiver is not None else None

    def record(plan: PurgePlan, frontier: Frontier, chain: bytes) -> Prepared:
        return purge_record(catalog, plan, frontier, chain, archive)

    done = store.purge(plan, record)
    return PurgeOutcome(workspace, plan, archive, done.record_seq, done.removed)


def purge_record(
    catalog: Catalog,
    plan: PurgePlan,
    frontier: Frontier,
    chain: bytes,
    archive: ArchiveRef | None,
) -> Prepared:
    """The ``activity_log.purged`` entry accounting for ``plan``."""
    cutoff = format_micros(plan.cutoff_us)
    where = f"; archived as {archive.name}" if archive is not None else ""
    content = validate(
        {
            "workspace": plan.workspace,
            "action": PURGE_ACTION,
            "actor": dict(SYSTEM_ACTOR),
            "subject": {
                "type": "activity_log",
                "id": plan.workspace,
                "name": f"Activity log of {plan.workspace}",
            },
            "description": (
                f"Purged {plan.count:,} entries older than {cutoff} "
                f"(seq {plan.first} to {plan.last}){where}"
            ),
            "details": record_details(plan, frontier, chain, archive, cutoff),
        },
        reserved=True,
    )
    return prepare(content, catalog)
