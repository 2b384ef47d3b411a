"""``activitylog follow`` killed with SIGKILL while a webhook batch is in flight, then run
again: every entry arrives at least once, in order per workspace within each run, and a
batch sent twice carries the same webhook-id and the same lines."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest
from standardwebhooks import Webhook

from activitylog import ActivityLog
from activitylog.settings import Settings
from activitylog.streams import Streams, new_stream

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ACTIVITYLOG = [sys.executable, "-m", "activitylog"]


class SlowReceiver:
    """Takes each batch after ``delay`` seconds; remembers (run, webhook-id, lines)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.run = 1
        self.received: list[tuple[int, str, list[bytes]]] = []
        self.in_flight = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                Webhook(SECRET).verify(body, dict(self.headers.items()), json_parse=False)
                receiver.in_flight.set()
                time.sleep(receiver.delay)
                receiver.received.append(
                    (receiver.run, self.headers["webhook-id"], body.splitlines())
                )
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.mark.slow
def test_kill_9_mid_delivery_loses_nothing(db_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ACTIVITYLOG_DB": db_url,
        "ACTIVITYLOG_SIGNING_KEY": str(tmp_path / "signing-key.pem"),
    }
    settings = Settings(db=db_url, signing_key=tmp_path / "signing-key.pem")
    receiver = SlowReceiver(delay=0.3)
    with ActivityLog(db_url, settings=settings) as log:
        for workspace in ("acme", "globex"):
            log.record_many(
                [{"workspace": workspace, "action": "contact.updated"} for _ in range(3500)]
            )
        stream = new_stream(
            allow_private=True,
            name="crash",
            workspace=None,
            url=receiver.url,
            secret=SECRET,
            start="beginning",
        )
        Streams(log).add(stream)
    follower = subprocess.Popen(
        [*ACTIVITYLOG, "follow"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while len(receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        receiver.in_flight.clear()
        assert receiver.in_flight.wait(30), "a third batch is sent"
        follower.kill()  # SIGKILL while the receiver holds a batch
        follower.wait(10)
    finally:
        if follower.poll() is None:
            follower.kill()
    time.sleep(receiver.delay * 2)  # the batch in flight is taken (the sender never knows)
    first_run = len(receiver.received)
    assert 2 <= first_run < 8  # of 8 batches (3,500 entries per workspace, 1,000 a batch)
    receiver.run = 2
    again = subprocess.run(
        [*ACTIVITYLOG, "follow", "--once"], env=env, capture_output=True, timeout=120
    )
    assert again.returncode == 0, again.stderr.decode()
    receiver.server.shutdown()
    receiver.server.server_close()

    seen: dict[str, bytes] = {}
    ids_by_batch: dict[str, list[bytes]] = {}
    order: dict[tuple[int, str], list[int]] = defaultdict(list)
    for run, batch_id, lines in receiver.received:
        if batch_id in ids_by_batch:
            assert ids_by_batch[batch_id] == lines  # a batch sent again is the same batch
        ids_by_batch[batch_id] = lines
        for line in lines:
            event = orjson.loads(line)
            if event["id"] in seen:
                assert seen[event["id"]] == line  # a repeat is the same entry
            seen[event["id"]] = line
            order[(run, event["workspace"])].append(event["seq"])
    for seqs in order.values():
        assert seqs == sorted(seqs)
    for workspace in ("acme", "globex"):
        delivered = {
            orjson.loads(line)["seq"]
            for line in seen.values()
            if orjson.loads(line)["workspace"] == workspace
        }
        assert delivered == set(range(1, 3501)), workspace
    assert len(receiver.received) > 8  # the batch in flight at the kill was sent again
