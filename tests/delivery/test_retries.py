"""The backoff: 30 s doubling to at most an hour apart, the last attempt 24 hours after
the first; and the sender giving up there, every attempt kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

from activitylog.client import ActivityLog
from activitylog.delivery import Channels, Sender, attempts, deliveries
from activitylog.delivery.retries import next_attempt_us, retry_delay
from activitylog.delivery.transports import Outcome, Transports
from activitylog.settings import Settings

from ._support import Clock, follow, raise_alert, sender

S = 1_000_000


def test_the_delay_doubles_from_30_seconds_to_at_most_an_hour() -> None:
    assert [retry_delay(n) for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]


def test_the_last_attempt_is_24_hours_after_the_first_then_none() -> None:
    first = 1_000 * S
    assert next_attempt_us(first, 1, first) == first + 30 * S
    late = first + 23 * 3600 * S + 1800 * S  # 23.5 h in: an hour's delay is cut at 24 h
    assert next_attempt_us(first, 20, late) == first + 24 * 3600 * S
    assert next_attempt_us(first, 21, first + 24 * 3600 * S) is None


def test_a_delivery_failing_for_24_hours_gives_up_with_every_attempt_kept(
    log: ActivityLog, settings: Settings, clock: Clock
) -> None:
    follow(log, clock)
    Channels(log.store.engine).add(
        "acme", "email", "ops@example.com", by="operator", allow_private=True
    )
    raise_alert(log)
    follow(log, clock)
    send = sender(log, settings, clock)  # no SMTP server set: every attempt fails
    start = clock.now
    while send.send_due():  # the sender runs whenever the next attempt is due
        next_at = attempts(log.store.engine, "al_1")[-1].next_at
        if next_at is not None:
            clock.now = dt.datetime.fromisoformat(next_at)
    expected, delay = [0], 30  # seconds after the first: 0, 30, 90, 210, ... 86400
    while expected[-1] < 86400:
        expected.append(min(expected[-1] + delay, 86400))
        delay = min(delay * 2, 3600)
    made = attempts(log.store.engine, "al_1")
    at = [(dt.datetime.fromisoformat(a.at) - start).total_seconds() for a in made]
    assert at == expected
    assert [a.attempt for a in made] == list(range(1, len(expected) + 1))
    assert [a.outcome for a in made] == ["failed"] * (len(expected) - 1) + ["gave_up"]
    assert made[-1].next_at is None
    (delivery,) = deliveries(log.store.engine, "al_1")
    assert (delivery.status, delivery.attempts) == ("gave_up", len(expected))
    clock.advance(86400)
    assert send.send_due() == 0


def test_an_unexpected_error_while_sending_is_a_failed_attempt(
    log: ActivityLog, settings: Settings, clock: Clock
) -> None:
    class Broken(Transports):
        def send(self, *_args: Any) -> Outcome:
            raise RuntimeError("boom")

    follow(log, clock)
    Channels(log.store.engine).add(
        "acme", "email", "ops@example.com", by="operator", allow_private=True
    )
    raise_alert(log)
    follow(log, clock)
    assert Sender(log, clock=clock, transports=Broken(settings)).send_due() == 1
    (attempt,) = attempts(log.store.engine, "al_1")
    assert (attempt.outcome, attempt.error) == ("failed", "RuntimeError: boom")
    assert attempt.next_at == "2026-12-06T12:00:30Z"
