"""Verify throughput on a SQLite database of N entries (default 1,000,000), and its parts.

The database is built once through the real ingest path (``bench/build.py``: seed events,
batches of 1,000) into ``bench/data/verify-<N>-<stamp>.db`` and reused while the modules
that decide what is stored and signed are unchanged (``stamp`` hashes them). Then each
scenario runs in its own process, pinned to one core, ``--runs`` times (medians reported):

- ``verify``: ``ActivityLog.verify()``, everything it checks;
- ``integrity``: the log alone, ``verify(copies=False)``: signatures, hashes, chain,
  Merkle tree, head, cadence, deletions;
- ``chain``: the per-entry loop as ``verify`` runs it (``WorkspaceCheck`` over each
  workspace's snapshot, every stored content and chain hash compared too), without the
  copies;
- ``copies``: the copies check of every workspace alone, ``store.derived_breaks(w)``
  (filter columns, the search index's size of each row, rollup counts);
- ``search_index``: the search index as a whole, ``store.search_index_breaks()`` (on
  SQLite, FTS5's own ``integrity-check``), which ``verify`` runs once after the workspaces;
- ``read_entries``: a floor: the rows ``verify`` reads, ``store.entries(conn, w)`` (on
  SQLite the sqlite3 cursor, in ``fetchmany`` chunks), iterated and nothing done with them;
- ``read_bodies``: the floor of ``integrity``, which leaves the stored hashes unread
  (``store.entries(conn, w, hashes=False)``);
- ``parts``: where ``integrity``'s time per entry goes, each step timed on its own over
  the same rows, a chunk of 4,096 at a time: the rows read (``seq, body`` through the
  sqlite3 cursor), their bodies decoded (``BodyCodec.readable_many``), the leaf hashes
  (``merkle.leaf_hashes``), the tree (``merkle.Frontier.extend``); reported as
  microseconds per entry beside the 3.3 a core has per entry at 300,000 entries/s.

Where the copies are checked, the CPU time spent inside the copies check's SQL calls (its
keyset pages of rows, the rollup counts, FTS5's check: ``store.derived._driver_rows``) is
reported too (``copies_sql_cpu_s``): what SQLite spends of it.

The figure is entries per CPU second of the process (one core); wall time beside it::

    python bench/verify.py
    python bench/verify.py --events 200000 --runs 5
    python bench/verify.py --profile integrity   # where one scenario's time goes
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from activitylog import ActivityLog
from activitylog.merkle import Frontier, leaf_hashes
from activitylog.settings import Settings
from activitylog.store import SQLStore
from activitylog.store.bodies import BodyCodec
from activitylog.store.dictionaries import stored_dictionaries
from activitylog.workspace_check import WorkspaceCheck
from common import emit, max_rss_mb, pin_one_core, timed

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
KEY = DATA / "bench-key.pem"
SCENARIOS = (
    "verify",
    "integrity",
    "chain",
    "copies",
    "search_index",
    "read_entries",
    "read_bodies",
    "parts",
)
#: What decides the bytes stored and signed: a database built before any of them changed
#: is built again.
STAMPED = (
    "events.py",
    "enrich.py",
    "merkle.py",
    "notes.py",
    "sealing.py",
    "store/bodies.py",
    "store/schema.py",
    "store/migrations/versions",
)
#: The modules verify runs (their hashes go with each result).
VERIFYING = (
    "verification.py",
    "chain.py",
    "workspace_check.py",
    "merkle.py",
    "store/ledger.py",
    "store/derived.py",
    "store/copies.py",
)


def code_stamp() -> dict[str, str]:
    """The commit, and a hash of each module that verifies (some may be uncommitted)."""
    package = ROOT / "src" / "activitylog"
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    stamps = {"commit": head.stdout.strip()}
    for name in VERIFYING:
        path = package / name
        if path.exists():
            stamps[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    return stamps


def stamp() -> str:
    package = ROOT / "src" / "activitylog"
    digest = hashlib.sha256()
    for name in STAMPED:
        path = package / name
        for file in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:10]


def database(events: int) -> Path:
    """The database of ``events`` entries for this code, built when missing."""
    path = DATA / f"verify-{events}-{stamp()}.db"
    done = path.with_name(path.name + ".built")
    if done.exists():
        return path
    for stale in DATA.glob(f"verify-{events}-*.db*"):  # older builds of this size
        stale.unlink()
    print(f"building {path.relative_to(ROOT)} ({events:,} events)", file=sys.stderr)
    start = time.perf_counter()
    build = [sys.executable, "bench/build.py", "--db", f"sqlite:///{path}", "--events", str(events)]
    subprocess.run(build, check=True, cwd=ROOT)
    done.write_text(f"{time.perf_counter() - start:.0f} s\n")
    return path


def _open(path: Path) -> ActivityLog:
    url = f"sqlite:///{path}"
    return ActivityLog(url, settings=Settings(db=url, signing_key=KEY))


def run_scenario(name: str, path: Path, profile: bool = False) -> dict[str, Any]:
    pin_one_core()
    sql_cpu = _time_copies_sql() if name in ("verify", "copies", "search_index") else None
    with _open(path) as log:
        store = log.store
        workspaces = store.all_workspaces()
        entries = _count(store, workspaces)
        work = _scenarios(log, workspaces)[name]
        outcome, cpu, wall = timed(work, profile=profile)
    return {
        "scenario": f"verify_{name}",
        "db": "sqlite",
        "entries": entries,
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "entries_per_cpu_s": round(entries / cpu),
        "entries_per_wall_s": round(entries / wall),
        "max_rss_mb": round(max_rss_mb()),
        "code": code_stamp(),
        **({"copies_sql_cpu_s": round(sql_cpu[0], 3)} if sql_cpu else {}),
        **outcome,
    }


def _time_copies_sql() -> list[float] | None:
    """Add up the CPU time spent in the copies check's SQL calls (None when the store
    no longer runs them through ``_driver_rows``)."""
    from activitylog.store import derived

    run = getattr(derived, "_driver_rows", None)
    if run is None:
        return None
    spent = [0.0]

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return run(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - start

    derived._driver_rows = timed
    return spent


def _count(store: SQLStore, workspaces: list[str]) -> int:
    with store.engine.connect() as conn:
        driver = conn.connection.driver_connection
        return sum(
            driver.execute(f"SELECT count(*) FROM {table} WHERE workspace = ?", (w,)).fetchone()[0]
            for table in ("entries", "tombstones")
            for w in workspaces
        )


def _scenarios(log: ActivityLog, workspaces: list[str]) -> dict[str, Callable[[], dict[str, Any]]]:
    store = log.store

    def verify(copies: bool = True) -> dict[str, Any]:
        report = log.verify(copies=copies)
        return {
            "verified_entries": report.entries,
            "ok": report.ok,
            "breaks": [str(b) for b in report.breaks[:5]],
        }

    def chain() -> dict[str, Any]:
        ring, every = log.key_ring(), log.settings.checkpoint_every
        reports = []
        for workspace in workspaces:
            check = WorkspaceCheck(workspace, ring, every=every)
            with store.snapshot(workspace) as view:
                check.add_stored(view.kept)
                check.set_head(view.head)
                if view.start is not None:
                    check.start_after(view.start)
                check.run(view.rows)
            reports.append(check.report)
        breaks = [str(b) for r in reports for b in r.breaks]
        return {
            "verified_entries": sum(r.entries for r in reports),
            "ok": not breaks,
            "breaks": breaks[:5],
        }

    def copies() -> dict[str, Any]:
        found = [b for w in workspaces for b in store.derived_breaks(w)]
        return {"ok": not found, "breaks": [f"seq {seq}: {detail}" for seq, detail in found[:5]]}

    def search_index() -> dict[str, Any]:
        found = list(store.search_index_breaks())
        return {"ok": not found, "breaks": found[:5]}

    def read_entries(hashes: bool = True) -> dict[str, Any]:
        rows = 0
        with store.engine.connect() as conn:
            for workspace in workspaces:
                stream = store.entries(conn, workspace, **({} if hashes else {"hashes": False}))
                try:
                    rows += sum(1 for _ in stream)
                finally:
                    stream.close()
        return {"rows": rows}

    def parts() -> dict[str, Any]:
        spent = dict.fromkeys(("read", "decode", "leaves", "tree"), 0.0)
        clock = time.process_time
        entries = 0
        with store.engine.connect() as conn:
            driver = conn.connection.driver_connection
            bodies = BodyCodec(stored_dictionaries(conn))
            for workspace in workspaces:
                cursor = driver.execute(
                    "SELECT seq, body FROM entries WHERE workspace = ? ORDER BY seq", (workspace,)
                )
                tree = Frontier()
                while True:
                    at = clock()
                    rows = cursor.fetchmany(4096)
                    spent["read"] += clock() - at
                    if not rows:
                        break
                    at = clock()
                    decoded = bodies.readable_many([row[1] for row in rows])
                    spent["decode"] += clock() - at
                    at = clock()
                    leaves = leaf_hashes(decoded)  # type: ignore[arg-type]
                    spent["leaves"] += clock() - at
                    at = clock()
                    tree.extend(leaves)
                    spent["tree"] += clock() - at
                    entries += len(rows)
        per_entry = {f"{step}_us": round(s * 1e6 / entries, 3) for step, s in spent.items()}
        return {**per_entry, "sum_us": round(sum(spent.values()) * 1e6 / entries, 3)}

    return {
        "verify": verify,
        "integrity": lambda: verify(copies=False),
        "chain": chain,
        "copies": copies,
        "search_index": search_index,
        "read_entries": read_entries,
        "read_bodies": lambda: read_entries(hashes=False),
        "parts": parts,
    }


def _warm(path: Path) -> None:
    """Read the database file once, so no run is the first from disk."""
    with open(path, "rb") as file:
        while file.read(1 << 24):
            pass


def run_all(args: argparse.Namespace) -> None:
    path = database(args.events)
    _warm(path)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in args.scenarios}
    for run in range(args.runs):
        for name in args.scenarios:
            command = [sys.executable, __file__, "--scenario", name, "--db-file", str(path)]
            out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            results[name].append(result)
            print(
                f"run {run + 1}/{args.runs} {name}: {result['entries_per_cpu_s']:,} entries "
                f"per CPU s, {result['wall_s']} s wall",
                file=sys.stderr,
            )
    table = [
        "| scenario | entries | entries/s per core (CPU) | entries/s (wall) | CPU s | wall s |"
        " of which copies SQL, CPU s |",
        "|---|---|---|---|---|---|---|",
    ]
    parts: list[str] = []
    for name, runs in results.items():
        summary: dict[str, Any] = {
            "scenario": f"verify_{name}_summary",
            "db": "sqlite",
            "entries": runs[0]["entries"],
            "runs": len(runs),
            "entries_per_cpu_s": round(statistics.median(r["entries_per_cpu_s"] for r in runs)),
            "entries_per_wall_s": round(statistics.median(r["entries_per_wall_s"] for r in runs)),
            "cpu_s": statistics.median(r["cpu_s"] for r in runs),
            "wall_s": statistics.median(r["wall_s"] for r in runs),
            "all_cpu_s": [r["cpu_s"] for r in runs],
            "ok": all(r.get("ok", True) for r in runs),
            "code": runs[0]["code"],
        }
        if "copies_sql_cpu_s" in runs[0]:
            summary["copies_sql_cpu_s"] = statistics.median(r["copies_sql_cpu_s"] for r in runs)
        steps = [key for key in runs[0] if key.endswith("_us")]  # the parts
        summary.update({key: statistics.median(r[key] for r in runs) for key in steps})
        emit(summary, "verify")
        if steps:
            parts.append(", ".join(f"{key[:-3]} {summary[key]} µs" for key in steps))
        table.append(
            f"| {name} | {summary['entries']:,} | {summary['entries_per_cpu_s']:,} "
            f"| {summary['entries_per_wall_s']:,} | {summary['cpu_s']} | {summary['wall_s']} "
            f"| {summary.get('copies_sql_cpu_s', '')} |"
        )
    print("\n".join(table))
    for line in parts:
        print(f"per entry: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), type=lambda s: tuple(s.split(","))
    )
    parser.add_argument("--scenario", choices=SCENARIOS, help="run one scenario (one process)")
    parser.add_argument("--profile", choices=SCENARIOS, help="one scenario under cProfile")
    parser.add_argument("--db-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        path = args.db_file or database(args.events)
        print(json.dumps(run_scenario(args.profile, path, profile=True)))
    elif args.scenario:
        emit(run_scenario(args.scenario, args.db_file or database(args.events)), "verify")
    else:
        run_all(args)


if __name__ == "__main__":
    main()
