"""Followers: read the log in order after commit, with a durable cursor (alerts, streams,
deliveries run on them)."""

from activitylog.followers.core import BATCH, Batch, Follower, Following, StepResult
from activitylog.followers.runner import FollowerRunner
from activitylog.followers.status import FollowerStatus, WorkspacePosition, status

__all__ = [
    "BATCH",
    "Batch",
    "Follower",
    "FollowerRunner",
    "FollowerStatus",
    "Following",
    "StepResult",
    "WorkspacePosition",
    "status",
]
