"""A small activitylog server for the remote transport: the ``/api/v1`` contract over an
in-memory dict keyed by id, served by uvicorn on loopback, stoppable and restartable on the
same port. Faults are injected by setting its attributes."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from activitylog import ValidationError
from activitylog.events import validate
from activitylog.remote import RemoteOptions
from web._server import LiveServer  # the tests directory is on sys.path (pytest rootdir)

WRITE_KEY = "alk_write"
READ_KEY = "alk_read"
#: Fast enough that a test never waits long for a retry.
FAST = RemoteOptions(linger=0.01, backoff_initial=0.02, backoff_max=0.2, request_timeout=5.0)


@dataclass(frozen=True)
class Exchange:
    """One request to ``POST /api/v1/events``: when, how many events, the reply's status."""

    at: float
    events: int
    status: int


class FakeServer:
    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}
        self.exchanges: list[Exchange] = []
        self.max_events: int | None = None  # more per request -> 413
        self.refused_actions: set[str] = set()  # -> 422 naming those events
        self.failures: deque[int] = deque()  # statuses to answer before working again
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/api/v1/events", self._events, methods=["POST"]),
                Route("/api/v1/health", self._health, methods=["GET"]),
                Route("/api/v1/viewer-tokens", self._viewer_tokens, methods=["POST"]),
            ]
        )
        self._live = LiveServer(self.app)
        self.port = self._live.port
        self.url = self._live.url

    # -- control ---------------------------------------------------------------------------
    def start(self) -> None:
        self._live.start()

    def stop(self) -> None:
        self._live.stop()

    def close(self) -> None:
        self._live.close()

    def ids(self) -> set[str]:
        with self._lock:
            return set(self.stored)

    def statuses(self) -> list[int]:
        with self._lock:
            return [e.status for e in self.exchanges]

    # -- the API ---------------------------------------------------------------------------
    async def _events(self, request: Request) -> JSONResponse:
        body = await request.body()
        with self._lock:
            status, reply, size = self._ingest(request.headers.get("authorization"), body)
            self.exchanges.append(Exchange(time.monotonic(), size, status))
        return JSONResponse(reply, status)

    def _ingest(self, auth: str | None, body: bytes) -> tuple[int, dict[str, Any], int]:
        events = orjson.loads(body)["events"]
        if self.failures:
            return self.failures.popleft(), {"error": "unavailable"}, len(events)
        if auth != f"Bearer {WRITE_KEY}":
            return 401, _error("unauthenticated", "unknown or revoked API key"), len(events)
        if self.max_events is not None and len(events) > self.max_events:
            return 413, _error("payload_too_large", "send smaller batches"), len(events)
        errors = []
        for index, event in enumerate(events):
            try:
                validate(event)  # what the client sends must pass the real validation
            except ValidationError as exc:
                errors += [
                    {"index": index, "field": e.field, "reason": e.reason} for e in exc.errors
                ]
            if event.get("action") in self.refused_actions:
                errors.append({"index": index, "field": "action", "reason": "refused here"})
        if errors:
            message = "; ".join(f"[{e['index']}].{e['field']}: {e['reason']}" for e in errors)
            return 422, {**_error("validation", message), "errors": errors}, len(events)
        conflicts = [
            {"index": index, "field": "id", "reason": "was recorded before", "code": "conflict"}
            for index, event in enumerate(events)
            if event["id"] in self.stored
            and {k: v for k, v in self.stored[event["id"]].items() if k != "seq"} != event
        ]
        if conflicts:  # the server's idempotency: the same id with other content
            return 409, {**_error("conflict", "recorded before"), "errors": conflicts}, len(events)
        replies = []
        for event in events:
            stored = self.stored.get(event["id"])
            if stored is None:
                stored = self.stored[event["id"]] = {**event, "seq": len(self.stored) + 1}
            replies.append(
                {"id": stored["id"], "seq": stored["seq"], "content_hash": "c", "chain_hash": "h"}
            )
        return 201, {"events": replies}, len(events)

    async def _health(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def _viewer_tokens(self, request: Request) -> JSONResponse:
        auth = request.headers.get("authorization")
        if auth == f"Bearer {WRITE_KEY}":
            return JSONResponse(_error("forbidden", "this key may not read"), 403)
        if auth != f"Bearer {READ_KEY}":
            return JSONResponse(_error("unauthenticated", "unknown or revoked API key"), 401)
        body = await request.json()
        token = ".".join(str(body[k]) for k in ("workspace", "user_id", "role", "ttl_seconds"))
        return JSONResponse({"token": token, "expires_at": "2030-01-01T00:00:00Z"}, 201)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": code, "message": message, "errors": []}
