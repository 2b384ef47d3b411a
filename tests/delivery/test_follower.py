"""The deliveries follower: alert entries become one delivery per channel, exactly once,
even when the process is killed (kill -9) before or after its transaction commits; a
sender killed mid-send sends again after its claim lapses, with the same webhook-id."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap

import pytest
from standardwebhooks import Webhook

from activitylog.alerts import Alerts
from activitylog.client import ActivityLog
from activitylog.delivery import Channels, DeliveryFollower, attempts, deliveries
from activitylog.delivery.follower import delivery_followers
from activitylog.followers import Following
from activitylog.followers.registry import registered
from activitylog.settings import Settings

from ._support import (
    Clock,
    follow,
    free_port,
    http_receiver,
    raise_alert,
    sender,
    smtp_server,
)

#: A process that runs the deliveries follower (and maybe the sender) and kills itself
#: with SIGKILL at the point named by its third argument.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from activitylog import ActivityLog
    from activitylog.delivery import DeliveryFollower, Sender, deliveries
    from activitylog.followers import Following, core
    from activitylog.settings import Settings

    url, key, when = sys.argv[1:4]
    log = ActivityLog(url, settings=Settings(signing_key=key, checkpoint_every=10))
    die = lambda *_, **__: os.kill(os.getpid(), signal.SIGKILL)
    if when == "before_commit":  # deliveries inserted, cursor moved, nothing committed
        advance = core.Batch.advance
        core.Batch.advance = lambda self, conn: (advance(self, conn), die())
    if when == "mid_send":  # sent, its outcome not kept yet
        sys.modules["activitylog.delivery.sender"].settle = die
    Following(log).catch_up([DeliveryFollower(log)])
    if when == "mid_send":
        Sender(log).send_due()
    die()
    """
)


def _child(log: ActivityLog, db_url: str, settings: Settings, when: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, db_url, str(settings.signing_key), when],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -9, done.stderr


def test_only_alert_entries_are_delivered_to_their_own_workspaces_channels(
    log: ActivityLog, settings: Settings, clock: Clock
) -> None:
    follow(log, clock)
    channels = Channels(log.store.engine)
    acme = channels.add("acme", "webhook", "https://hooks.example.com/acme", by="u")
    channels.add("beta", "webhook", "https://hooks.example.com/beta", by="u")
    log.record(workspace="acme", action="contact.updated", actor={"id": "u1"})
    log.record(  # an alert action without an alert subject is not an alert entry
        workspace="acme", action="alert.raised", actor={"id": "u1"}, details={"rule": "x"}
    )
    log.record(
        workspace="acme",
        action="alert.acknowledged",
        actor={"id": "u1"},
        subject={"type": "alert", "id": "al_1"},
        details={"alert_id": "al_1"},
    )
    raise_alert(log, "acme", "al_1")
    follow(log, clock)
    (delivery,) = deliveries(log.store.engine, "al_1")
    assert delivery.channel_id == acme.id
    assert delivery.status == "pending"
    assert delivery.message["severity"] == "high"


def test_alert_entries_the_alerts_did_not_record_are_not_delivered(
    log: ActivityLog, settings: Settings, clock: Clock
) -> None:
    follow(log, clock)
    Channels(log.store.engine).add("acme", "email", "ops@example.com", by="u", allow_private=True)
    raise_alert(log, alert_id="al_1")
    forged = {"rule": "failed_sign_ins", "severity": "critical", "summary": "Wire $1M now."}
    for alert_id in ("al_1", "al_unknown"):  # a real alert's id, and none
        log.record(  # as an ingest key could send them
            workspace="acme",
            action="alert.extended",
            actor={"id": "alerts", "type": "system"},
            subject={"type": "alert", "id": alert_id},
            details={**forged, "alert_id": alert_id},
        )
    raise_alert(log, "beta", "al_2")  # a real alert, but of another workspace
    log.record(
        workspace="acme",
        action="alert.raised",
        actor={"id": "x", "type": "system"},
        subject={"type": "alert", "id": "al_2"},
        details={**forged, "alert_id": "al_2"},
    )
    follow(log, clock)
    assert [d.message["type"] for d in deliveries(log.store.engine, "al_1")] == ["alert.raised"]
    assert deliveries(log.store.engine, "al_unknown") == []
    assert deliveries(log.store.engine, "al_2") == []


def test_smtp_down_then_up_one_alert_one_email_end_to_end(
    log: ActivityLog, settings: Settings
) -> None:
    log.record(workspace="acme", action="contact.created")
    Following(log).catch_up(registered(log))  # every follower registered, at the end
    Channels(log.store.engine).add("acme", "email", "ops@example.com", by="u", allow_private=True)
    now = dt.datetime.now(dt.UTC)
    failed = [
        {
            "workspace": "acme",
            "action": "auth.sign_in_failed",
            "result": "failure",
            "ip": "203.0.113.9",
            "subject": {"type": "user", "name": "bob@example.com"},
            "details": {"email": "bob@example.com", "reason": "bad_password"},
            "occurred_at": (now - dt.timedelta(minutes=5 - n)).isoformat(),
        }
        for n in range(5)
    ]
    log.record_many(failed)
    port = free_port()
    mail = settings.replace(
        smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, smtp_from="a@example.com"
    )
    assert Following(log).catch_up(registered(log)) == []
    clock = Clock(dt.datetime.now(dt.UTC))  # after the deliveries were queued
    send = sender(log, mail, clock)
    assert send.send_due() == 1  # the SMTP server is down
    assert Following(log).catch_up(registered(log)) == []  # followers run again: nothing new
    (alert,) = Alerts(log).list("acme", None)
    (attempt,) = attempts(log.store.engine, alert.id)
    assert attempt.outcome == "failed"
    clock.advance(30)
    with smtp_server(port) as inbox:
        assert send.send_due() == 1
        clock.advance(3600)
        assert Following(log).catch_up(registered(log)) == []
        assert send.send_due() == 0
    ((_, message),) = inbox.messages
    assert message["X-Activitylog-Alert"] == alert.id
    assert message["Subject"] == f"[HIGH] Alert raised in acme: {alert.rule}"
    assert alert.summary in message.get_payload(decode=True).decode()
    assert [a.outcome for a in attempts(log.store.engine, alert.id)] == ["failed", "delivered"]
    assert len(Alerts(log).list("acme", None)) == 1


