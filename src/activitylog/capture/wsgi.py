"""WSGI middleware (Flask, Django's WSGI handler, any WSGI app): every event recorded while
a request is handled — streamed response bodies included — gets its actor, workspace,
client IP, user agent and request id::

    from activitylog.capture.context import Identity
    from activitylog.capture.wsgi import ActivityLogWSGIMiddleware

    def identify(environ) -> Identity | None:
        user = users.from_cookie(environ.get("HTTP_COOKIE"))
        if user is None:
            return None
        return Identity(actor={"id": user.id, "name": user.name}, workspace=user.team)

    app.wsgi_app = ActivityLogWSGIMiddleware(app.wsgi_app, log, identify=identify,
                                             trusted_proxies=["10.0.0.0/8"])

Each request runs in a ``contextvars.Context`` of its own: the app call, every step of the
response iteration (streamed bodies included) and ``close()`` run inside it with the log's
context set, which is reset after each step, so nothing leaks to the next request the worker
thread serves — even from a server that never calls ``close()``.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, cast

from activitylog.capture.context import (
    Identity,
    new_request_id,
    request_context,
    request_id_from,
    user_agent_from,
)
from activitylog.capture.proxies import TrustedProxies

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication

    from activitylog.client import ActivityLog

WSGIEnvironment: TypeAlias = dict[str, Any]
Identify: TypeAlias = Callable[[WSGIEnvironment], Identity | None]

logger = logging.getLogger("activitylog.capture")

_T = TypeVar("_T")
_DONE = object()
_ExcInfo: TypeAlias = (
    tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]
)


class ActivityLogWSGIMiddleware:
    """Sets the log's context for each request, like the ASGI
    :class:`~activitylog.capture.asgi.ActivityLogMiddleware`: ``identify(environ)`` returns
    the :class:`Identity` or None (if it raises, the error is logged once and the request
    goes on as System); the peer is ``REMOTE_ADDR``, believed to be a proxy only when it is
    one of ``trusted_proxies``; the request id is the incoming ``request_id_header`` when
    sane, else a new one, and the response carries it back."""

    def __init__(
        self,
        app: WSGIApplication,
        log: ActivityLog,
        *,
        identify: Identify,
        trusted_proxies: Iterable[str] | TrustedProxies = (),
        request_id_header: str = "X-Request-ID",
    ) -> None:
        self.app = app
        self.log = log
        self.identify = identify
        self.proxies = TrustedProxies.of(trusted_proxies)
        self.request_id_header = request_id_header
        self._environ_key = "HTTP_" + request_id_header.upper().replace("-", "_")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        headers = {
            name: value
            for name, value in (
                ("forwarded", environ.get("HTTP_FORWARDED")),
                ("x-forwarded-for", environ.get("HTTP_X_FORWARDED_FOR")),
            )
            if value
        }
        ip = self.proxies.client_ip(environ.get("REMOTE_ADDR") or None, headers)
        request_id = request_id_from(environ.get(self._environ_key)) or new_request_id()
        identity = self._identity(environ)
        name = self.request_id_header

        def start_with_request_id(
            status: str, response_headers: list[tuple[str, str]], exc_info: _ExcInfo | None = None
        ) -> Callable[[bytes], object]:
            kept = [h for h in response_headers if h[0].lower() != name.lower()]
            return start_response(status, [*kept, (name, request_id)], exc_info)

        fields: dict[str, Any] = {
            "actor": identity.actor if identity else None,
            "workspace": identity.workspace if identity else None,
            "ip": ip,
            "user_agent": user_agent_from(environ.get("HTTP_USER_AGENT")),
            "request_id": request_id,
            "session_id": identity.session_id if identity else None,
            "impersonator": identity.impersonator if identity else None,
        }
        step = _Steps(self.log, fields)
        return _ResponseInContext(step(self.app, environ, start_with_request_id), step)

    def _identity(self, environ: WSGIEnvironment) -> Identity | None:
        try:
            result: Any = self.identify(environ)
            if result is not None and not isinstance(result, Identity):
                raise TypeError(f"identify returned {type(result).__name__}, not Identity")
        except Exception:  # not BaseException: KeyboardInterrupt and friends go through
            logger.exception(
                "identify failed for %s %s; the request is recorded as System",
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
            )
            return None
        return result


class _Steps:
    """Runs one step of a request — the app call, one ``next()``, ``close()`` — in the
    request's own ``contextvars.Context`` with the log's context set, and resets it after
    the step: nothing is left set between steps, nor when a server never calls ``close()``."""

    def __init__(self, log: ActivityLog, fields: dict[str, Any]) -> None:
        self._log = log
        self._fields = fields
        self._context = contextvars.copy_context()

    def __call__(self, fn: Callable[..., _T], *args: Any) -> _T:
        return self._context.run(self._in_request, fn, *args)

    def _in_request(self, fn: Callable[..., _T], *args: Any) -> _T:
        with request_context(self._log, **self._fields):
            return fn(*args)


class _ResponseInContext:
    """The app's response iterable, each step (and ``close()``) run in the request's
    context."""

    def __init__(self, body: Iterable[bytes], step: _Steps) -> None:
        self._body = body
        self._step = step
        self._iterator: Iterator[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._iterator is None:
            self._iterator = self._step(iter, self._body)
        chunk: object = self._step(next, self._iterator, _DONE)
        if chunk is _DONE:
            raise StopIteration
        return cast(bytes, chunk)

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            self._step(close)


__all__ = ["ActivityLogWSGIMiddleware", "Identify", "Identity"]
