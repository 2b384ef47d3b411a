"""The remote transport against a real HTTP server on loopback (see conftest.FakeServer)."""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pytest

from activitylog import ActivityLogError, BatchValidationError, ValidationError
from activitylog.errors import AccessDenied, Unauthenticated
from activitylog.remote import RemoteOptions, RemoteTransport

from ._server import READ_KEY, FakeServer

if TYPE_CHECKING:
    from .conftest import RemoteLogFactory

EVENT = {"workspace": "acme", "action": "contact.updated"}


def spooled_lines(spool_dir: Path, pattern: str = "[!r]*.ndjson") -> list[dict[str, object]]:
    """Every event in the spool files matching ``pattern`` (default: not rejected-*)."""
    return [
        orjson.loads(line)
        for path in sorted(spool_dir.glob(pattern))
        for line in path.read_bytes().splitlines()
    ]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# -- the required scenario -----------------------------------------------------------------
def test_ten_thousand_events_survive_a_server_outage_exactly_once(
    server: FakeServer, remote_log: RemoteLogFactory, spool_dir: Path
) -> None:
    log = remote_log(server.url)
    producers = 4
    # Per producer: 750 with the server up, 500 while it stops, 500 while it is down, and
    # 750 while the spool replays: 10,000 events in all.
    phases = (750, 500, 500, 750)
    gates = [threading.Barrier(producers + 1) for _ in phases]
    recorded: list[list[str]] = [[] for _ in range(producers)]

    def produce(n: int) -> None:
        for gate, count in zip(gates, phases, strict=True):
            gate.wait(timeout=30)
            for _ in range(count):
                recorded[n].append(log.record(**EVENT, details={"producer": n})["id"])

    def total() -> int:
        return sum(map(len, recorded))

    with ThreadPoolExecutor(producers) as pool:
        futures = [pool.submit(produce, n) for n in range(producers)]
        try:
            gates[0].wait(timeout=30)
            wait_until(lambda: total() == 3000)
            gates[1].wait(timeout=30)
            server.stop()  # mid-stream: batches in flight may fail, the rest spools
            wait_until(lambda: total() == 5000)
            gates[2].wait(timeout=30)
            wait_until(lambda: total() == 7000)
            assert not log.flush(timeout=0.3)
            # waiting on disk, not only in memory (a request in flight when the server
            # stopped may hang up to its timeout before its batch is spooled)
            wait_until(lambda: bool(spooled_lines(spool_dir)), timeout=30)
            server.start()  # same port
            gates[3].wait(timeout=30)
        except BaseException:
            for gate in gates:
                gate.abort()  # a failure above must not leave the producers waiting
            raise
        for future in futures:
            future.result()

    assert log.flush(timeout=20)
    ids = [event_id for ids in recorded for event_id in ids]
    assert len(ids) == len(set(ids)) == 10_000
    assert server.ids() == set(ids)  # none missing, none extra
    assert sorted(e["seq"] for e in server.stored.values()) == list(range(1, 10_001))  # once
    for ids_of_one in recorded:  # each producer's events are stored in the order recorded
        seqs = [server.stored[i]["seq"] for i in ids_of_one]
        assert seqs == sorted(seqs)
    assert not spooled_lines(spool_dir)  # confirmed, then truncated


# -- recording -----------------------------------------------------------------------------
def test_record_returns_the_validated_content_with_its_id(
    server: FakeServer, remote_log: RemoteLogFactory
) -> None:
    log = remote_log(server.url)
    with log.context(actor={"id": "u_1", "name": "Ava"}, ip="203.0.113.9"):
        event = log.record(**EVENT, ip="2001:db8:0:0::1")
    assert uuid.UUID(event["id"]).version == 7
    assert event["actor"] == {"id": "u_1", "name": "Ava", "type": "user"}
    assert event["ip"] == "2001:db8::1"  # normalised like local mode; the call wins
    assert "seq" not in event
    assert "content_hash" not in event
    assert "received_at" not in event  # set by the server
    assert log.flush(timeout=5)
    stored = server.stored[event["id"]]
    assert stored["actor"] == event["actor"]
    assert stored["occurred_at"] == event["occurred_at"]


def test_validation_errors_are_raised_by_record_and_nothing_is_sent(
    server: FakeServer, remote_log: RemoteLogFactory
) -> None:
    log = remote_log(server.url)
    with pytest.raises(ValidationError) as one:
        log.record(workspace="acme", action="Contact Updated")
    assert [e.field for e in one.value.errors] == ["action"]
    with pytest.raises(BatchValidationError) as batch:
        log.record_many([EVENT, {"action": "contact.updated"}, EVENT])
    assert list(batch.value.by_index) == [1]
    assert log.flush(timeout=5)
    assert server.exchanges == []