def test_an_alert_raised_again_is_sent_at_most_every_15_minutes_per_channel(
    log: ActivityLog, settings: Settings, clock: Clock
) -> None:
    follow(log, clock)
    channels = Channels(log.store.engine)
    first = channels.add("acme", "webhook", "https://hooks.example.com/a", by="u")
    raise_alert(log, alert_id="al_1")
    follow(log, clock)
    for _ in range(3):  # a burst going on: extended batch after batch
        clock.advance(60)
        raise_alert(log, alert_id="al_1", action="alert.extended")
        follow(log, clock)
    later = channels.add("acme", "webhook", "https://hooks.example.com/b", by="u")
    raise_alert(log, alert_id="al_1", action="alert.extended")  # new to the later channel
    raise_alert(log, alert_id="al_1", action="alert.extended")  # in the same batch
    follow(log, clock)
    clock.advance(900 - 180)  # 15 minutes after the first was queued
    raise_alert(log, alert_id="al_1", action="alert.extended")
    follow(log, clock)
    queued = [(d.channel_id, d.message["type"]) for d in deliveries(log.store.engine, "al_1")]
    assert queued == [
        (first.id, "alert.raised"),
        (later.id, "alert.extended"),
        (first.id, "alert.extended"),
    ]
    raise_alert(log, "acme", "al_2")  # another alert is sent at once
    follow(log, clock)
    assert len(deliveries(log.store.engine, "al_2")) == 2


def test_a_new_follower_starts_at_the_end_of_the_log(
    log: ActivityLog, settings: Settings, clock: Clock
) -> None:
    Channels(log.store.engine).add("acme", "email", "ops@example.com", by="u", allow_private=True)
    raise_alert(log, alert_id="old")
    follow(log, clock)  # first run: alerts raised before delivery existed are not sent
    raise_alert(log, alert_id="new")
    follow(log, clock)
    assert deliveries(log.store.engine, "old") == []
    assert len(deliveries(log.store.engine, "new")) == 1


def test_the_follower_is_registered_under_its_name(log: ActivityLog) -> None:
    (follower,) = delivery_followers(log)
    assert (follower.name, follower.workspace, follower.start) == ("deliveries", None, "end")
    assert [f for f in registered(log) if f.name == "deliveries"] == [follower]


@pytest.mark.slow
@pytest.mark.parametrize("when", ["before_commit", "after_commit"])
def test_killed_before_or_after_its_commit_the_follower_enqueues_once(
    log: ActivityLog, db_url: str, settings: Settings, when: str
) -> None:
    Following(log).catch_up([DeliveryFollower(log)])  # the follower exists, at the end
    with http_receiver() as receiver:
        channel = Channels(log.store.engine).add(
            "acme", "webhook", receiver.url, by="u", allow_private=True
        )
        raise_alert(log)
        _child(log, db_url, settings, when)
        after_kill = deliveries(log.store.engine, "al_1")
        assert len(after_kill) == (0 if when == "before_commit" else 1)
        assert receiver.requests == []
        clock = Clock(dt.datetime.now(dt.UTC))  # after the child enqueued
        follow(log, clock)  # the restarted follower
        follow(log, clock)
        send = sender(log, settings, clock)
        send.send_due()
        send.send_due()
    (delivery,) = deliveries(log.store.engine, "al_1")
    assert delivery.status == "delivered"
    (request,) = receiver.requests
    assert channel.secret is not None
    Webhook(channel.secret).verify(request.body, request.headers)


@pytest.mark.slow
def test_a_sender_killed_mid_send_sends_again_with_the_same_webhook_id(
    log: ActivityLog, db_url: str, settings: Settings
) -> None:
    Following(log).catch_up([DeliveryFollower(log)])
    with http_receiver() as receiver:
        channel = Channels(log.store.engine).add(
            "acme", "webhook", receiver.url, by="u", allow_private=True
        )
        raise_alert(log)
        _child(log, db_url, settings, "mid_send")
        assert len(receiver.requests) == 1
        assert attempts(log.store.engine, "al_1") == []  # the outcome was never kept
        clock = Clock(dt.datetime.now(dt.UTC))
        assert sender(log, settings, clock).send_due() == 0  # still claimed
        clock.advance(600)  # the claim lapses
        assert sender(log, settings, clock).send_due() == 1
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert channel.secret is not None
    Webhook(channel.secret).verify(first.body, first.headers)
    (attempt,) = attempts(log.store.engine, "al_1")
    assert attempt.outcome == "delivered"
