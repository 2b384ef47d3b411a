"""Commands that check or seal the chain: ``verify`` and ``checkpoint``."""

from __future__ import annotations

from pathlib import Path

import click
from cryptography.exceptions import UnsupportedAlgorithm

from activitylog.chain import VerifyReport
from activitylog.cli.app import cli, open_log, progress, stderr_is_tty
from activitylog.client import ActivityLog
from activitylog.errors import ConfigurationError, NotFound
from activitylog.signing import CheckpointSigner


@cli.command()
@click.option("--workspace", help="Verify only this workspace.")
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM public key to check checkpoint signatures with (default: the signing key).",
)
def verify(workspace: str | None, public_key: Path | None) -> None:
    """Recompute every hash chain and check the signed checkpoints.

    Exit 0 with a summary when intact; exit 1 naming the workspace, the seq and the
    reason for each broken chain.
    """
    pem = _public_pem(public_key) if public_key else None
    log = open_log()
    if workspace:
        _require_workspace(log, workspace)
    total = _entries(log, workspace) if stderr_is_tty() else None
    with progress("verifying", total) as advance:
        report = log.verify(workspace, public_key=pem, on_progress=advance)
    _print_report(report)
    if not report.signatures_checked:
        click.echo(
            "note: no signing key was found, so checkpoint signatures were not checked "
            "(set ACTIVITYLOG_SIGNING_KEY or pass --public-key)",
            err=True,
        )
    if not report.ok:
        click.get_current_context().exit(1)


def _public_pem(path: Path) -> bytes:
    pem = path.read_bytes()
    try:
        CheckpointSigner.from_public_pem(pem)
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigurationError(f"public_key: {path} is not a PEM public key") from None
    return pem


def _entries(log: ActivityLog, workspace: str | None) -> int:
    names = [workspace] if workspace else log.store.workspaces()
    return sum(log.store.head(name)[0] for name in names)


def _print_report(report: VerifyReport) -> None:
    spaces = report.workspaces
    tombstones = sum(w.tombstones for w in spaces)
    checkpoints = sum(w.checkpoints for w in spaces)
    for w in spaces:
        if w.broken is None:
            click.echo(
                f"workspace {w.workspace}: ok, head seq {w.head_seq}, {w.entries} entries, "
                f"{w.tombstones} tombstones, {w.checkpoints} checkpoints"
            )
    for w in spaces:
        if w.broken is not None:
            click.echo(str(w.broken))
    broken = sum(1 for w in spaces if not w.ok)
    status = "ok" if not broken else f"BROKEN ({broken} of {len(spaces)} workspaces)"
    click.echo(
        f"{status}: {len(spaces)} workspaces, {report.entries} entries, "
        f"{tombstones} tombstones, {checkpoints} checkpoints"
    )


@cli.command()
@click.option("--workspace", required=True, help="The workspace whose head to sign.")
def checkpoint(workspace: str) -> None:
    """Sign a workspace's chain head now."""
    log = open_log()
    _require_workspace(log, workspace)
    signed = log.checkpoint(workspace)
    if signed is None:
        seq = log.store.head(workspace)[0]
        click.echo(f"workspace {workspace}: head seq {seq} is already signed")
        return
    click.echo(
        f"workspace {workspace}: signed seq {signed.seq} "
        f"(chain {signed.chain_hash[:16]}…, key {signed.key_id})"
    )


def _require_workspace(log: ActivityLog, workspace: str) -> None:
    if workspace not in log.store.workspaces():
        raise NotFound(f"workspace: no workspace {workspace!r} in this log")
