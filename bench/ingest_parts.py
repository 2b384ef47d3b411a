"""Where ingest time goes, and whether more writers help.

``parts``: per-event cost of each step of the ingest path (JSON parse, validation and
enrichment in one pass, the store's append; and validation alone, as the remote SDK runs
it), then what the indexer spends on the same entries afterwards (their copies, search
index and counts), in a process of its own on one core. What a process pays once,
whatever it ingests (reading the IP location data and the user-agent rules), is paid
before the clock starts and reported apart as ``warmup_ms``::

    python bench/ingest_parts.py parts --events 20000

``prepare``: validation and enrichment alone (``prepare_batch``) over the same events, for
instruction counts that do not depend on what else the machine runs::

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        python bench/ingest_parts.py prepare --events 2000 --rounds 1   # minus --rounds 0

``writers``: the same batches of 500 recorded into one new SQLite database by 1, 2 and 4
threads of one process, then by 1 and 2 processes (each with its own log object)::

    python bench/ingest_parts.py writers --events 40000
"""

from __future__ import annotations

import argparse
import multiprocessing
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path

import orjson

from activitylog import ActivityLog
from activitylog.demo.seed import generate_events
from activitylog.device import parse_device
from activitylog.enrich import prepare_batch
from activitylog.events import validate_batch
from activitylog.geo import locate
from activitylog.settings import Settings
from common import emit, pin_one_core

BATCH = 500


def _encoded(events: int) -> list[bytes]:
    source = generate_events(events, seed=11)
    return [orjson.dumps(batch) for batch in iter(lambda: list(islice(source, BATCH)), [])]


def _open(root: Path) -> ActivityLog:
    db = f"sqlite:///{root / 'ingest.db'}"
    settings = Settings(db=db, signing_key=root / "key.pem", secret_key=root / "secret")
    return ActivityLog(db, settings=settings)


def _warm_up() -> float:
    """Load the IP location data and the user-agent rules (once per process), with a
    public address and a user agent the seed data does not hold; milliseconds taken."""
    start = time.perf_counter()
    locate("9.9.9.9")  # only a public address is looked up in the data
    parse_device("bench-warm-up/1.0")
    return (time.perf_counter() - start) * 1000


def measure(args: argparse.Namespace) -> None:
    pin_one_core()
    batches = _encoded(args.events)
    with _open(Path(tempfile.mkdtemp(prefix="al-parts-"))) as log:
        warmup_ms = _warm_up()
        spent = dict.fromkeys(("parse", "validate_enrich", "append", "validate"), 0.0)
        for body in batches:
            t0 = time.perf_counter()
            raws = orjson.loads(body)
            t1 = time.perf_counter()
            prepared = prepare_batch(raws, log.catalog)
            t2 = time.perf_counter()
            log.store.append_batch(prepared)
            t3 = time.perf_counter()
            validate_batch(raws)  # validation alone, as the remote SDK runs it
            t4 = time.perf_counter()
            for step, took in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                spent[step] += took
        start = time.perf_counter()
        log.store.settle()
        spent["index"] = time.perf_counter() - start
    per_event = {step: round(took / args.events * 1e6, 1) for step, took in spent.items()}
    emit(
        {"scenario": "ingest_parts", "events": args.events}
        | {f"{step}_us": us for step, us in per_event.items()}
        | {"warmup_ms": round(warmup_ms)},
        "ingest_parts",
    )


def parts(args: argparse.Namespace) -> None:
    command = [sys.executable, __file__, "measure", "--events", str(args.events)]
    subprocess.run(command, check=True)


def _record(log: ActivityLog, work: Iterator[bytes], lock: threading.Lock) -> None:
    while True:
        with lock:
            body = next(work, None)
        if body is None:
            return
        log.record_many(orjson.loads(body))


def _process(root: str, batches: list[bytes]) -> None:
    with _open(Path(root)) as log:
        _record(log, iter(batches), threading.Lock())


def writers(args: argparse.Namespace) -> None:
    batches = _encoded(args.events)
    for threads in (1, 2, 4):
        with _open(Path(tempfile.mkdtemp(prefix="al-writers-"))) as log:
            work, lock = iter(batches), threading.Lock()
            pool = [
                threading.Thread(target=_record, args=(log, work, lock)) for _ in range(threads)
            ]
            _emit_writers("threads", pool, args.events)
    for processes in (1, 2):
        root = Path(tempfile.mkdtemp(prefix="al-writers-"))
        _open(root).close()  # schema and migrations first, once
        context = multiprocessing.get_context("fork")
        pool = [
            context.Process(target=_process, args=(str(root), batches[i::processes]))
            for i in range(processes)
        ]
        _emit_writers("processes", pool, args.events)


def _emit_writers(
    kind: str, pool: Sequence[threading.Thread | multiprocessing.process.BaseProcess], events: int
) -> None:
    """Run the writers together and emit their combined rate."""
    start = time.perf_counter()
    for worker in pool:
        worker.start()
    for worker in pool:
        worker.join()
    emit(
        {
            "scenario": "ingest_writers",
            "writers": f"{len(pool)} {kind}",
            "events": events,
            "events_per_s": round(events / (time.perf_counter() - start)),
        },
        "ingest_parts",
    )


def prepare_only(args: argparse.Namespace) -> None:
    """Validation and enrichment alone, ``--rounds`` times over the same events: a
    workload to count instructions of (run it with 0 and 1 rounds under callgrind; the
    difference is the rounds' own), or to time."""
    raws = orjson.loads(b"[" + b",".join(e[1:-1] for e in _encoded(args.events)) + b"]")
    prepare_batch(raws[:BATCH])  # imports, the catalog, first lookups
    start = time.process_time()
    for _ in range(args.rounds):
        for i in range(0, len(raws), BATCH):
            prepare_batch(raws[i : i + BATCH])
    if args.rounds:
        spent = (time.process_time() - start) / (args.rounds * len(raws)) * 1e6
        emit({"scenario": "prepare", "events": len(raws), "cpu_us": round(spent, 2)}, "ingest")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, default in (("parts", 20_000), ("writers", 40_000)):
        sub.add_parser(name).add_argument("--events", type=int, default=default)
    sub.add_parser("measure").add_argument("--events", type=int, default=20_000)
    prepare = sub.add_parser("prepare")
    prepare.add_argument("--events", type=int, default=2_000)
    prepare.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    commands = {"parts": parts, "writers": writers, "measure": measure, "prepare": prepare_only}
    commands[args.command](args)


if __name__ == "__main__":
    main()
