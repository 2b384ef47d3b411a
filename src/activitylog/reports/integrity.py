"""A report's integrity statement: for each workspace in it, the signed checkpoint that
covers its entries, the key that signed it, and the command that re-exports the entries
so anyone can recompute the report's digest (:mod:`activitylog.reports.digest`)."""

from __future__ import annotations

import base64
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from activitylog.access import OPERATOR
from activitylog.notes import signer_of, verified_checkpoint
from activitylog.reports.digest import Span
from activitylog.selection import Selection
from activitylog.signing import KeyRing

#: Above this many chosen entries the command names the flag instead of every id.
MAX_IDS_IN_COMMAND = 10


class Covering(Protocol):
    def covering(self, workspace: str, seq: int) -> tuple[int, str] | None: ...


@dataclass(frozen=True)
class Coverage:
    """The checkpoint covering one workspace's entries of a report (``size`` None when no
    signed checkpoint covers them yet)."""

    span: Span
    size: int | None = None
    root: str = ""
    signed_at: str = ""
    key_id: str = ""
    verifier_key: str = ""
    #: Why the signature does not verify with the log's keys; empty when it does.
    problem: str = ""


def coverage(store: Covering, ring: KeyRing | None, spans: Sequence[Span]) -> list[Coverage]:
    """The first kept checkpoint at or after each workspace's last seq in the report (else
    the head's, signed by every append), checked against ``ring``."""
    found = []
    for span in spans:
        covering = store.covering(span.workspace, span.last)
        if covering is None:
            found.append(Coverage(span))
            continue
        _, note = covering
        if ring is None:
            found.append(Coverage(span, problem="this log has no public key to check it with"))
            continue
        checkpoint, problem = verified_checkpoint(note, ring)
        key = signer_of(note, ring)
        found.append(
            Coverage(
                span,
                size=checkpoint.size,
                root=base64.b64encode(checkpoint.root).decode(),
                signed_at=checkpoint.time,
                key_id=key.key_id if key else "",
                verifier_key=key.vkey() if key else "",
                problem=problem or "",
            )
        )
    return found


def export_command(selection: Selection, since: datetime | None, until: datetime | None) -> str:
    """The ``activitylog export`` command that writes the report's entries as JSON
    (``entries.json``): the same filters, reader and scope, the window as UTC instants."""
    args = ["activitylog", "export", "--format", "json", "--out", "entries.json"]
    viewer = selection.viewer
    if selection.workspace:
        args += ["--workspace", selection.workspace]
    if viewer != OPERATOR:
        args += ["--as-user", viewer.user_id, "--as-role", viewer.role]
        if not selection.workspace and viewer.workspace:
            args += ["--workspace", viewer.workspace]
        args += ["--scope", selection.scope]
    if since is not None:
        args += ["--since", _instant(since)]
    if until is not None:
        args += ["--until", _instant(until)]
    for flag, values in (
        ("--user", selection.users),
        ("--category", selection.categories),
        ("--event", selection.events),
        ("--result", selection.results),
        ("--role", selection.roles),
    ):
        for value in values:
            args += [flag, value]
    for flag, text in (
        ("--layer", selection.layer),
        ("--subject-type", selection.subject_type),
        ("--subject-id", selection.subject_id),
        ("--ip", selection.ip),
        ("--search", selection.search),
    ):
        if text:
            args += [flag, text]
    command = shlex.join(args)
    if len(selection.ids) > MAX_IDS_IN_COMMAND:
        return f"{command} --id ID (once for each of the {len(selection.ids):,} chosen entries)"
    return shlex.join([*args, *(a for i in selection.ids for a in ("--id", i))])


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
