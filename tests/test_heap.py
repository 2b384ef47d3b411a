"""A long-running process's start-up heap is frozen out of the collector's walks."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import gc
from activitylog.heap import settle_heap
before = gc.get_freeze_count()
settle_heap()
from activitylog import geo
print(before, gc.get_freeze_count(), int(geo._reader is not None))
"""


def test_settling_loads_the_location_data_and_freezes_what_is_alive() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    ).stdout
    before, after, loaded = (int(n) for n in out.split())
    assert before == 0
    assert after > 10_000  # the modules, the app start-up, the user-agent rules
    assert loaded == 1
