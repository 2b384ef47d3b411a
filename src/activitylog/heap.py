"""A long-running process's heap after start-up, kept out of the garbage collector's walks.

A full collection walks every object alive; after start-up that is mostly what never dies
(the location tables, the user-agent rules, the app, the catalog). Walking it made full
collections a large share of ingest's time per event (docs/BENCHMARKS.md). ``serve`` and
``follow`` load what ingest loads on first use, then freeze what is alive, as gunicorn's
and Instagram's workers do. Not for a library in someone else's process: freezing is
process-wide.
"""

from __future__ import annotations

import gc

from activitylog.device import parse_device
from activitylog.geo import country_names


def settle_heap() -> None:
    """Load the location data and user-agent rules, collect once, and freeze the rest."""
    country_names()
    parse_device("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0")
    gc.collect()
    gc.freeze()
