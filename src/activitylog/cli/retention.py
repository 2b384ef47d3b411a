"""``activitylog purge``: remove entries older than each workspace's retention window."""

from __future__ import annotations

import click

from activitylog.cli.app import cli, echo_json, open_log
from activitylog.purging import PurgeOutcome, run_purges


@cli.command()
@click.option("--workspace", help="Purge only this workspace (default: every workspace).")
@click.option("--dry-run", is_flag=True, help="Print what would be purged; remove nothing.")
@click.option(
    "--archive",
    metavar="DIR|s3://BUCKET/PREFIX",
    help="Archive each purge's entries there first [default: the archive setting].",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def purge(workspace: str | None, dry_run: bool, archive: str | None, fmt: str) -> None:
    """Remove entries older than each workspace's retention window.

    A workspace's window is its retention_days setting, else the platform's
    retention_days; without either (the default) nothing is ever removed, nor while the
    workspace is under legal hold. The oldest entries go, up to the last checkpoint kept
    among them; each purge is first archived (with an archive location), then recorded
    in the workspace's log as activity_log.purged (seq range, count, cut-off, archive
    name and SHA-256), so verify accounts for every purged entry. `serve` runs this
    hourly.
    """
    outcomes = run_purges(open_log(), workspace=workspace, dry_run=dry_run, archive=archive)
    if fmt == "json":
        echo_json([o.to_dict() for o in outcomes])
        return
    for outcome in outcomes:
        click.echo(_line(outcome))


def _line(outcome: PurgeOutcome) -> str:
    name, plan = outcome.workspace, outcome.plan
    if outcome.skipped is not None:
        return f"{name}: nothing purged: {outcome.skipped}"
    if plan is None:
        return f"{name}: nothing to purge"
    what = (
        f"{plan.count:,} entries (seq {plan.first} to {plan.last}) older than "
        f"{outcome.to_dict()['cutoff']}"
    )
    if outcome.dry_run:
        return f"{name}: would purge {what}"
    line = f"{name}: purged {what}; recorded at seq {outcome.record_seq}"
    if outcome.archive is not None:
        line += f"; archived as {outcome.archive.name} (sha256 {outcome.archive.sha256})"
    return line