def test_record_many_is_sent_together_with_ids_assigned(
    server: FakeServer, remote_log: RemoteLogFactory
) -> None:
    log = remote_log(server.url)
    with log.context(workspace="acme"):
        events = log.record_many([{"action": "note.created"}] * 5)
    assert log.flush(timeout=5)
    assert server.ids() == {e["id"] for e in events}
    assert [e.events for e in server.exchanges] == [5]


def test_resending_stored_ids_is_harmless(server: FakeServer, remote_log: RemoteLogFactory) -> None:
    log = remote_log(server.url)
    event_id = "0190a8e2-0000-7000-8000-000000000001"
    log.record(**EVENT, id=event_id)
    log.record(**EVENT, id=event_id)
    assert log.flush(timeout=5)
    assert server.ids() == {event_id}


def test_closed_log_refuses_records(server: FakeServer, remote_log: RemoteLogFactory) -> None:
    log = remote_log(server.url)
    log.record(**EVENT)
    log.close()
    assert len(server.stored) == 1
    with pytest.raises(ActivityLogError, match="closed"):
        log.record(**EVENT)
    log.close()  # twice is fine


# -- permanent refusals --------------------------------------------------------------------
def test_413_splits_the_batch_in_halves(server: FakeServer, remote_log: RemoteLogFactory) -> None:
    server.max_events = 40
    log = remote_log(server.url)
    events = log.record_many([EVENT] * 300)
    assert log.flush(timeout=10)
    assert server.ids() == {e["id"] for e in events}
    assert server.statuses()[0] == 413
    assert all(e.events <= 40 for e in server.exchanges if e.status == 201)


