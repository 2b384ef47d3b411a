"""Appends inside a caller's transaction on ClickHouse: kept in the side database's
outbox with the caller's changes, appended once after the commit; the alerts, which
record their changes that way, on chdb."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from activitylog import ActivityLog
from activitylog.alerts import Alerts
from activitylog.alerts.follower import AlertFollower
from activitylog.errors import ConfigurationError
from activitylog.followers import Following
from activitylog.settings import Settings

from ._support import eid, event

pytestmark = pytest.mark.clickhouse


@pytest.fixture
def chlog(chdb_url: Callable[[], str], settings: Settings) -> Iterator[ActivityLog]:
    with ActivityLog(chdb_url(), settings=settings) as log:
        yield log


def test_a_batch_is_appended_after_its_transaction_commits(chlog: ActivityLog) -> None:
    store: Any = chlog.store
    with store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (body TEXT)"))
        conn.execute(text("INSERT INTO notes VALUES ('with the entry')"))
        [recorded] = chlog.record_many([event(id=eid(1))], connection=conn)
        assert (recorded["id"], recorded["seq"]) == (eid(1), None)
        [(count,)] = store.db.rows("SELECT count() FROM events")
        assert count == 0  # not in the log before the commit
    stored = chlog.get(eid(1))
    assert stored is not None
    assert stored["seq"] == 1
    assert chlog.verify().ok
    assert chlog.store.settle() == 0  # appended once
    assert chlog.record(**event(id=eid(1)))["seq"] == 1


def test_a_batch_rolled_back_is_never_appended(chlog: ActivityLog) -> None:
    store: Any = chlog.store
    with store.engine.connect() as conn:
        transaction = conn.begin()
        chlog.record_many([event(id=eid(1))], connection=conn)
        transaction.rollback()
    assert chlog.count() == 0
    assert chlog.record(**event(id=eid(2)))["seq"] == 1


def test_a_batch_appended_but_left_in_the_outbox_is_not_stored_twice(chlog: ActivityLog) -> None:
    from activitylog.store.clickhouse import outbox

    store: Any = chlog.store
    with store.engine.begin() as conn:
        chlog.record_many([event(id=eid(1)), event(id=eid(2))], connection=conn)
    [(_, batch)] = outbox.pending(store.engine, store.policy.key)
    store._append_batch(batch)  # a crash after the append, before the row's removal
    assert store.settle() == 2  # found: recorded before
    assert chlog.count() == 2
    assert outbox.pending(store.engine, store.policy.key) == []


def test_a_transaction_of_another_database_is_refused(chlog: ActivityLog, tmp_path: Path) -> None:
    other = create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    with (
        other.begin() as conn,
        pytest.raises(ConfigurationError, match="side database"),
    ):
        chlog.record_many([event()], connection=conn)
    assert chlog.count() == 0


def _failed(minutes: int) -> dict[str, Any]:
    return {
        "workspace": "acme",
        "action": "auth.sign_in_failed",
        "result": "failure",
        "ip": "10.0.0.1",
        "subject": {"type": "user", "name": "bob@example.com"},
        "details": {"email": "bob@example.com", "reason": "bad_password"},
        "occurred_at": (NOON + timedelta(minutes=minutes)).isoformat(),
    }


NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_alerts_are_raised_acknowledged_and_recorded(chlog: ActivityLog) -> None:
    chlog.record(workspace="acme", action="contact.created", occurred_at=NOON.isoformat())
    Following(chlog).catch_up([AlertFollower(chlog)])
    chlog.record_many([_failed(m) for m in range(1, 6)])
    Following(chlog).catch_up([AlertFollower(chlog)])
    service = Alerts(chlog)
    [alert] = service.list("acme")
    service.ack(alert.id, "ava@acme.example")
    service.set_rule("acme", alert.rule, threshold=9)
    actions = [e["action"] for e in chlog.export(workspace="acme", order="time")]
    assert actions.count("alert.raised") == 1
    assert actions.count("alert.acknowledged") == 1
    assert actions.count("alert_rule.updated") == 1
    assert chlog.verify().ok


def test_an_outbox_that_cannot_be_appended_now_waits_and_reads_go_on(
    chlog: ActivityLog, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from activitylog.store.clickhouse import outbox

    store: Any = chlog.store
    with store.engine.begin() as conn:
        chlog.record_many([event(id=eid(1))], connection=conn)
    append_batch = store._append_batch

    def away(batch: Any) -> Any:
        raise ConnectionError("ClickHouse is away")

    monkeypatch.setattr(store, "_append_batch", away)
    assert chlog.count() == 0
    assert "could not be appended" in caplog.text
    assert len(outbox.pending(store.engine, store.policy.key)) == 1
    monkeypatch.setattr(store, "_append_batch", append_batch)
    assert chlog.count() == 1
    assert outbox.pending(store.engine, store.policy.key) == []
