"""Every follower the package runs, gathered from the features that define them.

Each source is ``"module:function"``, the function taking the log and returning its
followers now (streams come and go while ``serve`` runs, so this is asked again often);
modules are imported only when followers are wanted.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from activitylog.client import ActivityLog
    from activitylog.followers.core import Follower

SOURCES: tuple[str, ...] = (
    "activitylog.streams:stream_followers",
    "activitylog.alerts.follower:alert_followers",
    "activitylog.delivery:delivery_followers",
)


def registered(log: ActivityLog, sources: tuple[str, ...] | None = None) -> list[Follower]:
    """The followers of every source (default :data:`SOURCES`), in the sources' order."""
    found: list[Follower] = []
    for source in SOURCES if sources is None else sources:
        module, _, function = source.partition(":")
        found.extend(getattr(import_module(module), function)(log))
    return found
