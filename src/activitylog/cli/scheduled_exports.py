"""``activitylog export-scheduled``: write the scheduled exports that are due, now."""

from __future__ import annotations

import click

from activitylog.cli.app import cli, echo_json, open_log
from activitylog.scheduled_exports import ScheduledExport, run_scheduled_exports


@cli.command("export-scheduled")
@click.option("--workspace", help="Only this workspace (default: every workspace with a schedule).")
@click.option("--dry-run", is_flag=True, help="Print the exports that are due; write nothing.")
@click.option(
    "--archive",
    metavar="DIR|s3://BUCKET/PREFIX",
    help="Where the exports go [default: the archive setting].",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def export_scheduled(workspace: str | None, dry_run: bool, archive: str | None, fmt: str) -> None:
    """Write every scheduled export that is due, as `serve` does every five minutes.

    A workspace's export_schedule (daily, weekly or monthly; `workspace set W
    --export-schedule`) cuts time into UTC days, ISO weeks or months. Each period that
    closed since the schedule was set is exported once, in the workspace's export_format
    (csv, json or pdf), to the archive location as W/exports/W-daily-2026-12-05.csv: every
    entry of the period, oldest first. A period whose file is there already is skipped, so
    running this again (or restarting `serve`) repeats nothing. Each file is recorded in
    the workspace's log as activity_log.exported with its SHA-256.
    """
    outcomes = run_scheduled_exports(
        open_log(), workspace=workspace, archive=archive, dry_run=dry_run
    )
    if fmt == "json":
        echo_json([o.to_dict() for o in outcomes])
        return
    for outcome in outcomes:
        click.echo(_line(outcome))
    if not outcomes:
        click.echo("no scheduled export is due")


def _line(outcome: ScheduledExport) -> str:
    name = outcome.workspace
    if outcome.skipped is not None:
        return f"{name}: nothing exported: {outcome.skipped}"
    period = outcome.period.label if outcome.period else "?"
    if outcome.dry_run:
        return f"{name}: would export {outcome.schedule} {period} as {outcome.name}"
    return (
        f"{name}: exported {outcome.schedule} {period}: {outcome.rows:,} entries as "
        f"{outcome.name} (sha256 {outcome.sha256})"
    )
