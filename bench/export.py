"""Export throughput on a SQLite database of N entries (default 200,000): rows per second
per core for NDJSON, JSON and CSV, and the memory it takes.

The database is the one ``bench/verify.py`` builds (seed events recorded through
``record_many`` in batches of 1,000, ``bench/data/verify-<N>-<stamp>.db``, reused while the
modules that decide what is stored are unchanged). Each scenario runs in its own process,
pinned to one core, ``--runs`` times, interleaved (medians reported); every workspace is
exported whole, in time order, to ``/dev/null``:

- ``ndjson``, ``json``, ``csv``: the entries as stored (``store.iter_rows``) through
  ``exports.Encoder``, which splices the stored bodies;
- ``ndjson_events``, ``json_events``, ``csv_events``: the same from the events decoded
  (``store.iter_events``, the dicts ``ActivityLog.export`` yields);
- ``read_rows``: a floor: the rows read and nothing done with them.

The figure is rows per CPU second of the process (one core); wall time and memory beside
it: the process's anonymous memory (``RssAnon``: the heap, not the database file SQLite
maps) before the export and its peak during it, sampled as parts are written (flat memory
keeps them close); ``max_rss_mb`` counts the mapped file's pages too::

    python bench/export.py
    python bench/export.py --events 200000 --runs 5 --scenarios ndjson,csv
    python bench/export.py --profile csv   # where one scenario's time goes
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from activitylog import ActivityLog, Selection
from activitylog.settings import Settings
from common import emit, max_rss_mb, pin_one_core, timed
from verify import KEY, database

SCENARIOS = (
    "ndjson",
    "json",
    "csv",
    "ndjson_events",
    "json_events",
    "csv_events",
    "read_rows",
)


def _entries(log: ActivityLog, workspaces: list[str], stored: bool) -> Iterator[Any]:
    """Every entry of ``workspaces``, workspace by workspace, in time order."""
    for workspace in workspaces:
        visibility, filters = Selection(workspace=workspace).resolve(default_range=None)
        if stored:
            yield from log.store.iter_rows(visibility, filters, "time")
        else:
            yield from log.store.iter_events(visibility, filters, "time")


def anon_mb() -> float:
    """The process's anonymous resident memory now (Linux; 0 elsewhere)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("RssAnon:")), "RssAnon: 0 kB")
    return int(line.split()[1]) / 1024


def _work(
    log: ActivityLog, workspaces: list[str], name: str, peak: list[float]
) -> Callable[[], int]:
    if name == "read_rows":
        return lambda: sum(1 for _ in _entries(log, workspaces, stored=True))
    from activitylog.exports import Encoder

    fmt, _, source = name.partition("_")

    def export() -> int:
        encoder = Encoder(fmt, _entries(log, workspaces, stored=not source))
        with open(os.devnull, "wb") as sink:
            write = sink.write
            for i, part in enumerate(encoder):
                write(part)
                if not i % 64:
                    peak[0] = max(peak[0], anon_mb())
        return encoder.rows

    return export


def run_scenario(name: str, path: Path, profile: bool = False) -> dict[str, Any]:
    pin_one_core()
    url = f"sqlite:///{path}"
    with ActivityLog(url, settings=Settings(db=url, signing_key=KEY)) as log:
        peak = [0.0]
        work = _work(log, log.store.all_workspaces(), name, peak)
        anon_before = anon_mb()
        rows, cpu, wall = timed(work, profile=profile)
    return {
        "scenario": f"export_{name}",
        "db": "sqlite",
        "rows": rows,
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "rows_per_cpu_s": round(rows / cpu),
        "rows_per_wall_s": round(rows / wall),
        "anon_mb_before": round(anon_before),
        "anon_mb_peak": round(max(peak[0], anon_mb())),
        "max_rss_mb": round(max_rss_mb()),
    }


def run_all(args: argparse.Namespace) -> None:
    path = args.db_file or database(args.events)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in args.scenarios}
    for run in range(args.runs):
        for name in args.scenarios:
            command = [sys.executable, __file__, "--scenario", name, "--db-file", str(path)]
            out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            results[name].append(result)
            print(
                f"run {run + 1}/{args.runs} {name}: {result['rows_per_cpu_s']:,} rows per CPU s,"
                f" {result['wall_s']} s wall",
                file=sys.stderr,
            )
    table = [
        "| scenario | rows | rows/s per core (CPU) | rows/s (wall) | heap MB before / peak |",
        "|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        summary = {
            "scenario": f"export_{name}_summary",
            "db": "sqlite",
            "rows": runs[0]["rows"],
            "runs": len(runs),
            "rows_per_cpu_s": round(_median(runs, "rows_per_cpu_s")),
            "rows_per_wall_s": round(_median(runs, "rows_per_wall_s")),
            "all_rows_per_cpu_s": [r["rows_per_cpu_s"] for r in runs],
            "anon_mb_before": _median(runs, "anon_mb_before"),
            "anon_mb_peak": _median(runs, "anon_mb_peak"),
            "max_rss_mb": _median(runs, "max_rss_mb"),
        }
        emit(summary, "export")
        table.append(
            f"| {name} | {summary['rows']:,} | {summary['rows_per_cpu_s']:,} "
            f"| {summary['rows_per_wall_s']:,} "
            f"| {summary['anon_mb_before']} / {summary['anon_mb_peak']} |"
        )
    print("\n".join(table))


def _median(runs: Iterable[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), type=lambda s: tuple(s.split(","))
    )
    parser.add_argument("--scenario", choices=SCENARIOS, help="run one scenario (one process)")
    parser.add_argument("--profile", choices=SCENARIOS, help="one scenario under cProfile")
    parser.add_argument("--db-file", type=Path, help="a database to use instead of building one")
    args = parser.parse_args()
    if args.profile:
        path = args.db_file or database(args.events)
        print(json.dumps(run_scenario(args.profile, path, profile=True)))
    elif args.scenario:
        emit(run_scenario(args.scenario, args.db_file or database(args.events)), "export")
    else:
        run_all(args)


if __name__ == "__main__":
    main()
