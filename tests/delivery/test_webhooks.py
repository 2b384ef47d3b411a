"""Webhooks signed as Standard Webhooks says, checked by the standardwebhooks library as a
receiver would; Slack's incoming-webhook shape; HTTP failures kept as attempts."""

from __future__ import annotations

import threading

import orjson
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from activitylog.client import ActivityLog
from activitylog.delivery import Channels, Sender, attempts, deliveries
from activitylog.settings import Settings

from ._support import Clock, follow, http_receiver, raise_alert, sender


def test_a_webhook_is_signed_and_verifies_with_the_channels_secret(
    log: ActivityLog, settings: Settings, live_clock: Clock
) -> None:
    clock = live_clock
    with http_receiver() as receiver:
        follow(log, clock)
        channel = Channels(log.store.engine).add(
            "acme", "webhook", receiver.url, by="operator", allow_private=True
        )
        assert channel.secret is not None
        assert channel.secret.startswith("whsec_")
        entry = raise_alert(log, alert_id="al_9", severity="critical")
        follow(log, clock)
        assert sender(log, settings, clock).send_due() == 1
    (request,) = receiver.requests
    assert request.path == "/hooks/alerts"
    assert request.headers["content-type"] == "application/json"
    payload = Webhook(channel.secret).verify(request.body, request.headers)
    (delivery,) = deliveries(log.store.engine, "al_9")
    assert request.headers["webhook-id"] == delivery.id
    assert request.headers["webhook-timestamp"] == str(int(clock.now.timestamp()))
    assert payload == {
        "type": "alert.raised",
        "timestamp": entry["occurred_at"],
        "data": {
            "alert_id": "al_9",
            "workspace": "acme",
            "rule": "failed_sign_ins",
            "severity": "critical",
            "summary": "7 failed sign-ins for ava@example.com from 203.0.113.9 in 5 minutes.",
            "event_ids": ["e1", "e2"],
            "entry_id": entry["id"],
            "url": None,
        },
    }
    other = Channels(log.store.engine).add(
        "acme", "webhook", receiver.url, by="operator", allow_private=True
    )
    assert other.secret is not None
    with pytest.raises(WebhookVerificationError):
        Webhook(other.secret).verify(request.body, request.headers)


def test_retries_keep_the_webhook_id_and_sign_each_attempt_afresh(
    log: ActivityLog, settings: Settings, live_clock: Clock
) -> None:
    clock = live_clock
    with http_receiver() as receiver:
        follow(log, clock)
        channel = Channels(log.store.engine).add(
            "acme", "webhook", receiver.url, by="operator", allow_private=True
        )
        raise_alert(log)
        follow(log, clock)
        send = sender(log, settings, clock)
        receiver.status[0] = 503
        send.send_due()
        clock.advance(30)
        receiver.status[0] = 302  # redirects are not followed: still a failure
        send.send_due()
        clock.advance(60)
        receiver.status[0] = 200
        send.send_due()
        clock.advance(7200)
        assert send.send_due() == 0
    assert len(receiver.requests) == 3
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert len({r.headers["webhook-timestamp"] for r in receiver.requests}) == 3
    assert channel.secret is not None
    for request in receiver.requests:
        Webhook(channel.secret).verify(request.body, request.headers)
    found = [
        (a.attempt, a.outcome, a.status_code, a.error) for a in attempts(log.store.engine, "al_1")
    ]
    assert found == [
        (1, "failed", 503, "HTTP 503"),
        (2, "failed", 302, "HTTP 302"),
        (3, "delivered", 200, None),
    ]


