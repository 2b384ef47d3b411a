"""Running purges: which workspaces, which cut-off, archive first, record, remove.

:func:`purge_workspace` carries out one workspace's purge at a cut-off (or, with
``dry_run``, says what it would remove). :func:`run_purges` applies the retention policy:
each workspace's ``retention_days`` (else the platform's ``retention_days``; ``None`` is
forever: nothing goes), skipping workspaces under legal hold, and archives each purge's
entries first when an archive location is set. See :mod:`activitylog.retention`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from activitylog.catalog import Catalog
from activitylog.enrich import Prepared, prepare
from activitylog.events import SYSTEM_ACTOR, fit_name, format_micros, micros, validate
from activitylog.merkle import Frontier
from activitylog.retention import PURGE_ACTION, ArchiveRef, PurgePlan, record_details
from activitylog.store import Store

if TYPE_CHECKING:
    from activitylog.client import ActivityLog

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
    #: Why nothing was purged, when a policy says so (kept forever, under legal hold).
    skipped: str | None = None

    def to_dict(self) -> dict[str, object]:
        plan = self.plan
        return {
            "workspace": self.workspace,
            "skipped": self.skipped,
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
    store: Store,
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
                "name": fit_name(f"Activity log of {plan.workspace}"),
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


def run_purges(
    log: ActivityLog,
    *,
    workspace: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
    archive: str | Path | None = None,
) -> list[PurgeOutcome]:
    """Purge every workspace (or one) by its retention policy at ``now``; with an
    ``archive`` location (default: the ``archive`` setting), each purge's entries are
    archived there first, and nothing is purged when writing the archive fails."""
    moment = now or datetime.now(UTC)
    accounts = log.accounts()
    location = archive if archive is not None else log.settings.archive
    names = [workspace] if workspace is not None else log.store.workspaces()
    outcomes = []
    for name in names:
        policy = accounts.workspace_settings(name)
        days = policy.retention_days
        if days is None:  # the workspace follows the platform's setting
            days = log.settings.retention_days
        if days is None or days == "forever":
            outcomes.append(PurgeOutcome(name, None, dry_run=dry_run, skipped="kept forever"))
            continue
        if policy.legal_hold is not None:
            held = f"under legal hold: {policy.legal_hold}"
            outcomes.append(PurgeOutcome(name, None, dry_run=dry_run, skipped=held))
            continue
        if policy.require_archive and location is None:
            needs = "the workspace requires an archive, and no archive location is set"
            outcomes.append(PurgeOutcome(name, None, dry_run=dry_run, skipped=needs))
            continue
        cutoff = micros(moment - timedelta(days=days))
        archiver = None if location is None else _archiver(log, location)
        outcomes.append(
            purge_workspace(
                log.store, log.catalog, name, cutoff, archiver=archiver, dry_run=dry_run
            )
        )
    return outcomes


def _archiver(log: ActivityLog, location: str | Path) -> Archiver:
    from activitylog.archives.writer import write_archive

    def archive(plan: PurgePlan) -> ArchiveRef:
        info = write_archive(
            log, plan.workspace, plan.first, plan.last, format_micros(plan.cutoff_us), location
        )
        return ArchiveRef(info.name, info.sha256)

    return archive