def test_422_sets_the_named_events_aside_and_sends_the_rest(
    server: FakeServer,
    remote_log: RemoteLogFactory,
    spool_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.refused_actions = {"contact.exploded"}
    log = remote_log(server.url)
    events = log.record_many([EVENT, {**EVENT, "action": "contact.exploded"}, EVENT])
    assert log.flush(timeout=5)
    assert server.ids() == {events[0]["id"], events[2]["id"]}
    assert [e["id"] for e in spooled_lines(spool_dir, "rejected-*.ndjson")] == [events[1]["id"]]
    [message] = [r.getMessage() for r in caplog.records if r.name == "activitylog.remote"]
    assert "422" in message
    assert "refused here" in message


def test_409_sets_the_conflicting_events_aside_and_sends_the_rest(
    server: FakeServer, remote_log: RemoteLogFactory, spool_dir: Path
) -> None:
    log = remote_log(server.url)
    [first] = log.record_many([EVENT])
    assert log.flush(timeout=5)
    events = log.record_many([EVENT, {**first, "action": "contact.deleted"}, EVENT])
    assert log.flush(timeout=5)
    assert server.ids() == {first["id"], events[0]["id"], events[2]["id"]}
    assert server.stored[first["id"]]["action"] == EVENT["action"]
    assert [e["id"] for e in spooled_lines(spool_dir, "rejected-*.ndjson")] == [first["id"]]
    assert 409 in server.statuses()


def test_401_is_not_retried_and_the_batch_is_kept(
    server: FakeServer,
    remote_log: RemoteLogFactory,
    spool_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = remote_log(server.url, api_key="alk_revoked")
    events = log.record_many([EVENT] * 5)
    started = time.monotonic()
    assert log.flush(timeout=5)
    assert time.monotonic() - started < 2
    time.sleep(0.3)  # retries would show up by now
    assert server.statuses() == [401]
    rejected = spooled_lines(spool_dir, "rejected-*.ndjson")
    assert [e["id"] for e in rejected] == [e["id"] for e in events]
    assert any("401" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


# -- temporary failures --------------------------------------------------------------------
def test_backoff_doubles_from_initial_to_max_with_jitter(
    server: FakeServer, remote_log: RemoteLogFactory
) -> None:
    server.failures = deque([503, 502, 429, 500, 408])
    options = RemoteOptions(linger=0, backoff_initial=0.04, backoff_max=0.1)
    log = remote_log(server.url, remote_options=options)
    log.record(**EVENT)
    assert log.flush(timeout=10)
    assert server.statuses() == [503, 502, 429, 500, 408, 201]
    times = [e.at for e in server.exchanges]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    for attempt, gap in enumerate(gaps):
        delay = min(0.1, 0.04 * 2**attempt)
        assert delay * 0.5 <= gap < delay + 0.15, (attempt, gap)


def test_a_new_transport_replays_the_spool_left_after_close(
    server: FakeServer, remote_log: RemoteLogFactory, spool_dir: Path
) -> None:
    server.stop()
    first = remote_log(server.url)
    events = first.record_many([EVENT] * 50)
    assert not first.flush(timeout=0.3)
    first.close(timeout=0.1)
    assert [e["id"] for e in spooled_lines(spool_dir)] == [e["id"] for e in events]

    server.start()
    second = remote_log(server.url)
    assert second.flush(timeout=10)  # flush covers the adopted spool too
    assert server.ids() == {e["id"] for e in events}
    second.close()
    assert list(spool_dir.iterdir()) == []


def test_a_transport_for_another_server_leaves_the_spool_alone(
    server: FakeServer, remote_log: RemoteLogFactory, spool_dir: Path
) -> None:
    server.stop()
    first = remote_log(server.url)
    first.record(**EVENT)
    first.close(timeout=0.1)
    other = remote_log("http://127.0.0.1:9/elsewhere")
    assert other.flush(timeout=1)  # nothing of its own to deliver
    assert len(spooled_lines(spool_dir)) == 1


def test_the_sender_survives_an_unexpected_error_without_losing_events(
    server: FakeServer,
    remote_log: RemoteLogFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    deliver = RemoteTransport._deliver
    calls = 0

    def broken_once(self: RemoteTransport, lines: list[bytes]) -> list[bytes]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a bug")
        return deliver(self, lines)

    monkeypatch.setattr(RemoteTransport, "_deliver", broken_once)
    log = remote_log(server.url)
    events = log.record_many([EVENT] * 3)
    assert log.flush(timeout=5)
    assert server.ids() == {e["id"] for e in events}
    assert "a bug" in caplog.text


# -- process exit --------------------------------------------------------------------------
SCRIPT = """
import os, sys
from pathlib import Path
from activitylog import ActivityLog
from activitylog.remote import RemoteOptions, RemoteTransport

url, spool, mode = sys.argv[1:]
options = RemoteOptions(linger=0.01, backoff_initial=0.02, backoff_max=0.1)
log = ActivityLog(url, api_key="alk_write", spool_dir=spool, remote_options=options)
for _ in range(200):
    print(log.record(workspace="acme", action="contact.updated")["id"])
sys.stdout.flush()
if mode == "crash":  # killed once everything is in the spool: no atexit, no close()
    while sum(len(p.read_bytes().splitlines()) for p in Path(spool).glob("127*")) < 200:
        pass
    os._exit(1)
"""


def run_client(url: str, spool_dir: Path, mode: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT), url, str(spool_dir), mode],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == (1 if mode == "crash" else 0), done.stderr
    return done.stdout.split()


def test_events_are_flushed_at_interpreter_exit(server: FakeServer, spool_dir: Path) -> None:
    ids = run_client(server.url, spool_dir, "exit")
    assert server.ids() == set(ids)


def test_spooled_events_survive_a_killed_process(
    server: FakeServer, remote_log: RemoteLogFactory, spool_dir: Path
) -> None:
    server.stop()
    ids = run_client(server.url, spool_dir, "crash")
    server.start()
    log = remote_log(server.url)
    assert log.flush(timeout=10)
    assert server.ids() == set(ids)


# -- viewer tokens and options -------------------------------------------------------------
def test_viewer_token_is_minted_by_the_server(
    server: FakeServer, remote_log: RemoteLogFactory
) -> None:
    log = remote_log(server.url, api_key=READ_KEY)
    token = log.viewer_token(workspace="acme", user_id="u_1", role="admin")
    assert token == "acme.u_1.admin.900"
    short = log.viewer_token(
        workspace="acme", user_id="u_1", role="viewer", ttl=timedelta(minutes=5)
    )
    assert short == "acme.u_1.viewer.300"


def test_viewer_token_refusals_raise(server: FakeServer, remote_log: RemoteLogFactory) -> None:
    with pytest.raises(AccessDenied, match="may not read"):
        remote_log(server.url).viewer_token(workspace="acme", user_id="u_1", role="admin")
    with pytest.raises(Unauthenticated):
        remote_log(server.url, api_key="alk_nope").viewer_token(
            workspace="acme", user_id="u_1", role="admin"
        )
    server.stop()
    with pytest.raises(ActivityLogError, match="cannot reach"):
        remote_log(server.url, api_key=READ_KEY).viewer_token(
            workspace="acme", user_id="u_1", role="admin"
        )
