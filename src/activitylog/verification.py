"""``verify``: every workspace any table or the witness knows, checked end to end.

For each workspace: the signed notes (kept checkpoints, the head's note, the witness's
copies) are checked against the key ring; the entries are read in one snapshot and their
hashes, chain and tree recomputed, meeting every signed size on the way; the head, the
checkpoints' cadence and every deletion's record are checked; and the copies kept for
filtering, search and counting are compared with the bodies (``store/derived.py``), and the
whole search index with what it indexes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from activitylog.retention import purge_start
from activitylog.signing import KeyRing
from activitylog.store import Store
from activitylog.verify_report import Break, VerifyReport, WorkspaceReport
from activitylog.witness import Witness
from activitylog.workspace_check import WorkspaceCheck

#: Checks workspaces elsewhere: ``(names, on_progress)`` -> ``(name, report)`` of each,
#: calling ``on_progress`` with each one's entries as it is done.
WorkspaceVerifier = Callable[
    [list[str], Callable[[int], None] | None], Iterable[tuple[str, WorkspaceReport]]
]


def verify_log(
    store: Store,
    *,
    ring: KeyRing | None,
    every: int,
    witness: Witness | None = None,
    workspace: str | None = None,
    on_progress: Callable[[int], None] | None = None,
    copies: bool = True,
    workers: WorkspaceVerifier | None = None,
) -> VerifyReport:
    """Check one workspace, or all of them; ``ring`` None compares notes without checking
    their signatures; ``copies`` False skips comparing the copies kept for reading (filter
    columns, search index, rollups) with the bodies: the log itself is still checked.
    ``workers`` checks the workspaces instead (in other processes, see
    :mod:`activitylog.verify_jobs`), largest first; the report is the same."""
    if ring is not None and witness is not None:
        ring.add_handovers(witness.handovers())
    names = workspace_names(store, witness, workspace, copies)
    report = VerifyReport(
        signatures_checked=ring is not None,
        witness_checked=bool(witness),
        copies_checked=copies,
    )
    if workers is None:
        for name in names:
            report.workspaces.append(
                verify_workspace(store, name, ring, every, witness, on_progress, copies)
            )
    else:
        sizes = store.head_seqs()
        done = dict(workers(sorted(names, key=lambda name: -sizes.get(name, 0)), on_progress))
        report.workspaces.extend(done[name] for name in names)
    if copies and workspace is None:
        # after the workspaces: it holds the index file's write lock while it reads, and
        # workers opening the log (which take both files' locks) would wait for it
        report.shared.extend(
            Break("*", 0, "index_differs", f"search index: {problem}")
            for problem in store.search_index_breaks()
        )
    return report


def workspace_names(
    store: Store, witness: Witness | None, workspace: str | None, copies: bool
) -> list[str]:
    """The workspaces a verify checks: ``workspace``, or every one a table or the witness
    names, in name order."""
    if workspace:
        return [workspace]
    stored = store.workspaces_with_copies() if copies else store.all_workspaces()
    witnessed = witness.workspaces() if witness is not None else []
    return sorted(set(stored) | set(witnessed))


def verify_workspace(
    store: Store,
    name: str,
    ring: KeyRing | None,
    every: int,
    witness: Witness | None,
    on_progress: Callable[[int], None] | None,
    copies: bool,
) -> WorkspaceReport:
    """One workspace checked end to end (see the module's text)."""
    # Without the copies, each entry's stored hashes (copies of what its body says,
    # which locate a break to its seq) are left unchecked too: the tree recomputed from
    # the bodies, which the signatures cover, still is.
    check = WorkspaceCheck(name, ring, every=every, on_progress=on_progress, hashes=copies)
    if witness is not None:
        check.add_witnessed(note for _, note in witness.checkpoints(name))
    with store.snapshot(name, hashes=copies) as view:
        check.add_stored(view.kept)
        check.set_head(view.head)
        check_purges(check, view.purges, view.start_problem)
        if view.start is not None:
            check.start_after(view.start)
        check.run(view.rows)
    tombstones = store.tombstones_of(name)
    check.check_deleted_stay_deleted(
        (t[1] for t in tombstones), lambda event_id: store.live_seq(name, event_id)
    )
    if copies:
        check.check_tombstones(tombstones)
        for seq, detail in store.derived_breaks(name):
            check.add_break(seq, "index_differs", detail)
    return check.report


def check_purges(
    check: WorkspaceCheck, purges: list[tuple[int, bytes]], problem: tuple[int, str] | None
) -> None:
    """The purge records still in the log must each remove the entries right after the
    one before it removed: together they account for every purged seq."""
    if problem is not None:
        check.add_break(problem[0], "unaccounted_deletion", f"purge record: {problem[1]}")
    previous = None
    for seq, body in purges:
        try:
            start = purge_start(seq, body)
        except ValueError:
            continue  # the latest one is reported above; the tree catches a changed body
        if previous is not None and start.first != previous + 1:
            check.add_break(
                seq,
                "unaccounted_deletion",
                f"the purge record removes seqs {start.first}..{start.last}, the one "
                f"before it ended at {previous}",
            )
        previous = start.last
