"""What verification reports: each break (workspace, seq, kind) and the outcome per
workspace and for the whole log. :mod:`activitylog.workspace_check` finds the breaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: The chain hash before seq 1 (hex).
GENESIS = "0" * 64
MAX_BREAKS = 100

Kind = Literal[
    "modified",
    "missing",
    "inserted",
    "reordered",
    "bad_signature",
    "unsigned",
    "checkpoint_mismatch",
    "checkpoint_missing",
    "cadence",
    "head_missing",
    "unaccounted_deletion",
    "index_differs",
    "behind_witness",
    "witness_mismatch",
    "workspace_missing",
]

KIND_TEXT: dict[str, str] = {
    "modified": "content modified",
    "missing": "entry missing",
    "inserted": "entry inserted",
    "reordered": "order changed",
    "bad_signature": "checkpoint signature bad",
    "unsigned": "entry not covered by a signature",
    "checkpoint_mismatch": "differs from a signed checkpoint",
    "checkpoint_missing": "checkpoint missing",
    "cadence": "checkpoint cadence broken",
    "head_missing": "chain head missing",
    "unaccounted_deletion": "deletion not recorded",
    "index_differs": "index differs from content",
    "behind_witness": "behind its witness",
    "witness_mismatch": "differs from the witness",
    "workspace_missing": "workspace missing",
}


@dataclass(frozen=True)
class Break:
    """One place a workspace's log fails to verify."""

    workspace: str
    seq: int
    kind: Kind
    detail: str = ""

    def __str__(self) -> str:
        text = f"workspace {self.workspace!r}: seq {self.seq}: {KIND_TEXT[self.kind]}"
        return f"{text} ({self.detail})" if self.detail else text


@dataclass
class WorkspaceReport:
    """The verification outcome for one workspace."""

    workspace: str
    entries: int = 0
    tombstones: int = 0
    #: Entries removed by retention purges (accounted for by their records).
    purged: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    #: The tree root recomputed over every entry (hex).
    root: str = ""
    checkpoints: int = 0
    witnessed: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def broken(self) -> Break | None:
        return self.breaks[0] if self.breaks else None


@dataclass
class VerifyReport:
    workspaces: list[WorkspaceReport] = field(default_factory=list)
    #: Breaks of no one workspace (the search index as a whole), workspace "*", seq 0.
    shared: list[Break] = field(default_factory=list)
    #: False when no key was at hand: notes were compared, signatures not checked.
    signatures_checked: bool = True
    witness_checked: bool = False
    #: False when asked to skip comparing the copies kept for reading with the bodies.
    copies_checked: bool = True

    @property
    def ok(self) -> bool:
        return all(w.ok for w in self.workspaces) and not self.shared

    @property
    def entries(self) -> int:
        return sum(w.entries for w in self.workspaces)

    @property
    def breaks(self) -> list[Break]:
        return [*(b for w in self.workspaces for b in w.breaks), *self.shared][:MAX_BREAKS]

    @property
    def first_break(self) -> Break | None:
        return next((w.broken for w in self.workspaces if w.broken), None)
