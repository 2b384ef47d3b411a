"""``ActivityLogMiddleware``: every event recorded while Django handles a request — by
``log.record()`` in a view, by a registered model, by the sign-in signals — gets the
request's actor, workspace, client IP, user agent, request id and session id::

    MIDDLEWARE = [
        ...
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "activitylog.contrib.django.middleware.ActivityLogMiddleware",  # after auth
        ...
    ]

- **actor**: ``ACTOR(request)`` when set, else the signed-in ``request.user`` as
  ``{id, name, email}``; anonymous -> System. It is read when the request starts, so
  events after ``login()`` in the same request are still System's (the sign-in event
  itself names the user).
- **workspace**: ``WORKSPACE(request)``, else ``DEFAULT_WORKSPACE``; a model registered
  with ``workspace=`` names its own.
- **ip**: ``REMOTE_ADDR``, or — only when that peer is one of ``TRUSTED_PROXIES`` — the
  first address not of a trusted proxy, reading ``Forwarded`` / ``X-Forwarded-For`` right
  to left (:class:`activitylog.capture.proxies.TrustedProxies`). Nothing is trusted by
  default, so a client cannot claim another address.
- **request_id**: the incoming ``REQUEST_ID_HEADER`` when sane (1 to 200 printable ASCII
  characters), else a new one; the response carries it back in that header.
- **session_id**: a hash of the session key (:func:`~activitylog.contrib.django.auth.
  session_id_of`), never the key.

Works in sync and async stacks (async: the user and workspace are resolved in a thread,
``sync_to_async``). The context is set with ``log.context()`` (context variables) and reset
when the view returns; streamed responses run each chunk in it too (except
``FileResponse``, which is passed through untouched so servers can still send the file).
If a resolver raises, the error is logged and the request goes on as System.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from activitylog.capture.context import (
    new_request_id,
    request_context,
    request_id_from,
    user_agent_from,
)
from activitylog.client import ActivityLog
from activitylog.contrib.django.auth import actor_of, session_id_of
from activitylog.contrib.django.recording import get_log
from activitylog.contrib.django.settings import config

logger = logging.getLogger("activitylog.contrib.django")


class ActivityLogMiddleware:
    """Sets the log's context for each request (see the module docstring)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        from asgiref.sync import iscoroutinefunction, markcoroutinefunction

        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        if self.is_async:
            return self.__acall__(request)
        log, fields = _prepare(request)
        with request_context(log, **fields):
            response = self.get_response(request)
        return _finish(response, log, fields)

    async def __acall__(self, request: Any) -> Any:
        from asgiref.sync import sync_to_async

        log, fields = await sync_to_async(_prepare, thread_sensitive=True)(request)
        with request_context(log, **fields):
            response = await self.get_response(request)
        return _finish(response, log, fields)


def request_fields(request: Any) -> dict[str, Any]:
    """The context one request sets: actor, workspace, ip, user_agent, request_id,
    session_id (None where unknown)."""
    cfg = config()
    meta = request.META
    headers = {
        name: value
        for name, value in (
            ("forwarded", meta.get("HTTP_FORWARDED")),
            ("x-forwarded-for", meta.get("HTTP_X_FORWARDED_FOR")),
        )
        if value
    }
    return {
        "actor": _resolved("ACTOR", request, cfg.actor, _default_actor),
        "workspace": _workspace(_resolved("WORKSPACE", request, cfg.workspace, None))
        or cfg.default_workspace,
        "ip": cfg.proxies.client_ip(meta.get("REMOTE_ADDR") or None, headers),
        "user_agent": user_agent_from(meta.get("HTTP_USER_AGENT")),
        "request_id": request_id_from(meta.get(cfg.request_id_meta_key)) or new_request_id(),
        "session_id": session_id_of(request),
    }


def _prepare(request: Any) -> tuple[ActivityLog, dict[str, Any]]:
    return get_log(), request_fields(request)


def _resolved(key: str, request: Any, resolver: Callable[[Any], Any] | None, default: Any) -> Any:
    chosen = resolver or default
    if chosen is None:
        return None
    try:
        return chosen(request)
    except Exception:  # not BaseException: cancellation and friends go through
        logger.exception(
            "activitylog: %s failed for %s %s; the request is recorded without it",
            key,
            request.method,
            request.path,
        )
        return None


def _default_actor(request: Any) -> dict[str, Any] | None:
    return actor_of(getattr(request, "user", None))


def _workspace(value: Any) -> str | None:
    return None if value is None else str(value)


def _finish(response: Any, log: ActivityLog, fields: dict[str, Any]) -> Any:
    header = config().request_id_header
    if not response.has_header(header):
        response[header] = fields["request_id"]
    if getattr(response, "streaming", False) and not _is_file(response):
        content = response.streaming_content
        if getattr(response, "is_async", False):
            response.streaming_content = _astreamed(content, log, fields)
        else:
            response.streaming_content = _streamed(content, log, fields)
    return response


def _is_file(response: Any) -> bool:
    from django.http import FileResponse

    return isinstance(response, FileResponse)


def _streamed(content: Any, log: ActivityLog, fields: dict[str, Any]) -> Iterator[Any]:
    chunks = iter(content)
    while True:
        with request_context(log, **fields):
            try:
                chunk = next(chunks)
            except StopIteration:
                return
        yield chunk


async def _astreamed(content: Any, log: ActivityLog, fields: dict[str, Any]) -> AsyncIterator[Any]:
    chunks = aiter(content)
    while True:
        with request_context(log, **fields):
            try:
                chunk = await anext(chunks)
            except StopAsyncIteration:
                return
        yield chunk
