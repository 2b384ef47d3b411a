"""Followers: read the log in order after commit, with a durable cursor (alerts, streams,
deliveries run on them)."""

from activitylog.followers.core import BATCH, Batch, Follower, Following, StepResult
from activitylog.followers.process import FollowerProcess, follow_until_stopped
from activitylog.followers.runner import FollowerRunner
from activitylog.followers.status import FollowerStatus, WorkspacePosition, status

__all__ = [
    "BATCH",
    "Batch",
    "Follower",
    "FollowerProcess",
    "FollowerRunner",
    "FollowerStatus",
    "Following",
    "StepResult",
    "WorkspacePosition",
    "follow_until_stopped",
    "status",
]
