"""Scheduled exports: each closed period's entries of a workspace, written once to the
archive location in the workspace's ``export_format``.

A workspace's ``export_schedule`` (``daily``, ``weekly``, ``monthly``) cuts time into UTC
periods (:mod:`activitylog.schedules`). Every period that closed after the schedule was set
gets one file, named by the workspace, the schedule and the period::

    acme/exports/acme-daily-2026-12-05.csv
    acme/exports/acme-weekly-2026-W49.pdf
    acme/exports/acme-monthly-2026-12.json

The file holds every entry of the workspace that occurred in the period, in the operator's
full view (both layers, oldest first). **The file is the "done" state**: a period whose file
is at the location (in any format) is never written again, and one without a file is
written at the next run, however late, so a restart neither repeats nor skips a period.
Files are stored whole or not at all (:meth:`Location.put`), each before its record is
written: a crash between the two leaves a file without its record, never a record without
its file.

Each file written is recorded in the workspace's log like any export
(``activity_log.exported``, actor System, ``details``: format, filters, rows, and the
schedule, period, file name and the file's SHA-256). A PDF report holds at most
:data:`~activitylog.reports.MAX_ENTRIES` entries: a period with more is exported as CSV,
and the record says so (``requested_format``).
"""

from __future__ import annotations

import hashlib
import io
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from activitylog.archives.locations import Location, open_location, workspace_dir
from activitylog.events import SYSTEM_ACTOR, fit_name
from activitylog.exports import Encoder
from activitylog.schedules import EXPORT_FORMATS, Period, closed_periods, parse_label
from activitylog.selection import Selection

if TYPE_CHECKING:
    from activitylog.client import ActivityLog

EXPORTED = "activity_log.exported"
_NAME = re.compile(
    r"(?P<directory>[^/]+)/exports/(?P=directory)-(?P<schedule>daily|weekly|monthly)-"
    r"(?P<label>[0-9W-]+)\.(?P<format>" + "|".join(EXPORT_FORMATS) + ")"
)
#: The volume chart's buckets in a PDF report of each schedule's period.
_REPORT_GROUP = {"daily": "hourly", "weekly": "daily", "monthly": "daily"}


def export_name(workspace: str, period: Period, fmt: str) -> str:
    """Where the export of ``workspace``'s ``period`` goes, relative to the location."""
    directory = workspace_dir(workspace)
    return f"{directory}/exports/{directory}-{period.schedule}-{period.label}.{fmt}"


