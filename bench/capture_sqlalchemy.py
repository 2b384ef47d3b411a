"""SQLAlchemy capture overhead: the time tracking adds per changed row.

The same ORM workload — insert N contacts, update N (two fields each), delete N, in
transactions of --tx rows, each transaction loading its rows first — runs on SQLite (WAL,
synchronous=FULL, like the log) once per mode, each mode in its own process, pinned to one
core, in interleaved rounds:

- ``off``: no tracking (the baseline);
- ``capture_only``: tracking, events built at flush but not stored (capture's own cost);
- ``same_transaction``: the application on the log's database, events written in its
  transaction at commit;
- ``after_commit``: the application on another database, events recorded after commit.

Reports the median time per row of each phase and what each mode adds to ``off``.

    python bench/capture_sqlalchemy.py --rows 1000 --tx 100 --rounds 3 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, String, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from activitylog import ActivityLog
from activitylog.capture.sqlalchemy import track
from activitylog.settings import Settings
from common import emit, pin_one_core

MODES = ("off", "capture_only", "same_transaction", "after_commit")
PHASES = ("insert", "update", "delete")


class Base(DeclarativeBase):
    pass


class Contact(Base):
    __tablename__ = "bench_contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    company: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[int]
    password_hash: Mapped[str | None] = mapped_column(String(100))


def app_engine(url: str) -> Engine:
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi: Any, _record: Any) -> None:
        dbapi.execute("PRAGMA journal_mode=WAL")
        dbapi.execute("PRAGMA synchronous=FULL")

    return engine


def workload(maker: sessionmaker[Session], rows: int, tx: int) -> dict[str, float]:
    """Seconds per phase: insert, update, delete ``rows`` rows in transactions of ``tx``."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    for first in range(0, rows, tx):
        with maker.begin() as session:
            session.add_all(
                Contact(
                    workspace_id="acme",
                    name=f"Contact {i}",
                    email=f"c{i}@acme.test",
                    phone="+1 555 0100",
                    company="Acme",
                    status="lead",
                    score=i % 100,
                    password_hash="argon2id$...",
                )
                for i in range(first, min(first + tx, rows))
            )
    times["insert"] = time.perf_counter() - start
    start = time.perf_counter()
    for first in range(0, rows, tx):
        with maker.begin() as session:
            for contact in session.scalars(
                select(Contact).where(Contact.id > first, Contact.id <= first + tx)
            ):
                contact.status = "customer"
                contact.score += 1
    times["update"] = time.perf_counter() - start
    start = time.perf_counter()
    for first in range(0, rows, tx):
        with maker.begin() as session:
            for contact in session.scalars(
                select(Contact).where(Contact.id > first, Contact.id <= first + tx)
            ):
                session.delete(contact)
    times["delete"] = time.perf_counter() - start
    return times


def run_mode(mode: str, rows: int, tx: int, repeat: int) -> list[dict[str, float]]:
    """``repeat`` runs of the workload in ``mode``, each on fresh databases."""
    samples = []
    for _ in range(repeat + 1):  # the first run warms up
        with tempfile.TemporaryDirectory() as tmp:
            log_url = f"sqlite:///{tmp}/log.db"
            settings = Settings(signing_key=Path(tmp) / "key.pem")
            with ActivityLog(log_url, settings=settings) as log:
                url = log_url if mode == "same_transaction" else f"sqlite:///{tmp}/app.db"
                engine = app_engine(url)
                Base.metadata.create_all(engine)
                maker = sessionmaker(engine)
                if mode == "capture_only":
                    log.record_many = lambda events, **_: list(events)  # type: ignore[method-assign]
                tracker = (
                    track(log, Contact, session=maker, workspace="workspace_id")
                    if mode != "off"
                    else None
                )
                samples.append(workload(maker, rows, tx))
                if tracker is not None:
                    tracker.stop()
                if mode != "off" and mode != "capture_only":
                    assert log.total_events() == 3 * rows, "every change is recorded"
                engine.dispose()
    return samples[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--tx", type=int, default=100, help="rows per transaction")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of modes")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode and round")
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)  # one child process
    args = parser.parse_args()
    pin_one_core()
    if args.mode:
        print(json.dumps(run_mode(args.mode, args.rows, args.tx, args.repeat)))
        return
    samples: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    for _ in range(args.rounds):
        for mode in MODES:
            command = [sys.executable, __file__, "--mode", mode]
            command += [
                "--rows",
                str(args.rows),
                "--tx",
                str(args.tx),
                "--repeat",
                str(args.repeat),
            ]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            samples[mode] += json.loads(out)
    per_row = {
        mode: {
            phase: statistics.median(s[phase] for s in runs) / args.rows * 1e6 for phase in PHASES
        }
        for mode, runs in samples.items()
    }
    added = {
        mode: {phase: per_row[mode][phase] - per_row["off"][phase] for phase in PHASES}
        for mode in MODES
    }
    for mode in MODES:
        emit(
            {
                "scenario": "capture_sqlalchemy",
                "mode": mode,
                "rows": args.rows,
                "tx": args.tx,
                "samples": len(samples[mode]),
                "us_per_row": {p: round(v, 1) for p, v in per_row[mode].items()},
                "us_added_per_row": {p: round(v, 1) for p, v in added[mode].items()},
                "us_added_per_row_all": round(statistics.mean(added[mode].values()), 1),
            },
            "capture_sqlalchemy",
        )
    print(f"\n{args.rows:,} rows, transactions of {args.tx}, SQLite: µs per changed row (median)")
    print(f"{'mode':<18}" + "".join(f"{p:>10}{'added':>9}" for p in PHASES) + f"{'added':>10}")
    for mode in MODES:
        cells = "".join(f"{per_row[mode][p]:>10.1f}{added[mode][p]:>+9.1f}" for p in PHASES)
        print(f"{mode:<18}{cells}{statistics.mean(added[mode].values()):>+10.1f}")


if __name__ == "__main__":
    main()
