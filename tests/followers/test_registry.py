from __future__ import annotations

from activitylog.client import ActivityLog
from activitylog.followers.registry import registered

from ._support import Recorder


def two_recorders(_log: ActivityLog) -> list[Recorder]:
    return [Recorder(name="a"), Recorder(name="b")]


def test_sources_are_imported_by_name_and_asked_for_their_followers(log: ActivityLog) -> None:
    found = registered(log, (f"{__name__}:two_recorders",))
    assert [f.name for f in found] == ["a", "b"]


def test_every_registered_follower_has_a_unique_name(log: ActivityLog) -> None:
    names = [f.name for f in registered(log)]
    assert len(names) == len(set(names))
