"""The remote transport: events recorded by the SDK, sent to the server in the background.

``ActivityLog("https://log.example.com", api_key="alk_...")`` validates each event in the
caller's thread and hands it to a :class:`RemoteTransport`, whose daemon thread POSTs
batches to ``/api/v1/events``. Events carry their UUIDv7 ``id`` from the start, so sending
one twice stores it once: delivery is at-least-once on the wire, exactly-once in the log.

Temporary failures (connection errors, timeouts, 408, 425, 429, 5xx) move the batch to the
:class:`~activitylog.remote.spool.Spool` and retry with exponential backoff and jitter;
while anything is spooled, new events are appended behind it (order is kept) and the spool
is replayed first. 413 splits a batch in halves; 422 (invalid) and 409 (an id recorded
before with other content) set the events they name aside and send the rest; other
refusals (401, 403, ...) set the batch aside. Set-aside events go to the spool
directory's ``rejected-*.ndjson`` and are logged on ``activitylog.remote``.
"""

from __future__ import annotations

import atexit
import logging
import os
import random
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from activitylog.errors import (
    AccessDenied,
    ActivityLogError,
    ConfigurationError,
    FieldError,
    Unauthenticated,
    ValidationError,
)
from activitylog.remote.options import RemoteOptions
from activitylog.remote.spool import Spool

logger = logging.getLogger("activitylog.remote")

EVENTS_PATH = "/api/v1/events"
VIEWER_TOKENS_PATH = "/api/v1/viewer-tokens"
#: Statuses worth retrying (besides every 5xx): the request may succeed later as it is.
RETRY_STATUSES = frozenset({408, 425, 429})
_JSON = {"content-type": "application/json"}


