"""Every stream follower a test made is closed after it (its connection with it), so no
socket is left for the garbage collector to warn about during a later test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from activitylog.streams import service


@pytest.fixture(autouse=True)
def _close_stream_followers() -> Iterator[None]:
    yield
    with service._FOLLOWERS_LOCK:
        for followers in list(service._FOLLOWERS.values()):
            for follower in followers.values():
                follower.close()
