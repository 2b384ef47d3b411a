"""Shared by the benchmarks: timing, results as JSON lines, the machine they ran on."""

from __future__ import annotations

import cProfile
import json
import os
import platform
import pstats
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }


def median_ms(
    fn: Callable[[], object], repeat: int = 7, warmup: int = 1
) -> tuple[float, list[float]]:
    """Median wall time of ``fn`` in milliseconds over ``repeat`` runs after warm-up."""
    for _ in range(warmup):
        fn()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), runs


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(result: dict[str, Any], name: str) -> None:
    """Print a result and append it to ``bench/results/<name>.jsonl``."""
    result = {**result, "machine": machine(), "argv": sys.argv}
    line = json.dumps(result)
    print(line)
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / f"{name}.jsonl", "a") as out:
        out.write(line + "\n")


def pin_one_core() -> None:
    """Run on one core, as the targets are stated per core."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def timed(work: Callable[[], Any], *, profile: bool = False) -> tuple[Any, float, float]:
    """``work()``'s result, and the CPU and wall seconds it took; with ``profile``, where
    its time went (cProfile, by own time then by cumulative time) on stderr."""
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if profiler is not None:
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(40)
    return result, cpu, wall