class RemoteTransport:
    """Queue events for ``base_url`` and deliver them from a daemon thread.

    Thread-safe: any number of threads may :meth:`send` and :meth:`flush`. Everything the
    sender thread touches (the spool, the HTTP client's batches) is its own.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        spool_dir: Path,
        options: RemoteOptions | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.options = options or RemoteOptions()
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"authorization": f"Bearer {api_key}"},
            timeout=self.options.request_timeout,
        )
        try:
            self.spool = Spool(spool_dir, self.base_url)
            self.spool.adopt()
        except OSError as exc:
            self._http.close()
            raise ConfigurationError(f"cannot use the spool directory {spool_dir}: {exc}") from None
        lock = threading.Lock()
        self._arrived = threading.Condition(lock)  # the sender waits for events
        self._progress = threading.Condition(lock)  # flush() waits for the sender
        self._queue: deque[bytes] = deque()
        self._queued = 0  # events ever queued
        self._handled = 0  # of those: stored, set aside, or safe in the spool
        self._backlog = self.spool.pending()
        self._closing = self._stopping = self._stopped = False
        self._failures = 0  # temporary failures in a row
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="activitylog-remote", daemon=True)
        self._thread.start()
        atexit.register(self._close_at_exit)

    # -- the caller's side -----------------------------------------------------------------
    def send(self, contents: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Queue validated event contents (see :func:`activitylog.events.validate`); returns
        them without ``received_at``, which the server sets."""
        events = [{k: v for k, v in c.items() if k != "received_at"} for c in contents]
        lines = [wire_line(event) for event in events]
        if os.getpid() != self._pid:
            raise ConfigurationError(
                "this ActivityLog was created before the process forked; "
                "create it in each worker process"
            )
        with self._arrived:
            if self._closing:
                raise ActivityLogError("this ActivityLog is closed")
            waiting = len(self._queue)
            self._queue.extend(lines)
            self._queued += len(lines)
            if not waiting or waiting < self.options.batch_size <= len(self._queue):
                self._arrived.notify()
        return events

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event queued so far, and everything spooled, is delivered
        (stored or set aside as rejected): True, or False when ``timeout`` passes first."""
        with self._progress:
            target = self._queued
            self._progress.wait_for(lambda: self._settled(target) or self._stopped, timeout)
            return self._settled(target)

    def close(self, timeout: float | None = 10.0) -> None:
        """Flush for up to ``timeout`` seconds, then stop the sender; what is not delivered
        stays in the spool, replayed by the next transport for this base URL."""
        atexit.unregister(self._close_at_exit)
        self._close(timeout)

    def _close_at_exit(self) -> None:
        self._close(self.options.exit_timeout)

    def _close(self, timeout: float | None) -> None:
        with self._arrived:
            if self._closing:
                return
            self._closing = True
        if not self.flush(timeout):
            logger.warning(
                "not everything reached %s yet; it waits in %s for the next start",
                self.base_url,
                self.spool.directory,
            )
        with self._arrived:
            self._stopping = True
            self._arrived.notify_all()
        self._thread.join(self.options.request_timeout + 1.0)  # one request may be in flight
        if not self._thread.is_alive():
            self._http.close()

    def viewer_token(self, *, workspace: str, user_id: str, role: str, ttl: timedelta) -> str:
        """Ask the server for a viewer token (the API key needs read access)."""
        if self._closing:
            raise ActivityLogError("this ActivityLog is closed")
        body = {
            "workspace": workspace,
            "user_id": user_id,
            "role": role,
            "ttl_seconds": int(ttl.total_seconds()),
        }
        try:
            response = self._http.post(VIEWER_TOKENS_PATH, json=body)
        except httpx.TransportError as exc:
            raise ActivityLogError(f"cannot reach {self.base_url}: {exc}") from None
        payload = _json(response)
        if response.status_code != 201 or not isinstance(payload.get("token"), str):
            raise _error(response)
        return str(payload["token"])

    def _settled(self, target: int) -> bool:
        return self._handled >= target and not self._backlog

    # -- the sender thread -----------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._stopping:
                try:
                    self._step()
                except Exception:  # the sender must survive anything; the events are safe
                    logger.exception("unexpected error while sending to %s", self.base_url)
                    self._failures += 1
                    self._pause()
        finally:
            self._shutdown()

    def _step(self) -> None:
        if self.spool.pending():
            self._spool_queued()  # behind what is spooled, to keep the order
            if not self._replay():
                self._pause()
            self._report()
            return
        lines = self._take()
        if not lines:
            return
        try:
            rest = self._deliver(lines)
            if rest:
                self.spool.append(rest)
        except Exception:
            with self._arrived:  # back at the head of the queue: nothing is lost
                self._queue.extendleft(reversed(lines))
            raise
        self._report(handled=len(lines))
        if rest:
            self._pause()

    def _take(self) -> list[bytes]:
        """Up to ``batch_size`` queued events, waiting ``linger`` for more after the first."""
        size = self.options.batch_size
        with self._arrived:
            self._arrived.wait_for(lambda: self._queue or self._stopping)
            deadline = time.monotonic() + self.options.linger
            while len(self._queue) < size and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._arrived.wait(remaining)
            if self._stopping:
                return []  # _shutdown() spools them
            return [self._queue.popleft() for _ in range(min(size, len(self._queue)))]

    def _replay(self) -> bool:
        """Send the spool's next batch; False on a temporary failure."""
        batch = self.spool.read(self.options.batch_size)
        if batch is None:
            return True
        if self._deliver(batch.lines):
            return False
        self.spool.confirm(batch)
        return True

    def _deliver(self, lines: list[bytes]) -> list[bytes]:
        """POST ``lines``; returns those left undelivered by a temporary failure (none when
        every event was stored or set aside)."""
        batches = deque([lines])
        while batches:
            batch = batches.popleft()
            try:
                response = self._http.post(EVENTS_PATH, content=_body(batch), headers=_JSON)
            except httpx.TransportError as exc:
                return self._failed(f"{type(exc).__name__}: {exc}", batch, batches)
            status = response.status_code
            if 200 <= status < 300:
                continue
            if status in RETRY_STATUSES or status >= 500:
                return self._failed(f"{status} {response.reason_phrase}", batch, batches)
            if status == 413 and len(batch) > 1:
                half = len(batch) // 2
                batches.extendleft([batch[half:], batch[:half]])
                continue
            bad = _invalid_indexes(response, len(batch)) if status in (409, 422) else set()
            if bad and len(bad) < len(batch):
                batches.appendleft([line for i, line in enumerate(batch) if i not in bad])
                batch = [batch[i] for i in sorted(bad)]
            self._reject(batch, response)
        if self._failures:
            logger.info("delivering to %s again", self.base_url)
            self._failures = 0
        return []

    def _failed(self, reason: str, batch: list[bytes], later: Iterable[list[bytes]]) -> list[bytes]:
        if not self._failures:
            logger.warning(
                "cannot deliver to %s (%s); spooling in %s and retrying",
                self.base_url,
                reason,
                self.spool.directory,
            )
        self._failures += 1
        return [*batch, *(line for rest in later for line in rest)]

    def _reject(self, batch: list[bytes], response: httpx.Response) -> None:
        path = self.spool.reject(batch)
        logger.error(
            "%s refused %d event(s) with %d %s: %s; they were moved to %s",
            self.base_url,
            len(batch),
            response.status_code,
            response.reason_phrase,
            _reason(response),
            path,
        )

    def _pause(self) -> None:
        """Back off before the next attempt, spooling whatever arrives meanwhile."""
        steps = min(max(self._failures - 1, 0), 32)
        delay = min(self.options.backoff_max, self.options.backoff_initial * 2**steps)
        deadline = time.monotonic() + delay * random.uniform(0.5, 1.0)
        spooling = True
        while True:
            with self._arrived:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping:
                    return
                if spooling:
                    self._arrived.wait_for(lambda: self._queue or self._stopping, remaining)
                else:
                    self._arrived.wait_for(lambda: self._stopping, remaining)
            if spooling:
                spooling = self._spool_queued()

    def _spool_queued(self) -> bool:
        """Move every queued event to the spool; False (logged) when the disk refused."""
        with self._arrived:
            lines = list(self._queue)
            self._queue.clear()
        if not lines:
            return True
        try:
            self.spool.append(lines)
        except OSError:
            logger.exception("cannot write the spool in %s", self.spool.directory)
            with self._arrived:
                self._queue.extendleft(reversed(lines))
            return False
        self._report(handled=len(lines))
        return True

    def _report(self, handled: int = 0) -> None:
        with self._progress:
            self._handled += handled
            self._backlog = self.spool.pending()
            self._progress.notify_all()

    def _shutdown(self) -> None:
        try:
            if not self._spool_queued():
                logger.error("%d event(s) for %s are lost", len(self._queue), self.base_url)
        finally:
            self.spool.close()
            with self._progress:
                self._stopped = True
                self._progress.notify_all()


