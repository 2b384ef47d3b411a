"""The sender: every few seconds, each due delivery attempted once; what came of it is
kept as an attempt, and a failure is tried again with backoff (:mod:`.retries`) until 24
hours after the first attempt. ``serve`` runs one; ``activitylog follow`` too.

A delivery is sent at least once: a process killed after the send and before its outcome
was kept sends it again when its claim lapses (ten minutes), with the same ``webhook-id``
or ``Message-ID``, so receivers can drop the repeat.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from activitylog.delivery.channels import channel_by_id
from activitylog.delivery.deliveries import Delivery, claim, due, settle
from activitylog.delivery.retries import next_attempt_us
from activitylog.delivery.times import micros, moment
from activitylog.delivery.transports import Outcome, Transports
from activitylog.timers import Every

if TYPE_CHECKING:
    from activitylog.client import ActivityLog

logger = logging.getLogger("activitylog.delivery")
EVERY_S = 5.0
BATCH = 100


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Sender:
    """Sends ``log``'s due deliveries: :meth:`send_due` once, or :meth:`start` a timer
    doing it every ``seconds`` until :meth:`stop`. ``clock`` and ``transports`` are for
    tests (a moving clock, a trusted test CA)."""

    def __init__(
        self,
        log: ActivityLog,
        *,
        seconds: float = EVERY_S,
        clock: Callable[[], datetime] = _utc_now,
        transports: Transports | None = None,
    ) -> None:
        self.log = log
        self._clock = clock
        self._transports = transports or Transports(log.settings)
        self._timer = Every("delivery", seconds, self.send_due, first=1.0)

    def start(self) -> None:
        self._timer.start()

    def stop(self, timeout: float | None = 15.0) -> None:
        """Stop the timer (an attempt underway finishes, up to ``timeout`` s)."""
        self._timer.stop(timeout)
        self.close()

    def close(self) -> None:
        """Release the HTTP client (after :meth:`send_due` without a timer)."""
        self._transports.close()

    def send_due(self) -> int:
        """Attempt every delivery due now, once each; how many were attempted."""
        engine = self.log.store.engine
        attempted = 0
        while not self._timer.stopping:
            now = micros(self._clock())
            batch = due(engine, now, BATCH)
            for delivery in batch:
                if self._timer.stopping:
                    break
                if claim(engine, delivery, now):
                    self._attempt(delivery)
                    attempted += 1
            if len(batch) < BATCH:
                break
        return attempted

    def _attempt(self, delivery: Delivery) -> None:
        engine = self.log.store.engine
        with engine.connect() as conn:
            channel = channel_by_id(conn, delivery.channel_id)
        at = self._clock()
        if channel is None:
            outcome = Outcome(False, error="the channel was removed")
        else:
            try:
                outcome = self._transports.send(channel, delivery.id, delivery.message, at)
            except Exception as exc:  # a bug must not keep a delivery from ever settling
                logger.exception("sending delivery %s failed", delivery.id)
                outcome = Outcome(False, error=f"{type(exc).__name__}: {exc}"[:500])
        at_us = micros(at)
        if outcome.delivered:
            kind, next_us = "delivered", None
        else:
            first = delivery.first_attempt_us or at_us
            failures = delivery.attempts + 1
            next_us = None if channel is None else next_attempt_us(first, failures, at_us)
            kind = "failed" if next_us is not None else "gave_up"
            logger.warning(
                "alert %s to %s %s: attempt %d %s (%s)%s",
                delivery.alert_id,
                delivery.kind,
                delivery.target,
                delivery.attempts + 1,
                kind,
                outcome.error,
                f", next at {moment(next_us).isoformat()}" if next_us else "",
            )
        settle(
            engine,
            delivery,
            at_us=at_us,
            outcome=kind,
            status_code=outcome.status_code,
            error=outcome.error,
            next_us=next_us,
        )
