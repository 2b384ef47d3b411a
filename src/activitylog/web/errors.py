"""Errors as HTTP replies: RFC 9457 problem details (``application/problem+json``) for the
API, an HTML page for the pages, a redirect to sign in when a page needs a session.

A problem holds ``type`` (``about:blank``: the status says it all), ``title`` (the status's
phrase), ``status`` and ``detail``, and keeps the fields clients read before: ``error`` (a
code for the status), ``message`` (the same text as ``detail``) and ``errors``, which lists
``{"field", "reason", "code"}`` (plus ``"index"`` for an event of a batch) so a client can
point at every invalid value at once. ``code`` is machine-readable (see :data:`FIELD_CODES`).
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from activitylog.errors import (
    ActivityLogError,
    BatchValidationError,
    Conflict,
    StorageFull,
    ValidationError,
    is_storage_full,
)
from activitylog.web.templating import templates

log = logging.getLogger("activitylog.web")
CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation",
    429: "rate_limited",
    500: "server_error",
    507: "storage_full",
}
TITLES = {
    401: "Sign in needed",
    403: "Not allowed",
    404: "Not found",
    413: "Too large",
    422: "Invalid request",
    500: "Something went wrong",
    507: "Storage full",
}


PROBLEM_JSON = "application/problem+json"
#: A field error's ``code``, by how its reason begins (the first that matches), else
#: ``invalid``.
FIELD_CODES: tuple[tuple[str, str], ...] = (
    (r"is required|must be a non-empty", "required"),
    (r"is not a known|is not a workspace setting|cannot be set", "unknown_field"),
    (
        r"is longer than|(values )?must be at most .* characters|at most .* (per request|at once)",
        "too_long",
    ),
    (r"is \S+ bytes; the limit", "too_large"),
    (r"must be one of|unknown |must be '|must be csv|must be user|direction must", "not_allowed"),
    (r"must be an? (JSON )?(object|string|list|whole number)|must be \{|must be an event", "type"),
    (r"is not valid JSON|is empty; send JSON|is not JSON", "not_json"),
    (
        r"must be a UUID|must be dotted|is not a valid IP|is not an ISO|must be an ISO|"
        r"must not contain|contains a NUL",
        "format",
    ),
    (r"is already taken", "taken"),
    (r"was recorded before", "conflict"),
)
_FIELD_CODES = [(re.compile(pattern), code) for pattern, code in FIELD_CODES]


def field_code(reason: str) -> str:
    """The machine-readable code of a field error's ``reason``."""
    return next((code for pattern, code in _FIELD_CODES if pattern.match(reason)), "invalid")


def error_body(
    status: int, message: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The problem details of an error reply (see the module's docstring)."""
    return {
        "type": "about:blank",
        "title": _phrase(status),
        "status": status,
        "detail": message,
        "error": CODES.get(status, "error"),
        "message": message,
        "errors": errors or [],
    }


def field_errors(exc: ActivityLogError) -> list[dict[str, Any]]:
    if isinstance(exc, BatchValidationError):
        return [
            {"index": index, "field": e.field, "reason": e.reason, "code": field_code(e.reason)}
            for index, errs in exc.by_index.items()
            for e in errs
        ]
    if isinstance(exc, ValidationError):
        return [
            {"field": e.field, "reason": e.reason, "code": field_code(e.reason)} for e in exc.errors
        ]
    if isinstance(exc, Conflict):
        reason = "was recorded before with other content"
        return [
            {"index": index, "field": "id", "reason": reason, "code": "conflict", "id": event_id}
            for index, event_id in exc.by_index.items()
        ]
    return []


def problem(
    status: int,
    message: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An ``application/problem+json`` reply."""
    return JSONResponse(
        error_body(status, message, errors),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def wants_html(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(("/api/", "/activity/partials")) and "text/html" in (
        request.headers.get("accept", "")
    )


def respond(request: Request, status: int, message: str, errors: list[dict[str, Any]]) -> Response:
    if wants_html(request):
        if status == 401 and not request.url.path.startswith("/embed"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/signin?next={_quote(target)}", status_code=303)
        context = {"title": TITLES.get(status, "Error"), "message": message, "status": status}
        return templates.TemplateResponse(request, "error.html", context, status_code=status)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem(status, message, errors, headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ActivityLogError)
    async def _library(request: Request, exc: ActivityLogError) -> Response:
        if isinstance(exc, StorageFull):
            return _storage_full(request, exc)
        if exc.status >= 500:
            log.exception("request failed", exc_info=exc)
        message = str(exc) if exc.status < 500 else "the server could not complete the request"
        return respond(request, exc.status, message, field_errors(exc))

    @app.exception_handler(RequestValidationError)
    async def _request(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"][1:]) or "request",
                "reason": e["msg"],
                "code": _pydantic_code(e["type"]),
            }
            for e in exc.errors()
        ]
        message = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return respond(request, 422, message, errors)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return respond(request, exc.status_code, str(exc.detail), [])

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        if is_storage_full(exc):  # any other write (a session, a setting) on a full disk
            return _storage_full(request, exc)
        log.exception("unexpected error", exc_info=exc)
        return respond(request, 500, "the server could not complete the request", [])


#: Seconds a client is asked to wait before sending again to a full log.
STORAGE_RETRY_AFTER = 60


def _storage_full(request: Request, exc: BaseException) -> Response:
    """507 Insufficient Storage: nothing was stored; send again once space is freed."""
    log.error("the database or its disk is full: %s", exc)
    message = (
        "the log's storage is full: nothing of this request was stored;"
        " send it again once space is freed"
    )
    reply = respond(request, 507, message, [])
    reply.headers["Retry-After"] = str(STORAGE_RETRY_AFTER)
    return reply


def _pydantic_code(kind: str) -> str:
    """A field code (see :data:`FIELD_CODES`) for a pydantic error type."""
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown_field"
    if kind.endswith("_too_long"):
        return "too_long"
    if kind in ("literal_error", "enum"):
        return "not_allowed"
    if kind.endswith(("_parsing", "_type")):
        return "type"
    return "format" if kind.endswith("_pattern_mismatch") else "invalid"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _quote(target: str) -> str:
    return quote(target, safe="")
