"""Streams delivering on both engines: every destination, signatures checked by the
receiver, order per workspace, filters, a destination down then up (nothing lost)."""

from __future__ import annotations

import re
import ssl
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest

from activitylog import ActivityLog
from activitylog.followers import Following
from activitylog.followers.schema import follower_cursors, followers
from activitylog.streams import Stream, Streams, new_stream
from activitylog.streams.follower import StreamFollower

from ._receivers import SyslogCollector, WebhookReceiver, free_port, self_signed

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _entries(workspace: str, n: int, **fields: Any) -> list[dict[str, Any]]:
    return [
        {
            "workspace": workspace,
            "action": "contact.updated",
            "actor": {"id": f"u{i % 3}", "name": f"User {i % 3}"},
            "result": "failure" if i % 5 == 0 else "success",
            "description": f"entry {i}",
            **fields,
        }
        for i in range(n)
    ]


def _add(log: ActivityLog, **options: Any) -> StreamFollower:
    options.setdefault("name", "s")
    options.setdefault("workspace", None)
    options.setdefault("start", "beginning")
    stream: Stream = Streams(log).add(new_stream(allow_private=True, **options))
    (follower,) = [f for f in Streams(log).followers() if f.stream.id == stream.id]
    return follower


def _by_workspace(events: list[dict[str, Any]]) -> dict[str, list[int]]:
    seqs: dict[str, list[int]] = defaultdict(list)
    for event in events:
        seqs[event["workspace"]].append(event["seq"])
    return dict(seqs)


def test_webhook_gets_every_entry_signed_in_order(log: ActivityLog) -> None:
    receiver = WebhookReceiver(SECRET).start()
    try:
        log.record_many(_entries("acme", 1500))
        log.record_many(_entries("globex", 700))
        follower = _add(log, url=receiver.url, secret=SECRET)
        assert Following(log).catch_up([follower]) == []
        follower.close()
    finally:
        receiver.stop()
    assert receiver.bad_signatures == 0
    assert receiver.content_types == {"application/x-ndjson"}
    events = receiver.events()
    assert _by_workspace(events) == {
        "acme": list(range(1, 1501)),
        "globex": list(range(1, 701)),
    }
    for delivery in receiver.deliveries:
        first, last = orjson.loads(delivery.lines[0]), orjson.loads(delivery.lines[-1])
        assert delivery.webhook_id == (
            f"stream:{follower.stream.id}:{first['workspace']}:{first['seq']}-{last['seq']}"
        )
    exported = {e["id"]: e for e in log.export(_everything(log))}
    assert {e["id"] for e in events} == set(exported)
    for event in events:  # the export's objects, fields that are null left out
        assert event == {k: v for k, v in exported[event["id"]].items() if v is not None}


def test_from_now_sends_only_what_comes_after(log: ActivityLog) -> None:
    receiver = WebhookReceiver(SECRET).start()
    try:
        log.record_many(_entries("acme", 5))
        follower = _add(log, url=receiver.url, secret=SECRET, start="now")
        Following(log).catch_up([follower])
        assert receiver.events() == []
        log.record_many(_entries("acme", 3))
        Following(log).catch_up([follower])
    finally:
        receiver.stop()
    assert [e["seq"] for e in receiver.events()] == [6, 7, 8]


def test_receiver_down_then_up_gets_everything_in_order(log: ActivityLog) -> None:
    port = free_port()
    follower = _add(log, url=f"http://127.0.0.1:{port}/hook", secret=SECRET)
    log.record_many(_entries("acme", 1200))
    following = Following(log)
    failures = following.catch_up([follower])  # nothing listens on the port
    assert [(name, ws) for name, ws, _ in failures] == [(follower.name, "acme")]
    (state,) = Streams(log).status([follower.stream])
    assert state[1].behind == 1200
    assert "ConnectError" in (state[1].last_error or "")
    receiver = WebhookReceiver(SECRET, port=port, status=503).start()
    try:
        failures = following.catch_up([follower])  # up, but refusing
        assert "answered 503" in failures[0][2]
        log.record_many(_entries("acme", 300))
        receiver.status = 200
        assert following.catch_up([follower]) == []
    finally:
        receiver.stop()
        follower.close()
    assert [e["seq"] for e in receiver.events()] == list(range(1, 1501))
    (state,) = Streams(log).status([follower.stream])
    assert (state[1].behind, state[1].last_error) == (0, None)


