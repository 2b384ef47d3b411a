"""The remote SDK against the real server: an outage mid-stream loses and duplicates
nothing."""

from __future__ import annotations

import time
from pathlib import Path

from activitylog import ActivityLog
from activitylog.remote import RemoteOptions

from ._server import LiveServer
from ._support import World

FAST = RemoteOptions(linger=0.01, backoff_initial=0.02, backoff_max=0.2, request_timeout=10.0)
TOTAL = 10_000


def test_ten_thousand_events_across_a_server_outage_are_stored_once(
    fresh: World, tmp_path: Path
) -> None:
    server = LiveServer(fresh.app).start()
    log = ActivityLog(
        server.url,
        api_key=fresh.keys["acme_ingest"],
        spool_dir=tmp_path / "spool",
        remote_options=FAST,
    )
    ids: list[str] = []
    try:
        for n in range(TOTAL):
            if n == 3_000:
                server.stop()  # mid-stream: what is in flight fails and spools
            if n == 7_000:
                time.sleep(0.3)  # a few retries fail against the closed port
                server.start()
            event = log.record(workspace="acme", action="contact.updated", details={"n": n})
            ids.append(event["id"])
        assert log.flush(timeout=120)
    finally:
        log.close()
        server.close()
    assert len(set(ids)) == TOTAL
    stored = fresh.state.log
    assert stored.count(workspace="acme") == TOTAL
    found = {e["id"] for e in stored.export(workspace="acme")}
    assert found == set(ids)  # none missing, none twice (ids are unique in the store)
    assert stored.verify("acme").ok
