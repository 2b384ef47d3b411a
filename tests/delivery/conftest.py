from __future__ import annotations

import pytest

from ._support import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()
