"""Errors as HTTP replies: ``{"error": code, "message": text, "errors": [...]}`` for the
API, an HTML page for the pages, a redirect to sign in when a page needs a session.

``errors`` lists ``{"field", "reason"}`` (plus ``"index"`` for an event of a batch), so
a client can point at every invalid value at once.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from activitylog.errors import (
    ActivityLogError,
    BatchValidationError,
    ValidationError,
)
from activitylog.web.templating import templates

log = logging.getLogger("activitylog.web")
CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    422: "validation",
    500: "server_error",
}
TITLES = {
    401: "Sign in needed",
    403: "Not allowed",
    404: "Not found",
    413: "Too large",
    422: "Invalid request",
    500: "Something went wrong",
}


def error_body(
    status: int, message: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"error": CODES.get(status, "error"), "message": message, "errors": errors or []}


def field_errors(exc: ActivityLogError) -> list[dict[str, Any]]:
    if isinstance(exc, BatchValidationError):
        return [
            {"index": index, "field": e.field, "reason": e.reason}
            for index, errs in exc.by_index.items()
            for e in errs
        ]
    if isinstance(exc, ValidationError):
        return [{"field": e.field, "reason": e.reason} for e in exc.errors]
    return []


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
    return JSONResponse(error_body(status, message, errors), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ActivityLogError)
    async def _library(request: Request, exc: ActivityLogError) -> Response:
        if exc.status >= 500:
            log.exception("request failed", exc_info=exc)
        message = str(exc) if exc.status < 500 else "the server could not complete the request"
        return respond(request, exc.status, message, field_errors(exc))

    @app.exception_handler(RequestValidationError)
    async def _request(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"][1:]) or "request", "reason": e["msg"]}
            for e in exc.errors()
        ]
        message = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return respond(request, 422, message, errors)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return respond(request, exc.status_code, str(exc.detail), [])

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return respond(request, 500, "the server could not complete the request", [])


def _quote(target: str) -> str:
    return quote(target, safe="")
