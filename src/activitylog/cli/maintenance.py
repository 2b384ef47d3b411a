"""Commands that look after what the store keeps beside the hashed bodies: ``reindex``."""

from __future__ import annotations

import click

from activitylog.cli.app import cli, open_log
from activitylog.errors import NotFound
from activitylog.store.derived import Reindexed


@cli.command()
@click.option("--workspace", help="Rebuild only this workspace's copies.")
def reindex(workspace: str | None) -> None:
    """Rebuild the copies kept beside the hashed bodies: columns, search index, rollups.

    Indexes what appends left pending, writes the copies an entry lacks and removes those
    of no entry, rewrites the event columns that differ from their bodies (a moved row goes
    back to the workspace and time its body says), sets every rollup count to what the
    entries count, and on SQLite rebuilds the search index when it does not match. Run it
    when verify reports "index differs from content". Bodies, seqs, hashes and ids are
    never changed: an entry whose id differs from its body, or whose place another row
    holds, is left as it is, and the command exits 1.
    """
    store = open_log().store
    if workspace is not None and workspace not in store.workspaces_with_copies():
        raise NotFound(f"workspace {workspace!r} has no entries")
    steps: list[Reindexed] = []

    def show(step: Reindexed) -> None:
        steps.append(step)
        click.echo(_line(step))

    rewritten = store.reindex(workspace, on_step=show)
    left = sum(len(s.left) for s in steps)
    click.echo(
        f"reindexed {sum(1 for s in steps if s.workspace is not None)} workspaces:"
        f" {rewritten} entries rewritten" + (f", {left} left as they are" if left else "")
    )
    if left:
        click.get_current_context().exit(1)


def _line(step: Reindexed) -> str:
    if step.workspace is None:
        return "search index: rebuilt"
    line = (
        f"workspace {step.workspace}: {step.entries} entries read, {step.rewritten} rewritten,"
        f" {step.counts_set} rollup counts set"
    )
    if step.left:
        seqs = ", ".join(str(seq) for seq in step.left[:10])
        more = ", ..." if len(step.left) > 10 else ""
        line += f"; left as they are (verify reports them): seq {seqs}{more}"
    return line
