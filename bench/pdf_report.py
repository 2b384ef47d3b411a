"""PDF report of N entries: wall time and peak memory of one report, in its own process.

    python bench/pdf_report.py --entries 10000

Seeds a temporary SQLite log with N deterministic demo events of one workspace (10 days),
then builds the report of all of them in a fresh process (importing the library included)
and records its wall time and peak RSS. Target: 10,000 entries in at most 15 s and 300 MB.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import emit, max_rss_mb

DAYS = 10


def seed(url: str, key: Path, entries: int) -> None:
    from activitylog import ActivityLog
    from activitylog.demo.seed import generate_events
    from activitylog.settings import Settings

    generated = generate_events(entries * 4, seed=7, days=DAYS)
    events = [e for e in generated if e["workspace"] == "acme"]
    with ActivityLog(url, settings=Settings(signing_key=key)) as log:
        for start in range(0, entries, 1000):
            log.record_many(events[start : min(start + 1000, entries)])


def report(url: str, key: Path) -> None:
    started = time.perf_counter()
    from activitylog import ActivityLog
    from activitylog.reports import ReportRequest, write_report
    from activitylog.selection import Selection
    from activitylog.settings import Settings

    with ActivityLog(url, settings=Settings(signing_key=key)) as log:
        out = io.BytesIO()
        selection = Selection(workspace="acme", range="last_30_days", tz="Europe/Berlin")
        rows = write_report(log, ReportRequest(selection, generated_by="bench"), out)
    seconds = time.perf_counter() - started
    cpu = time.process_time()
    print(f"{rows} {seconds:.3f} {cpu:.3f} {max_rss_mb():.1f} {len(out.getvalue())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--report-only", nargs=2, metavar=("URL", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.report_only:
        report(args.report_only[0], Path(args.report_only[1]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        url, key = f"sqlite:///{tmp}/bench.db", Path(tmp) / "key.pem"
        seed(url, key, args.entries)
        child = subprocess.run(
            [sys.executable, __file__, "--report-only", url, str(key)],
            capture_output=True,
            text=True,
            check=True,
        )
    rows, seconds, cpu, rss, size = child.stdout.split()
    emit(
        {
            "scenario": "pdf_report",
            "entries": int(rows),
            "seconds": float(seconds),
            "cpu_seconds": float(cpu),
            "peak_rss_mb": float(rss),
            "pdf_bytes": int(size),
        },
        "pdf_report",
    )


if __name__ == "__main__":
    main()