@dataclass(frozen=True)
class ExportName:
    """What a scheduled export's file name says."""

    name: str
    directory: str
    period: Period
    format: str

    @property
    def workspace(self) -> str | None:
        """None when the name is hashed (a very long workspace name)."""
        return None if "~" in self.directory else unquote(self.directory)

    @classmethod
    def parse(cls, name: str) -> ExportName | None:
        match = _NAME.fullmatch(name)
        if match is None:
            return None
        period = parse_label(match["schedule"], match["label"])
        if period is None:
            return None
        return cls(name, match["directory"], period, match["format"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "workspace": self.workspace,
            "schedule": self.period.schedule,
            "period": self.period.label,
            "start": _iso(self.period.start),
            "end": _iso(self.period.end),
            "format": self.format,
        }


def export_names(location: Location, workspace: str | None = None) -> Iterator[ExportName]:
    """The scheduled exports at ``location`` (of one workspace), in name order."""
    directory = f"{workspace_dir(workspace)}/exports" if workspace is not None else None
    for name in location.names(directory):
        parsed = ExportName.parse(name)
        if parsed is not None:
            yield parsed


@dataclass(frozen=True)
class ScheduledExport:
    """One period's export (written, or on a dry run due), or why a workspace has none."""

    workspace: str
    schedule: str
    period: Period | None = None
    name: str | None = None
    format: str | None = None
    rows: int = 0
    sha256: str | None = None
    dry_run: bool = False
    #: Why nothing is exported (no schedule, no archive location).
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        period = self.period
        return {
            "workspace": self.workspace,
            "schedule": self.schedule,
            "period": period.label if period else None,
            "start": _iso(period.start) if period else None,
            "end": _iso(period.end) if period else None,
            "name": self.name,
            "format": self.format,
            "rows": self.rows,
            "sha256": self.sha256,
            "dry_run": self.dry_run,
            "skipped": self.skipped,
        }


def run_scheduled_exports(
    log: ActivityLog,
    *,
    workspace: str | None = None,
    now: datetime | None = None,
    archive: str | Path | None = None,
    dry_run: bool = False,
) -> list[ScheduledExport]:
    """Write every closed period's export not yet at the archive location, for every
    workspace with an export schedule (or one): what was written, oldest period first.
    ``archive`` defaults to the ``archive`` setting; without one nothing is written."""
    moment = now or datetime.now(UTC)
    accounts = log.accounts()
    scheduled = accounts.setting_everywhere("export_schedule")
    names = [workspace] if workspace is not None else sorted(scheduled)
    url = archive if archive is not None else log.settings.archive
    location = open_location(url) if url is not None else None
    outcomes: list[ScheduledExport] = []
    for name in names:
        schedule, since = scheduled.get(name, ("off", moment))
        if schedule == "off":
            if workspace is not None:  # asked for by name: say why nothing is written
                outcomes.append(ScheduledExport(name, "off", skipped="no export schedule"))
            continue
        if location is None:
            missing = "no archive location is set (ACTIVITYLOG_ARCHIVE)"
            outcomes.append(ScheduledExport(name, schedule, skipped=missing))
            continue
        fmt = accounts.workspace_settings(name).export_format
        done = {e.period for e in export_names(location, name)}
        for period in closed_periods(schedule, since, moment):
            if period in done:
                continue
            if dry_run:
                due = export_name(name, period, fmt)
                outcomes.append(ScheduledExport(name, schedule, period, due, fmt, dry_run=True))
            else:
                outcomes.append(export_period(log, location, name, period, fmt, now=moment))
    return outcomes


def export_period(
    log: ActivityLog,
    location: Location,
    workspace: str,
    period: Period,
    fmt: str,
    *,
    now: datetime | None = None,
) -> ScheduledExport:
    """Write ``workspace``'s entries of ``period`` as ``fmt`` to ``location`` (replacing
    a file of the same name whole), then record the export in the workspace's log."""
    selection = Selection(workspace=workspace, since=period.start, until=period.end)
    written = fmt
    if fmt == "pdf":
        from activitylog.reports import MAX_ENTRIES

        if log.count(selection) > MAX_ENTRIES:
            written = "csv"
    digest = hashlib.sha256()
    with tempfile.TemporaryDirectory(prefix="activitylog-export-") as scratch:
        path = Path(scratch) / "export"
        with path.open("wb") as out:

            def write(data: bytes | memoryview) -> None:
                digest.update(data)
                out.write(data)

            rows = _write(log, selection, period, written, write, now)
        name = export_name(workspace, period, written)
        location.put(name, path)
    outcome = ScheduledExport(
        workspace, period.schedule, period, name, written, rows, digest.hexdigest()
    )
    _record(log, outcome, period, requested=fmt)
    return outcome


def _write(
    log: ActivityLog,
    selection: Selection,
    period: Period,
    fmt: str,
    write: Callable[[bytes | memoryview], None],
    now: datetime | None,
) -> int:
    if fmt == "pdf":
        from activitylog.reports import ReportRequest, write_report

        request = ReportRequest(
            selection,
            generated_by=f"the scheduled {period.schedule} export",
            order="time",
            group=_REPORT_GROUP[period.schedule],
            now=now,
        )
        buffer = io.BytesIO()
        rows = write_report(log, request, buffer)
        write(buffer.getbuffer())
        return rows
    encoder = Encoder(fmt, log.export_rows(selection, order="time"))
    for chunk in encoder:
        write(chunk)
    return encoder.rows


def _record(log: ActivityLog, outcome: ScheduledExport, period: Period, *, requested: str) -> None:
    workspace, fmt = outcome.workspace, str(outcome.format)
    details: dict[str, Any] = {
        "format": fmt,
        "filters": {"since": _iso(period.start), "until": _iso(period.end)},
        "rows": outcome.rows,
        "schedule": period.schedule,
        "period": period.label,
        "name": outcome.name,
        "sha256": outcome.sha256,
    }
    instead = ""
    if requested != fmt:
        details["requested_format"] = requested
        instead = f" (a {requested.upper()} report holds fewer entries)"
    log.record(
        workspace=workspace,
        action=EXPORTED,
        actor=dict(SYSTEM_ACTOR),
        subject={
            "type": "activity_log",
            "id": workspace,
            "name": fit_name(f"Activity log of {workspace}"),
        },
        description=(
            f"Scheduled {period.schedule} export of {period.label}: {outcome.rows:,} entries "
            f"as {fmt.upper()}{instead}, written to {outcome.name}"
        ),
        details=details,
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
