"""Ingest throughput with every built-in alert rule on (the ``alerts`` follower running
in a process of its own, as ``activitylog follow`` runs it) against the same ingest with
no rules, side by side in one run; and how fast the follower evaluates on its own.

    python bench/alert_rules.py --events 100000 --repeat 3

Each round ingests the same ``--events`` seed entries (batches of 1,000) into a fresh
database three times, in turn: rules off, the default rules (``off_hours`` off), all
rules (``off_hours`` on too), each ingester in its own process; with rules, how long the
follower took to catch up after the last batch. ``evaluate``: the follower alone over a
log already written, all rules on (entries/s). Results: medians, as JSON lines in
bench/results/alert_rules.jsonl.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from activitylog import ActivityLog
from activitylog.alerts import Alerts
from activitylog.alerts.follower import AlertFollower
from activitylog.demo.seed import generate_events
from activitylog.followers import FollowerRunner, Following
from activitylog.settings import Settings
from common import emit

KEY = Path("bench/data/bench-key.pem")


def _settings(db: str) -> Settings:
    return Settings(db=db, signing_key=KEY)


MODES = ("off", "defaults", "all")


def _prepare(db: str, workspaces: list[str], mode: str) -> None:
    """The workspaces' rules (``off``: none; ``defaults``; ``all``: off_hours on too), and
    the follower started at the end."""
    with ActivityLog(db, settings=_settings(db)) as log:
        for workspace in workspaces:
            log.record(workspace=workspace, action="contact.created")
            service = Alerts(log)
            if mode == "all":
                service.set_rule(workspace, "off_hours", enabled=True)
            elif mode == "off":
                for state in service.rules(workspace):
                    service.set_rule(workspace, state.name, enabled=False)
        Following(log).catch_up([AlertFollower(log)])


def _ingest(db: str, events: list[dict[str, Any]], out: Any) -> None:
    with ActivityLog(db, settings=_settings(db)) as log:
        start = time.perf_counter()
        for i in range(0, len(events), 1000):
            log.record_many(events[i : i + 1000])
        out.send(len(events) / (time.perf_counter() - start))


def _follow(db: str, stop: Any, out: Any) -> None:
    with ActivityLog(db, settings=_settings(db)) as log:
        runner = FollowerRunner(log, lambda: [AlertFollower(log)], poll=0.05)
        runner.start()
        stop.wait()
        started = time.perf_counter()
        runner.stop()
        Following(log).catch_up([AlertFollower(log)])  # what is left when ingest ended
        out.send(time.perf_counter() - started)


def _round(events: list[dict[str, Any]], workspaces: list[str], mode: str) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory(dir="bench/data") as tmp:
        db = f"sqlite:///{tmp}/alerts.db"
        _prepare(db, workspaces, mode)
        rules = mode != "off"
        stop = ctx.Event()
        follow_out, follow_in = ctx.Pipe(duplex=False)
        follower = ctx.Process(target=_follow, args=(db, stop, follow_in)) if rules else None
        if follower is not None:
            follower.start()
        ingest_out, ingest_in = ctx.Pipe(duplex=False)
        ingester = ctx.Process(target=_ingest, args=(db, events, ingest_in))
        ingester.start()
        rate = float(ingest_out.recv())
        ingester.join()
        result = {"events_per_s": rate}
        if follower is not None:
            stop.set()
            result["catch_up_s"] = float(follow_out.recv())
            follower.join()
            with ActivityLog(db, settings=_settings(db)) as log:
                result["alerts"] = float(len(Alerts(log).list(limit=100_000)))
        return result


def _evaluate(events: list[dict[str, Any]], workspaces: list[str]) -> float:
    with tempfile.TemporaryDirectory(dir="bench/data") as tmp:
        db = f"sqlite:///{tmp}/alerts.db"
        _prepare(db, workspaces, "all")
        with ActivityLog(db, settings=_settings(db)) as log:
            for i in range(0, len(events), 1000):
                log.record_many(events[i : i + 1000])
            start = time.perf_counter()
            Following(log).catch_up([AlertFollower(log)])
            return len(events) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    Path("bench/data").mkdir(parents=True, exist_ok=True)
    events = list(generate_events(args.events, seed=11))
    workspaces = sorted({str(e["workspace"]) for e in events})
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    for _ in range(args.repeat):
        for mode in MODES:
            runs[mode].append(_round(events, workspaces, mode))
    rate = {m: statistics.median(r["events_per_s"] for r in runs[m]) for m in MODES}
    emit(
        {
            "scenario": "alert_rules",
            "db": "sqlite",
            "events": args.events,
            "repeat": args.repeat,
            **{f"ingest_{m}_events_per_s": round(rate[m]) for m in MODES},
            **{f"cost_{m}_pct": round(100 * (1 - rate[m] / rate["off"]), 1) for m in MODES[1:]},
            **{
                f"follower_catch_up_{m}_s": round(
                    statistics.median(r["catch_up_s"] for r in runs[m]), 2
                )
                for m in MODES[1:]
            },
            **{f"alerts_{m}": int(runs[m][0]["alerts"]) for m in MODES[1:]},
            "evaluate_all_entries_per_s": round(_evaluate(events, workspaces)),
            **{f"runs_{m}": [round(r["events_per_s"]) for r in runs[m]] for m in MODES},
        },
        "alert_rules",
    )


if __name__ == "__main__":
    main()
