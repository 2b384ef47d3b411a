"""Where each follower is: its position and lag per workspace, and its last error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from activitylog.events import to_micros
from activitylog.followers.core import Follower, Following
from activitylog.store.base import now_us, row_to_event

if TYPE_CHECKING:
    from activitylog.client import ActivityLog


@dataclass(frozen=True)
class WorkspacePosition:
    """``behind``: entries after the cursor up to the head (deleted ones included);
    ``delay_s``: how long ago the oldest entry not yet handled occurred (0 when caught up).
    """

    workspace: str
    position: int
    head: int
    behind: int
    delay_s: float
    last_error: str | None = None
    error_at: str | None = None
    retry_at: str | None = None


@dataclass(frozen=True)
class FollowerStatus:
    name: str
    started: bool  # has it ever run
    workspaces: tuple[WorkspacePosition, ...]

    @property
    def behind(self) -> int:
        return sum(w.behind for w in self.workspaces)

    @property
    def delay_s(self) -> float:
        return max((w.delay_s for w in self.workspaces), default=0.0)

    @property
    def last_error(self) -> str | None:
        errors = [w for w in self.workspaces if w.last_error]
        return errors[0].last_error if errors else None

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "started": self.started,
            "behind": self.behind,
            "delay_seconds": round(self.delay_s, 3),
            "last_error": self.last_error,
            "workspaces": [
                {
                    "workspace": w.workspace,
                    "position": w.position,
                    "head": w.head,
                    "behind": w.behind,
                    "delay_seconds": round(w.delay_s, 3),
                    "last_error": w.last_error,
                    "error_at": w.error_at,
                    "retry_at": w.retry_at,
                }
                for w in self.workspaces
            ],
        }


def _iso(us: int | None) -> str | None:
    if us is None:
        return None
    return datetime.fromtimestamp(us / 1_000_000, UTC).isoformat().replace("+00:00", "Z")


def follower_status(log: ActivityLog, follower: Follower) -> FollowerStatus:
    following = Following(log)
    heads = following.heads(follower)
    cursors = following.cursors.load(follower.name)
    now = now_us()
    positions = []
    for workspace, head in sorted(heads.items()):
        cursor = (cursors or {}).get(workspace)
        seq = cursor.seq if cursor is not None else (head if follower.start == "end" else 0)
        if cursors is not None and cursor is None:
            seq = 0  # a workspace created after the follower started
        delay = 0.0
        if seq < head:
            oldest = log.store.after(workspace, seq, 1)
            if oldest:
                occurred = to_micros(row_to_event(oldest[0])["occurred_at"])
                delay = max(0.0, (now - occurred) / 1_000_000)
        positions.append(
            WorkspacePosition(
                workspace,
                seq,
                head,
                max(head - seq, 0),
                delay,
                cursor.last_error if cursor else None,
                _iso(cursor.error_us) if cursor else None,
                _iso(cursor.retry_us) if cursor else None,
            )
        )
    return FollowerStatus(follower.name, cursors is not None, tuple(positions))


def status(log: ActivityLog, followers: list[Follower] | None = None) -> list[FollowerStatus]:
    """Every registered follower's status (or those given)."""
    from activitylog.followers.registry import registered

    return [follower_status(log, f) for f in (registered(log) if followers is None else followers)]