def test_filters_and_what_a_workspace_stream_may_send(log: ActivityLog) -> None:
    log.record_many(_entries("acme", 10))
    log.record_many(_entries("globex", 10))
    log.record(workspace="acme", layer="platform", action="settings.updated")
    log.record(workspace="acme", layer="platform", action="impersonation.started")
    receiver = WebhookReceiver(SECRET).start()
    try:
        failures = _add(
            log,
            name="f",
            workspace="acme",
            url=receiver.url,
            secret=SECRET,
            filters={"results": ["failure"]},
        )
        everything = _add(log, name="w", workspace="acme", url=receiver.url, secret=SECRET)
        Following(log).catch_up([failures])
        got_failures = receiver.events()
        receiver.deliveries.clear()
        Following(log).catch_up([everything])
        got_all = receiver.events()
    finally:
        receiver.stop()
    assert [e["description"] for e in got_failures] == ["entry 0", "entry 5"]
    assert {e["workspace"] for e in got_all} == {"acme"}
    actions = [e["action"] for e in got_all]
    assert "impersonation.started" in actions  # what the workspace's admins may see
    assert "settings.updated" not in actions  # the platform layer is not theirs
    assert len(actions) == 11


def test_syslog_frames_are_rfc5424(log: ActivityLog) -> None:
    collector = SyslogCollector().start()
    try:
        log.record_many(_entries("acme", 30))
        follower = _add(log, syslog=f"127.0.0.1:{collector.port}", format="cef")
        assert Following(log).catch_up([follower]) == []
        follower.close()
        _wait_for(lambda: len(collector.frames) == 30)
    finally:
        collector.stop()
    header = re.compile(
        rb"<(\d+)>1 (\S+) (\S+) activitylog - (\S+) \[activitylog@32473 id=\"([^\"]+)\""
        rb" workspace=\"acme\" seq=\"(\d+)\"\] \xef\xbb\xbf(.*)",
        re.S,
    )
    seqs = []
    for frame in collector.frames:
        match = header.fullmatch(frame)
        assert match, frame[:200]
        pri, _time, _host, msgid, event_id, seq, msg = match.groups()
        assert int(pri) in (13 * 8 + 6, 13 * 8 + 4)
        assert msgid == b"contact.updated"
        assert msg.startswith(b"CEF:0|activitylog|activitylog|")
        assert f"externalId={event_id.decode()}".encode() in msg
        seqs.append(int(seq))
        if b"outcome=failure" in msg:
            assert int(pri) == 13 * 8 + 4  # failure: warning
    assert seqs == list(range(1, 31))


