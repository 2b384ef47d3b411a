"""What recording model changes adds to a Django app, side by side in one process:

  (a) no auditing                       the baseline
  (b) activitylog ``register()``        its own SQLite store, durability full and normal;
                                        capture only (events built, then dropped); and
                                        "WRITE": "background" (durability full; each phase
                                        ends with flush(), so the writer's work counts)
  (c) django-auditlog                   ``auditlog.registry.auditlog.register``
  (d) django-simple-history             ``HistoricalRecords()``

Each has its own model with the same fields, in one Django SQLite database (default
journal mode, ``synchronous=FULL``). The workload, in transactions of ``--per-transaction``
rows: create N rows, load them and change one field of each, delete them one by one — 3N
changed rows. Rounds run every variant in a rotating order; the figure is the median over
rounds of (variant time - baseline time) / 3N, in µs per changed row.

    python bench/capture_django.py                  # N=1,000, 100 rows per transaction
    python bench/capture_django.py --rows 2000 --per-transaction 1 --rounds 5

The peers write their history rows in the application's transaction (one commit, one fsync
for both); activitylog writes to its own store after the commit. Results: a table on
stdout and a JSON line in bench/results/capture_django.jsonl.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import emit, pin_one_core

VARIANTS = (
    "plain",
    "activitylog_full",
    "activitylog_normal",
    "activitylog_capture_only",
    "activitylog_background",
    "auditlog",
    "simple_history",
)


class BenchConfig:  # replaced by an AppConfig subclass once Django is imported
    pass


def configure(directory: Path) -> None:
    import django
    from django.apps import AppConfig
    from django.conf import settings

    global BenchConfig

    class BenchConfig(AppConfig):  # type: ignore[no-redef]
        name = __name__
        label = "bench"
        path = str(directory)

    settings.configure(
        SECRET_KEY="bench",
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "auditlog",
            "simple_history",
            "activitylog.contrib.django",
            f"{__name__}.BenchConfig",
        ],
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(directory / "app.db")}
        },
        ACTIVITYLOG={"DEFAULT_WORKSPACE": "bench", "AUTH_SIGNALS": False},
        LOGGING_CONFIG=None,
    )
    django.setup()


def define_models() -> dict[str, Any]:
    """One model per variant, same fields; registered with each tool."""
    from auditlog.registry import auditlog
    from django.db import models
    from simple_history.models import HistoricalRecords

    from activitylog.contrib.django import register

    def fields() -> dict[str, Any]:
        return {
            "name": models.CharField(max_length=100),
            "email": models.CharField(max_length=200),
            "status": models.CharField(max_length=20),
            "score": models.IntegerField(default=0),
            "notes": models.TextField(blank=True),
            "__module__": __name__,
        }

    def model(name: str, **extra: Any) -> Any:
        meta = type("Meta", (), {"app_label": "bench"})
        return type(name, (models.Model,), {**fields(), **extra, "Meta": meta})

    plain = model("PlainItem")
    recorded = register(model("LoggedItem"), name="item")
    audited = model("AuditedItem")
    auditlog.register(audited)
    historied = model("HistoriedItem", history=HistoricalRecords())
    return {
        "plain": plain,
        "activitylog_full": recorded,
        "activitylog_normal": recorded,
        "activitylog_capture_only": recorded,
        "activitylog_background": recorded,
        "auditlog": audited,
        "simple_history": historied,
    }


def workload(model: Any, rows: int, per_transaction: int, seed: int) -> dict[str, float]:
    from activitylog.contrib.django import flush

    """Seconds for each phase: create, update (load + one field each), delete; and the
    process's CPU seconds for all three ("cpu": waits for disk and other processes left
    out, so steadier on a busy machine, but blind to fsync)."""
    from django.db import transaction

    cpu = time.process_time()
    rng = random.Random(seed)
    names = [f"Person {rng.randrange(10**6)}" for _ in range(rows)]
    chunks = [range(i, min(i + per_transaction, rows)) for i in range(0, rows, per_transaction)]
    times: dict[str, float] = {}

    start = time.perf_counter()
    pks: list[int] = []
    for chunk in chunks:
        with transaction.atomic():
            for i in chunk:
                item = model.objects.create(
                    name=names[i], email=f"p{i}@example.com", status="open", score=i
                )
                pks.append(item.pk)
    flush()  # the background writer's work counts: it is done when its events are stored
    times["create"] = time.perf_counter() - start

    start = time.perf_counter()
    for chunk in chunks:
        with transaction.atomic():
            for item in model.objects.filter(pk__in=[pks[i] for i in chunk]):
                item.status = "closed"
                item.save()
    flush()  # the background writer's work counts: it is done when its events are stored
    times["update"] = time.perf_counter() - start

    start = time.perf_counter()
    for chunk in chunks:
        with transaction.atomic():
            for item in model.objects.filter(pk__in=[pks[i] for i in chunk]):
                item.delete()
    flush()  # the background writer's work counts: it is done when its events are stored
    times["delete"] = time.perf_counter() - start
    times["cpu"] = time.process_time() - cpu
    return times


def discarding_log(directory: Path) -> Any:
    """A log that drops what it is given: what capturing costs without the store."""
    from activitylog import ActivityLog
    from activitylog.settings import Settings

    class Discarding(ActivityLog):
        def record_many(self, events: Any) -> list[dict[str, Any]]:
            return []

    return Discarding(
        f"sqlite:///{directory / 'discarded.db'}", settings=Settings(signing_key=directory / "k")
    )


def use_log(variant: str, logs: dict[str, Any]) -> None:
    from django.conf import settings

    from activitylog.contrib.django.settings import reset

    log = logs.get(variant)
    if log is not None:
        write = "background" if variant == "activitylog_background" else "commit"
        settings.ACTIVITYLOG = {**settings.ACTIVITYLOG, "LOG": log, "WRITE": write}
        reset()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--per-transaction", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--dir",
        default=None,
        help="where the databases go (default: a temporary directory; "
        "/dev/shm takes disk syncs out of the figures)",
    )
    args = parser.parse_args()
    pin_one_core()
    with tempfile.TemporaryDirectory(prefix="bench-capture-django-", dir=args.dir) as tmp:
        directory = Path(tmp)
        configure(directory)
        models = define_models()
        from django.apps import apps
        from django.core.management import call_command

        from activitylog import ActivityLog
        from activitylog.settings import Settings

        # The models live in this script: let migrate --run-syncdb create their tables.
        apps.get_app_config("bench").models_module = sys.modules[__name__]
        call_command("migrate", run_syncdb=True, verbosity=0)
        logs = {
            f"activitylog_{durability}": ActivityLog(
                f"sqlite:///{directory / f'activitylog-{durability}.db'}",
                settings=Settings(durability=durability, signing_key=directory / "key.pem"),
            )
            for durability in ("full", "normal")
        }
        logs["activitylog_background"] = ActivityLog(
            f"sqlite:///{directory / 'activitylog-background.db'}",
            settings=Settings(durability="full", signing_key=directory / "key.pem"),
        )
        logs["activitylog_capture_only"] = discarding_log(directory)
        results = run(models, logs, args)
        for variant, log in logs.items():
            if variant == "activitylog_capture_only":
                continue
            counts = log.count(workspace="bench")
            expected = 3 * args.rows * (args.rounds + 1)
            if counts != expected:
                sys.exit(f"activitylog stored {counts} events, expected {expected}")
            log.close()
    report(results, args)


def run(models: dict[str, Any], logs: dict[str, Any], args: Any) -> dict[str, Any]:
    """Per variant: the µs per changed row of each round, total and per phase."""
    changed = 3 * args.rows
    per_row: dict[str, list[float]] = {v: [] for v in VARIANTS}
    cpu_per_row: dict[str, list[float]] = {v: [] for v in VARIANTS}
    phases: dict[str, dict[str, list[float]]] = {v: {} for v in VARIANTS}
    for round_ in range(args.rounds + 1):  # round 0 warms up
        order = VARIANTS[round_ % len(VARIANTS) :] + VARIANTS[: round_ % len(VARIANTS)]
        for variant in order:
            use_log(variant, logs)
            times = workload(models[variant], args.rows, args.per_transaction, args.seed)
            if round_ == 0:
                continue
            cpu_per_row[variant].append(times.pop("cpu") / changed * 1e6)
            per_row[variant].append(sum(times.values()) / changed * 1e6)
            for phase, seconds in times.items():
                phases[variant].setdefault(phase, []).append(seconds / args.rows * 1e6)
    baseline = per_row["plain"]
    added = {v: [t - b for t, b in zip(per_row[v], baseline, strict=True)] for v in VARIANTS}
    base_phase = phases["plain"]
    base_cpu = cpu_per_row["plain"]
    return {
        v: {
            "us_per_row": statistics.median(per_row[v]),
            "added_us_per_row": statistics.median(added[v]),
            "added_us_per_row_runs": [round(x, 1) for x in added[v]],
            "added_cpu_us_per_row": statistics.median(
                [t - b for t, b in zip(cpu_per_row[v], base_cpu, strict=True)]
            ),
            "added_us_by_phase": {
                phase: statistics.median(
                    [t - b for t, b in zip(values, base_phase[phase], strict=True)]
                )
                for phase, values in phases[v].items()
            },
        }
        for v in VARIANTS
    }


def report(results: dict[str, Any], args: Any) -> None:
    line: Callable[..., str] = "{:<26} {:>8} {:>13} {:>8} {:>8} {:>8} {:>10}".format
    print(line("variant", "µs/row", "added µs/row", "create", "update", "delete", "added cpu"))
    for variant, result in results.items():
        phases = result["added_us_by_phase"]
        print(
            line(
                variant,
                f"{result['us_per_row']:.1f}",
                f"{result['added_us_per_row']:.1f}",
                f"{phases['create']:.1f}",
                f"{phases['update']:.1f}",
                f"{phases['delete']:.1f}",
                f"{result['added_cpu_us_per_row']:.1f}",
            )
        )
    emit(
        {
            "scenario": "capture_django",
            "rows": args.rows,
            "per_transaction": args.per_transaction,
            "rounds": args.rounds,
            "dir": args.dir or tempfile.gettempdir(),
            "results": results,
        },
        "capture_django",
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "")
    main()