def test_slack_gets_text_and_blocks_with_its_markup_escaped(
    log: ActivityLog, settings: Settings, clock: Clock
) -> None:
    with http_receiver() as receiver:
        follow(log, clock)
        log.accounts().change_workspace_settings(
            "acme", {"link_base": "https://app.example.com"}, by="operator"
        )
        channels = Channels(log.store.engine)
        channel = channels.add(
            "acme", "slack", "https://hooks.slack.com/services/T1/B2/s3cr3t", by="o"
        )
        # The receiver stands in for Slack (a test cannot reach hooks.slack.com).
        _point_at(log, channel.id, receiver.url)
        raise_alert(log, alert_id="al_3", summary="<!channel> & <https://evil.example|click>")
        follow(log, clock)
        assert sender(log, settings, clock).send_due() == 1
    (request,) = receiver.requests
    assert "webhook-signature" not in request.headers
    message = orjson.loads(request.body)
    title = "[HIGH] Alert raised in acme: failed_sign_ins"
    escaped = "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"
    assert message["text"] == f"{title}: {escaped}"
    section, context, actions = message["blocks"]
    assert section == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": f"*{title}*\n{escaped}"},
    }
    assert context["type"] == "context"
    assert "*Severity:* high" in context["elements"][0]["text"]
    assert actions["elements"][0]["url"] == "https://app.example.com/alerts/al_3"
    assert channel.as_json()["target"] == "https://hooks.slack.com/services/T1/B2/…"
    (attempt,) = attempts(log.store.engine, "al_3")
    assert attempt.target == receiver.url.replace("/alerts", "/…")  # the last part hidden


def test_a_removed_channel_gives_up_its_pending_deliveries(
    log: ActivityLog, settings: Settings, clock: Clock
) -> None:
    follow(log, clock)
    channels = Channels(log.store.engine)
    channel = channels.add("acme", "webhook", "https://hooks.example.com/a", by="operator")
    raise_alert(log)
    follow(log, clock)
    assert channels.remove(channel.id) == channel
    assert channels.remove(channel.id) is None
    sender(log, settings, clock).send_due()
    (attempt,) = attempts(log.store.engine, "al_1")
    assert (attempt.outcome, attempt.error) == ("gave_up", "the channel was removed")
    assert deliveries(log.store.engine, "al_1")[0].status == "gave_up"


def test_an_unreachable_receiver_is_a_failed_attempt_naming_the_error(
    log: ActivityLog, settings: Settings, clock: Clock
) -> None:
    with http_receiver() as receiver:
        url = receiver.url  # closed when the block ends: nothing listens there any more
    follow(log, clock)
    Channels(log.store.engine).add("acme", "webhook", url, by="operator", allow_private=True)
    raise_alert(log)
    follow(log, clock)
    sender(log, settings, clock).send_due()
    (attempt,) = attempts(log.store.engine, "al_1")
    assert attempt.outcome == "failed"
    assert attempt.status_code is None
    assert (attempt.error or "").startswith("ConnectError")


def _point_at(log: ActivityLog, channel_id: str, url: str) -> None:
    from sqlalchemy import update

    from activitylog.delivery.schema import alert_channels

    with log.store.engine.begin() as conn:
        conn.execute(
            update(alert_channels).where(alert_channels.c.id == channel_id).values(target=url)
        )


def test_two_senders_at_once_attempt_each_delivery_once(
    log: ActivityLog, settings: Settings, live_clock: Clock
) -> None:
    with http_receiver() as receiver:
        follow(log, live_clock)
        channels = Channels(log.store.engine)
        for n in range(12):
            channels.add(
                "acme", "webhook", f"{receiver.url}/{n}", by="operator", allow_private=True
            )
        raise_alert(log)
        follow(log, live_clock)
        senders = [sender(log, settings, live_clock) for _ in range(2)]
        start = threading.Barrier(2)

        def run(one: Sender) -> None:
            start.wait()
            one.send_due()

        threads = [threading.Thread(target=run, args=(one,)) for one in senders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(receiver.requests) == 12
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 12
    found = deliveries(log.store.engine, "al_1")
    assert {(d.status, d.attempts) for d in found} == {("delivered", 1)}
