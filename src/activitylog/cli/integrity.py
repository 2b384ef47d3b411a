"""Commands that check, seal and prove the log: ``verify``, ``checkpoint``, ``prove`` and
``verify-proof``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import orjson

from activitylog.cli.app import cli, current_settings, echo_json, open_log, progress, stderr_is_tty
from activitylog.client import ActivityLog
from activitylog.errors import ConfigurationError, NotFound
from activitylog.proofs import check_proof
from activitylog.signing import KeyRing
from activitylog.verify_report import VerifyReport

_PUBLIC_KEY = click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM public key(s) or a key ring file (repeatable) [default: the log's own ring].",
)
_WITNESS = click.option(
    "--witness-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Witness directory to check the database against [default: the witness_dir setting].",
)


@cli.command()
@click.option("--workspace", help="Verify only this workspace.")
@_PUBLIC_KEY
@_WITNESS
@click.option(
    "--skip-copies",
    is_flag=True,
    help="Do not compare the copies kept for filtering, search and counts with the bodies "
    "(several times faster; the log itself is still fully checked).",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Check the workspaces in this many processes at once (the same report, sooner on "
    "a machine with as many cores; not for an embedded ClickHouse log, chdb://).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(
    workspace: str | None,
    public_keys: tuple[Path, ...],
    witness_dir: Path | None,
    skip_copies: bool,
    jobs: int,
    as_json: bool,
) -> None:
    """Recompute every hash, chain and Merkle tree, check every signed checkpoint, the
    cadence, the deletion records and the copies kept for reading; with a witness
    directory, also that the database is not behind it.

    Exit 0 when intact; 1 naming each break (workspace, seq, kind; up to 100); 2 on a
    usage error.
    """
    pems = [_read_pem(path) for path in public_keys]
    # the log opened with the witness to check: what opening it may tidy (an append cut
    # short, on chdb) is then held to it too
    log = open_log(**({"witness_dir": witness_dir} if witness_dir else {}))
    if workspace:
        _require_workspace(log, workspace, witness_dir)
    total = _entries(log, workspace) if stderr_is_tty() else None
    with progress("verifying", total) as advance:
        report = log.verify(
            workspace,
            public_keys=pems or None,
            witness_dir=witness_dir,
            on_progress=advance,
            copies=not skip_copies,
            jobs=jobs,
        )
    if as_json:
        echo_json(report_json(report))
    else:
        _print_report(report)
    if not report.signatures_checked:
        click.echo(
            "note: no signing key was found, so signatures were not checked "
            "(set ACTIVITYLOG_SIGNING_KEY or pass --public-key)",
            err=True,
        )
    if not report.ok:
        click.get_current_context().exit(1)


def report_json(report: VerifyReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "signatures_checked": report.signatures_checked,
        "witness_checked": report.witness_checked,
        "copies_checked": report.copies_checked,
        "workspaces": [
            {
                "workspace": w.workspace,
                "ok": w.ok,
                "entries": w.entries,
                "tombstones": w.tombstones,
                "head_seq": w.head_seq,
                "root": w.root,
                "checkpoints": w.checkpoints,
                "witnessed": w.witnessed,
            }
            for w in report.workspaces
        ],
        "breaks": [
            {"workspace": b.workspace, "seq": b.seq, "kind": b.kind, "detail": b.detail}
            for b in report.breaks
        ],
    }


def _read_pem(path: Path) -> bytes:
    pem = path.read_bytes()
    KeyRing.from_pem([pem])  # a usage error (exit 2) now rather than a break later
    return pem


def _entries(log: ActivityLog, workspace: str | None) -> int:
    names = [workspace] if workspace else log.store.workspaces()
    heads = (log.store.head(name) for name in names)
    return sum(head.seq for head in heads if head is not None)


def _print_report(report: VerifyReport) -> None:
    spaces = report.workspaces
    for w in spaces:
        if w.ok:
            click.echo(
                f"workspace {w.workspace}: ok, head seq {w.head_seq}, {w.entries} entries, "
                f"{w.tombstones} tombstones, {w.checkpoints} checkpoints"
                + (f", {w.witnessed} witnessed" if report.witness_checked else "")
            )
    for brk in report.breaks:
        click.echo(str(brk))
    broken = sum(1 for w in spaces if not w.ok)
    status = "ok" if report.ok else f"BROKEN ({broken} of {len(spaces)} workspaces)"
    if report.shared:
        status = "BROKEN (the search index)" if not broken else status
    tombstones = sum(w.tombstones for w in spaces)
    checkpoints = sum(w.checkpoints for w in spaces)
    click.echo(
        f"{status}: {len(spaces)} workspaces, {report.entries} entries, "
        f"{tombstones} tombstones, {checkpoints} checkpoints"
        + (", checked against the witness" if report.witness_checked else "")
        + ("" if report.copies_checked else "; copies not compared (--skip-copies)")
    )


@cli.command()
@click.option("--workspace", help="The workspace whose head to sign.")
@click.option("--all", "every", is_flag=True, help="Every workspace whose head moved.")
def checkpoint(workspace: str | None, every: bool) -> None:
    """Keep a signed checkpoint of a workspace's head now (copied to the witness)."""
    if bool(workspace) == every:
        raise click.UsageError("give --workspace W or --all")
    log = open_log()
    if every:
        done = log.checkpoint_all()
        for signed in done:
            click.echo(f"workspace {signed.origin}: checkpoint at size {signed.size}")
        click.echo(f"{len(done)} checkpoints kept")
        return
    assert workspace is not None  # for mypy: one of the two is given
    _require_workspace(log, workspace, None)
    one = log.checkpoint(workspace)
    if one is None:
        head = log.store.head(workspace)
        click.echo(f"workspace {workspace}: head seq {head.seq if head else 0} is already kept")
        return
    click.echo(f"workspace {workspace}: checkpoint at size {one.size}")


