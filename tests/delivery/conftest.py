from __future__ import annotations

import datetime as dt

import pytest

from ._support import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def live_clock() -> Clock:
    """From the real time (to the second): receivers check signatures' timestamps."""
    return Clock(dt.datetime.now(dt.UTC).replace(microsecond=0))
