"""Security headers on every reply: a strict Content-Security-Policy (no inline script or
style, no third-party origins), no MIME sniffing, no referrer leaks, and framing only of
``/embed`` and only by the configured ``embed_origins``. Also keeps viewer tokens out of
uvicorn's access log (``/embed?token=...`` is logged as ``token=[redacted]``)."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from activitylog.settings import Settings

BASE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
#: Swagger UI (served from the installed swagger-ui-bundle package) styles inline.
DOCS_POLICY = BASE_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, embed_origins: tuple[str, ...]) -> None:
        self.app = app
        self.embed_ancestors = " ".join(embed_origins) or "'none'"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        embedded = path == "/embed"
        policy = DOCS_POLICY if path == "/docs" else BASE_POLICY
        ancestors = self.embed_ancestors if embedded else "'none'"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault(
                    "Content-Security-Policy", f"{policy}; frame-ancestors {ancestors}"
                )
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if not embedded:
                    headers.setdefault("X-Frame-Options", "DENY")
                if path.startswith(("/activity", "/api/", "/embed", "/signin")):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)


class RedactTokens(logging.Filter):
    """Replaces the value of every ``token`` query parameter in uvicorn's access log lines
    (their arguments: client, method, path with query, HTTP version, status)."""

    PATTERN = re.compile(r"([?&]token=)[^&\s]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(a, str) and "token=" in a for a in record.args
        ):
            record.args = tuple(self._redact(a) for a in record.args)
        return True

    def _redact(self, value: Any) -> Any:
        return self.PATTERN.sub(r"\1[redacted]", value) if isinstance(value, str) else value


def install(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(SecurityHeaders, embed_origins=settings.embed_origins)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in access.filters):
        access.addFilter(RedactTokens())  # uvicorn's logging setup adds filters, keeps ours
