"""The CPU cost of signing every append: each append transaction signs a checkpoint note of
every head it moved (A, as shipped) against signing only when a checkpoint is kept (B, the
policy before: every ``checkpoint_every`` entries, every ``checkpoint_seconds``, on demand).

One-event appends (``log.record(...)``) and batches of 1,000 (``log.record_many``) of seed
events, at durability ``full`` and ``normal`` on SQLite and on PostgreSQL (one setting: the
server's own), each scenario in its own process pinned to one core, A and B alternating
for several rounds in one run. The figure is process CPU time (``time.process_time``) per
event: the median over the calls of a process, then the median over rounds; the overhead
is A / B - 1. The CPU time spent inside ``Sealer.seal`` is added up in both too: the
signing counted directly, free of the noise between processes::

    python bench/append_signing.py --rounds 5
    python bench/append_signing.py --pg ""   # SQLite only

PostgreSQL runs in a throwaway database per process (created and dropped on the server
``--pg`` names); only this process's CPU is counted, which is where signing happens.
``--profile`` runs one scenario under cProfile and prints where its time goes::

    python bench/append_signing.py --profile sqlite:full:one:A
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from activitylog import ActivityLog
from activitylog.demo.seed import generate_events
from activitylog.sealing import Head, Sealer
from activitylog.settings import Settings
from common import emit, pin_one_core

PG = "postgresql://postgres@127.0.0.1:5432/postgres"
#: (engine, durability): PostgreSQL ignores ``durability``.
SETUPS = (("sqlite", "full"), ("sqlite", "normal"), ("postgresql", "server"))
MODES = ("one", "batch")
VARIANTS = {"A": "every append signs its heads", "B": "signed only when a checkpoint is kept"}
BATCH = 1000
#: Calls made before measuring (the key is created, caches and connections warmed).
WARMUP = {"one": 100, "batch": 3}


def sign_only_when_kept() -> None:
    """B: ``Sealer.seal`` as before every append was signed. Unless a checkpoint is due
    (kept during the append at its last entry, asked for, or due by time) the head keeps the
    note it had."""

    def seal(self: Sealer, head: Head, now: float, *, keep: bool = False) -> None:
        if head.kept and head.kept[-1].size == head.seq:
            head.note = head.kept[-1].note
        elif keep or now - head.checkpoint_at >= self.policy.seconds:
            self._keep(head, now)

    Sealer.seal = seal  # type: ignore[method-assign]


def instrument_sealing() -> dict[str, float]:
    """Count the notes signed and add up the CPU time spent in ``Sealer.seal`` (in A and
    B alike, so both pay the same small wrappers)."""
    spent = {"notes_signed": 0, "seal_cpu_s": 0.0}
    sign, seal, process_time = Sealer._sign, Sealer.seal, time.process_time

    def counted(self: Sealer, head: Head) -> Any:
        spent["notes_signed"] += 1
        return sign(self, head)

    def timed(self: Sealer, head: Head, now: float, *, keep: bool = False) -> None:
        start = process_time()
        seal(self, head, now, keep=keep)
        spent["seal_cpu_s"] += process_time() - start

    Sealer._sign = counted  # type: ignore[method-assign]
    Sealer.seal = timed  # type: ignore[method-assign]
    return spent


@contextmanager
def database(engine: str, pg: str, root: Path) -> Iterator[str]:
    """A new, empty database for one process."""
    if engine == "sqlite":
        yield f"sqlite:///{root / 'sign.db'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"al_bench_sign_{root.name.rsplit('-', 1)[-1].lower()}"
    with psycopg.connect(pg, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(pg).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(pg, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_scenario(args: argparse.Namespace) -> dict[str, Any]:
    engine, durability, mode, variant = args.scenario.split(":")
    pin_one_core()
    if variant == "B":
        sign_only_when_kept()
    counter = instrument_sealing()
    size = args.one if mode == "one" else args.batches * BATCH
    warm = WARMUP[mode] * (1 if mode == "one" else BATCH)
    # the same seeded events in A and B
    events = list(generate_events(warm + size, seed=11))
    root = Path(tempfile.mkdtemp(prefix="al-sign-"))
    try:
        with database(engine, args.pg, root) as db:
            settings = Settings(
                db=db,
                signing_key=root / "key.pem",
                secret_key=root / "secret",
                durability=durability if engine == "sqlite" else "full",
            )
            with ActivityLog(db, settings=settings) as log:
                log.signing_key  # noqa: B018 - the key file is made before measuring, in A and B
                if mode == "one":
                    payloads: list[Any] = events
                    per_call, call = 1, lambda event: log.record(**event)
                else:
                    payloads = [events[i : i + BATCH] for i in range(0, len(events), BATCH)]
                    per_call, call = BATCH, log.record_many
                for payload in payloads[: WARMUP[mode]]:
                    call(payload)
                measured = payloads[WARMUP[mode] :]
                signed_before, seal_before = counter["notes_signed"], counter["seal_cpu_s"]
                profile = cProfile.Profile() if args.profile else None
                if profile is not None:
                    profile.enable()
                cpu, wall = _timed(call, measured)
                if profile is not None:
                    profile.disable()
                    stats = pstats.Stats(profile, stream=sys.stderr)
                    stats.sort_stats("tottime").print_stats(30)
                    stats.sort_stats("cumulative").print_stats(50)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    events_measured = len(measured) * per_call
    return {
        "scenario": "append_signing",
        "engine": engine,
        "durability": durability,
        "mode": mode,
        "variant": variant,
        "round": args.round,
        "commit": _commit(),
        "events": events_measured,
        "notes_signed": counter["notes_signed"] - signed_before,
        "seal_cpu_us_per_event": round(
            (counter["seal_cpu_s"] - seal_before) / events_measured * 1e6, 3
        ),
        "cpu_us_per_event_median": round(statistics.median(cpu) / per_call * 1e6, 2),
        "cpu_us_per_event_mean": round(sum(cpu) / events_measured * 1e6, 2),
        "wall_us_per_event_median": round(statistics.median(wall) / per_call * 1e6, 2),
        "wall_us_per_event_mean": round(sum(wall) / events_measured * 1e6, 2),
    }


def _commit() -> str:
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
    )
    return head.stdout.strip()


def _timed(call: Callable[[Any], object], payloads: list[Any]) -> tuple[list[float], list[float]]:
    """Process CPU seconds and wall seconds of each call."""
    cpu, wall = [], []
    process_time, perf_counter = time.process_time, time.perf_counter
    for payload in payloads:
        c, w = process_time(), perf_counter()
        call(payload)
        cpu.append(process_time() - c)
        wall.append(perf_counter() - w)
    return cpu, wall


def postgres_reachable(pg: str) -> str | None:
    """None when ``pg`` accepts connections, else why not."""
    if not pg:
        return "no --pg URL"
    try:
        import psycopg

        with psycopg.connect(pg, autocommit=True, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()
    return None


def run_all(args: argparse.Namespace) -> None:
    setups = [s for s in SETUPS if s[0] in args.engines]
    skipped = postgres_reachable(args.pg) if "postgresql" in args.engines else None
    if skipped is not None:
        print(f"PostgreSQL skipped: {skipped}", file=sys.stderr)
        emit(
            {"scenario": "append_signing_skipped", "engine": "postgresql", "why": skipped},
            "append_signing",
        )
        setups = [s for s in setups if s[0] != "postgresql"]
    results: dict[tuple[str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for round_ in range(args.rounds):
        # A first in even rounds, B first in odd ones: drift in the machine's load
        # falls on both.
        order = ("A", "B") if round_ % 2 == 0 else ("B", "A")
        for engine, durability in setups:
            for mode in MODES:
                for variant in order:
                    scenario = f"{engine}:{durability}:{mode}:{variant}"
                    command = [
                        sys.executable,
                        __file__,
                        "--scenario",
                        scenario,
                        "--round",
                        str(round_),
                        "--one",
                        str(args.one),
                        "--batches",
                        str(args.batches),
                        "--pg",
                        args.pg,
                    ]
                    out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
                    result = json.loads(out.stdout.strip().splitlines()[-1])
                    results[(engine, durability, mode, variant)].append(result)
                    print(
                        f"round {round_ + 1}/{args.rounds} {scenario}: "
                        f"{result['cpu_us_per_event_median']} µs CPU per event",
                        file=sys.stderr,
                    )
    table = [
        "| engine | durability | appends | A: µs CPU/event | B: µs CPU/event | A/B - 1 "
        "| each round's A/B - 1 | µs CPU/event in Sealer.seal, A / B (A - B over B) "
        "| notes signed per 1,000 events, A / B |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for engine, durability in setups:
        for mode in MODES:
            summary = _summary(engine, durability, mode, results, args.rounds)
            emit(summary, "append_signing")
            paired = ", ".join(f"{r:+.1%}" for r in summary["paired_overheads"])
            table.append(
                f"| {engine} | {durability} | {_mode_text(mode)} "
                f"| {summary['A_cpu_us_per_event']} | {summary['B_cpu_us_per_event']} "
                f"| {summary['overhead']:+.1%} | {paired} "
                f"| {summary['A_seal_cpu_us_per_event']} / {summary['B_seal_cpu_us_per_event']} "
                f"({summary['seal_overhead']:+.2%}) "
                f"| {summary['A_notes_per_1000']} / {summary['B_notes_per_1000']} |"
            )
    print("\n".join(table))


def _mode_text(mode: str) -> str:
    return "one event per call" if mode == "one" else f"batches of {BATCH:,}"


def _summary(
    engine: str,
    durability: str,
    mode: str,
    results: dict[tuple[str, str, str, str], list[dict[str, Any]]],
    rounds: int,
) -> dict[str, Any]:
    a, b = results[(engine, durability, mode, "A")], results[(engine, durability, mode, "B")]
    a_median = statistics.median(r["cpu_us_per_event_median"] for r in a)
    b_median = statistics.median(r["cpu_us_per_event_median"] for r in b)
    paired = [
        x["cpu_us_per_event_median"] / y["cpu_us_per_event_median"] - 1
        for x, y in zip(a, b, strict=True)
    ]
    return {
        "scenario": "append_signing_summary",
        "engine": engine,
        "durability": durability,
        "mode": mode,
        "rounds": rounds,
        "A_cpu_us_per_event": round(a_median, 1),
        "B_cpu_us_per_event": round(b_median, 1),
        "overhead": round(a_median / b_median - 1, 4),
        "paired_overheads": [round(p, 4) for p in paired],
        "A_cpu_us_per_event_mean": _median(a, "cpu_us_per_event_mean"),
        "B_cpu_us_per_event_mean": _median(b, "cpu_us_per_event_mean"),
        "A_wall_us_per_event": _median(a, "wall_us_per_event_median"),
        "B_wall_us_per_event": _median(b, "wall_us_per_event_median"),
        "A_seal_cpu_us_per_event": _median(a, "seal_cpu_us_per_event", 2),
        "B_seal_cpu_us_per_event": _median(b, "seal_cpu_us_per_event", 2),
        # the same overhead counted directly: the extra time in seal over B's whole append
        "seal_overhead": round(
            (_median(a, "seal_cpu_us_per_event", 3) - _median(b, "seal_cpu_us_per_event", 3))
            / _median(b, "cpu_us_per_event_mean", 3),
            4,
        ),
        "A_notes_per_1000": round(a[0]["notes_signed"] / a[0]["events"] * 1000, 1),
        "B_notes_per_1000": round(b[0]["notes_signed"] / b[0]["events"] * 1000, 1),
    }


def _median(results: list[dict[str, Any]], key: str, digits: int = 1) -> float:
    return round(statistics.median(r[key] for r in results), digits)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--one", type=int, default=3000, help="one-event appends per process")
    parser.add_argument("--batches", type=int, default=50, help="batches of 1,000 per process")
    parser.add_argument("--pg", default=PG, help='PostgreSQL server URL ("" to skip)')
    parser.add_argument(
        "--engines", default="sqlite,postgresql", type=lambda s: tuple(s.split(","))
    )
    parser.add_argument("--scenario", help="engine:durability:mode:variant (one process)")
    parser.add_argument("--profile", metavar="SCENARIO", help="one scenario under cProfile")
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        args.scenario = args.profile
        print(json.dumps(run_scenario(args)))
    elif args.scenario:
        emit(run_scenario(args), "append_signing")
    else:
        run_all(args)


if __name__ == "__main__":
    main()