def test_syslog_over_tls_trusts_the_given_ca_only(log: ActivityLog, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    collector = SyslogCollector(context=context).start()
    try:
        log.record_many(_entries("acme", 12))
        untrusted = _add(log, name="u", syslog=f"127.0.0.1:{collector.port}", syslog_tls=True)
        failures = Following(log).catch_up([untrusted])
        assert "CERTIFICATE_VERIFY_FAILED" in failures[0][2]
        trusted = _add(
            log,
            name="t",
            syslog=f"127.0.0.1:{collector.port}",
            syslog_tls=True,
            syslog_ca=str(cert),
            format="ocsf",
        )
        assert Following(log).catch_up([trusted]) == []
        log.record_many(_entries("acme", 3))
        assert Following(log).catch_up([trusted]) == []  # the same connection, kept
        trusted.close()
        _wait_for(lambda: len(collector.frames) == 15)
    finally:
        collector.stop()
    uids = [
        orjson.loads(f.split(b"\xef\xbb\xbf", 1)[1])["metadata"]["uid"] for f in collector.frames
    ]
    assert len(set(uids)) == 15


def test_syslog_collector_restarted_between_batches(log: ActivityLog) -> None:
    collector = SyslogCollector().start()
    follower = _add(log, syslog=f"127.0.0.1:{collector.port}")
    log.record_many(_entries("acme", 2))
    assert Following(log).catch_up([follower]) == []
    _wait_for(lambda: len(collector.frames) == 2)
    collector.stop()
    log.record_many(_entries("acme", 2))
    failures = Following(log).catch_up([follower])
    assert failures
    assert "refused" in failures[0][2].lower()
    collector = SyslogCollector(port=collector.port).start()  # back on the same port
    try:
        assert Following(log).catch_up([follower]) == []
        _wait_for(lambda: len(collector.frames) == 2)
    finally:
        collector.stop()
        follower.close()
    assert b'seq="3"' in collector.frames[0]
    assert b'seq="4"' in collector.frames[1]


def test_file_appends_lines_fsynced(log: ActivityLog, tmp_path: Path) -> None:
    path = tmp_path / "out" / "stream.ndjson"
    path.parent.mkdir()
    follower = _add(log, file=str(path), format="json")
    log.record_many(_entries("acme", 1200))
    Following(log).catch_up([follower])
    log.record_many(_entries("acme", 5))
    Following(log).catch_up([follower])
    lines = path.read_bytes().splitlines()
    assert [orjson.loads(line)["seq"] for line in lines] == list(range(1, 1206))


def test_removing_a_stream_forgets_its_cursors(log: ActivityLog) -> None:
    receiver = WebhookReceiver(SECRET).start()
    try:
        follower = _add(log, url=receiver.url, secret=SECRET)
        log.record_many(_entries("acme", 2))
        Following(log).catch_up([follower])
    finally:
        receiver.stop()
    removed = Streams(log).remove(follower.stream.id)
    assert removed.id == follower.stream.id
    assert Streams(log).list() == []
    assert Streams(log).followers() == []
    with log.store.engine.connect() as conn:
        assert conn.execute(followers.select()).all() == []
        assert conn.execute(follower_cursors.select()).all() == []


def test_names_are_unique_per_workspace_and_platform(log: ActivityLog) -> None:
    from activitylog.errors import ValidationError

    Streams(log).add(
        new_stream(allow_private=True, name="a", workspace="acme", url="https://x.example/h")
    )
    Streams(log).add(
        new_stream(allow_private=True, name="a", workspace="globex", url="https://x.example/h")
    )
    Streams(log).add(
        new_stream(allow_private=True, name="a", workspace=None, url="https://x.example/h")
    )
    for workspace in ("acme", None):
        with pytest.raises(ValidationError, match=r"name: .* has a stream of this name"):
            Streams(log).add(
                new_stream(
                    allow_private=True, name="a", workspace=workspace, url="https://x.example/h"
                )
            )
    assert [(s.workspace, s.name) for s in Streams(log).list()] == [
        (None, "a"),
        ("acme", "a"),
        ("globex", "a"),
    ]
    assert [s.workspace for s in Streams(log).list("acme")] == ["acme"]
    assert [s.workspace for s in Streams(log).list(None)] == [None]


def _everything(log: ActivityLog) -> Any:
    from activitylog.selection import Selection

    return Selection(since="1970-01-01")


def _wait_for(condition: Any, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


def test_adding_a_stream_waits_for_a_busy_writer_instead_of_failing(log: ActivityLog) -> None:
    """A stream added while another connection writes waits for it: a transaction that reads
    before it writes must take the write lock first, or SQLite refuses its stale snapshot."""
    import threading
    import time

    from sqlalchemy import insert

    stream = new_stream(name="late", workspace="acme", url="https://hooks.example/x", secret=SECRET)
    failed: list[BaseException] = []

    def add() -> None:
        try:
            Streams(log).add(stream)
        except BaseException as error:  # reported to the test below
            failed.append(error)

    writer = log.store.engine.execution_options(immediate=True)
    with writer.begin() as conn:
        conn.execute(insert(followers).values(name="other-writer", created_us=0))
        adding = threading.Thread(target=add)
        adding.start()
        time.sleep(0.3)  # the add has begun (and, on SQLite, waits for this write)
    adding.join(timeout=30)
    assert not adding.is_alive()
    assert failed == []
    assert [s.name for s in Streams(log).list("acme")] == ["late"]


def test_a_running_runner_picks_up_a_new_stream(log: ActivityLog) -> None:
    from activitylog.followers import FollowerRunner
    from activitylog.streams import stream_followers

    receiver = WebhookReceiver(SECRET).start()
    runner = FollowerRunner(log, lambda: stream_followers(log), poll=0.05, refresh=0.1)
    runner.start()
    try:
        log.record_many(_entries("acme", 20))
        stream = new_stream(
            allow_private=True,
            name="live",
            workspace="acme",
            url=receiver.url,
            secret=SECRET,
            start="beginning",
        )
        Streams(log).add(stream)  # while the runner runs, as `streams add` beside `serve`
        log.record_many(_entries("acme", 30))
        _wait_for(lambda: len(receiver.events()) == 50)
    finally:
        runner.stop()
        receiver.stop()
        for follower in Streams(log).followers():
            follower.close()
    assert [e["seq"] for e in receiver.events()] == list(range(1, 51))
