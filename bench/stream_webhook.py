"""A stream to a webhook on loopback: delivery throughput, and lag while entries are ingested.

    python bench/stream_webhook.py throughput --events 200000
    python bench/stream_webhook.py lag --rate 5000 --seconds 30

``throughput``: a new platform stream (native JSON, from the beginning) catches up with a
log of ``--events`` seed entries; events/s = entries received / wall time. ``lag``: an
ingesting process records ``--rate`` entries/s (batches every 100 ms) while ``follow``'s
runner sends a stream's batches; the receiver notes, per entry, its arrival time minus
``received_at`` (when the log stored it). Each part runs in its own process: the receiver
(which checks every Standard Webhooks signature and counts lines), the follower, the
ingester.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
from standardwebhooks import Webhook

from activitylog import ActivityLog
from activitylog.demo.seed import generate_events
from activitylog.followers import FollowerRunner, Following
from activitylog.settings import Settings
from activitylog.streams import Streams, new_stream
from common import emit

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DATA = Path("bench/data")


def _receiver(port_out: Any, stats_out: Any, measure_lag: bool) -> None:
    """Counts lines (and each one's lag) until a GET asks for the figures."""
    lines = 0
    lags: list[float] = []
    first: list[float] = []
    last = [0.0]
    hook = Webhook(SECRET)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            nonlocal lines
            body = self.rfile.read(int(self.headers["content-length"]))
            hook.verify(body, dict(self.headers.items()), json_parse=False)
            now = time.time()
            if not first:
                first.append(now)
            last[0] = now
            batch = body.splitlines()
            lines += len(batch)
            if measure_lag:
                for line in batch:
                    stored = datetime.fromisoformat(orjson.loads(line)["received_at"])
                    lags.append(now - stored.timestamp())
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            lags.sort()
            summary = {
                "lines": lines,
                "first": first[0] if first else None,
                "last": last[0],
                "lag_p50_s": round(statistics.median(lags), 3) if lags else None,
                "lag_p99_s": round(lags[int(len(lags) * 0.99) - 1], 3) if lags else None,
                "lag_max_s": round(lags[-1], 3) if lags else None,
            }
            stats_out.send(summary)
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_out.send(server.server_address[1])
    server.serve_forever()


def _start_receiver(measure_lag: bool) -> tuple[mp.Process, int, Any]:
    port_in, port_out = mp.Pipe(duplex=False)
    stats_in, stats_out = mp.Pipe(duplex=False)
    proc = mp.Process(target=_receiver, args=(port_out, stats_out, measure_lag), daemon=True)
    proc.start()
    return proc, int(port_in.recv()), stats_in


def _stats(port: int, stats_in: Any) -> dict[str, Any]:
    import httpx

    httpx.get(f"http://127.0.0.1:{port}/stats")
    result: dict[str, Any] = stats_in.recv()
    return result


def _settings(db: str) -> Settings:
    # the receiver is on loopback: a private destination the operator allows
    return Settings(db=db, signing_key=DATA / "bench-key.pem", private_destinations=True)


def _seed(db: str, events: int) -> None:
    with ActivityLog(db, settings=_settings(db)) as log:
        have = sum(log.store.head_seqs().values())
        if have >= events:
            return
        batch: list[dict[str, Any]] = []
        for event in generate_events(events - have, seed=5):
            batch.append(event)
            if len(batch) == 1000:
                log.record_many(batch)
                batch = []
        if batch:
            log.record_many(batch)


def throughput(args: argparse.Namespace) -> None:
    _seed(args.db, args.events)
    proc, port, stats_in = _start_receiver(measure_lag=False)
    with ActivityLog(args.db, settings=_settings(args.db)) as log:
        if hasattr(os, "sched_setaffinity"):  # the receiver has the other core
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
            os.sched_setaffinity(proc.pid, {max(os.sched_getaffinity(proc.pid))})
        total = sum(log.store.head_seqs().values())
        service = Streams(log)
        stream = service.add(
            new_stream(
                allow_private=True,
                name=f"bench-{time.time_ns()}",
                workspace=None,
                url=f"http://127.0.0.1:{port}/hook",
                secret=SECRET,
                start="beginning",
                format=args.format,
            )
        )
        (follower,) = [f for f in service.followers() if f.stream.id == stream.id]
        start = time.perf_counter()
        failures = Following(log, batch=args.batch).catch_up([follower])
        elapsed = time.perf_counter() - start
        follower.close()
        service.remove(stream.id)
    got = _stats(port, stats_in)
    proc.terminate()
    assert not failures, failures
    assert got["lines"] == total, (got["lines"], total)
    emit(
        {
            "scenario": "stream_webhook_throughput",
            "db": args.db.split(":", 1)[0],
            "format": args.format,
            "events": total,
            "batch": args.batch,
            "seconds": round(elapsed, 2),
            "events_per_s": round(total / elapsed),
        },
        "stream_webhook",
    )


def _ingest(db: str, rate: int, seconds: float, done: Any) -> None:
    """Record ``rate`` entries a second, a batch every 100 ms, for ``seconds``."""
    per_batch = rate // 10
    events = list(generate_events(int(rate * seconds) + per_batch, seed=9))
    for event in events:
        event.pop("occurred_at", None)  # occurred when recorded (seed times are in the past)
    sent, late = 0, 0
    with ActivityLog(db, settings=_settings(db)) as log:
        start = time.perf_counter()
        for tick in range(int(seconds * 10)):
            log.record_many(events[tick * per_batch : (tick + 1) * per_batch])
            sent += per_batch
            wait = start + (tick + 1) / 10 - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            else:
                late += 1
        elapsed = time.perf_counter() - start
    done.send({"sent": sent, "seconds": elapsed, "late_ticks": late})


def lag(args: argparse.Namespace) -> None:
    _seed(args.db, 1000)
    proc, port, stats_in = _start_receiver(measure_lag=True)
    done_in, done_out = mp.Pipe(duplex=False)
    with ActivityLog(args.db, settings=_settings(args.db)) as log:
        service = Streams(log)
        stream = service.add(
            new_stream(
                allow_private=True,
                name=f"lag-{time.time_ns()}",
                workspace=None,
                url=f"http://127.0.0.1:{port}/hook",
                secret=SECRET,
                start="now",
            )
        )
        (follower,) = [f for f in service.followers() if f.stream.id == stream.id]
        Following(log).step(follower)  # registered: its cursors start at the end
        runner = FollowerRunner(log, lambda: [follower])
        runner.start()
        ingester = mp.Process(target=_ingest, args=(args.db, args.rate, args.seconds, done_out))
        ingester.start()
        delays: list[float] = []
        stop = threading.Event()

        def watch() -> None:  # the follower's own view of its delay, as status shows it
            from activitylog.followers.status import follower_status

            while not stop.wait(1.0):
                delays.append(follower_status(log, follower).delay_s)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        ingest = done_in.recv()
        ingester.join()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and follower_behind(log, follower):
            time.sleep(0.1)
        stop.set()
        runner.stop()
        follower.close()
        service.remove(stream.id)
    got = _stats(port, stats_in)
    proc.terminate()
    emit(
        {
            "scenario": "stream_webhook_lag",
            "db": args.db.split(":", 1)[0],
            "target_rate": args.rate,
            "ingested": ingest["sent"],
            "ingest_rate": round(ingest["sent"] / ingest["seconds"]),
            "late_ticks": ingest["late_ticks"],
            "received": got["lines"],
            "lag_p50_s": got["lag_p50_s"],
            "lag_p99_s": got["lag_p99_s"],
            "lag_max_s": got["lag_max_s"],
            "status_delay_max_s": round(max(delays, default=0.0), 3),
        },
        "stream_webhook",
    )


def follower_behind(log: ActivityLog, follower: Any) -> bool:
    from activitylog.followers.status import follower_status

    return follower_status(log, follower).behind > 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("throughput")
    one.add_argument("--db", default=f"sqlite:///{DATA / 'stream.db'}")
    one.add_argument("--events", type=int, default=200_000)
    one.add_argument("--batch", type=int, default=1000)
    one.add_argument("--format", default="json", choices=("json", "ocsf", "cef"))
    two = sub.add_parser("lag")
    two.add_argument("--db", default=f"sqlite:///{DATA / 'stream-lag.db'}")
    two.add_argument("--rate", type=int, default=5000)
    two.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    {"throughput": throughput, "lag": lag}[args.command](args)


if __name__ == "__main__":
    main()
