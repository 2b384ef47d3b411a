"""ASGI middleware (Starlette, FastAPI, any ASGI app): every event recorded while a request
is handled gets its actor, workspace, client IP, user agent and request id::

    from activitylog.capture.asgi import ActivityLogMiddleware
    from activitylog.capture.context import Identity

    async def identify(request: Request) -> Identity | None:
        user = await users.from_session(request.cookies.get("session"))
        if user is None:
            return None                       # anonymous: events are done by System
        return Identity(actor={"id": user.id, "name": user.name, "email": user.email},
                        workspace=user.workspace_id, session_id=user.session_id)

    app.add_middleware(ActivityLogMiddleware, log=log, identify=identify,
                       trusted_proxies=["10.0.0.0/8"])

Only HTTP requests are handled; WebSocket and lifespan messages pass through untouched.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from activitylog.capture.context import (
    Identity,
    new_request_id,
    request_context,
    request_id_from,
    user_agent_from,
)
from activitylog.capture.proxies import TrustedProxies

if TYPE_CHECKING:
    from activitylog.client import ActivityLog

Identify: TypeAlias = Callable[[Request], Identity | Awaitable[Identity | None] | None]

logger = logging.getLogger("activitylog.capture")


class ActivityLogMiddleware:
    """Sets the log's context for each HTTP request.

    - ``identify(request)`` (sync or async; a sync one runs in the thread pool, so it may
      block) returns the :class:`Identity` or None. The request it gets has no body to
      read. If it raises, the error is logged once and the request goes on as System.
    - The client IP is the TCP peer, or, when the peer is one of ``trusted_proxies``, the
      first untrusted address of its forwarding headers (see :class:`TrustedProxies`).
    - The request id is the incoming ``request_id_header`` when it is at most 200
      printable characters, else a new ``req_…`` id; the response carries it back.
    """

    def __init__(
        self,
        app: ASGIApp,
        log: ActivityLog,
        *,
        identify: Identify,
        trusted_proxies: Iterable[str] | TrustedProxies = (),
        request_id_header: str = "x-request-id",
    ) -> None:
        self.app = app
        self.log = log
        self.identify = identify
        self.proxies = TrustedProxies.of(trusted_proxies)
        self.request_id_header = request_id_header.lower()
        self._header_bytes = self.request_id_header.encode("latin-1")
        self._identify_is_async = _is_async(identify)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        client = scope.get("client")
        ip = self.proxies.client_ip(client[0] if client else None, headers)
        request_id = request_id_from(headers.get(self.request_id_header)) or new_request_id()
        identity = await self._identity(scope)
        echoed = (self._header_bytes, request_id.encode("latin-1"))

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [h for h in message.get("headers", ()) if h[0].lower() != echoed[0]]
                message = {**message, "headers": [*kept, echoed]}
            await send(message)

        with request_context(
            self.log,
            actor=identity.actor if identity else None,
            workspace=identity.workspace if identity else None,
            ip=ip,
            user_agent=user_agent_from(headers.get("user-agent")),
            request_id=request_id,
            session_id=identity.session_id if identity else None,
            impersonator=identity.impersonator if identity else None,
        ):
            await self.app(scope, receive, send_with_request_id)

    async def _identity(self, scope: Scope) -> Identity | None:
        request = Request(scope)
        try:
            if self._identify_is_async:
                result: Any = self.identify(request)
            else:
                result = await run_in_threadpool(self.identify, request)
            if inspect.isawaitable(result):
                result = await result
            if result is not None and not isinstance(result, Identity):
                raise TypeError(f"identify returned {type(result).__name__}, not Identity")
        except Exception:  # not BaseException: cancellation must go through
            logger.exception(
                "identify failed for %s %s; the request is recorded as System",
                scope.get("method"),
                scope.get("path"),
            )
            return None
        return result


def _headers(scope: Scope) -> Mapping[str, str]:
    """Lower-case names; a repeated header's values joined with ", " (RFC 9110 5.3)."""
    out: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _is_async(fn: Callable[..., Any]) -> bool:
    while isinstance(fn, functools.partial):
        fn = fn.func
    call = getattr(fn, "__call__", None)  # noqa: B004 - a callable object's async __call__
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call)


__all__ = ["ActivityLogMiddleware", "Identify", "Identity"]