def wire_line(content: Mapping[str, Any]) -> bytes:
    """One event as sent and spooled: its JSON without null fields."""
    return orjson.dumps({k: v for k, v in content.items() if v is not None})


def _body(lines: Sequence[bytes]) -> bytes:
    return b'{"events":[' + b",".join(lines) + b"]}"


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _reason(response: httpx.Response) -> str:
    payload = _json(response)
    message = payload.get("message")
    if isinstance(message, str) and message:
        return message
    return response.text[:200] or "no reason given"


def _invalid_indexes(response: httpx.Response, size: int) -> set[int]:
    errors = _json(response).get("errors")
    if not isinstance(errors, list):
        return set()
    indexes = {e.get("index") for e in errors if isinstance(e, dict)}
    return {i for i in indexes if isinstance(i, int) and 0 <= i < size}


def _error(response: httpx.Response) -> ActivityLogError:
    message = _reason(response)
    if response.status_code == 401:
        return Unauthenticated(message)
    if response.status_code == 403:
        return AccessDenied(message)
    if response.status_code == 422:
        errors = _json(response).get("errors") or []
        fields = [
            FieldError(str(e.get("field", "request")), str(e.get("reason", "")))
            for e in errors
            if isinstance(e, dict)
        ]
        return ValidationError(fields or [FieldError("request", message)])
    return ActivityLogError(f"{response.status_code} {response.reason_phrase}: {message}")
