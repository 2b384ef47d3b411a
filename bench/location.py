"""What locating IPs costs: the data's load, a lookup uncached and cached, and enrichment per
seed event with and without the location (interleaved in one process, so machine noise
hits both alike)::

    python bench/location.py --events 20000
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from activitylog import enrich
from activitylog.demo.seed import generate_events
from activitylog.events import validate_batch
from activitylog.geo import _located, locate
from common import emit, pin_one_core

ROUNDS = 7


def _per_event_us(contents: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    for content in contents:
        enrich.prepare(content)
    return (time.perf_counter() - start) / len(contents) * 1e6


def _lookups_us(lookup: Callable[[str], object], ips: list[str], repeat: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        for ip in ips:
            lookup(ip)
    return (time.perf_counter() - start) / (len(ips) * repeat) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    args = parser.parse_args()
    pin_one_core()
    contents = validate_batch(list(generate_events(args.events, seed=11)))
    ips = sorted({c["ip"] for c in contents if c.get("ip")})
    start = time.perf_counter()
    locate(ips[0])  # reads the data
    load_s = time.perf_counter() - start
    _located.cache_clear()
    uncached = _lookups_us(locate, ips)
    cached = _lookups_us(locate, ips, repeat=100)
    real = enrich.locate
    with_location, without = [], []
    try:
        for _ in range(ROUNDS):
            enrich.locate = real
            with_location.append(_per_event_us(contents))
            enrich.locate = lambda ip: None  # as before locations were kept
            without.append(_per_event_us(contents))
    finally:
        enrich.locate = real
    emit(
        {
            "scenario": "location",
            "events": len(contents),
            "distinct_ips": len(ips),
            "data_load_s": round(load_s, 3),
            "lookup_uncached_us": round(uncached, 2),
            "lookup_cached_us": round(cached, 3),
            "enrich_us": round(statistics.median(with_location), 2),
            "enrich_without_location_us": round(statistics.median(without), 2),
        },
        "location",
    )


if __name__ == "__main__":
    main()