@cli.command()
@click.argument("event_id", required=False)
@click.option(
    "--consistency",
    nargs=2,
    type=click.IntRange(min=1),
    metavar="OLD_SIZE NEW_SIZE",
    help="A consistency proof between two tree sizes of --workspace instead.",
)
@click.option("--workspace", help="The workspace (with --consistency).")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the proof here."
)
def prove(
    event_id: str | None,
    consistency: tuple[int, int] | None,
    workspace: str | None,
    out: Path | None,
) -> None:
    """Print a JSON proof: that EVENT_ID is in its workspace's signed tree (inclusion), or
    with --consistency that the tree at OLD_SIZE is a prefix of the tree at NEW_SIZE."""
    log = open_log()
    if consistency:
        if event_id or not workspace:
            raise click.UsageError("--consistency takes --workspace and no EVENT_ID")
        _require_workspace(log, workspace, None)
        proof = log.prove_consistency(workspace, *consistency)
    elif event_id:
        proof = log.prove(event_id)
    else:
        raise click.UsageError("give an EVENT_ID, or --consistency OLD NEW --workspace W")
    data = orjson.dumps(proof, option=orjson.OPT_INDENT_2) + b"\n"
    if out is None:
        click.echo(data.decode(), nl=False)
    else:
        out.write_bytes(data)


@cli.command("verify-proof")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_PUBLIC_KEY
def verify_proof(file: Path, public_keys: tuple[Path, ...]) -> None:
    """Check a proof from `activitylog prove` offline, with the public key(s).

    Exit 0 when it holds, 1 naming what fails, 2 on a usage error.
    """
    if public_keys:
        ring = KeyRing.from_pem([_read_pem(path) for path in public_keys])
    else:
        found = ActivityLog.ring_of(current_settings())
        if found is None:
            raise ConfigurationError("public_key: pass --public-key (no signing key here)")
        ring = found
    try:
        proof = orjson.loads(file.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ConfigurationError(f"file: {file} is not JSON ({exc})") from None
    problems = check_proof(proof, ring)
    for problem in problems:
        click.echo(f"FAILED: {problem}")
    if problems:
        click.get_current_context().exit(1)
    what = proof.get("format", "").split("/")[0].removeprefix("activitylog-")
    click.echo(f"ok: {what.replace('-', ' ')} verified")


def _require_workspace(log: ActivityLog, workspace: str, witness_dir: Path | None) -> None:
    known = set(log.store.all_workspaces())
    directory = witness_dir or log.settings.witness_dir
    if directory is not None:
        from activitylog.witness import Witness

        known.update(Witness(directory).workspaces())
    if workspace not in known:
        raise NotFound(f"workspace: no workspace {workspace!r} in this log")
