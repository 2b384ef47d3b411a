"""Web benchmarks.

HTTP ingest: ``activitylog serve`` on loopback, a load generator posting batches of 500
seed events from several threads over keep-alive connections (``--batch 1`` posts one
event per request, as most applications do)::

    python bench/web.py ingest --events 100000 --clients 4
    python bench/web.py ingest --events 5000 --clients 8 --batch 1

Page and list server time on a large database, in process (no network), signed in as an
admin of ``acme`` (the access rules applied)::

    python bench/web.py page --db sqlite:///bench/data/10m.db
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from itertools import islice
from pathlib import Path

import httpx
import orjson

from activitylog import ActivityLog
from activitylog.accounts import Accounts
from activitylog.demo.seed import generate_events
from activitylog.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from common import emit, median_ms


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _index_lag(db: str, settings: Settings, deadline: float) -> float:
    """Seconds from the end of the load until the indexer (the server's or ``follow``'s)
    has indexed every entry, watched from outside without indexing anything."""
    from activitylog.store.indexing import _PENDING

    start = time.perf_counter()
    with ActivityLog(db, settings=settings) as log:
        while time.perf_counter() < deadline:
            with log.store.engine.connect() as conn:
                if not conn.exec_driver_sql(_PENDING).first():
                    break
            time.sleep(0.05)
    return time.perf_counter() - start


def ingest(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="al-http-"))
    db = args.db or f"sqlite:///{root / 'http.db'}"
    settings = Settings(db=db, signing_key=root / "key.pem", secret_key=root / "secret")
    with ActivityLog(db, settings=settings) as log:
        _key, secret = Accounts(log.store.engine).create_key(workspace=None, scope="ingest")
    port = _free_port()
    env = {
        **os.environ,
        "ACTIVITYLOG_DB": db,
        "ACTIVITYLOG_SIGNING_KEY": str(settings.signing_key),
        "ACTIVITYLOG_SECRET_KEY": str(settings.secret_key),
        "ACTIVITYLOG_DURABILITY": args.durability,
    }
    serve = [sys.executable, "-m", "activitylog", "serve", "--port", str(port)]
    quiet = {"env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    server = subprocess.Popen(serve + (["--no-followers"] if args.follow_process else []), **quiet)
    follower = None
    if args.follow_process:  # the indexer and followers in a process of their own
        follower = subprocess.Popen([sys.executable, "-m", "activitylog", "follow"], **quiet)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url)
        source = generate_events(args.events, seed=11)
        # Encoded up front, as a client's serialisation is not the server's cost.
        batches = [
            orjson.dumps({"events": batch} if args.batch > 1 else batch[0])
            for batch in iter(lambda: list(islice(source, args.batch)), [])
        ]
        work = iter(batches)
        lock = threading.Lock()
        failures: list[int] = []

        def client() -> None:
            headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
            with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
                while True:
                    with lock:
                        body = next(work, None)
                    if body is None:
                        return
                    reply = http.post("/api/v1/events", content=body)
                    if reply.status_code != 201:
                        failures.append(reply.status_code)

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        lag = _index_lag(db, settings, time.perf_counter() + 120)
    finally:
        for process in (server, follower):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
    rate = args.events / elapsed
    emit(
        {
            "scenario": "http_ingest",
            "events": args.events,
            "clients": args.clients,
            "batch": args.batch,
            "durability": args.durability,
            "follow_process": args.follow_process,
            "seconds": round(elapsed, 2),
            "events_per_s": round(rate),
            "failures": len(failures),
            "index_lag_s": round(lag, 2),
        },
        "web",
    )


def page(args: argparse.Namespace) -> None:
    from starlette.testclient import TestClient

    from activitylog.config import load_settings
    from activitylog.web.app import create_app

    settings = load_settings({"db": args.db})
    if args.signing_key:
        settings = Settings(**{**settings.__dict__, "signing_key": Path(args.signing_key)})
    app = create_app(settings)
    accounts: Accounts = app.state.activitylog.accounts
    email = "bench.admin@acme.example"
    if accounts.get_user(email) is None:
        accounts.add_user(email, password="bench-password", workspace="acme", role="admin")
    with TestClient(app) as client:
        page_html = client.get("/signin").text
        token = page_html.split('name="csrf_token" value="')[1].split('"')[0]
        client.post(
            "/signin",
            data={"email": email, "password": "bench-password", "csrf_token": token},
        )
        scenarios = {
            "page_first_paint": "/activity?scope=workspace",
            "page_first_paint_30d": "/activity?scope=workspace&range=last_30_days",
            "partials_search": "/activity/partials?scope=workspace&search=refund",
            "api_list": "/api/v1/events?scope=workspace",
            "api_list_filtered": "/api/v1/events?scope=workspace&category=inbox&page=5",
            "api_stats": "/api/v1/stats?scope=workspace",
        }
        for name, path in scenarios.items():
            status = client.get(path).status_code
            median, runs = median_ms(lambda p=path: client.get(p), repeat=args.repeat)
            emit(
                {
                    "scenario": name,
                    "path": path,
                    "status": status,
                    "median_ms": round(median, 1),
                    "runs_ms": [round(r, 1) for r in runs],
                    "db": args.db,
                },
                "web",
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("ingest")
    one.add_argument("--events", type=int, default=100_000)
    one.add_argument("--clients", type=int, default=4)
    one.add_argument("--batch", type=int, default=500, help="events per request")
    one.add_argument("--durability", default="full", choices=("full", "normal"))
    one.add_argument("--db", help="database URL (default: a new SQLite file)")
    one.add_argument(
        "--follow-process",
        action="store_true",
        help="serve --no-followers beside `activitylog follow` (the indexer in its own process)",
    )
    two = sub.add_parser("page")
    two.add_argument("--db", required=True)
    two.add_argument("--signing-key", help="the key the database was built with")
    two.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    ingest(args) if args.command == "ingest" else page(args)


if __name__ == "__main__":
    main()
